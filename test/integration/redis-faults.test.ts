// The broker on a real Redis that is stopped, paused and restarted under it (`serve` as a child
// process, the server flow against node-oidc-provider, a real Chromium for the sign-in): every
// route answers fast — 503 with Retry-After while the store cannot answer, never 500, never a hang —
// and service comes back by itself when Redis does, without restarting `serve`.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { freePort } from '../helpers/ports.js';
import { addIssuer, newProject } from '../helpers/project.js';
import { hasChromium, hasRedis, requireComponent } from '../helpers/components.js';

const available = requireComponent('redis', hasRedis()) && requireComponent('chromium', hasChromium());
const PAGE = 'http://localhost:3000';

describe.skipIf(!available)('the broker while its Redis store fails', () => {
  let redis: RedisServer;
  let oidc: OidcServer;
  let serve: ServeProcess;
  let port: number;
  let key: string;
  let secret: string;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    port = await freePort();
    oidc = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
    const project = await newProject();
    dir = project.dir;
    const init = await runCli(['init', '--yes', '--force', '--json', '--flow', 'server', '--domain', PAGE], { cwd: dir, env: project.env });
    ({ key, secret } = JSON.parse(init.stdout) as { key: string; secret: string });
    await addIssuer(project, oidc.issuer);
    const configPath = join(dir, 'oauthd.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { broker: Record<string, unknown> };
    config.broker.store = { type: 'redis', url: redis.url };
    await writeFile(configPath, JSON.stringify(config, null, 2));
    serve = await startServe({ cwd: dir, env: project.env, args: ['--port', String(port)] });
  });
  afterAll(async () => {
    expect(await serve?.stop()).toBe(0);
    await oidc?.stop();
    await redis?.stop();
  });

  const start = () =>
    fetch(`http://127.0.0.1:${port}/auth/myidp?k=${key}&opts=${encodeURIComponent('{"state":"backend-state"}')}`, {
      redirect: 'manual',
      headers: { origin: PAGE },
    });
  /** Signs in at the provider in Chromium and returns the callback URL, not yet delivered. */
  const signIn = async (authorizeUrl: string): Promise<string> => {
    const captured = join(dir, `callback-${Math.random().toString(36).slice(2)}.txt`);
    const browser = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/browser.mjs'), authorizeUrl], {
      env: { ...process.env, BROWSER_ACTION: 'capture-callback', BROWSER_CAPTURE_FILE: captured },
      stdio: 'ignore',
    });
    expect(await new Promise((resolve) => browser.once('exit', resolve))).toBe(0);
    return readFile(captured, 'utf8');
  };
  const exchange = (code: string) =>
    fetch(`http://127.0.0.1:${port}/auth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code, key, secret }).toString(),
    });
  const codeIn = (page: string) => {
    const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page)?.[1];
    expect(message, page).toBeDefined();
    return (JSON.parse(JSON.parse(message as string) as string) as { data: { code: string } }).data.code;
  };
  /** Runs `call`, and says how long it took. */
  const timed = async <T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const began = Date.now();
    const value = await call();
    return { value, ms: Date.now() - began };
  };

  it('stopped: starts still work (the state is sealed), callbacks and exchanges get 503 with Retry-After at once; back when Redis is', async () => {
    // A first flow while Redis is up: the broker learns the sealing key from the store.
    const first = await start();
    expect(first.status).toBe(302);
    const callbackUrl = await signIn(first.headers.get('location')!);

    await redis.stop();
    const again = await start();
    expect(again.status).toBe(302);

    const refused = await timed(() => fetch(callbackUrl));
    expect(refused.value.status).toBe(503);
    expect(refused.value.headers.get('retry-after')).toBe('5');
    expect(await refused.value.text()).toContain('the flow store is unavailable');
    expect(refused.ms).toBeLessThan(2000);
    const exchanged = await timed(() => exchange('some-code'));
    expect(exchanged.value.status).toBe(503);
    expect(exchanged.value.headers.get('retry-after')).toBe('5');
    expect(await exchanged.value.json()).toMatchObject({ status: 'error', message: expect.stringContaining('try again in a moment') });

    // Redis is back (empty: no persistence): the same callback now goes through, and its code
    // trades once. Nothing was claimed while the store was down.
    await redis.restart();
    let delivered: Response | undefined;
    for (let attempt = 0; attempt < 40; attempt++) {
      delivered = await fetch(callbackUrl);
      if (delivered.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(delivered!.status).toBe(200);
    const code = codeIn(await delivered!.text());
    const traded = await exchange(code);
    expect(traded.status).toBe(200);
    expect(await traded.json()).toMatchObject({ state: 'backend-state', provider: 'myidp' });
    expect((await exchange(code)).status).toBe(400);
  });

  it('paused (SIGSTOP): a callback and an exchange get 503 within the command timeout, not a hang; resumed, service is back', async () => {
    const started = await start();
    const callbackUrl = await signIn(started.headers.get('location')!);
    redis.pause();
    try {
      const [callback, exchanged] = await Promise.all([timed(() => fetch(callbackUrl)), timed(() => exchange('some-code'))]);
      for (const answer of [callback, exchanged]) {
        expect(answer.value.status).toBe(503);
        expect(answer.value.headers.get('retry-after')).toBe('5');
        expect(answer.ms).toBeLessThan(5000);
      }
    } finally {
      redis.resume();
    }
    const again = await start();
    const code = codeIn(await (await fetch(await signIn(again.headers.get('location')!))).text());
    expect((await exchange(code)).status).toBe(200);
    expect(serve.stderr()).not.toMatch(/Unhandled|\n\s+at /);
  });
});
