// Two `serve` processes behind one public address, sharing a real Redis: a flow started at one
// broker finishes at the other, and the server-flow code it leaves is traded at the first — once.
import { readFile, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startServe } from '../helpers/serve.js';
import { freePort } from '../helpers/ports.js';
import { addIssuer, newProject } from '../helpers/project.js';
import { hasChromium, hasRedis, requireComponent } from '../helpers/components.js';

const available = requireComponent('redis', hasRedis()) && requireComponent('chromium', hasChromium());

describe.skipIf(!available)('several brokers on one Redis store', () => {
  let redis: RedisServer;
  let oidc: OidcServer;
  let publicPort: number;

  beforeAll(async () => {
    redis = await startRedis();
    publicPort = await freePort();
    oidc = await startOidcServer({ redirectUris: [`http://127.0.0.1:${publicPort}/auth`] });
  });
  afterAll(async () => {
    await oidc?.stop();
    await redis?.stop();
  });

  it('a flow started at broker B completes at broker A, and its code is traded at B exactly once', async () => {
    const project = await newProject();
    const init = await runCli(['init', '--yes', '--force', '--json', '--flow', 'server', '--domain', 'http://localhost:3000'], { cwd: project.dir, env: project.env });
    const { key, secret } = JSON.parse(init.stdout) as { key: string; secret: string };
    await addIssuer(project, oidc.issuer);
    const configPath = join(project.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { broker: Record<string, unknown> };
    config.broker.store = { type: 'redis', url: redis.url };
    config.broker.publicUrl = `http://127.0.0.1:${publicPort}`;
    await writeFile(configPath, JSON.stringify(config, null, 2));

    const a = await startServe({ cwd: project.dir, env: project.env, args: ['--port', String(publicPort)] });
    const b = await startServe({ cwd: project.dir, env: project.env, args: ['--port', String(await freePort())] });
    try {
      // The page asks broker B (its own port) to start; providers will call back the public address (A).
      const bPort = new URL(b.origin).port;
      const start = await fetch(`http://127.0.0.1:${bPort}/auth/myidp?k=${key}&opts=${encodeURIComponent('{"state":"backend-state"}')}`, {
        redirect: 'manual',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(start.status).toBe(302);
      const authorizeUrl = start.headers.get('location')!;
      expect(new URL(authorizeUrl).searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${publicPort}/auth`);

      // The browser signs in; its callback is captured and then delivered to A.
      const captured = join(project.dir, 'callback.txt');
      const browser = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/browser.mjs'), authorizeUrl], {
        env: { ...process.env, BROWSER_ACTION: 'capture-callback', BROWSER_CAPTURE_FILE: captured },
        stdio: 'ignore',
      });
      expect(await new Promise((resolve) => browser.once('exit', resolve))).toBe(0);
      const page = await (await fetch(await readFile(captured, 'utf8'))).text();
      const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page)?.[1];
      expect(message, page).toBeDefined();
      const result = JSON.parse(JSON.parse(message as string) as string) as { status: string; state: string; data: { code: string } };
      expect(result).toMatchObject({ status: 'success', state: 'backend-state' });

      const exchange = (port: string | number) =>
        fetch(`http://127.0.0.1:${port}/auth/access_token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ code: result.data.code, key, secret }).toString(),
        });
      const first = await exchange(bPort);
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ state: 'backend-state', provider: 'myidp', token_type: 'Bearer' });
      expect((await exchange(publicPort)).status).toBe(400);
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
  });
});
