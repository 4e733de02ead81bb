// The sandbox after the quick start, as a newcomer uses it: `login sandbox` (the built CLI as a
// child process, a private HOME, no display, so it signs in by itself), then every token command
// in a new process, with nothing running (the sandbox starts in that process, on the issuer's
// port, from the keys and records in the data folder) and while `serve --sandbox` holds the port.
import { createServer } from 'node:net';
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { freePort } from '../helpers/ports.js';

interface Sandboxed {
  dir: string;
  env: Record<string, string>;
  data: string;
  run(args: string[]): Promise<RunCliResult>;
  /** Removes the folder (automatic inside a test; beforeAll callers call it in afterAll). */
  cleanup(): Promise<void>;
}

/** A private HOME and data folder; `run` is the CLI in it. */
async function home(): Promise<Sandboxed> {
  const temp = await makeTempDir();
  const dir = temp.path;
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
  return { dir, env, data: join(dir, 'data', 'oauthd-cli'), run: (args) => runCli(args, { cwd: dir, env }), cleanup: temp.cleanup };
}

function ok(result: RunCliResult): RunCliResult {
  expect(result.code, `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).toBe(0);
  return result;
}

function json<T = Record<string, unknown>>(result: RunCliResult): T {
  return JSON.parse(ok(result).stdout) as T;
}

interface Kept {
  issuer: string;
  token: { access_token: string; refresh_token?: string };
}

async function keptSandboxToken(data: string, profile = 'default'): Promise<Kept> {
  const file = JSON.parse(await readFile(join(data, 'secrets.json'), 'utf8')) as { entries: Record<string, string> };
  const entry = file.entries[`token:sandbox:${profile}`];
  if (!entry) throw new Error(`no sandbox token (profile ${profile}) in the vault file`);
  return JSON.parse(entry) as Kept;
}

/** The port of the sandbox's issuer, http://127.0.0.1:PORT/sandbox. */
function issuerPort(kept: Kept): number {
  return Number(new URL(kept.issuer).port);
}

describe('a sandbox token works with every token command after the quick start', () => {
  // One newcomer: `login sandbox` once, then each command in a new process, in this order.
  let user: Sandboxed;
  let first: Kept;

  beforeAll(async () => {
    user = await home();
    ok(await user.run(['login', 'sandbox', '--port', '0']));
    first = await keptSandboxToken(user.data);
    expect(first.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox$/);
  });
  afterAll(async () => {
    await user?.cleanup();
  });

  it('me and request: the profile and an API call, from a sandbox started in that process', async () => {
    expect(json(await user.run(['me', 'sandbox', '--json']))).toMatchObject({ id: 'developer', email: 'developer@sandbox.test' });
    expect(json(await user.run(['request', 'sandbox', '/me']))).toMatchObject({ sub: 'developer', preferred_username: 'developer' });
  });

  it('token introspect: active, for whom, which client', async () => {
    expect(json(await user.run(['token', 'introspect', 'sandbox', '--json']))).toMatchObject({ active: true, sub: 'developer', client_id: 'oauthd-cli-sandbox' });
  });

  it('token refresh: a new access token, from the same issuer, that the next command uses', async () => {
    const refresh = ok(await user.run(['token', 'refresh', 'sandbox', '--force']));
    expect(refresh.stderr).toContain('Refreshed the sandbox token');
    const refreshed = await keptSandboxToken(user.data);
    expect(refreshed.token.access_token).not.toBe(first.token.access_token);
    expect(refreshed.issuer).toBe(first.issuer);
    expect(json(await user.run(['me', 'sandbox', '--json']))).toMatchObject({ id: 'developer' });
  });

  it('token revoke: revoked in one process, and the sandbox of the next process knows it', async () => {
    await copyFile(join(user.data, 'secrets.json'), join(user.dir, 'before-revoke.json'));
    const revoke = ok(await user.run(['token', 'revoke', 'sandbox']));
    expect(revoke.stderr).toContain(`Revoked the refresh token and the access token of sandbox (profile default) at ${first.issuer}/token/revocation`);
    // The copy of the token kept aside is inactive there.
    await copyFile(join(user.dir, 'before-revoke.json'), join(user.data, 'secrets.json'));
    expect(json(await user.run(['token', 'introspect', 'sandbox', '--json']))).toEqual({ active: false });
    expect(json(await user.run(['token', 'introspect', 'sandbox', '--refresh-token', '--json']))).toEqual({ active: false });
  });

  it('logout: revokes at the sandbox, then deletes', async () => {
    ok(await user.run(['login', 'sandbox', '--port', '0', '--profile', 'second']));
    const logout = ok(await user.run(['logout', 'sandbox', '--profile', 'second']));
    expect(logout.stderr).toMatch(/Revoked the refresh token and the access token at http:\/\/127\.0\.0\.1:\d+\/sandbox\/token\/revocation/);
    expect(logout.stderr).toContain('Logged out of sandbox (profile second)');
  });
});

describe('the sandbox in the data folder', () => {
  it('keeps its keys and records in the data folder: 0700 folders, 0600 files, and no token value in any of them', async () => {
    const user = await home();
    const login = ok(await user.run(['login', 'sandbox', '--port', '0', '--json']));
    const token = JSON.parse(login.stdout) as { access_token: string; refresh_token: string };
    const sandbox = join(user.data, 'sandbox');
    expect((await stat(sandbox)).mode & 0o777).toBe(0o700);
    expect((await stat(join(sandbox, 'records'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(sandbox, 'keys.json'))).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(await readFile(join(sandbox, 'keys.json'), 'utf8')) as { signingKey: { kty: string; d: string }; clientSecret: string };
    expect(keys.signingKey.kty).toBe('RSA');
    expect(keys.clientSecret.length).toBeGreaterThanOrEqual(43);

    const records = await readdir(join(sandbox, 'records'));
    expect(records.some((name) => name.startsWith('AccessToken.'))).toBe(true);
    expect(records.some((name) => name.startsWith('RefreshToken.'))).toBe(true);
    for (const name of records) {
      const file = join(sandbox, 'records', name);
      expect((await stat(file)).mode & 0o777, name).toBe(0o600);
      const text = await readFile(file, 'utf8');
      expect(text, name).not.toContain(token.access_token);
      expect(text, name).not.toContain(token.refresh_token);
    }

    // A second login reuses the keys: a key set made once, not per process.
    ok(await user.run(['login', 'sandbox', '--port', '0', '--profile', 'again']));
    expect(JSON.parse(await readFile(join(sandbox, 'keys.json'), 'utf8'))).toEqual(keys);
  });

  it('login sandbox --device --auto-approve approves on the sandbox pages and completes', async () => {
    const user = await home();
    const login = await user.run(['login', 'sandbox', '--device', '--auto-approve', '--port', '0', '--json']);
    const token = json<{ access_token: string; id_token: string }>(login);
    expect(token.id_token).toEqual(expect.any(String));
    expect(login.stderr).toContain('Approving the device code in the CLI (--auto-approve)');
    expect(json(await user.run(['me', 'sandbox', '--json']))).toMatchObject({ id: 'developer' });
  });

  it('login sandbox --device on a machine with no display and no $BROWSER approves by itself, as the code flow does', async () => {
    const user = await home();
    const login = ok(await user.run(['login', 'sandbox', '--device', '--port', '0']));
    expect(login.stderr).toContain('No display and no $BROWSER: approving the sandbox device code in the CLI');
    expect(login.stdout).toContain('Signed in to oauthd-cli sandbox');
  });
});

describe('a sandbox token while `serve --sandbox` of the same data folder holds the issuer\'s port', () => {
  let user: Sandboxed;
  let port: number;
  let serve: ServeProcess;

  beforeAll(async () => {
    user = await home();
    port = await freePort();
    ok(await user.run(['init', '--yes']));
    ok(await user.run(['login', 'sandbox', '--port', String(port)]));
    serve = await startServe({ cwd: user.dir, env: user.env, args: ['--sandbox', '--port', String(port)] });
  });
  afterAll(async () => {
    expect(await serve?.stop()).toBe(0);
    await user?.cleanup();
  });

  it('me and token introspect use it', async () => {
    expect(json(await user.run(['me', 'sandbox', '--json']))).toMatchObject({ id: 'developer' });
    expect(json(await user.run(['token', 'introspect', 'sandbox', '--json']))).toMatchObject({ active: true });
  });

  it('token refresh and request use it', async () => {
    ok(await user.run(['token', 'refresh', 'sandbox', '--force']));
    expect(json(await user.run(['request', 'sandbox', '/me']))).toMatchObject({ sub: 'developer' });
  });

  it('logout revokes there', async () => {
    const logout = ok(await user.run(['logout', 'sandbox']));
    expect(logout.stderr).toContain(`Revoked the refresh token and the access token at http://127.0.0.1:${port}/sandbox/token/revocation`);
  });
});

describe('a sandbox token while something else holds the issuer\'s port', () => {
  let user: Sandboxed;
  let port: number;

  beforeAll(async () => {
    user = await home();
    port = await freePort();
    ok(await user.run(['login', 'sandbox', '--port', String(port)]));
    expect(issuerPort(await keptSandboxToken(user.data))).toBe(port);
  });
  afterAll(async () => {
    await user?.cleanup();
  });

  it('a sandbox of another data folder: one line naming the port and the fix', async () => {
    const stranger = await home();
    ok(await stranger.run(['init', '--yes']));
    const serve = await startServe({ cwd: stranger.dir, env: stranger.env, args: ['--sandbox', '--port', String(port)] });
    try {
      const me = await user.run(['me', 'sandbox']);
      expect(me.code).toBe(2);
      expect(me.stderr).toContain(`error: port ${port} is in use by a sandbox that keeps its keys in another data folder`);
      expect(me.stderr).toContain(`hint: stop what listens on port ${port}`);
      expect(me.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await serve.stop();
    }
  });

  it('anything else: one line naming the port; logout still deletes the local copy and says it was not revoked', async () => {
    const blocker = createServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const introspect = await user.run(['token', 'introspect', 'sandbox']);
      expect(introspect.code).toBe(2);
      expect(introspect.stderr).toContain(`error: port ${port} is in use by something that is not the sandbox http://127.0.0.1:${port}/sandbox`);
      const logout = ok(await user.run(['logout', 'sandbox']));
      expect(logout.stderr).toContain(`not revoked at the provider (port ${port} is in use`);
    } finally {
      blocker.close();
    }
  });
});
