// `oauthd-cli serve` as an app developer runs it: the summary, loopback binding, graceful stop,
// and provider files picked up without a restart (oauthd issues #108, #156).
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { freePort } from '../helpers/ports.js';
import { startServe } from '../helpers/serve.js';

const provider = (authorizeUrl: string) => ({
  $schema: '../node_modules/oauthd-cli/providers/schema.json',
  id: 'inhouse',
  name: 'In-house IdP',
  docs: 'https://idp.example/docs',
  oauth2: {
    authorizeUrl,
    tokenUrl: 'https://idp.example/token',
    clientAuth: 'client_secret_basic',
    pkce: 'supported',
    scopes: { separator: ' ', default: ['read'] },
  },
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('serve', () => {
  it('prints what to register, binds loopback, reloads provider files, and stops cleanly on SIGTERM', async () => {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), INHOUSE_SECRET: 's3cret' };
    const init = await runCli(['init', '--yes', '--json', '--domain', 'http://localhost:3000'], { cwd: dir, env });
    const { key } = JSON.parse(init.stdout) as { key: string };
    const folder = join(dir, 'oauthd-providers');
    await mkdir(folder);
    const file = join(folder, 'inhouse.json');
    await writeFile(file, JSON.stringify(provider('https://idp.example/authorize/v1')));
    const add = await runCli(['providers', 'add', 'inhouse', '--client-id', 'app', '--client-secret-env', 'INHOUSE_SECRET'], { cwd: dir, env });
    expect(add.code, add.stderr).toBe(0);

    const port = await freePort();
    const broker = await startServe({ cwd: dir, env, args: ['--port', String(port)] });
    try {
      expect(broker.origin).toBe(`http://127.0.0.1:${port}`);
      expect(broker.stderr()).toContain(`redirect URI   http://127.0.0.1:${port}/auth   ← register exactly this at every provider`);
      expect(broker.stderr()).toContain('providers      inhouse');
      expect(broker.stderr()).toContain(`OAuth.initialize('${key}')`);

      const start = async () => {
        const response = await fetch(`${broker.origin}/auth/inhouse?k=${key}`, { redirect: 'manual', headers: { referer: 'http://localhost:3000/' } });
        return new URL(response.headers.get('location') ?? 'http://none/').pathname;
      };
      expect(await start()).toBe('/authorize/v1');

      // Edited while serving: the next flow uses the new description.
      await writeFile(file, JSON.stringify(provider('https://idp.example/authorize/v2')));
      await until(async () => (await start()) === '/authorize/v2', 'the edited provider file');
      expect(broker.stderr()).toContain('Provider inhouse reloaded');

      // Broken: said loudly, and the last good version keeps serving.
      await writeFile(file, '{ "id": "inhouse", ');
      await until(async () => broker.stderr().includes('is broken'), 'the broken-file warning');
      expect(broker.stderr()).toContain('still serving the previous version of inhouse');
      expect(await start()).toBe('/authorize/v2');
    } finally {
      expect(await broker.stop()).toBe(0);
    }
    expect(broker.stderr()).toContain('SIGTERM: stopping the broker');
  });

  it('refuses a config without a file, with a hint to run init', async () => {
    const dir = (await makeTempDir()).path;
    const result = await runCli(['serve'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no config file: no oauthd.json in ${dir} nor in any folder above it`);
    expect(result.stderr).toContain('oauthd-cli init');
  });
});

describe('serve stops within a bound whatever its clients do', () => {
  it('SIGTERM: a request whose body stalls and an idle connection opened meanwhile do not hold the exit', async () => {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
    await runCli(['init', '--yes'], { cwd: dir, env });
    const serving = await startServe({ cwd: dir, env, args: ['--port', '0', '--quiet'] });
    const { port } = new URL(serving.origin);
    // A back end that announced 100 bytes and sent 10, and keeps its socket open.
    const stalled = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write(`POST /auth/access_token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncode=abcde`);
    stalled.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const began = Date.now();
    const exited = serving.stop();
    // A connection accepted while stopping, left idle.
    const idle = connect(Number(port), '127.0.0.1');
    idle.on('error', () => undefined);
    expect(await exited).toBe(0);
    expect(Date.now() - began).toBeLessThan(8000);
    stalled.destroy();
    idle.destroy();
  });
});
