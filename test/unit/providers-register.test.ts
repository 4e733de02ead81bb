// `providers register` and `providers unregister` in-process (RFC 7591, RFC 7592): the requests a
// fake authorization server receives, what rests in the (memory) vault and what oauthd.json holds.
// The server's host does not resolve: a command that built its own HTTP client would fail here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest } from '../../src/oauth/http.js';
import { MemoryVault, commandContext, jsonResponse, memoryVaults } from '../helpers/fake-factory.js';
import { makeTempDir } from '../helpers/run-cli.js';

const ISSUER = 'https://idp.test';
const SECRET = 'registered-secret-0123456789abcdef';
const RAT = 'registration-access-token-0123456789';

/** A server with a registration endpoint; every request it receives is kept. */
function registrationServer(metadata: Record<string, unknown> = {}) {
  const requests: HttpRequest[] = [];
  const http: HttpClient = async (request) => {
    requests.push(request);
    if (request.url === `${ISSUER}/.well-known/openid-configuration`) {
      return jsonResponse(request, 200, {
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/auth`,
        token_endpoint: `${ISSUER}/token`,
        jwks_uri: `${ISSUER}/jwks`,
        registration_endpoint: `${ISSUER}/reg`,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        ...metadata,
      });
    }
    if (request.url === `${ISSUER}/reg` && request.method === 'POST') {
      const body = JSON.parse(request.body as string) as Record<string, unknown>;
      return jsonResponse(request, 201, { ...body, client_id: 'c-123', client_secret: SECRET, registration_access_token: RAT, registration_client_uri: `${ISSUER}/reg/c-123` });
    }
    if (request.url === `${ISSUER}/reg/c-123` && request.method === 'DELETE') return { status: 204, statusText: 'No Content', headers: {}, text: '', url: request.url };
    return jsonResponse(request, 404, { error: 'not_found' });
  };
  return { http, requests };
}

async function project() {
  const dir = (await makeTempDir()).path;
  const vaults = memoryVaults({ keychain: new MemoryVault('keychain', 'Secret Service') });
  const init = commandContext({ cwd: dir, vault: vaults.open, env: { HOME: dir } });
  expect(await init.cli(['init', '--yes', '--json']), init.stderr()).toBe(0);
  return { dir, vaults };
}

describe('providers register (RFC 7591)', () => {
  it('--save: the loopback redirect URI as a native client, the secrets in the vault, only references in oauthd.json', async () => {
    const { dir, vaults } = await project();
    const server = registrationServer();
    const t = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir }, stdin: 'iat-1\n' });
    expect(await t.cli(['providers', 'register', ISSUER, '--save', 'myidp', '--initial-access-token-stdin', '--scope', 'openid email']), t.stderr()).toBe(0);

    const registration = server.requests.find((request) => request.url === `${ISSUER}/reg`)!;
    expect(registration.headers.authorization).toBe('Bearer iat-1');
    expect(JSON.parse(registration.body as string)).toMatchObject({
      redirect_uris: ['http://127.0.0.1:6284/auth'],
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'openid email',
    });
    const keychain = vaults.keychain!.entries;
    expect(keychain.get('ref:myidp')).toBe(SECRET);
    expect(keychain.get('ref:myidp.registration')).toBe(RAT);
    const text = await readFile(join(dir, 'oauthd.json'), 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(RAT);
    expect(text).not.toContain('iat-1');
    expect((JSON.parse(text) as { providers: Record<string, unknown> }).providers.myidp).toMatchObject({
      clientId: 'c-123',
      clientSecret: 'keychain:myidp',
      issuer: ISSUER,
      registration: { clientUri: `${ISSUER}/reg/c-123`, accessToken: 'keychain:myidp.registration' },
    });
    expect(t.stdout()).toContain('Next: oauthd-cli login myidp');
  });

  it('refused before the server sees a request: both token flags, an id in use, an auth method the server does not list', async () => {
    const { dir, vaults } = await project();
    const server = registrationServer();
    const both = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await both.cli(['providers', 'register', ISSUER, '--initial-access-token', 'x', '--initial-access-token-stdin'])).toBe(2);
    expect(server.requests).toHaveLength(0);

    const method = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await method.cli(['providers', 'register', ISSUER, '--auth-method', 'client_secret_jwt'])).toBe(2);
    expect(method.stderr()).toContain("token_endpoint_auth_methods_supported lists only client_secret_basic, client_secret_post, none");
    expect(server.requests.map((request) => request.method)).toEqual(['GET']);

    const first = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await first.cli(['providers', 'register', ISSUER, '--save', 'myidp']), first.stderr()).toBe(0);
    const sent = server.requests.length;
    const again = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await again.cli(['providers', 'register', ISSUER, '--save', 'myidp'])).toBe(2);
    expect(again.stderr()).toContain('myidp is a keyset of');
    expect(server.requests).toHaveLength(sent);
  });
});

describe('providers unregister (RFC 7592 §2.3)', () => {
  it('deletes the client with its registration access token, then the keyset and both vault entries', async () => {
    const { dir, vaults } = await project();
    const server = registrationServer();
    const register = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await register.cli(['providers', 'register', ISSUER, '--save', 'myidp']), register.stderr()).toBe(0);

    const t = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await t.cli(['providers', 'unregister', 'myidp']), t.stderr()).toBe(0);
    const deleted = server.requests.at(-1)!;
    expect(deleted).toMatchObject({ method: 'DELETE', url: `${ISSUER}/reg/c-123` });
    expect(deleted.headers.authorization).toBe(`Bearer ${RAT}`);
    expect(vaults.keychain!.entries.has('ref:myidp')).toBe(false);
    expect(vaults.keychain!.entries.has('ref:myidp.registration')).toBe(false);
    expect((JSON.parse(await readFile(join(dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, unknown> }).providers.myidp).toBeUndefined();
  });

  it('a keyset providers register did not make is refused with exit 2, nothing sent', async () => {
    const { dir, vaults } = await project();
    const server = registrationServer();
    const add = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await add.cli(['providers', 'add', 'github', '--client-id', 'x']), add.stderr()).toBe(0);
    const t = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await t.cli(['providers', 'unregister', 'github'])).toBe(2);
    expect(t.stderr()).toContain('was not registered by oauthd-cli');
    expect(server.requests).toHaveLength(0);
  });
});
