// Single-flight refresh through the broker: two `serve` processes sharing a real Redis, in front
// of node-oidc-provider with refresh-token rotation on. Ten back-end calls of
// POST /auth/refresh_token/:provider with the same refresh token, split over both brokers, reach
// the provider as one refresh, and all get the same new tokens. Redis never holds the token.
import { readFile, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { freePort } from '../helpers/ports.js';
import { addIssuer, newProject } from '../helpers/project.js';
import { grantCounts } from '../helpers/kept-tokens.js';
import { hasChromium, hasRedis, requireComponent } from '../helpers/components.js';

const available = requireComponent('redis', hasRedis()) && requireComponent('chromium', hasChromium());

interface Tokens {
  access_token: string;
  refresh_token: string;
}

describe.skipIf(!available)('POST /auth/refresh_token/:provider: one refresh across brokers sharing Redis', () => {
  let redis: RedisServer;
  let oidc: OidcServer;
  let publicPort: number;
  let a: ServeProcess;
  let b: ServeProcess;
  let app: { key: string; secret: string };
  let first: Tokens;

  beforeAll(async () => {
    redis = await startRedis();
    publicPort = await freePort();
    oidc = await startOidcServer({ redirectUris: [`http://127.0.0.1:${publicPort}/auth`], env: { OIDC_ROTATE_REFRESH_TOKEN: '1' } });
    const project = await newProject();
    const init = await runCli(['init', '--yes', '--force', '--json', '--flow', 'server', '--domain', 'http://localhost:3000'], { cwd: project.dir, env: project.env });
    app = JSON.parse(init.stdout) as { key: string; secret: string };
    await addIssuer(project, oidc.issuer);
    const configPath = join(project.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { broker: Record<string, unknown> };
    config.broker.store = { type: 'redis', url: redis.url };
    config.broker.publicUrl = `http://127.0.0.1:${publicPort}`;
    await writeFile(configPath, JSON.stringify(config, null, 2));
    a = await startServe({ cwd: project.dir, env: project.env, args: ['--port', String(publicPort), '--quiet'] });
    b = await startServe({ cwd: project.dir, env: project.env, args: ['--port', String(await freePort()), '--quiet'] });

    // A server flow, signed in by the browser, traded for tokens by the back end.
    const start = await fetch(`${a.origin}/auth/myidp?k=${app.key}&opts=${encodeURIComponent('{"state":"backend-state"}')}`, {
      redirect: 'manual',
      headers: { origin: 'http://localhost:3000' },
    });
    expect(start.status, await start.clone().text()).toBe(302);
    const captured = join(project.dir, 'callback.txt');
    const browser = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/browser.mjs'), start.headers.get('location') as string], {
      env: { ...process.env, BROWSER_ACTION: 'capture-callback', BROWSER_CAPTURE_FILE: captured },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let browserErr = '';
    browser.stderr.setEncoding('utf8').on('data', (chunk: string) => (browserErr += chunk));
    expect(await new Promise((resolve) => browser.once('exit', resolve)), browserErr).toBe(0);
    const page = await (await fetch(await readFile(captured, 'utf8'))).text();
    const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page)?.[1] as string;
    const result = JSON.parse(JSON.parse(message) as string) as { data: { code: string } };
    const exchange = await fetch(`${a.origin}/auth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: result.data.code, key: app.key, secret: app.secret }).toString(),
    });
    first = (await exchange.json()) as Tokens;
    expect(first.refresh_token).toEqual(expect.any(String));
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await oidc?.stop();
    await redis?.stop();
  });

  const refresh = (origin: string, token: string) =>
    fetch(`${origin}/auth/refresh_token/myidp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, key: app.key, secret: app.secret }).toString(),
    });

  it('ten concurrent refreshes of one refresh token on two brokers: one request at the provider, one answer for all', async () => {
    const before = (await grantCounts(oidc)).refresh_token ?? 0;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => refresh(i % 2 === 0 ? a.origin : b.origin, first.refresh_token)));
    const bodies = await Promise.all(answers.map(async (answer) => ({ status: answer.status, body: (await answer.json()) as Tokens })));
    for (const { status, body } of bodies) expect(status, JSON.stringify(body)).toBe(200);
    const accessTokens = new Set(bodies.map(({ body }) => body.access_token));
    const refreshTokens = new Set(bodies.map(({ body }) => body.refresh_token));
    expect(accessTokens.size).toBe(1);
    expect(refreshTokens.size).toBe(1);
    expect([...refreshTokens][0]).not.toBe(first.refresh_token);
    expect((await grantCounts(oidc)).refresh_token).toBe(before + 1);

    // Redis holds no token: neither in a key nor in a value (the kept answer is encrypted).
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('*');
      expect(keys.some((key) => key.includes('refresh-result:'))).toBe(true);
      const values = await Promise.all(keys.map((key) => client.get(key).catch(() => '')));
      for (const secret of [first.refresh_token, ...refreshTokens, ...accessTokens]) {
        expect(keys.join('\n')).not.toContain(secret);
        expect(values.join('\n')).not.toContain(secret);
      }
    } finally {
      client.disconnect();
    }

    // The rotated refresh token works: the grant survived (a second use of the spent one would have revoked it).
    const next = await refresh(b.origin, [...refreshTokens][0] as string);
    expect(next.status).toBe(200);
    expect((await grantCounts(oidc)).refresh_token).toBe(before + 2);
  });

  it('a refused refresh token is refused for everyone at once, and said so (400)', async () => {
    const before = (await grantCounts(oidc)).refresh_token ?? 0;
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => refresh(i % 2 === 0 ? a.origin : b.origin, 'not-a-refresh-token-the-provider-knows')));
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ status: 'error', message: expect.stringMatching(/invalid_grant|grant/) });
    }
    expect((await grantCounts(oidc)).refresh_token).toBe(before + 1);
  });
});
