// `providers register` and `providers unregister` in-process (RFC 7591, RFC 7592): the requests a
// fake authorization server receives, what rests in the (memory) vault and what oauthd.json holds.
// The server's host does not resolve: a command that built its own HTTP client would fail here.
import { readFile, writeFile } from 'node:fs/promises';
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

describe('providers registration (RFC 7592 §2.1, §2.2)', () => {
  /** A client configuration endpoint that rotates the secret on a read and the token on an update, as §2.1 and §2.2 allow. */
  function managingServer() {
    const base = registrationServer();
    let secret = SECRET;
    let token = RAT;
    let metadata: Record<string, unknown> = {};
    const http: HttpClient = async (request) => {
      if (request.url !== `${ISSUER}/reg/c-123` || request.method === 'DELETE') {
        const answer = await base.http(request);
        if (request.url === `${ISSUER}/reg` && request.method === 'POST') metadata = JSON.parse(request.body as string) as Record<string, unknown>;
        return answer;
      }
      base.requests.push(request);
      if (request.headers.authorization !== `Bearer ${token}`) return jsonResponse(request, 401, { error: 'invalid_token' });
      if (request.method === 'GET') secret = 'rotated-secret-0123456789abcdef';
      if (request.method === 'PUT') {
        const { client_id: _id, ...sent } = JSON.parse(request.body as string) as Record<string, unknown>;
        metadata = sent;
        token = 'rotated-registration-token-0123456789';
      }
      return jsonResponse(request, 200, { ...metadata, client_id: 'c-123', client_secret: secret, registration_access_token: token, registration_client_uri: `${ISSUER}/reg/c-123` });
    };
    return { http, requests: base.requests };
  }

  it('a read keeps a rotated secret in the vault; an update sends the whole metadata and keeps the rotated token; nothing secret printed', async () => {
    const { dir, vaults } = await project();
    const server = managingServer();
    const register = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await register.cli(['providers', 'register', ISSUER, '--save', 'myidp', '--client-name', 'one']), register.stderr()).toBe(0);

    const read = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await read.cli(['providers', 'registration', 'myidp', '--json']), read.stderr()).toBe(0);
    expect(JSON.parse(read.stdout())).toMatchObject({ client_id: 'c-123', client_secret: 'keychain:myidp', registration_access_token: 'keychain:myidp.registration', client_name: 'one' });
    expect(vaults.keychain!.entries.get('ref:myidp')).toBe('rotated-secret-0123456789abcdef');

    const update = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await update.cli(['providers', 'registration', 'myidp', '--redirect-uri', 'http://127.0.0.1:7000/auth', '--scope', 'openid  email']), update.stderr()).toBe(0);
    const put = server.requests.find((request) => request.method === 'PUT')!;
    const body = JSON.parse(put.body as string) as Record<string, unknown>;
    // §2.2: the whole metadata (what the read answered) with the change and client_id; never the server's fields or the secret.
    expect(body).toMatchObject({ client_id: 'c-123', client_name: 'one', redirect_uris: ['http://127.0.0.1:7000/auth'], scope: 'openid email', application_type: 'native', grant_types: ['authorization_code', 'refresh_token'] });
    for (const field of ['client_secret', 'registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at']) expect(body).not.toHaveProperty(field);
    expect(vaults.keychain!.entries.get('ref:myidp.registration')).toBe('rotated-registration-token-0123456789');
    expect(update.stdout()).toContain('rotated');
    const text = await readFile(join(dir, 'oauthd.json'), 'utf8');
    expect((JSON.parse(text) as { providers: Record<string, any> }).providers.myidp).toMatchObject({ scope: ['openid', 'email'], registration: { accessToken: 'keychain:myidp.registration' } });
    for (const secret of ['rotated-secret-0123456789abcdef', 'rotated-registration-token-0123456789', SECRET, RAT]) {
      expect(text).not.toContain(secret);
      expect(read.stdout() + read.stderr() + update.stdout() + update.stderr()).not.toContain(secret);
    }

    // A later read uses the rotated token (the old one is refused now).
    const again = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await again.cli(['providers', 'registration', 'myidp']), again.stderr()).toBe(0);
    expect(again.stdout()).toMatch(/redirect URIs\s+http:\/\/127\.0\.0\.1:7000\/auth/);
  });

  it('a token the keyset names by env:VAR moves to the vault when it rotates; bad flags are refused before anything is sent', async () => {
    const { dir, vaults } = await project();
    const server = managingServer();
    const register = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await register.cli(['providers', 'register', ISSUER, '--save', 'myidp']), register.stderr()).toBe(0);
    const path = join(dir, 'oauthd.json');
    const config = JSON.parse(await readFile(path, 'utf8')) as { providers: Record<string, any> };
    config.providers.myidp.registration.accessToken = 'env:MYIDP_RAT';
    await writeFile(path, JSON.stringify(config, null, 2));
    vaults.keychain!.entries.delete('ref:myidp.registration');

    const sent = server.requests.length;
    const badUri = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir, MYIDP_RAT: RAT } });
    expect(await badUri.cli(['providers', 'registration', 'myidp', '--redirect-uri', 'http://127.0.0.1/auth#x'])).toBe(2);
    expect(badUri.stderr()).toContain('a redirect URI has no fragment');
    expect(server.requests).toHaveLength(sent);

    const update = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir, MYIDP_RAT: RAT } });
    expect(await update.cli(['providers', 'registration', 'myidp', '--client-name', 'two']), update.stderr()).toBe(0);
    expect(vaults.keychain!.entries.get('ref:myidp.registration')).toBe('rotated-registration-token-0123456789');
    expect((JSON.parse(await readFile(path, 'utf8')) as { providers: Record<string, any> }).providers.myidp.registration.accessToken).toBe('keychain:myidp.registration');

    // --scope "": the field is left out of the update, so the server deletes it; the keyset asks the provider's defaults again.
    const scoped = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await scoped.cli(['providers', 'registration', 'myidp', '--scope', 'openid email']), scoped.stderr()).toBe(0);
    expect((JSON.parse(await readFile(path, 'utf8')) as { providers: Record<string, any> }).providers.myidp.scope).toEqual(['openid', 'email']);
    const cleared = commandContext({ cwd: dir, vault: vaults.open, http: server.http, env: { HOME: dir } });
    expect(await cleared.cli(['providers', 'registration', 'myidp', '--scope', '']), cleared.stderr()).toBe(0);
    expect(JSON.parse(server.requests.filter((request) => request.method === 'PUT').at(-1)!.body as string)).not.toHaveProperty('scope');
    expect((JSON.parse(await readFile(path, 'utf8')) as { providers: Record<string, any> }).providers.myidp.scope).toBeUndefined();
  });
});
