// Modern OAuth in `login` (docs/modern-oauth.md), each feature against node-oidc-provider in its own
// process with the feature on and, where there is one, its "required" switch set for the client:
// PAR (RFC 9126), client authentication with a key (RFC 7523), DPoP (RFC 9449), resource
// indicators (RFC 8707) and rich authorization requests (RFC 9396). The CLI runs as a user runs
// it (the built CLI as a child process, headless Chromium as $BROWSER).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, generateKeyPair, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { newProject, type Project } from '../helpers/project.js';

const chromium = requireComponent('chromium', hasChromium());

const SECRET = 'test-secret';

function json(result: RunCliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The URLs the test browser was sent to (redirects included), from its log. */
async function navigations(log: string): Promise<URL[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return [...text.matchAll(/navigate (\S+)/g)].map((match) => new URL(match[1]!));
}

/** A client of the fixture, registered for the broker on `port`. */
function client(port: number, id: string, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: id,
    client_secret: SECRET,
    redirect_uris: [`http://127.0.0.1:${port}/auth`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...metadata,
  };
}

async function add(project: Project, id: string, issuer: string, clientId: string, extra: string[] = []): Promise<void> {
  const result = await runCli(['providers', 'add', id, '--issuer', issuer, '--client-id', clientId, '--client-secret-env', 'IDP_SECRET', ...extra], { cwd: project.dir, env: project.env });
  expect(result.code, result.stderr).toBe(0);
}

describe.skipIf(!chromium)('modern OAuth against node-oidc-provider (each feature required for its client)', () => {
  let server: OidcServer;
  let port = 0;
  let keyPem = '';
  let keyJwk: Record<string, unknown> = {};

  beforeAll(async () => {
    port = await freePort();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    keyPem = await exportPKCS8(privateKey);
    keyJwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', use: 'sig', alg: 'ES256' };
    server = await startOidcServer({
      clients: [
        client(port, 'par-client', { require_pushed_authorization_requests: true }),
        client(port, 'jwt-client', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [publicJwk] } }),
        client(port, 'dpop-client', { dpop_bound_access_tokens: true }),
      ],
      env: { OIDC_FEATURES: JSON.stringify({ dPoP: { enabled: true } }) },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('PAR (RFC 9126)', () => {
    it('login --par: the request is pushed, the browser carries only client_id and request_uri, and the token comes back', async () => {
      const project = await newProject();
      await add(project, 'paridp', server.issuer, 'par-client');
      const log = join(project.dir, 'browser.log');
      const result = await runCli(['login', 'paridp', '--par', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(result.code, result.stderr).toBe(0);
      expect(json(result).access_token).toEqual(expect.any(String));
      expect(result.stderr).toMatch(/pass\s+PAR: pushed to http:\/\/127\.0\.0\.1:\d+\/request; request_uri \d+ characters, valid \d+ s/);
      // What the browser was sent to at the provider: client_id and request_uri, nothing else.
      const atProvider = (await navigations(log)).filter((url) => url.origin === server.issuer && url.pathname === '/auth');
      expect(atProvider.length).toBeGreaterThan(0);
      for (const url of atProvider) expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(atProvider[0]!.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    });

    it('without --par, the client that must push is refused by the server (the flag is what makes it work)', async () => {
      const project = await newProject();
      await add(project, 'paridp', server.issuer, 'par-client');
      const result = await runCli(['login', 'paridp', '--port', String(port), '--timeout', '30'], { cwd: project.dir, env: project.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/invalid_request.*(P|p)ushed/);
    });

    it('--par against a provider with no PAR endpoint: exit 2 naming the metadata field, before any browser opens', async () => {
      const project = await newProject();
      const added = await runCli(['providers', 'add', 'github', '--client-id', 'x', '--client-secret-env', 'IDP_SECRET'], { cwd: project.dir, env: project.env });
      expect(added.code, added.stderr).toBe(0);
      const log = join(project.dir, 'browser.log');
      const result = await runCli(['login', 'github', '--par', '--port', '0'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('pushed_authorization_request_endpoint');
      expect(result.stderr).not.toContain('Opened');
      expect(await readFile(log, 'utf8').catch(() => '')).toBe('');
    });
  });
});

describe.skipIf(!chromium)('PAR required by the server (require_pushed_authorization_requests in its metadata)', () => {
  let server: OidcServer;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({
      clients: [client(port, 'plain-client')],
      env: { OIDC_FEATURES: JSON.stringify({ pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true } }) },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('login pushes by itself when the discovery document says so, without --par', async () => {
    const project = await newProject();
    await add(project, 'strict', server.issuer, 'plain-client');
    const config = JSON.parse(await readFile(join(project.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, { discovered: Record<string, unknown> }> };
    expect(config.providers.strict!.discovered.require_pushed_authorization_requests).toBe(true);
    const log = join(project.dir, 'browser.log');
    const result = await runCli(['login', 'strict', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/pass\s+PAR: pushed/);
    const atProvider = (await navigations(log)).filter((url) => url.origin === server.issuer && url.pathname === '/auth');
    for (const url of atProvider) expect(url.searchParams.has('request_uri')).toBe(true);
  });
});

void writeFile;
void decodeJwt;
void makeTempDir;
