// The token commands as a user runs them: the built CLI as a child process, tokens obtained by a
// real login (node-oidc-provider in its own process, headless Chromium as $BROWSER) and kept in the
// real vault (the 0600 file; the Secret Service in a private D-Bus session for the keychain runs),
// then listed, shown, printed, refreshed, introspected, revoked and used against a real HTTP API.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserCommand, makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, hasSecretService, requireComponent } from '../helpers/components.js';

const chromium = requireComponent('chromium', hasChromium());
const keyring = requireComponent('secret-service', hasSecretService());

interface Kept {
  provider: string;
  profile: string;
  subject?: string;
  expiresAt?: string;
  token: { access_token: string; refresh_token?: string; id_token?: string };
}

function json<T = Record<string, unknown>>(result: RunCliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The exit code with stderr as the failure message, so a failing step says why. */
function ok(result: RunCliResult): RunCliResult {
  expect(result.code, `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).toBe(0);
  return result;
}

/** One clear line of error (and its hint), exit 2, no stack trace. */
function usage(result: RunCliResult, message: string | RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(typeof message === 'string' ? new RegExp(`^error: .*${escape(message)}`, 'm') : message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The token entries of the 0600 file, read directly: what the CLI must never print by accident. */
async function keptTokens(dataHome: string): Promise<Record<string, Kept>> {
  const file = JSON.parse(await readFile(join(dataHome, 'oauthd-cli', 'secrets.json'), 'utf8')) as { entries: Record<string, string> };
  return Object.fromEntries(Object.entries(file.entries).filter(([account]) => account.startsWith('token:')).map(([account, text]) => [account, JSON.parse(text) as Kept]));
}

/**
 * Runs `command` and returns, beside its result, a regex alternative of the minutes a countdown to
 * `token`'s expiry can show while it runs: the login was some time ago, on a machine of any speed.
 */
async function withCountdown(token: Kept, command: () => Promise<RunCliResult>): Promise<{ result: RunCliResult; minutes: string }> {
  const left = () => (Date.parse(token.expiresAt as string) - Date.now()) / 60_000;
  const most = Math.ceil(left());
  const result = await command();
  const least = Math.floor(left());
  return { result, minutes: `(${Array.from({ length: most - least + 1 }, (_, i) => least + i).join('|')})` };
}

async function kept(dataHome: string, account: string): Promise<Kept> {
  const entry = (await keptTokens(dataHome))[account];
  if (!entry) throw new Error(`no ${account} in the vault file`);
  return entry;
}

/** RFC 7662 straight at the fixture, as the client: the server's own view of a token. */
async function introspect(server: OidcServer, token: string): Promise<{ active: boolean; sub?: string }> {
  const response = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('test-client:test-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as { active: boolean; sub?: string };
}

/** Runs `script` in sh with `exports` evaluated first; returns stdout. */
function shell(exports: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `eval "$1"\n${script}`, 'sh', exports], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sh exited ${code}: ${err}`))));
  });
}

interface Echoed {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  ifMatch?: string;
  body: string;
}

/** A tiny API: answers every call with what it received, /missing with a 404 and a JSON body. */
async function startApi(): Promise<{ origin: string; calls: Echoed[]; close(): Promise<void> }> {
  const calls: Echoed[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const echoed: Echoed = { method: request.method ?? '', url: request.url ?? '', body };
      if (request.headers.authorization !== undefined) echoed.authorization = request.headers.authorization;
      if (request.headers['content-type'] !== undefined) echoed.contentType = request.headers['content-type'];
      if (typeof request.headers['if-match'] === 'string') echoed.ifMatch = request.headers['if-match'];
      calls.push(echoed);
      if (request.url === '/missing') {
        response.writeHead(404, { 'content-type': 'application/json', 'x-request-id': 'r-404' });
        response.end('{"message":"no such thing"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r-200' });
      response.end(JSON.stringify(echoed));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Project {
  dir: string;
  data: string;
  env: Record<string, string>;
  run(args: string[], extra?: { env?: Record<string, string>; input?: string }): Promise<RunCliResult>;
}

/**
 * init --yes, providers add myidp --issuer, and a provider file for myidp (its discovery document
 * saved by `providers discover --save`, plus an api block pointing at `apiOrigin`).
 */
async function project(server: OidcServer, apiOrigin: string): Promise<Project> {
  const dir = (await makeTempDir()).path;
  const data = join(dir, 'data');
  const env = { HOME: dir, XDG_DATA_HOME: data, IDP_SECRET: 'test-secret', BROWSER: browserCommand(), OAUTHD_PROVIDERS_DIR: join(dir, 'providers') };
  const run = (args: string[], extra: { env?: Record<string, string>; input?: string } = {}) =>
    runCli(args, { cwd: dir, env: { ...env, ...extra.env }, ...(extra.input !== undefined ? { input: extra.input } : {}) });
  ok(await run(['init', '--yes']));
  ok(await run(['providers', 'add', 'myidp', '--issuer', server.issuer, '--client-id', 'test-client', '--client-secret-env', 'IDP_SECRET']));
  ok(await run(['providers', 'discover', server.issuer, '--save', 'myidp']));
  const file = join(dir, 'providers', 'myidp.json');
  const spec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...spec, api: { baseUrl: apiOrigin } }, null, 2));
  return { dir, data, env, run };
}

describe.skipIf(!chromium)('token commands on tokens from a real OpenID provider (file store)', () => {
  let server: OidcServer;
  let api: Awaited<ReturnType<typeof startApi>>;
  let port: number;
  let p: Project;

  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
    api = await startApi();
    p = await project(server, api.origin);
    ok(await p.run(['login', 'myidp', '--port', String(port)]));
    ok(await p.run(['login', 'myidp', '--port', String(port), '--profile', 'work'], { env: { BROWSER_LOGIN: 'bob' } }));
  });
  afterAll(async () => {
    await server?.stop();
    await api?.close();
  });

  it('token list: both accounts, the store named, never a token value', async () => {
    const alice = await kept(p.data, 'token:myidp:default');
    const bob = await kept(p.data, 'token:myidp:work');
    const { result: listed, minutes } = await withCountdown(alice, () => p.run(['token', 'list']));
    const list = ok(listed);
    expect(list.stdout).toMatch(/^PROVIDER\s+PROFILE\s+ACCOUNT\s+STORE\s+SCOPES\s+EXPIRES$/m);
    expect(list.stdout).toMatch(new RegExp(`^myidp\\s+default\\s+alice\\s+file\\s+openid profile email\\s+in ${minutes} min$`, 'm'));
    expect(list.stdout).toMatch(/^myidp\s+work\s+bob\s+file\s+/m);
    expect(list.stdout).toContain(`file:     ${join(p.data, 'oauthd-cli', 'secrets.json')} (mode 0600`);
    const entries = json<Array<Record<string, unknown>>>(ok(await p.run(['token', 'list', '--json'])));
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ provider: 'myidp', profile: 'default', account: 'alice', store: { kind: 'file' }, expired: false, refreshable: true });
    const work = json<Array<{ account: string }>>(ok(await p.run(['token', 'list', '--profile', 'work', '--json'])));
    expect(work.map((entry) => entry.account)).toEqual(['bob']);
    for (const secret of [alice.token.access_token, alice.token.refresh_token, alice.token.id_token, bob.token.access_token, bob.token.refresh_token]) {
      expect(list.stdout + list.stderr).not.toContain(secret);
      expect(JSON.stringify(entries)).not.toContain(secret);
    }
  });

  it('token show: scopes, expiry countdown, the id_token claims and when they were verified; no token value', async () => {
    const alice = await kept(p.data, 'token:myidp:default');
    const shown = json<Record<string, any>>(ok(await p.run(['token', 'show', 'myidp', '--json'])));
    expect(shown).toMatchObject({ provider: 'myidp', profile: 'default', account: 'alice', issuer: server.issuer, scopes: ['openid', 'profile', 'email'], refreshToken: true });
    expect(shown.expiresInSeconds).toBeGreaterThan(3000);
    expect(shown.accessToken).toEqual({ length: alice.token.access_token.length, format: 'opaque', verified: false });
    expect(shown.idToken).toMatchObject({ verified: true, header: { alg: 'RS256' }, claims: { sub: 'alice', iss: server.issuer, aud: 'test-client' } });
    const { result: shownWork, minutes } = await withCountdown(await kept(p.data, 'token:myidp:work'), () => p.run(['token', 'show', 'myidp', '--profile', 'work']));
    const human = ok(shownWork);
    expect(human.stdout).toMatch(/account\s+bob/);
    expect(human.stdout).toMatch(new RegExp(`expires\\s+in ${minutes} min \\(`));
    expect(human.stdout).toMatch(/id_token\s+verified by oauthd-cli when received/);
    expect(human.stdout).toMatch(/^\s+sub\s+bob$/m);
    const bob = await kept(p.data, 'token:myidp:work');
    for (const secret of [bob.token.access_token, bob.token.refresh_token, bob.token.id_token]) expect(human.stdout).not.toContain(secret);
  });

  it('token print: raw, header, env (shell-safe, for eval) and json print the token and nothing else', async () => {
    const { token } = await kept(p.data, 'token:myidp:default');
    expect(ok(await p.run(['token', 'print', 'myidp'])).stdout).toBe(`${token.access_token}\n`);
    expect(ok(await p.run(['token', 'print', 'myidp', '--format', 'raw'])).stdout).toBe(`${token.access_token}\n`);
    expect(ok(await p.run(['token', 'print', 'myidp', '--format', 'header'])).stdout).toBe(`Authorization: Bearer ${token.access_token}\n`);
    const env = ok(await p.run(['token', 'print', 'myidp', '--format', 'env'])).stdout;
    expect(env).toMatch(/^export ACCESS_TOKEN=.+ REFRESH_TOKEN=.+\n$/);
    expect(await shell(env, 'printf "%s|%s" "$ACCESS_TOKEN" "$REFRESH_TOKEN"')).toBe(`${token.access_token}|${token.refresh_token}`);
    const printed = json(ok(await p.run(['token', 'print', 'myidp', '--format', 'json'])));
    expect(printed).toMatchObject({ access_token: token.access_token, refresh_token: token.refresh_token, id_token: token.id_token, token_type: 'Bearer' });
    const work = await kept(p.data, 'token:myidp:work');
    expect(ok(await p.run(['token', 'print', 'myidp', '--profile', 'work'])).stdout).toBe(`${work.token.access_token}\n`);
  });

  it('me: the unified profile from userinfo, sub mapped to id, per profile', async () => {
    const human = ok(await p.run(['me', 'myidp']));
    expect(human.stdout).toMatch(/^\s+id\s+alice$/m);
    expect(human.stdout).toMatch(/^\s+name\s+Test User alice$/m);
    const alice = json<Record<string, any>>(ok(await p.run(['me', 'myidp', '--json'])));
    expect(alice).toMatchObject({ id: 'alice', name: 'Test User alice', email: 'alice@example.test', raw: { sub: 'alice' } });
    expect(json<{ id: string }>(ok(await p.run(['me', 'myidp', '--profile', 'work', '--json']))).id).toBe('bob');
  });

  it('request: signed with the kept token, only to the API origin, output like gh api', async () => {
    const alice = await kept(p.data, 'token:myidp:default');
    const bob = await kept(p.data, 'token:myidp:work');

    const get = ok(await p.run(['request', 'myidp', '/things?page=2']));
    expect(json<Echoed>(get)).toMatchObject({ method: 'GET', url: '/things?page=2', authorization: `Bearer ${alice.token.access_token}` });

    const included = ok(await p.run(['request', 'myidp', 'things', '-i', '--profile', 'work']));
    const [head, body] = included.stdout.split('\n\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\n/);
    expect(head).toMatch(/^x-request-id: r-200$/m);
    expect(JSON.parse(body as string)).toMatchObject({ authorization: `Bearer ${bob.token.access_token}` });

    const posted = json<Echoed>(ok(await p.run(['request', 'myidp', '/things', '-d', '{"name":"demo"}'])));
    expect(posted).toMatchObject({ method: 'POST', contentType: 'application/json', body: '{"name":"demo"}' });

    await writeFile(join(p.dir, 'item.txt'), 'a=1&b=two');
    const put = json<Echoed>(ok(await p.run(['request', 'myidp', '/things/1', '-X', 'put', '-d', '@item.txt', '-H', 'If-Match: "3"'])));
    expect(put).toMatchObject({ method: 'PUT', contentType: 'application/x-www-form-urlencoded', body: 'a=1&b=two', ifMatch: '"3"' });

    const piped = json<Echoed>(ok(await p.run(['request', 'myidp', `${api.origin}/things`, '-X', 'PATCH', '-d', '-'], { input: '[1,2]' })));
    expect(piped).toMatchObject({ method: 'PATCH', contentType: 'application/json', body: '[1,2]' });

    // A status outside 2xx: the body still on stdout, exit 1, the status on stderr.
    const missing = await p.run(['request', 'myidp', '/missing']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('{"message":"no such thing"}');
    expect(missing.stderr).toContain(`error: GET ${api.origin}/missing answered HTTP 404 Not Found`);

    // Another origin never sees the token: refused before any request.
    const before = api.calls.length;
    const foreign = await p.run(['request', 'myidp', 'http://127.0.0.1:9/steal']);
    usage(foreign, `refusing to send a`);
    expect(foreign.stderr).toContain('is not the API origin');
    usage(await p.run(['request', 'myidp', '//evil.example/steal']), 'a URL without a scheme can point to any host');
    expect(api.calls.length).toBe(before);
  });

  it('token introspect: the server says the token is active, for whom and which client', async () => {
    const answer = json<Record<string, unknown>>(ok(await p.run(['token', 'introspect', 'myidp', '--json'])));
    expect(answer).toMatchObject({ active: true, sub: 'alice', client_id: 'test-client', scope: 'openid profile email' });
    const human = ok(await p.run(['token', 'introspect', 'myidp', '--refresh-token', '--profile', 'work']));
    expect(human.stdout).toMatch(/active\s+yes/);
    expect(human.stdout).toMatch(/sub\s+bob/);
  });

  it('token refresh: leaves a valid token alone; with --force a new access token, and says the refresh token was not rotated', async () => {
    const before = await kept(p.data, 'token:myidp:default');
    const { result: refreshed, minutes } = await withCountdown(before, () => p.run(['token', 'refresh', 'myidp']));
    const idle = ok(refreshed);
    expect(idle.stderr).toMatch(new RegExp(`valid for ${minutes} min more; nothing to do \\(--force refreshes anyway\\)`));
    expect((await kept(p.data, 'token:myidp:default')).token.access_token).toBe(before.token.access_token);

    const forced = ok(await p.run(['token', 'refresh', 'myidp', '--force']));
    expect(forced.stderr).toContain('Refreshed the myidp token (profile default): expires in 60 min');
    expect(forced.stderr).toContain('The same refresh token came back (not rotated).');
    const after = await kept(p.data, 'token:myidp:default');
    expect(after.token.access_token).not.toBe(before.token.access_token);
    expect(after.token.refresh_token).toBe(before.token.refresh_token);
    expect((await introspect(server, after.token.access_token)).active).toBe(true);
    // The other profile was not touched.
    expect(json<Record<string, unknown>>(ok(await p.run(['me', 'myidp', '--profile', 'work', '--json']))).id).toBe('bob');
  });

  it('token revoke: revoked at the provider (RFC 7009), then deleted here', async () => {
    const { token } = await kept(p.data, 'token:myidp:default');
    expect((await introspect(server, token.refresh_token as string)).active).toBe(true);
    const revoked = ok(await p.run(['token', 'revoke', 'myidp']));
    expect(revoked.stderr).toContain(`Revoked the refresh token and the access token of myidp (profile default) at ${server.issuer}/token/revocation`);
    expect(revoked.stderr).toContain(`Deleted the local copy from ${join(p.data, 'oauthd-cli', 'secrets.json')}`);
    expect((await introspect(server, token.access_token)).active).toBe(false);
    expect((await introspect(server, token.refresh_token as string)).active).toBe(false);
    expect(Object.keys(await keptTokens(p.data))).toEqual(['token:myidp:work']);
    const gone = await p.run(['token', 'show', 'myidp']);
    usage(gone, 'no token for myidp (profile default)');
    expect(gone.stderr).toContain('hint: myidp has tokens for the profile work (--profile work)');
  });

  it('logout: revokes where possible, then deletes', async () => {
    const { token } = await kept(p.data, 'token:myidp:work');
    const out = ok(await p.run(['logout', 'myidp', '--profile', 'work']));
    expect(out.stderr).toContain(`Revoked the refresh token and the access token at ${server.issuer}/token/revocation`);
    expect(out.stderr).toContain('Logged out of myidp (profile work)');
    expect((await introspect(server, token.refresh_token as string)).active).toBe(false);
    expect(await keptTokens(p.data)).toEqual({});
    const empty = ok(await p.run(['token', 'list']));
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('No tokens in');
  });
});

describe.skipIf(!chromium)('refresh with a provider that rotates refresh tokens and issues short-lived access tokens', () => {
  let server: OidcServer;
  let api: Awaited<ReturnType<typeof startApi>>;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({
      redirectUris: [`http://127.0.0.1:${port}/auth`],
      // 10 s: less than the expiry skew, so every later command finds the token expired (no sleeping).
      env: { OIDC_ACCESS_TOKEN_TTL: '10', OIDC_ROTATE_REFRESH_TOKEN: '1' },
    });
    api = await startApi();
  });
  afterAll(async () => {
    await server?.stop();
    await api?.close();
  });

  it('me refreshes the expired token first and keeps the rotated refresh token; token refresh says it rotated', async () => {
    const p = await project(server, api.origin);
    ok(await p.run(['login', 'myidp', '--port', String(port)]));
    const login = await kept(p.data, 'token:myidp:default');

    const me = ok(await p.run(['me', 'myidp', '--json']));
    expect(json<{ id: string }>(me).id).toBe('alice');
    expect(me.stderr).toMatch(/The myidp access token (expires in|expired) [^:]+: refreshed it first; the provider rotated the refresh token/);
    const afterMe = await kept(p.data, 'token:myidp:default');
    expect(afterMe.token.refresh_token).not.toBe(login.token.refresh_token);
    expect(afterMe.token.access_token).not.toBe(login.token.access_token);
    // The id_token kept (the refresh's own, checked for the same subject, or the login's) is a verified one.
    expect(afterMe.subject).toBe('alice');
    const shown = json<Record<string, any>>(ok(await p.run(['token', 'show', 'myidp', '--json'])));
    expect(shown.idToken).toMatchObject({ verified: true, claims: { sub: 'alice' } });
    expect(shown.idToken.verifiedAt).not.toBe(null);

    const refresh = ok(await p.run(['token', 'refresh', 'myidp']));
    expect(refresh.stderr).toContain('The provider rotated the refresh token: the new one is saved, the old one may no longer work.');
    const afterRefresh = await kept(p.data, 'token:myidp:default');
    expect(afterRefresh.token.refresh_token).not.toBe(afterMe.token.refresh_token);
    // The server agrees: the rotated-out refresh token is dead, the kept one alive.
    expect((await introspect(server, afterMe.token.refresh_token as string)).active).toBe(false);
    expect((await introspect(server, afterRefresh.token.refresh_token as string)).active).toBe(true);

    // request refreshes first too, and sends the new token.
    const call = ok(await p.run(['request', 'myidp', '/whoami']));
    const latest = await kept(p.data, 'token:myidp:default');
    expect(latest.token.access_token).not.toBe(afterRefresh.token.access_token);
    expect(json<Echoed>(call).authorization).toBe(`Bearer ${latest.token.access_token}`);
  });
});

describe.skipIf(!keyring)('where tokens rest: the keychain and the file, side by side', () => {
  it('token list names each token\'s store; --store reads one; show finds either', async () => {
    const home = (await makeTempDir()).path;
    const keyringDir = (await makeTempDir('oauthd-keyring-')).path;
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), WITH_KEYRING_DIR: keyringDir };
    const run = (args: string[]) => runCli(args, { cwd: home, env, wrap: ['test/helpers/with-keyring.sh'] });

    ok(await run(['login', 'sandbox', '--port', '0', '--auto-approve', '--store', 'keychain']));
    ok(await run(['login', 'sandbox', '--port', '0', '--auto-approve', '--store', 'file', '--profile', 'filed']));

    const list = ok(await run(['token', 'list']));
    expect(list.stdout).toMatch(/^sandbox\s+default\s+developer\s+keychain\s+/m);
    expect(list.stdout).toMatch(/^sandbox\s+filed\s+developer\s+file\s+/m);
    expect(list.stdout).toContain('keychain: Secret Service (GNOME Keyring / KWallet)');
    expect(list.stdout).toContain(`file:     ${join(home, 'data', 'oauthd-cli', 'secrets.json')} (mode 0600`);

    const onlyFile = json<Array<{ profile: string; store: { kind: string } }>>(ok(await run(['token', 'list', '--store', 'file', '--json'])));
    expect(onlyFile.map((entry) => [entry.profile, entry.store.kind])).toEqual([['filed', 'file']]);
    const onlyKeychain = json<Array<{ profile: string; store: { kind: string } }>>(ok(await run(['token', 'list', '--store', 'keychain', '--json'])));
    expect(onlyKeychain.map((entry) => [entry.profile, entry.store.kind])).toEqual([['default', 'keychain']]);

    expect(json<{ store: { kind: string } }>(ok(await run(['token', 'show', 'sandbox', '--json']))).store.kind).toBe('keychain');
    expect(json<{ store: { kind: string } }>(ok(await run(['token', 'show', 'sandbox', '--profile', 'filed', '--json']))).store.kind).toBe('file');
    usage(await run(['token', 'show', 'sandbox', '--profile', 'filed', '--store', 'keychain']), 'no token for sandbox (profile filed) in the keychain (Secret Service');

    // The sandbox keeps its grants in the data folder: a refresh saves back into the store the token came from.
    const refresh = ok(await run(['token', 'refresh', 'sandbox', '--force']));
    expect(refresh.stderr).toContain('Refreshed the sandbox token (profile default)');

    const logout = ok(await run(['logout', 'sandbox']));
    expect(logout.stderr).toMatch(/Revoked the refresh token and the access token at http:\/\/127\.0\.0\.1:\d+\/sandbox\/token\/revocation/);
    expect(logout.stderr).toContain('deleted from the keychain (Secret Service');
    expect(json<unknown[]>(ok(await run(['token', 'list', '--store', 'keychain', '--json'])))).toEqual([]);
    // Eleven CLI runs, each with its own D-Bus session and keyring daemon: more than the default
    // minute when the machine is shared.
  }, 180_000);
});

describe('tokens kept without any server', () => {
  /** A vault file holding `entries`, and a project whose provider file has neither revocation nor introspection. */
  async function offline(entries: Record<string, unknown>): Promise<{ dir: string; run: (args: string[]) => Promise<RunCliResult> }> {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), OAUTHD_STORE: 'file', OAUTHD_PROVIDERS_DIR: join(dir, 'providers'), NOREV_SECRET: 's' };
    const run = (args: string[]) => runCli(args, { cwd: dir, env });
    await mkdir(join(dir, 'data', 'oauthd-cli'), { recursive: true, mode: 0o700 });
    const file = { version: 1, entries: Object.fromEntries(Object.entries(entries).map(([account, value]) => [account, JSON.stringify(value)])) };
    await writeFile(join(dir, 'data', 'oauthd-cli', 'secrets.json'), JSON.stringify(file), { mode: 0o600 });
    await mkdir(join(dir, 'providers'));
    await writeFile(
      join(dir, 'providers', 'norevoke.json'),
      JSON.stringify({
        id: 'norevoke',
        name: 'No Revoke',
        docs: 'https://example.com/docs',
        oauth2: { authorizeUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token', clientAuth: 'client_secret_basic', pkce: 'supported', scopes: { separator: ' ', default: ['read'] } },
      }),
    );
    // The same, with a revocation endpoint on a port where nothing listens (any more).
    const dead = `http://127.0.0.1:${await freePort()}`;
    await writeFile(
      join(dir, 'providers', 'deadrevoke.json'),
      JSON.stringify({
        id: 'deadrevoke',
        name: 'Dead Revoke',
        docs: 'https://example.com/docs',
        oauth2: { authorizeUrl: `${dead}/authorize`, tokenUrl: `${dead}/token`, revoke: { url: `${dead}/revoke` }, clientAuth: 'client_secret_basic', pkce: 'supported', scopes: { separator: ' ', default: ['read'] } },
      }),
    );
    ok(await run(['init', '--yes']));
    ok(await run(['providers', 'add', 'norevoke', '--client-id', 'cid', '--client-secret-env', 'NOREV_SECRET']));
    ok(await run(['providers', 'add', 'deadrevoke', '--client-id', 'cid', '--client-secret-env', 'NOREV_SECRET']));
    return { dir, run };
  }

  function storedToken(provider: string, token: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Date.now();
    return {
      version: 1,
      provider,
      profile: 'default',
      token: { token_type: 'Bearer', extra: {}, ...token },
      obtainedAt: new Date(now - 7200_000).toISOString(),
      requestedScopes: ['read'],
      ...extra,
    };
  }

  it('token show decodes a JWT access token and says it is not verified; an expired one points at refresh', async () => {
    const key = new TextEncoder().encode('k'.repeat(32));
    const exp = Math.floor(Date.now() / 1000) - 600;
    const jwt = await new SignJWT({ scope: 'read write', sub: 'u-42' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('https://as.example').setExpirationTime(exp).sign(key);
    const { run } = await offline({
      'token:norevoke:default': storedToken('norevoke', { access_token: jwt, scope: 'read write' }, { expiresAt: new Date(exp * 1000).toISOString() }),
    });
    const human = ok(await run(['token', 'show', 'norevoke']));
    expect(human.stdout).toMatch(/access token\s+JWT, \d+ characters — decoded, not verified/);
    expect(human.stdout).toMatch(/^\s+\(header\)\s+alg HS256, typ at\+jwt$/m);
    expect(human.stdout).toMatch(/^\s+sub\s+u-42$/m);
    expect(human.stdout).toMatch(/expires\s+expired 10 min ago \(.*\)\s+→ oauthd-cli token refresh norevoke/);
    expect(human.stdout).not.toContain(jwt);
    const shown = json<Record<string, any>>(ok(await run(['token', 'show', 'norevoke', '--json'])));
    expect(shown.accessToken).toMatchObject({ format: 'jwt', verified: false, header: { alg: 'HS256' }, claims: { sub: 'u-42', iss: 'https://as.example' } });
    expect(shown.expiresInSeconds).toBeLessThan(0);
    // print warns on stderr and still prints only the token on stdout.
    const printed = ok(await run(['token', 'print', 'norevoke']));
    expect(printed.stdout).toBe(`${jwt}\n`);
    expect(printed.stderr).toContain('warning: the norevoke access token expired 10 min ago');
  });

  it('token print --format env quotes values the shell would read', async () => {
    const hostile = "a'b $(touch pwned) `x` \"c\"";
    const { dir, run } = await offline({ 'token:norevoke:default': storedToken('norevoke', { access_token: hostile, refresh_token: 'r;rm -rf /' }) });
    const env = ok(await run(['token', 'print', 'norevoke', '--format', 'env'])).stdout;
    expect(await shell(env, 'printf "%s|%s" "$ACCESS_TOKEN" "$REFRESH_TOKEN"')).toBe(`${hostile}|r;rm -rf /`);
    await expect(readFile(join(dir, 'pwned'))).rejects.toThrow();
  });

  it('no revocation endpoint: token revoke refuses (exit 2, hint logout); logout deletes and says the token stays valid', async () => {
    const { run } = await offline({ 'token:norevoke:default': storedToken('norevoke', { access_token: 'at-1', refresh_token: 'rt-1' }) });
    const revoke = await run(['token', 'revoke', 'norevoke']);
    usage(revoke, 'No Revoke has no revocation endpoint (oauth2.revoke in its provider file)');
    expect(revoke.stderr).toContain('hint: `oauthd-cli logout norevoke` deletes the local copy');
    usage(await run(['token', 'introspect', 'norevoke']), 'No Revoke has no introspection endpoint (oauth2.introspectUrl in its provider file; RFC 7662)');
    expect(ok(await run(['token', 'list', '--json'])).stdout).toContain('"norevoke"');
    const logout = ok(await run(['logout', 'norevoke']));
    expect(logout.stderr).toContain('warning: No Revoke has no revocation endpoint: the token stays valid there until it expires');
    expect(logout.stderr).toContain('Logged out of norevoke (profile default)');
    expect(json<unknown[]>(ok(await run(['token', 'list', '--json'])))).toEqual([]);
  });

  it('a revocation that fails keeps the token (exit 1, hint --no-revoke); --no-revoke deletes it', async () => {
    const { run } = await offline({ 'token:deadrevoke:default': storedToken('deadrevoke', { access_token: 'at-1', refresh_token: 'rt-1' }) });
    const logout = await run(['logout', 'deadrevoke']);
    expect(logout.code, logout.stderr).toBe(1);
    expect(logout.stderr).toMatch(/^error: token revocation: cannot reach 127\.0\.0\.1:\d+ \(connection refused\); the token is kept$/m);
    expect(logout.stderr).toContain('oauthd-cli logout deadrevoke --no-revoke');
    expect(logout.stderr).not.toMatch(/\n\s+at /);
    expect(ok(await run(['token', 'list', '--json'])).stdout).toContain('"deadrevoke"');
    const local = ok(await run(['logout', 'deadrevoke', '--no-revoke']));
    expect(local.stderr).toContain('Not revoking (--no-revoke)');
    expect(json<unknown[]>(ok(await run(['token', 'list', '--json'])))).toEqual([]);
  });

  it('a token without a refresh token cannot be refreshed: exit 2, log in again', async () => {
    const { run } = await offline({ 'token:norevoke:default': storedToken('norevoke', { access_token: 'at-1' }) });
    usage(await run(['token', 'refresh', 'norevoke']), 'the norevoke token (profile default) came without a refresh token');
  });
});

describe('bad input: one clear line, exit 2', () => {
  async function fresh(): Promise<(args: string[]) => Promise<RunCliResult>> {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), OAUTHD_STORE: 'file' };
    ok(await runCli(['init', '--yes'], { cwd: dir, env }));
    return (args) => runCli(args, { cwd: dir, env });
  }

  it('an unknown provider, with the closest names', async () => {
    const run = await fresh();
    const result = await run(['token', 'show', 'githib']);
    usage(result, 'unknown provider "githib"');
    expect(result.stderr).toMatch(/hint: did you mean .*github/);
  });

  it('a provider without a token says how to get one', async () => {
    const run = await fresh();
    const result = await run(['me', 'github', '--profile', 'work']);
    usage(result, 'no token for github (profile work)');
    expect(result.stderr).toContain('hint: run `oauthd-cli login github --profile work`');
  });

  it('a bad --format, --store or --profile', async () => {
    const run = await fresh();
    usage(await run(['token', 'print', 'github', '--format', 'yaml']), "option '--format <format>' argument 'yaml' is invalid");
    usage(await run(['token', 'list', '--store', 'vault']), "option '--store <store>' argument 'vault' is invalid");
    usage(await run(['token', 'show', 'github', '--profile', 'a:b']), 'a profile name is 1 to 64 letters');
  });

  it('request: -H without a colon, a body on GET, an unknown method', async () => {
    const run = await fresh();
    usage(await run(['request', 'github', '/user', '-H', 'Accept application/json']), '-H "Accept application/json" is not a header');
    usage(await run(['request', 'github', '/user', '-X', 'GET', '-d', 'x=1']), 'a GET request carries no body');
    usage(await run(['request', 'github', '/user', '-X', 'BREW']), '-X "BREW" is not a method oauthd-cli sends');
  });
});
