// DPoP (RFC 9449) in the broker (`serve`), against node-oidc-provider in its own process with a
// client that must use DPoP-bound tokens, the server asking for its nonce in every proof.
//
//   - server flow: the broker makes a key for the grant at the code exchange and keeps it (sealed
//     under the token's hash, src/broker/dpop-keys.ts); the app's back end gets a DPoP token and
//     uses it through the broker: /auth/:provider/me, /request and /auth/refresh_token make the
//     proofs. Before this, the exchange failed with the provider's confusing invalid_grant.
//   - client flow: refused when serve starts and by `providers validate`, naming the keyset and
//     the fix (a page has no key to make proofs with).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBroker, type Broker } from '../../src/broker/app.js';
import { appRegistry, type BrokerApp } from '../../src/broker/types.js';
import { parseDomainRule } from '../../src/config/domains.js';
import { secretsEqual } from '../../src/config/app-secret.js';
import { fetchClient } from '../../src/oauth/http.js';
import { discover } from '../../src/oauth/oidc/discovery.js';
import { configRegistry } from '../../src/registry/registry.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Keyset } from '../../src/config/schema.js';
import { APP_ORIGIN } from '../helpers/broker.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { makeTempDir, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { newProject } from '../helpers/project.js';

vi.setConfig({ testTimeout: 120_000 });

const chromium = requireComponent('chromium', hasChromium());
const HOST = '127.0.0.1:6284';
const SECRET = 'test-secret';
const APP: BrokerApp & { secret: string } = {
  key: 'dpop-app-key-0123456789abcdef',
  name: 'dpop app',
  secret: 'secret-of-the-dpop-app',
  flow: 'server',
  domains: [parseDomainRule(APP_ORIGIN)],
  refreshTokensToClient: false,
  codeTtlMs: 60_000,
  verifySecret: async (candidate) => secretsEqual(candidate, 'secret-of-the-dpop-app'),
};

/** Signs in at the fixture in headless Chromium and returns the callback URL it was sent to (never loaded). */
async function signIn(authorizeUrl: string): Promise<URL> {
  const capture = join((await makeTempDir()).path, 'callback.txt');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'test', 'helpers', 'browser.mjs'), authorizeUrl], {
      env: { ...process.env, BROWSER_ACTION: 'capture-callback', BROWSER_CAPTURE_FILE: capture },
      stdio: 'ignore',
    });
    child.on('exit', resolve);
  });
  expect(code).toBe(0);
  return new URL((await readFile(capture, 'utf8')).trim());
}

describe.skipIf(!chromium)('DPoP in serve (RFC 9449): the server flow keeps a key per grant', () => {
  let server: OidcServer;
  let broker: Broker;
  let store: MemoryStore;

  beforeAll(async () => {
    server = await startOidcServer({
      clients: [
        {
          client_id: 'dpop-client',
          client_secret: SECRET,
          redirect_uris: [`http://${HOST}/auth`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          dpop_bound_access_tokens: true,
        },
      ],
      env: { OIDC_DPOP_NONCE: '1' },
    });
    const http = fetchClient({ timeoutMs: 10_000 });
    const metadata = await discover(http, server.issuer);
    const keyset: Keyset = {
      clientId: 'dpop-client',
      clientSecret: 'env:IDP_SECRET',
      issuer: server.issuer,
      discovered: { ...(metadata as unknown as Keyset['discovered'] & object), fetchedAt: new Date().toISOString() },
      dpop: true,
    };
    store = new MemoryStore();
    broker = await buildBroker({
      apps: appRegistry([APP]),
      providers: configRegistry({ keysets: { dpopidp: keyset }, env: { IDP_SECRET: SECRET }, http, vault: () => Promise.reject(new Error('no vault here')) }),
      store,
      http,
      publicOrigin: () => `http://${HOST}`,
      allowedHosts: () => new Set([HOST]),
    });
  });
  afterAll(async () => {
    await broker?.app.close();
    await store?.close();
    await server?.stop();
  });

  const oauthio = (accessToken: string) => `k=${APP.key}&access_token=${encodeURIComponent(accessToken)}`;

  it('code → DPoP token for the back end; /me and /auth/refresh_token make the proofs with the kept key (/request shares their code)', async () => {
    const start = await broker.app.inject({
      url: `/auth/dpopidp?k=${APP.key}&opts=${encodeURIComponent(JSON.stringify({ state: 'backend-state' }))}`,
      headers: { host: HOST, origin: APP_ORIGIN },
    });
    expect(start.statusCode, start.body).toBe(302);
    const callbackUrl = await signIn(start.headers.location as string);
    const callback = await broker.app.inject({ url: `${callbackUrl.pathname}${callbackUrl.search}`, headers: { host: HOST } });
    const message = /var message=("(?:[^"\\]|\\.)*")/.exec(callback.body)?.[1];
    expect(message, callback.body).toBeDefined();
    const result = JSON.parse(JSON.parse(message!) as string) as { status: string; message?: string; data: { code: string } };
    expect(result.status, result.message).toBe('success');

    const traded = await broker.app.inject({
      method: 'POST',
      url: '/auth/access_token',
      headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ code: result.data.code, key: APP.key, secret: APP.secret }).toString(),
    });
    expect(traded.statusCode, traded.body).toBe(200);
    const tokens = traded.json<{ access_token: string; refresh_token: string; token_type: string; state: string }>();
    expect(tokens).toMatchObject({ token_type: 'DPoP', state: 'backend-state' });
    // No key leaves the broker.
    expect(traded.body).not.toMatch(/"d"\s*:/);

    // The provider refuses the token without a proof (it is bound)…
    const bare = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(bare.status).toBe(401);
    // …and the broker's /me makes one with the grant's key.
    const me = await broker.app.inject({ url: '/auth/dpopidp/me', headers: { host: HOST, oauthio: oauthio(tokens.access_token) } });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ status: 'success', data: { id: 'alice' } });

    const refreshed = await broker.app.inject({
      method: 'POST',
      url: '/auth/refresh_token/dpopidp',
      headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: tokens.refresh_token, key: APP.key, secret: APP.secret }).toString(),
    });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const fresh = refreshed.json<{ access_token: string; token_type: string }>();
    expect(fresh.token_type).toBe('DPoP');
    expect(fresh.access_token).not.toBe(tokens.access_token);
    const again = await broker.app.inject({ url: '/auth/dpopidp/me', headers: { host: HOST, oauthio: oauthio(fresh.access_token) } });
    expect(again.statusCode, again.body).toBe(200);
  });

  it('a DPoP token the broker issued no key for is refused by the broker, naming why (400)', async () => {
    const me = await broker.app.inject({ url: '/auth/dpopidp/me', headers: { host: HOST, oauthio: oauthio('a-token-from-somewhere-else') } });
    expect(me.statusCode).toBe(400);
    expect(me.json<{ message: string }>().message).toContain('this broker keeps no key for this token');
  });
});

describe('DPoP with the client flow: refused at serve start and by providers validate, naming the keyset', () => {
  it('serve and providers validate exit 2 with one line naming the keyset and the fix', async () => {
    const project = await newProject();
    const file = join(project.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as { app: { flow: string }; providers: Record<string, unknown> };
    expect(config.app.flow).toBe('client');
    config.providers.dpopidp = { clientId: 'x', issuer: 'http://127.0.0.1:1', dpop: true };
    await writeFile(file, JSON.stringify(config, null, 2));
    const expected = /\/providers\/dpopidp\/dpop the dpopidp keyset binds tokens to DPoP keys, and the client flow hands them to a page that has no key to make proofs with: set \/app\/flow to "server"/;

    const serve = await runCli(['serve', '--port', '0'], { cwd: project.dir, env: project.env, timeoutMs: 30_000 });
    expect(serve.code, serve.stderr).toBe(2);
    expect(serve.stderr).toMatch(expected);
    expect(serve.stderr.trim().split('\n').filter((line) => !line.startsWith('hint:'))).toHaveLength(1);

    const validate = await runCli(['providers', 'validate', 'oauthd.json'], { cwd: project.dir, env: project.env });
    expect(validate.code).not.toBe(0);
    expect(validate.stderr).toMatch(expected);

    // The server flow is what the broker can do: the same keyset then serves.
    config.app.flow = 'server';
    await writeFile(file, JSON.stringify(config, null, 2));
    const fixed = await runCli(['providers', 'validate', 'oauthd.json'], { cwd: project.dir, env: project.env });
    expect(fixed.stderr).not.toMatch(/binds tokens to DPoP keys/);
  });
});
