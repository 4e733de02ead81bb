// `oauthd-cli login` as a user runs it: the built CLI as a child process, a real authorization
// server (node-oidc-provider in its own process, or the embedded sandbox), headless Chromium as
// $BROWSER, and the real vault (Secret Service in a private D-Bus session, or the 0600 file).
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { browserCommand, makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { oidcServerForBroker } from '../helpers/oidc-server.js';
import { hasChromium, hasSecretService, requireComponent } from '../helpers/components.js';
import { addIssuer, newProject, type Project } from '../helpers/project.js';

const chromium = requireComponent('chromium', hasChromium());
const keyring = requireComponent('secret-service', hasSecretService());

/** Every file under `dir`, recursively, with its text. */
async function filesUnder(dir: string): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: await readFile(path, 'utf8').catch(() => '') });
  }
  return out;
}

function json(result: RunCliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

describe('login sandbox (no config, embedded OpenID provider)', () => {
  it('completes the sign-in by itself on a machine with no display and no $BROWSER, and keeps the token in a 0600 file', async () => {
    const home = await makeTempDir();
    const result = await runCli(['login', 'sandbox', '--port', '0'], { cwd: home.path, env: { HOME: home.path, XDG_DATA_HOME: join(home.path, 'data') } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('No display and no $BROWSER: completing the sandbox sign-in in the CLI');
    expect(result.stdout).toContain('Signed in to oauthd-cli sandbox');
    expect(result.stdout).toMatch(/id_token\s+verified: signature, iss, aud, exp, nonce \(sub developer\)/);
    // The fallback is said once, and the file is private.
    expect(result.stderr.match(/No OS keychain here/g)).toHaveLength(1);
    const file = join(home.path, 'data', 'oauthd-cli', 'secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home.path, 'data', 'oauthd-cli'))).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, string> };
    const token = JSON.parse(stored.entries['token:sandbox:default'] as string) as { token: { access_token: string }; subject: string };
    expect(token.subject).toBe('developer');
    expect(token.token.access_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // The readable output shows the token shortened, never whole.
    expect(result.stdout).not.toContain(token.token.access_token);
  });

  it.skipIf(!chromium)('signs in through a real browser as $BROWSER and prints pure JSON with --json', async () => {
    const result = await runCli(['login', 'sandbox', '--port', '0', '--json', '--no-save'], { env: { BROWSER: browserCommand() } });
    expect(result.code, result.stderr).toBe(0);
    const token = json(result);
    expect(token.token_type).toBe('Bearer');
    expect(typeof token.access_token).toBe('string');
    expect(typeof token.id_token).toBe('string');
    expect(typeof token.refresh_token).toBe('string');
    expect(result.stderr).toContain('Opened $BROWSER');
    // --no-save: the vault was never opened.
    expect(result.stderr).not.toContain('No OS keychain here');
  });

  it('--auto-approve is refused for a real provider', async () => {
    const home = await makeTempDir();
    await runCli(['init', '--yes'], { cwd: home.path });
    const result = await runCli(['login', 'github', '--auto-approve'], { cwd: home.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--auto-approve works only with the sandbox');
  });
});

describe.skipIf(!chromium)('login against an OpenID provider the project has never seen', () => {
  const oidc = oidcServerForBroker();

  async function project(): Promise<Project> {
    const created = await newProject();
    await addIssuer(created, oidc.server.issuer);
    return created;
  }

  it('init --yes, providers add --issuer, login --json: a verified token', async () => {
    const { dir, env } = await project();
    const result = await runCli(['login', 'myidp', '--port', String(oidc.port), '--json', '--verbose'], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    const token = json(result);
    expect(token.access_token).toEqual(expect.any(String));
    expect(token.scope).toBe('openid profile email');
    // Every security check of the flow passed, one line each.
    for (const check of ['state:', 'PKCE: S256, verifier 43 characters', 'nonce: sent', 'id_token signature', 'id_token iss', 'id_token aud', 'id_token exp', 'id_token nonce', 'id_token at_hash']) {
      expect(result.stderr).toMatch(new RegExp(`pass\\s+${check.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    expect(result.stderr).not.toContain('FAIL');
    // The token is kept (file fallback here), and the client secret never reached oauthd.json.
    const config = await readFile(join(dir, 'oauthd.json'), 'utf8');
    expect(config).toContain('"clientSecret": "env:IDP_SECRET"');
    expect(config).not.toContain('test-secret');
    const vault = await readFile(join(dir, 'data', 'oauthd-cli', 'secrets.json'), 'utf8');
    expect(vault).toContain(token.access_token as string);
  });

  it('a forged state in the callback is refused with a warning naming it; the login waits on for its own, nothing exchanged or stored', async () => {
    const { dir, env } = await project();
    const result = await runCli(['login', 'myidp', '--port', String(oidc.port), '--timeout', '6'], { cwd: dir, env: { ...env, BROWSER_ACTION: 'forge-state' } });
    expect(result.stderr).toMatch(/warning: a callback with state "[A-Za-z0-9_-]{22}" matched no sign-in of this login \(state_mismatch\); still waiting for yours/);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no sign-in came back within 6 s');
    expect(result.stdout).toBe('');
    for (const file of await filesUnder(dir)) expect(file.text).not.toContain('token:myidp');
  });

  it('a page on another origin that loads /auth?state=x while login waits does not end it; the real sign-in completes', async () => {
    const { dir, env } = await project();
    // The foreign page: any site the user has open can make the browser request the callback.
    const foreign = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><img src="http://127.0.0.1:${oidc.port}/auth?state=x&code=y">`);
    });
    await new Promise<void>((resolve) => foreign.listen(0, 'localhost', resolve));
    try {
      const page = `http://localhost:${(foreign.address() as AddressInfo).port}/`;
      const result = await runCli(['login', 'myidp', '--port', String(oidc.port), '--json', '--timeout', '30'], {
        cwd: dir,
        env: { ...env, BROWSER_VISIT_FIRST: page },
      });
      expect(result.stderr).toContain('warning: a callback with state "x" matched no sign-in of this login (state_mismatch); still waiting for yours');
      expect(result.code, result.stderr).toBe(0);
      expect(json(result).access_token).toEqual(expect.any(String));
    } finally {
      foreign.close();
    }
  });

  it('the provider refusing (access_denied) is shown as the provider said it', async () => {
    const { dir, env } = await project();
    const result = await runCli(['login', 'myidp', '--port', String(oidc.port)], { cwd: dir, env: { ...env, BROWSER_ACTION: 'deny' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the provider refused: access_denied — .+/);
    expect(result.stdout).toBe('');
  });

  it('a sign-in that never comes back times out with a clear message', async () => {
    const { dir, env } = await project();
    const result = await runCli(['login', 'myidp', '--port', String(oidc.port), '--timeout', '2'], {
      cwd: dir,
      env: { ...env, BROWSER_ACTION: 'ignore', BROWSER_IGNORE_SECONDS: '10' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: no sign-in came back within 2 s');
    expect(result.stderr).toContain('hint: ');
  });
});

describe.skipIf(!keyring)('tokens in the OS keychain (a real Secret Service)', () => {
  it('keeps the token in the keychain, and in no plain file', async () => {
    const home = await makeTempDir();
    const keyringDir = await makeTempDir('oauthd-keyring-');
    const env = { HOME: home.path, XDG_DATA_HOME: join(home.path, 'data'), WITH_KEYRING_DIR: keyringDir.path };
    const login = await runCli(['login', 'sandbox', '--port', '0', '--auto-approve', '--json'], { cwd: home.path, env, wrap: ['test/helpers/with-keyring.sh'] });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).not.toContain('No OS keychain here');
    const accessToken = json(login).access_token as string;

    // Read it back through the Secret Service itself, with libsecret's own tool.
    const lookup = await runCli([], {
      env,
      wrap: ['test/helpers/with-keyring.sh', 'sh', '-c', 'secret-tool lookup service oauthd-cli username token:sandbox:default; exit $?', '--'],
    });
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(lookup.stdout).toContain(accessToken);

    // No plain file anywhere in the user's folders holds the token.
    for (const file of await filesUnder(home.path)) expect(file.text, file.path).not.toContain(accessToken);
  });
});

describe('bad input gets one clear line and exit 2', () => {
  it('unknown provider: named, with the closest known names', async () => {
    const home = await makeTempDir();
    await runCli(['init', '--yes'], { cwd: home.path });
    const result = await runCli(['login', 'githib'], { cwd: home.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: unknown provider "githib"');
    expect(result.stderr).toMatch(/hint: did you mean .*github/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a catalog provider without a keyset says how to add one', async () => {
    const home = await makeTempDir();
    await runCli(['init', '--yes'], { cwd: home.path });
    const result = await runCli(['login', 'github'], { cwd: home.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('github has no keyset');
    expect(result.stderr).toContain('oauthd-cli providers add github --client-id');
  });

  it('port in use: exit 2 with a hint about --port', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['login', 'sandbox', '--port', String(port), '--no-save']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(result.stderr).toContain('--port');
    } finally {
      blocker.close();
    }
  });

  it('a malformed config: the file, the line and column', async () => {
    const home = await makeTempDir();
    await writeFile(join(home.path, 'oauthd.json'), '{\n  "app": {\n    "name": "x",\n  }\n}\n');
    const result = await runCli(['login', 'github'], { cwd: home.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(home.path, 'oauthd.json')}: invalid JSON at line 4, column 3`);
  });

  it('an invalid config: the file, the JSON path and the problem', async () => {
    const home = await makeTempDir();
    await runCli(['init', '--yes'], { cwd: home.path });
    const path = join(home.path, 'oauthd.json');
    const config = JSON.parse(await readFile(path, 'utf8')) as { app: { flow: string } };
    config.app.flow = 'hybrid';
    await writeFile(path, JSON.stringify(config));
    const result = await runCli(['serve'], { cwd: home.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}: /app/flow must be one of "client", "server"`);
  });

  it('a bad flag value', async () => {
    const result = await runCli(['login', 'sandbox', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--port <n>' argument 'eighty' is invalid");
  });

  it('init without a terminal and without --yes fails at once, listing what it would ask', async () => {
    const home = await makeTempDir();
    const result = await runCli(['init'], { cwd: home.path, timeoutMs: 10_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('init would ask for the app name, the flow (client or server) and the allowed domains');
    expect(result.stderr).toContain('--yes');
  });

  it('init refuses to overwrite without --force', async () => {
    const home = await makeTempDir();
    expect((await runCli(['init', '--yes'], { cwd: home.path })).code).toBe(0);
    const again = await runCli(['init', '--yes'], { cwd: home.path });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect((await runCli(['init', '--yes', '--force'], { cwd: home.path })).code).toBe(0);
  });
});
