// The token commands end to end, one run per command family (token, me and request, logout): the
// built CLI as a child process, a token obtained by a real login (node-oidc-provider in its own
// process, headless Chromium as $BROWSER) and kept in the real vault (the 0600 file; the Secret
// Service in a private D-Bus session for the keychain run), used against the real provider and a
// real HTTP API. Each command's behaviour in detail (every format, message, store and failure) is
// tested in-process with a fake factory: test/unit/token-commands.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserCommand, makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer, introspectAtFixture } from '../helpers/oidc-server.js';
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

async function kept(dataHome: string, account: string): Promise<Kept> {
  const entry = (await keptTokens(dataHome))[account];
  if (!entry) throw new Error(`no ${account} in the vault file`);
  return entry;
}

const introspect = introspectAtFixture;

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

describe.skipIf(!chromium)('token commands on a token from a real OpenID provider (file store)', () => {
  let server: OidcServer;
  let api: Awaited<ReturnType<typeof startApi>>;
  let p: Project;

  beforeAll(async () => {
    const port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
    api = await startApi();
    p = await project(server, api.origin);
    ok(await p.run(['login', 'myidp', '--port', String(port)]));
  });
  afterAll(async () => {
    await server?.stop();
    await api?.close();
  });

  it('token: list, show, print, introspect and refresh the kept token at the provider that issued it', async () => {
    const before = await kept(p.data, 'token:myidp:default');
    const list = ok(await p.run(['token', 'list']));
    expect(list.stdout).toMatch(/^myidp\s+default\s+alice\s+file\s+openid profile email\s+in \d+ min$/m);
    expect(list.stdout).toContain(`file:     ${join(p.data, 'oauthd-cli', 'secrets.json')} (mode 0600`);
    for (const secret of [before.token.access_token, before.token.refresh_token, before.token.id_token]) expect(list.stdout + list.stderr).not.toContain(secret);

    const shown = json<Record<string, any>>(ok(await p.run(['token', 'show', 'myidp', '--json'])));
    expect(shown).toMatchObject({ account: 'alice', issuer: server.issuer, refreshToken: true });
    expect(shown.idToken).toMatchObject({ verified: true, header: { alg: 'RS256' }, claims: { sub: 'alice', iss: server.issuer, aud: 'test-client' } });
    expect(ok(await p.run(['token', 'print', 'myidp'])).stdout).toBe(`${before.token.access_token}\n`);

    const answer = json<Record<string, unknown>>(ok(await p.run(['token', 'introspect', 'myidp', '--json'])));
    expect(answer).toMatchObject({ active: true, sub: 'alice', client_id: 'test-client', scope: 'openid profile email' });

    const forced = ok(await p.run(['token', 'refresh', 'myidp', '--force']));
    expect(forced.stderr).toContain('Refreshed the myidp token (profile default): expires in 60 min');
    const after = await kept(p.data, 'token:myidp:default');
    expect(after.token.access_token).not.toBe(before.token.access_token);
    expect((await introspect(server, after.token.access_token)).active).toBe(true);
  });

  it('me and request: the profile from userinfo, an API call with the kept token and never to another origin', async () => {
    const alice = json<Record<string, any>>(ok(await p.run(['me', 'myidp', '--json'])));
    expect(alice).toMatchObject({ id: 'alice', name: 'Test User alice', email: 'alice@example.test', raw: { sub: 'alice' } });
    const { token } = await kept(p.data, 'token:myidp:default');
    const get = ok(await p.run(['request', 'myidp', '/things?page=2']));
    expect(json<Echoed>(get)).toMatchObject({ method: 'GET', url: '/things?page=2', authorization: `Bearer ${token.access_token}` });
    const piped = json<Echoed>(ok(await p.run(['request', 'myidp', `${api.origin}/things`, '-X', 'PATCH', '-d', '-'], { input: '[1,2]' })));
    expect(piped).toMatchObject({ method: 'PATCH', contentType: 'application/json', body: '[1,2]' });
    const before = api.calls.length;
    usage(await p.run(['request', 'myidp', 'http://127.0.0.1:9/steal']), 'refusing to send a');
    expect(api.calls.length).toBe(before);
  });

  it('logout: revokes at the provider (RFC 7009), then deletes', async () => {
    const { token } = await kept(p.data, 'token:myidp:default');
    const out = ok(await p.run(['logout', 'myidp']));
    expect(out.stderr).toContain(`Revoked the refresh token and the access token at ${server.issuer}/token/revocation`);
    expect(out.stderr).toContain('Logged out of myidp (profile default)');
    expect((await introspect(server, token.refresh_token as string)).active).toBe(false);
    expect((await introspect(server, token.access_token)).active).toBe(false);
    expect(await keptTokens(p.data)).toEqual({});
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
});
