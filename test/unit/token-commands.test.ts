// The token commands (token list/show/print/refresh/revoke/introspect, me, request, logout) run
// in-process: the real command table parses each command line and runs the command with a context
// whose factory holds fakes: the keychain and the 0600 file in memory, an HTTP client that answers
// as the provider (test/helpers/fake-provider.ts, which remembers which tokens it issued, rotated
// and revoked), and a clock fixed in 2031. A command that built its own client, vault or clock
// would miss them: the provider's host does not resolve, nothing is on disk, and the time is off by
// years. test/integration/token-commands.test.ts keeps one run per command family as a child
// process, against a real OpenID provider, Chromium and the Secret Service.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { fetchClient, type HttpClient } from '../../src/oauth/http.js';
import type { StoredToken } from '../../src/tokens/store.js';
import { saveToken } from '../../src/tokens/store.js';
import { FIXED_NOW, MemoryVault, commandContext, memoryVaults, noNetwork, type CommandRun } from '../helpers/fake-factory.js';
import { API, CLIENT, FakeProvider, IDP, providerFile, type Echoed } from '../helpers/fake-provider.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir } from '../helpers/run-cli.js';

type Kept = StoredToken & { token: { access_token: string; refresh_token?: string; id_token?: string } };

/** The exit code with stderr as the failure message, so a failing step says why. */
function ok(t: CommandRun, code: number): void {
  expect(code, `stderr:\n${t.stderr()}\nstdout:\n${t.stdout()}`).toBe(0);
}

/** One clear line of error (and its hint), exit 2, no stack trace. */
function usage(t: CommandRun, code: number, message: string): void {
  expect(code, t.stderr()).toBe(2);
  expect(t.stderr()).toMatch(new RegExp(`^error: .*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
  expect(t.stderr()).not.toMatch(/\n\s+at /);
  expect(t.stdout()).toBe('');
}

interface Project {
  dir: string;
  provider: FakeProvider;
  vaults: ReturnType<typeof memoryVaults>;
  /** Runs a command line; its output replaces the last one's. */
  run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string; t: CommandRun }>;
  /** A kept token as a login leaves it, the provider told of it. */
  login(sub: string, options?: { profile?: string; vault?: MemoryVault; idToken?: boolean }): Promise<Kept>;
  kept(account: string, vault?: MemoryVault): Kept;
}

/** init --yes and providers add myidp, in-process, with the fake provider's file in the provider folder. */
async function project(options: { provider?: FakeProvider; keychain?: boolean; http?: HttpClient; files?: Record<string, unknown> } = {}): Promise<Project> {
  const dir = (await makeTempDir()).path;
  const provider = options.provider ?? new FakeProvider();
  const vaults = memoryVaults(options.keychain ? { keychain: new MemoryVault('keychain', 'Secret Service (GNOME Keyring / KWallet)') } : {});
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), IDP_SECRET: CLIENT.secret, OAUTHD_PROVIDERS_DIR: join(dir, 'providers') };
  const files = options.files ?? { myidp: { ...providerFile(), oidc: { issuer: IDP } } };
  await mkdir(join(dir, 'providers'));
  for (const [id, file] of Object.entries(files)) await writeFile(join(dir, 'providers', `${id}.json`), JSON.stringify(file));
  const run: Project['run'] = async (args, stdin) => {
    const t = commandContext({ cwd: dir, env, http: options.http ?? provider.http, vault: vaults.open, ...(stdin !== undefined ? { stdin } : {}) });
    const code = await t.cli(args);
    return { code, stdout: t.stdout(), stderr: t.stderr(), t };
  };
  const must = async (args: string[]) => {
    const result = await run(args);
    ok(result.t, result.code);
  };
  await must(['init', '--yes']);
  for (const id of Object.keys(files)) await must(['providers', 'add', id, '--client-id', CLIENT.id, '--client-secret-env', 'IDP_SECRET']);

  const kept = (account: string, vault = vaults.file): Kept => {
    const text = vault.entries.get(account);
    if (text === undefined) throw new Error(`no ${account} in the ${vault.kind}`);
    return JSON.parse(text) as Kept;
  };
  const login: Project['login'] = async (sub, { profile = 'default', vault = vaults.file, idToken = true } = {}) => {
    const issued = provider.issue(sub);
    const stored: StoredToken = {
      version: 1,
      provider: 'myidp',
      profile,
      token: { ...issued, extra: {}, ...(idToken ? { id_token: await signedIdToken(sub) } : {}) },
      obtainedAt: new Date(FIXED_NOW).toISOString(),
      expiresAt: new Date(FIXED_NOW + issued.expires_in * 1000).toISOString(),
      requestedScopes: ['openid', 'profile', 'email'],
      subject: sub,
      issuer: IDP,
      ...(idToken ? { idTokenVerifiedAt: new Date(FIXED_NOW).toISOString() } : {}),
    };
    await saveToken(vault, stored);
    return stored as Kept;
  };
  return { dir, provider, vaults, run, login, kept };
}

const ID_TOKEN_KEY = await (async () => {
  const { generateKeyPair } = await import('jose');
  return (await generateKeyPair('RS256')).privateKey;
})();

async function signedIdToken(sub: string): Promise<string> {
  const iat = Math.floor(FIXED_NOW / 1000);
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(IDP).setAudience(CLIENT.id).setIssuedAt(iat).setExpirationTime(iat + 3600).sign(ID_TOKEN_KEY);
}

function json<T = Record<string, unknown>>(result: { code: number; stdout: string; stderr: string }): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Runs `script` in sh with `exports` evaluated first; returns stdout. */
function shell(exports: string, script: string, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `eval "$1"\n${script}`, 'sh', exports], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sh exited ${code}: ${err}`))));
  });
}

function okRun(result: { code: number; t: CommandRun }): void {
  ok(result.t, result.code);
}

describe('token commands on kept tokens (file store), the provider answering through the factory', () => {
  async function twoAccounts(): Promise<Project & { alice: Kept; bob: Kept }> {
    const p = await project();
    const alice = await p.login('alice');
    const bob = await p.login('bob', { profile: 'work' });
    return { ...p, alice, bob };
  }

  it('token list: both accounts, the store named, never a token value', async () => {
    const p = await twoAccounts();
    const list = await p.run(['token', 'list']);
    okRun(list);
    expect(list.stdout).toMatch(/^PROVIDER\s+PROFILE\s+ACCOUNT\s+STORE\s+SCOPES\s+EXPIRES$/m);
    expect(list.stdout).toMatch(/^myidp\s+default\s+alice\s+file\s+openid profile email\s+in 60 min$/m);
    expect(list.stdout).toMatch(/^myidp\s+work\s+bob\s+file\s+/m);
    expect(list.stdout).toContain(`file:     ${p.vaults.file.location} (mode 0600`);
    const entries = json<Array<Record<string, unknown>>>(await p.run(['token', 'list', '--json']));
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ provider: 'myidp', profile: 'default', account: 'alice', store: { kind: 'file' }, expired: false, refreshable: true });
    const work = json<Array<{ account: string }>>(await p.run(['token', 'list', '--profile', 'work', '--json']));
    expect(work.map((entry) => entry.account)).toEqual(['bob']);
    for (const secret of [p.alice.token.access_token, p.alice.token.refresh_token, p.alice.token.id_token, p.bob.token.access_token, p.bob.token.refresh_token]) {
      expect(list.stdout + list.stderr).not.toContain(secret);
      expect(JSON.stringify(entries)).not.toContain(secret);
    }
    expect(p.provider.requests).toEqual([]);
  });

  it('token show: scopes, expiry countdown on the factory\'s clock, the id_token claims and when they were verified; no token value', async () => {
    const p = await twoAccounts();
    const shown = json<Record<string, any>>(await p.run(['token', 'show', 'myidp', '--json']));
    expect(shown).toMatchObject({ provider: 'myidp', profile: 'default', account: 'alice', issuer: IDP, scopes: ['openid', 'profile', 'email'], refreshToken: true });
    expect(shown.expiresInSeconds).toBe(3600);
    expect(shown.accessToken).toEqual({ length: p.alice.token.access_token.length, format: 'opaque', verified: false });
    expect(shown.idToken).toMatchObject({ verified: true, header: { alg: 'RS256' }, claims: { sub: 'alice', iss: IDP, aud: CLIENT.id } });
    const human = await p.run(['token', 'show', 'myidp', '--profile', 'work']);
    okRun(human);
    expect(human.stdout).toMatch(/account\s+bob/);
    expect(human.stdout).toMatch(/expires\s+in 60 min \(2031-05-04T13:00:00Z\)/);
    expect(human.stdout).toMatch(/obtained\s+2031-05-04T12:00:00Z \(in 0 s\)/);
    expect(human.stdout).toMatch(/id_token\s+verified by oauthd-cli when received/);
    expect(human.stdout).toMatch(/^\s+sub\s+bob$/m);
    for (const secret of [p.bob.token.access_token, p.bob.token.refresh_token, p.bob.token.id_token]) expect(human.stdout).not.toContain(secret);
  });

  it('token print: raw, header, env (shell-safe, for eval) and json print the token and nothing else', async () => {
    const p = await twoAccounts();
    const { token } = p.alice;
    expect((await p.run(['token', 'print', 'myidp'])).stdout).toBe(`${token.access_token}\n`);
    expect((await p.run(['token', 'print', 'myidp', '--format', 'raw'])).stdout).toBe(`${token.access_token}\n`);
    expect((await p.run(['token', 'print', 'myidp', '--format', 'header'])).stdout).toBe(`Authorization: Bearer ${token.access_token}\n`);
    const env = await p.run(['token', 'print', 'myidp', '--format', 'env']);
    okRun(env);
    expect(env.stdout).toMatch(/^export ACCESS_TOKEN=.+ REFRESH_TOKEN=.+\n$/);
    expect(await shell(env.stdout, 'printf "%s|%s" "$ACCESS_TOKEN" "$REFRESH_TOKEN"')).toBe(`${token.access_token}|${token.refresh_token}`);
    const printed = json(await p.run(['token', 'print', 'myidp', '--format', 'json']));
    expect(printed).toMatchObject({ access_token: token.access_token, refresh_token: token.refresh_token, id_token: token.id_token, token_type: 'Bearer' });
    expect((await p.run(['token', 'print', 'myidp', '--profile', 'work'])).stdout).toBe(`${p.bob.token.access_token}\n`);
    expect(p.provider.requests).toEqual([]);
  });

  it('me: the unified profile from the profile endpoint, sub mapped to id, per profile', async () => {
    const p = await twoAccounts();
    const human = await p.run(['me', 'myidp']);
    okRun(human);
    expect(human.stdout).toMatch(/^\s+id\s+alice$/m);
    expect(human.stdout).toMatch(/^\s+name\s+Test User alice$/m);
    const alice = json<Record<string, any>>(await p.run(['me', 'myidp', '--json']));
    expect(alice).toMatchObject({ id: 'alice', name: 'Test User alice', email: 'alice@example.test', raw: { sub: 'alice' } });
    expect(json<{ id: string }>(await p.run(['me', 'myidp', '--profile', 'work', '--json'])).id).toBe('bob');
    expect(p.provider.requests.map((request) => `${request.method} ${request.url} ${request.headers.authorization}`)).toEqual([
      `GET ${IDP}/me Bearer ${p.alice.token.access_token}`,
      `GET ${IDP}/me Bearer ${p.alice.token.access_token}`,
      `GET ${IDP}/me Bearer ${p.bob.token.access_token}`,
    ]);
  });

  it('request: with the kept token, only to the API origin, output like gh api', async () => {
    const p = await twoAccounts();
    const { alice, bob } = p;
    const get = json<Echoed>(await p.run(['request', 'myidp', '/things?page=2']));
    expect(get).toMatchObject({ method: 'GET', url: '/things?page=2', authorization: `Bearer ${alice.token.access_token}` });

    const included = await p.run(['request', 'myidp', 'things', '-i', '--profile', 'work']);
    okRun(included);
    const [head, body] = included.stdout.split('\n\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\n/);
    expect(head).toMatch(/^x-request-id: r-200$/m);
    expect(JSON.parse(body as string)).toMatchObject({ authorization: `Bearer ${bob.token.access_token}` });

    const posted = json<Echoed>(await p.run(['request', 'myidp', '/things', '-d', '{"name":"demo"}']));
    expect(posted).toMatchObject({ method: 'POST', contentType: 'application/json', body: '{"name":"demo"}' });

    await writeFile(join(p.dir, 'item.txt'), 'a=1&b=two');
    const put = json<Echoed>(await p.run(['request', 'myidp', '/things/1', '-X', 'put', '-d', '@item.txt', '-H', 'If-Match: "3"']));
    expect(put).toMatchObject({ method: 'PUT', contentType: 'application/x-www-form-urlencoded', body: 'a=1&b=two', ifMatch: '"3"' });

    const piped = json<Echoed>(await p.run(['request', 'myidp', `${API}/things`, '-X', 'PATCH', '-d', '-'], '[1,2]'));
    expect(piped).toMatchObject({ method: 'PATCH', contentType: 'application/json', body: '[1,2]' });

    // A status outside 2xx: the body still on stdout, exit 1, the status on stderr.
    const missing = await p.run(['request', 'myidp', '/missing']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('{"message":"no such thing"}');
    expect(missing.stderr).toContain(`error: GET ${API}/missing answered HTTP 404 Not Found`);

    // Another origin never sees the token: refused before any request.
    const before = p.provider.requests.length;
    const foreign = await p.run(['request', 'myidp', 'http://127.0.0.1:9/steal']);
    usage(foreign.t, foreign.code, 'refusing to send a');
    expect(foreign.stderr).toContain('is not the API origin');
    const schemeless = await p.run(['request', 'myidp', '//evil.example/steal']);
    usage(schemeless.t, schemeless.code, 'a URL without a scheme can point to any host');
    expect(p.provider.requests.length).toBe(before);
  });

  it('token introspect: the provider says the token is active, for whom and which client', async () => {
    const p = await twoAccounts();
    const answer = json<Record<string, unknown>>(await p.run(['token', 'introspect', 'myidp', '--json']));
    expect(answer).toMatchObject({ active: true, sub: 'alice', client_id: CLIENT.id, scope: 'openid profile email' });
    const human = await p.run(['token', 'introspect', 'myidp', '--refresh-token', '--profile', 'work']);
    okRun(human);
    expect(human.stdout).toMatch(/active\s+yes/);
    expect(human.stdout).toMatch(/sub\s+bob/);
    expect(new URLSearchParams(p.provider.requests.at(-1)?.body).get('token')).toBe(p.bob.token.refresh_token);
  });

  it('token refresh: leaves a valid token alone; with --force a new access token, and says the refresh token was not rotated', async () => {
    const p = await twoAccounts();
    const before = p.kept('token:myidp:default');
    const idle = await p.run(['token', 'refresh', 'myidp']);
    okRun(idle);
    expect(idle.stderr).toMatch(/valid for 60 min more; nothing to do \(--force refreshes anyway\)/);
    expect(p.kept('token:myidp:default').token.access_token).toBe(before.token.access_token);
    expect(p.provider.requests).toEqual([]);

    const forced = await p.run(['token', 'refresh', 'myidp', '--force']);
    okRun(forced);
    expect(forced.stderr).toContain('Refreshed the myidp token (profile default): expires in 60 min');
    expect(forced.stderr).toContain('The same refresh token came back (not rotated).');
    const after = p.kept('token:myidp:default');
    expect(after.token.access_token).not.toBe(before.token.access_token);
    expect(after.token.refresh_token).toBe(before.token.refresh_token);
    expect(after.obtainedAt).toBe(new Date(FIXED_NOW).toISOString());
    expect(p.provider.isActive(after.token.access_token)).toBe(true);
    // The other profile was not touched.
    expect(json<Record<string, unknown>>(await p.run(['me', 'myidp', '--profile', 'work', '--json'])).id).toBe('bob');
  });

  it('token revoke: revoked at the provider (RFC 7009), then deleted here', async () => {
    const p = await twoAccounts();
    const { token } = p.alice;
    const revoked = await p.run(['token', 'revoke', 'myidp']);
    okRun(revoked);
    expect(revoked.stderr).toContain(`Revoked the refresh token and the access token of myidp (profile default) at ${IDP}/token/revocation`);
    expect(revoked.stderr).toContain(`Deleted the local copy from ${p.vaults.file.location}`);
    expect(p.provider.isActive(token.access_token)).toBe(false);
    expect(p.provider.isActive(token.refresh_token as string)).toBe(false);
    expect(Object.keys(p.vaults.file.tokens())).toEqual(['token:myidp:work']);
    const gone = await p.run(['token', 'show', 'myidp']);
    usage(gone.t, gone.code, 'no token for myidp (profile default)');
    expect(gone.stderr).toContain('hint: myidp has tokens for the profile work (--profile work)');
  });

  it('logout: revokes where possible, then deletes', async () => {
    const p = await twoAccounts();
    await p.run(['token', 'revoke', 'myidp']);
    const out = await p.run(['logout', 'myidp', '--profile', 'work']);
    okRun(out);
    expect(out.stderr).toContain(`Revoked the refresh token and the access token at ${IDP}/token/revocation`);
    expect(out.stderr).toContain('Logged out of myidp (profile work)');
    expect(p.provider.isActive(p.bob.token.refresh_token as string)).toBe(false);
    expect(p.vaults.file.tokens()).toEqual({});
    const empty = await p.run(['token', 'list']);
    okRun(empty);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('No tokens in');
  });
});

describe('refresh with a provider that rotates refresh tokens and issues short-lived access tokens', () => {
  it('me refreshes the expired token first and keeps the rotated refresh token; token refresh says it rotated', async () => {
    // 10 s: less than the expiry skew, so every later command finds the token expired.
    const p = await project({ provider: new FakeProvider({ accessTtl: 10, rotate: true }) });
    const login = await p.login('alice');

    const me = await p.run(['me', 'myidp', '--json']);
    expect(json<{ id: string }>(me).id).toBe('alice');
    expect(me.stderr).toContain('The myidp access token expires in 10 s: refreshed it first; the provider rotated the refresh token');
    const afterMe = p.kept('token:myidp:default');
    expect(afterMe.token.refresh_token).not.toBe(login.token.refresh_token);
    expect(afterMe.token.access_token).not.toBe(login.token.access_token);
    // The login's id_token stays the record of the sign-in, verified when it was received.
    expect(afterMe.subject).toBe('alice');
    const shown = json<Record<string, any>>(await p.run(['token', 'show', 'myidp', '--json']));
    expect(shown.idToken).toMatchObject({ verified: true, claims: { sub: 'alice' } });
    expect(shown.idToken.verifiedAt).not.toBe(null);

    const refresh = await p.run(['token', 'refresh', 'myidp']);
    okRun(refresh);
    expect(refresh.stderr).toContain('The provider rotated the refresh token: the new one is saved, the old one may no longer work.');
    const afterRefresh = p.kept('token:myidp:default');
    expect(afterRefresh.token.refresh_token).not.toBe(afterMe.token.refresh_token);
    // The provider agrees: the rotated-out refresh token is dead, the kept one alive.
    expect(p.provider.isActive(afterMe.token.refresh_token as string)).toBe(false);
    expect(p.provider.isActive(afterRefresh.token.refresh_token as string)).toBe(true);

    // request refreshes first too, and sends the new token.
    const call = json<Echoed>(await p.run(['request', 'myidp', '/whoami']));
    const latest = p.kept('token:myidp:default');
    expect(latest.token.access_token).not.toBe(afterRefresh.token.access_token);
    expect(call.authorization).toBe(`Bearer ${latest.token.access_token}`);
  });
});

describe('where tokens rest: the keychain and the file, side by side', () => {
  it('token list names each token\'s store; --store reads one; show finds either; refresh and logout act on the store the token came from', async () => {
    const p = await project({ keychain: true });
    const keychain = p.vaults.keychain as MemoryVault;
    await p.login('developer', { vault: keychain });
    await p.login('developer', { profile: 'filed' });

    const list = await p.run(['token', 'list']);
    okRun(list);
    expect(list.stdout).toMatch(/^myidp\s+default\s+developer\s+keychain\s+/m);
    expect(list.stdout).toMatch(/^myidp\s+filed\s+developer\s+file\s+/m);
    expect(list.stdout).toContain('keychain: Secret Service (GNOME Keyring / KWallet)');
    expect(list.stdout).toContain(`file:     ${p.vaults.file.location} (mode 0600`);

    const onlyFile = json<Array<{ profile: string; store: { kind: string } }>>(await p.run(['token', 'list', '--store', 'file', '--json']));
    expect(onlyFile.map((entry) => [entry.profile, entry.store.kind])).toEqual([['filed', 'file']]);
    const onlyKeychain = json<Array<{ profile: string; store: { kind: string } }>>(await p.run(['token', 'list', '--store', 'keychain', '--json']));
    expect(onlyKeychain.map((entry) => [entry.profile, entry.store.kind])).toEqual([['default', 'keychain']]);

    expect(json<{ store: { kind: string } }>(await p.run(['token', 'show', 'myidp', '--json'])).store.kind).toBe('keychain');
    expect(json<{ store: { kind: string } }>(await p.run(['token', 'show', 'myidp', '--profile', 'filed', '--json'])).store.kind).toBe('file');
    const wrongStore = await p.run(['token', 'show', 'myidp', '--profile', 'filed', '--store', 'keychain']);
    usage(wrongStore.t, wrongStore.code, 'no token for myidp (profile filed) in the keychain (Secret Service');

    // A refresh saves back into the store the token came from.
    const before = p.kept('token:myidp:default', keychain);
    const refresh = await p.run(['token', 'refresh', 'myidp', '--force']);
    okRun(refresh);
    expect(refresh.stderr).toContain('Refreshed the myidp token (profile default)');
    expect(p.kept('token:myidp:default', keychain).token.access_token).not.toBe(before.token.access_token);
    expect(Object.keys(p.vaults.file.tokens())).toEqual(['token:myidp:filed']);

    const logout = await p.run(['logout', 'myidp']);
    okRun(logout);
    expect(logout.stderr).toContain(`Revoked the refresh token and the access token at ${IDP}/token/revocation`);
    expect(logout.stderr).toContain('deleted from the keychain (Secret Service');
    expect(json<unknown[]>(await p.run(['token', 'list', '--store', 'keychain', '--json']))).toEqual([]);
  });
});

describe('tokens kept without any server', () => {
  /** A project whose provider files have neither revocation nor introspection, or a dead revocation endpoint. */
  async function offline(entries: Record<string, StoredToken>, http: HttpClient = noNetwork): Promise<Project> {
    // Nothing listens there (any more): the real fetchClient finds the connection refused.
    const dead = `http://127.0.0.1:${await freePort()}`;
    const base = { docs: 'https://example.com/docs' };
    const oauth2 = { clientAuth: 'client_secret_basic', pkce: 'supported', scopes: { separator: ' ', default: ['read'] } };
    const p = await project({
      http,
      files: {
        norevoke: { ...base, id: 'norevoke', name: 'No Revoke', oauth2: { ...oauth2, authorizeUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token' } },
        deadrevoke: { ...base, id: 'deadrevoke', name: 'Dead Revoke', oauth2: { ...oauth2, authorizeUrl: `${dead}/authorize`, tokenUrl: `${dead}/token`, revoke: { url: `${dead}/revoke` } } },
      },
    });
    for (const stored of Object.values(entries)) await saveToken(p.vaults.file, stored);
    return p;
  }

  function storedToken(provider: string, token: Record<string, unknown>, extra: Partial<StoredToken> = {}): StoredToken {
    return {
      version: 1,
      provider,
      profile: 'default',
      token: { token_type: 'Bearer', extra: {}, access_token: '', ...token },
      obtainedAt: new Date(FIXED_NOW - 7200_000).toISOString(),
      requestedScopes: ['read'],
      ...extra,
    };
  }

  it('token show decodes a JWT access token and says it is not verified; an expired one points at refresh', async () => {
    const key = new TextEncoder().encode('k'.repeat(32));
    const exp = Math.floor(FIXED_NOW / 1000) - 600;
    const jwt = await new SignJWT({ scope: 'read write', sub: 'u-42' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('https://as.example').setExpirationTime(exp).sign(key);
    const p = await offline({ norevoke: storedToken('norevoke', { access_token: jwt, scope: 'read write' }, { expiresAt: new Date(exp * 1000).toISOString() }) });
    const human = await p.run(['token', 'show', 'norevoke']);
    okRun(human);
    expect(human.stdout).toMatch(/access token\s+JWT, \d+ characters — decoded, not verified/);
    expect(human.stdout).toMatch(/^\s+\(header\)\s+alg HS256, typ at\+jwt$/m);
    expect(human.stdout).toMatch(/^\s+sub\s+u-42$/m);
    expect(human.stdout).toMatch(/^\s+exp\s+\d+ = 2031-05-04T11:50:00Z \(10 min ago\)$/m);
    expect(human.stdout).toMatch(/expires\s+expired 10 min ago \(.*\)\s+→ oauthd-cli token refresh norevoke/);
    expect(human.stdout).not.toContain(jwt);
    const shown = json<Record<string, any>>(await p.run(['token', 'show', 'norevoke', '--json']));
    expect(shown.accessToken).toMatchObject({ format: 'jwt', verified: false, header: { alg: 'HS256' }, claims: { sub: 'u-42', iss: 'https://as.example' } });
    expect(shown.expiresInSeconds).toBe(-600);
    // print warns on stderr and still prints only the token on stdout.
    const printed = await p.run(['token', 'print', 'norevoke']);
    okRun(printed);
    expect(printed.stdout).toBe(`${jwt}\n`);
    expect(printed.stderr).toContain('warning: the norevoke access token expired 10 min ago');
  });

  it('token print --format env quotes values the shell would read', async () => {
    const hostile = "a'b $(touch pwned) `x` \"c\"";
    const p = await offline({ norevoke: storedToken('norevoke', { access_token: hostile, refresh_token: 'r;rm -rf /' }) });
    const env = await p.run(['token', 'print', 'norevoke', '--format', 'env']);
    okRun(env);
    expect(await shell(env.stdout, 'printf "%s|%s" "$ACCESS_TOKEN" "$REFRESH_TOKEN"', p.dir)).toBe(`${hostile}|r;rm -rf /`);
    await expect(readFile(join(p.dir, 'pwned'))).rejects.toThrow();
  });

  it('no revocation endpoint: token revoke refuses (exit 2, hint logout); logout deletes and says the token stays valid', async () => {
    const p = await offline({ norevoke: storedToken('norevoke', { access_token: 'at-1', refresh_token: 'rt-1' }) });
    const revoke = await p.run(['token', 'revoke', 'norevoke']);
    usage(revoke.t, revoke.code, 'No Revoke has no revocation endpoint (oauth2.revoke in its provider file)');
    expect(revoke.stderr).toContain('hint: `oauthd-cli logout norevoke` deletes the local copy');
    const introspect = await p.run(['token', 'introspect', 'norevoke']);
    usage(introspect.t, introspect.code, 'No Revoke has no introspection endpoint (oauth2.introspectUrl in its provider file; RFC 7662)');
    expect((await p.run(['token', 'list', '--json'])).stdout).toContain('"norevoke"');
    const logout = await p.run(['logout', 'norevoke']);
    okRun(logout);
    expect(logout.stderr).toContain('warning: No Revoke has no revocation endpoint: the token stays valid there until it expires');
    expect(logout.stderr).toContain('Logged out of norevoke (profile default)');
    expect(json<unknown[]>(await p.run(['token', 'list', '--json']))).toEqual([]);
  });

  it('a revocation that fails keeps the token (exit 1, hint --no-revoke); --no-revoke deletes it', async () => {
    const p = await offline({ deadrevoke: storedToken('deadrevoke', { access_token: 'at-1', refresh_token: 'rt-1' }) }, fetchClient());
    const logout = await p.run(['logout', 'deadrevoke']);
    expect(logout.code, logout.stderr).toBe(1);
    expect(logout.stderr).toMatch(/^error: token revocation: cannot reach 127\.0\.0\.1:\d+ \(connection refused\); the token is kept$/m);
    expect(logout.stderr).toContain('oauthd-cli logout deadrevoke --no-revoke');
    expect(logout.stderr).not.toMatch(/\n\s+at /);
    expect((await p.run(['token', 'list', '--json'])).stdout).toContain('"deadrevoke"');
    const local = await p.run(['logout', 'deadrevoke', '--no-revoke']);
    okRun(local);
    expect(local.stderr).toContain('Not revoking (--no-revoke)');
    expect(json<unknown[]>(await p.run(['token', 'list', '--json']))).toEqual([]);
  });

  it('a token without a refresh token cannot be refreshed: exit 2, log in again', async () => {
    const p = await offline({ norevoke: storedToken('norevoke', { access_token: 'at-1' }) });
    const refresh = await p.run(['token', 'refresh', 'norevoke']);
    usage(refresh.t, refresh.code, 'the norevoke token (profile default) came without a refresh token');
  });

  it('hints name the profile unless a command without --profile picks it: after token switch, "default" is named too', async () => {
    const p = await offline({
      default: storedToken('norevoke', { access_token: 'at-1' }),
      work: storedToken('norevoke', { access_token: 'at-2' }, { profile: 'work' }),
    });
    okRun(await p.run(['token', 'switch', 'norevoke', 'work']));
    // Here `oauthd-cli login norevoke` would sign in to "work": the hint for "default" must say so.
    const named = await p.run(['token', 'refresh', 'norevoke', '--profile', 'default']);
    usage(named.t, named.code, 'the norevoke token (profile default) came without a refresh token');
    expect(named.stderr).toContain('log in again: oauthd-cli login norevoke --profile default ');
    const missing = await p.run(['token', 'print', 'norevoke', '--profile', 'other']);
    expect(missing.stderr).toContain('or run `oauthd-cli login norevoke --profile other`');
    // The switched-to profile is what a bare command picks: no flag needed.
    const implicit = await p.run(['token', 'refresh', 'norevoke']);
    usage(implicit.t, implicit.code, 'the norevoke token (profile work) came without a refresh token');
    expect(implicit.stderr).toContain('log in again: oauthd-cli login norevoke (some providers');
    // Switched back to "default", its hint leaves the flag out again, and names "work".
    okRun(await p.run(['token', 'switch', 'norevoke', 'default']));
    const plain = await p.run(['token', 'refresh', 'norevoke', '--profile', 'default']);
    expect(plain.stderr).toContain('log in again: oauthd-cli login norevoke (some providers');
    const named2 = await p.run(['token', 'refresh', 'norevoke', '--profile', 'work']);
    expect(named2.stderr).toContain('log in again: oauthd-cli login norevoke --profile work ');
  });
});

describe('bad input: one clear line, exit 2', () => {
  async function fresh(): Promise<Project['run']> {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), OAUTHD_STORE: 'file' };
    const vaults = memoryVaults();
    const run: Project['run'] = async (args) => {
      const t = commandContext({ cwd: dir, env, vault: vaults.open });
      const code = await t.cli(args);
      return { code, stdout: t.stdout(), stderr: t.stderr(), t };
    };
    okRun(await run(['init', '--yes']));
    return run;
  }

  it('an unknown provider, with the closest names', async () => {
    const result = await (await fresh())(['token', 'show', 'githib']);
    usage(result.t, result.code, 'unknown provider "githib"');
    expect(result.stderr).toMatch(/hint: did you mean .*github/);
  });

  it('a provider without a token says how to get one', async () => {
    const result = await (await fresh())(['me', 'github', '--profile', 'work']);
    usage(result.t, result.code, 'no token for github (profile work)');
    expect(result.stderr).toContain('hint: run `oauthd-cli login github --profile work`');
  });

  it('a bad --format, --store or --profile', async () => {
    const run = await fresh();
    for (const [args, message] of [
      [['token', 'print', 'github', '--format', 'yaml'], "option '--format <format>' argument 'yaml' is invalid"],
      [['token', 'list', '--store', 'vault'], "option '--store <store>' argument 'vault' is invalid"],
      [['token', 'show', 'github', '--profile', 'a:b'], 'a profile name is 1 to 64 letters'],
    ] as const) {
      const result = await run([...args]);
      usage(result.t, result.code, message);
    }
  });

  it('request: -H without a colon, a body on GET, an unknown method', async () => {
    const run = await fresh();
    for (const [args, message] of [
      [['request', 'github', '/user', '-H', 'Accept application/json'], '-H "Accept application/json" is not a header'],
      [['request', 'github', '/user', '-X', 'GET', '-d', 'x=1'], 'a GET request carries no body'],
      [['request', 'github', '/user', '-X', 'BREW'], '-X "BREW" is not a method oauthd-cli sends'],
    ] as const) {
      const result = await run([...args]);
      usage(result.t, result.code, message);
    }
  });
});
