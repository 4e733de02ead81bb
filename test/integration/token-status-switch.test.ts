// `status`, `token switch` and `login --add-scopes/--remove-scopes` on tokens kept by real logins
// (node-oidc-provider, headless Chromium) in the 0600 vault file, read back directly to compare.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expire, login, ok, tokenProject, type KeptToken, type TokenProject } from '../helpers/kept-tokens.js';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, hasSecretService, requireComponent } from '../helpers/components.js';

const chromium = requireComponent('chromium', hasChromium());

interface StatusJson {
  stores: Array<{ kind: string; location: string; readable: boolean; warning?: string; problem?: string }>;
  tokens: Array<Record<string, any>>;
  exitCode: number;
}

function secretsOf(token: KeptToken): string[] {
  return [token.token.access_token, token.token.refresh_token, token.token.id_token].filter((value): value is string => value !== undefined);
}

describe.skipIf(!chromium)('status, token switch and re-consent on kept tokens', () => {
  let server: OidcServer;
  let port: number;
  let p: TokenProject;

  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
    p = await tokenProject(server);
    await login(p, port);
    await login(p, port, 'work', 'bob');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('status --json matches the vault: account, scopes granted and asked, expiry, store, refresh token; never a token', async () => {
    const alice = await p.kept();
    const bob = await p.kept('work');
    const result = ok(await p.run(['status', '--json']));
    const status = JSON.parse(result.stdout) as StatusJson;
    expect(status.exitCode).toBe(0);
    expect(status.stores).toContainEqual({
      kind: 'file',
      location: join(p.data, 'oauthd-cli', 'secrets.json'),
      readable: true,
      warning: expect.stringContaining('plain text'),
    });
    expect(status.tokens).toHaveLength(2);
    for (const [entry, kept, inUse] of [
      [status.tokens[0], alice, true],
      [status.tokens[1], bob, false],
    ] as const) {
      expect(entry).toMatchObject({
        provider: 'myidp',
        profile: kept.profile,
        inUse,
        account: kept.subject,
        store: 'file',
        scopes: { granted: (kept.token.scope as string).split(' '), asked: kept.requestedScopes, notGranted: [] },
        obtainedAt: kept.obtainedAt,
        expiresAt: kept.expiresAt,
        expired: false,
        refreshToken: true,
        needsLogin: null,
        state: 'valid',
        fix: null,
      });
      expect(entry!.expiresInSeconds).toBeGreaterThan(3000);
    }
    for (const secret of [...secretsOf(alice), ...secretsOf(bob)]) expect(result.stdout + result.stderr).not.toContain(secret);

    const text = ok(await p.run(['status']));
    expect(text.stdout).toMatch(/^PROVIDER\s+PROFILE\s+ACCOUNT\s+STORE\s+SCOPES\s+EXPIRES\s+REFRESH\s+STATE$/m);
    expect(text.stdout).toMatch(/^myidp\s+default \*\s+alice\s+file\s+openid profile email\s+in \d+ min\s+yes\s+valid$/m);
    expect(text.stdout).toMatch(/^myidp\s+work\s+bob\s+file\s+/m);
    expect(text.stdout).toMatch(/warning: plain text, protected by file permissions only/);
  });

  it('status: an expired token with a refresh token is refreshable (exit 0); without one, or refused, it needs a login (exit 1)', async () => {
    await p.edit('work', expire);
    let status = JSON.parse(ok(await p.run(['status', '--json'])).stdout) as StatusJson;
    expect(status.tokens[1]).toMatchObject({ profile: 'work', expired: true, state: 'refreshable' });

    const saved = await p.kept('work');
    await p.edit('work', (token) => {
      delete token.token.refresh_token;
    });
    const stale = await p.run(['status', '--json']);
    expect(stale.code).toBe(1);
    status = JSON.parse(stale.stdout) as StatusJson;
    expect(status.exitCode).toBe(1);
    expect(status.tokens[1]).toMatchObject({ profile: 'work', refreshToken: false, state: 'login-needed', fix: 'oauthd-cli login myidp --profile work' });
    expect(stale.stderr).toMatch(/^error: 1 token expired and cannot be refreshed: myidp \(work\)$/m);
    expect(stale.stderr).toMatch(/^hint: oauthd-cli login myidp --profile work$/m);

    await p.edit('work', (token) => {
      token.token.refresh_token = saved.token.refresh_token as string;
      token.needsLogin = { since: new Date().toISOString(), error: 'invalid_grant' };
    });
    const refused = await p.run(['status']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^myidp\s+work\s+bob\s+.*\s+yes\s+login-needed$/m);
    expect(refused.stdout).toContain('myidp (work): the provider refused its refresh token (invalid_grant); log in again: oauthd-cli login myidp --profile work');
    // A login replaces the entry and its mark.
    await login(p, port, 'work', 'bob');
    expect(ok(await p.run(['status'])).stdout).not.toMatch(/login-needed/);
  });

  it('status with no tokens, and with a secrets file that cannot be read, answers plainly', async () => {
    const home = (await makeTempDir()).path;
    const data = join(home, 'data');
    const env = { HOME: home, XDG_DATA_HOME: data };
    const empty = ok(await runCli(['status'], { cwd: home, env }));
    expect(empty.stdout).toMatch(/^No tokens kept\. Sign in with: oauthd-cli login <provider>$/m);
    expect(JSON.parse(ok(await runCli(['status', '--json'], { cwd: home, env })).stdout)).toMatchObject({ tokens: [], exitCode: 0 });

    const file = join(data, 'oauthd-cli', 'secrets.json');
    await mkdir(join(data, 'oauthd-cli'), { recursive: true });
    await writeFile(file, 'not json at all');
    const broken = await runCli(['status'], { cwd: home, env });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(`file:     unreadable: ${file} is not an oauthd-cli secrets file`);
    expect(broken.stderr).toMatch(/^error: the secrets file cannot be read: .* is not an oauthd-cli secrets file$/m);
    expect(broken.stderr).not.toMatch(/\n\s+at /);

    await rm(file);
    await mkdir(file);
    const folder = await runCli(['status', '--json'], { cwd: home, env });
    expect(folder.code).toBe(2);
    expect(JSON.parse(folder.stdout)).toMatchObject({ exitCode: 2, stores: expect.arrayContaining([expect.objectContaining({ kind: 'file', readable: false, problem: `${file} is a folder, not a file` })]) });
  });

  it('token switch: the default profile changes what token print returns; --profile and OAUTHD_PROFILE override it', async () => {
    const alice = await p.kept();
    const bob = await p.kept('work');
    expect(ok(await p.run(['token', 'print', 'myidp'])).stdout).toBe(`${alice.token.access_token}\n`);
    expect(ok(await p.run(['token', 'switch', 'myidp'])).stdout).toBe('default\n');

    const switched = ok(await p.run(['token', 'switch', 'myidp', 'work']));
    expect(switched.stderr).toContain('myidp now uses the profile work (account bob)');
    expect(ok(await p.run(['token', 'print', 'myidp'])).stdout).toBe(`${bob.token.access_token}\n`);
    expect(ok(await p.run(['token', 'switch', 'myidp'])).stdout).toBe('work\n');
    expect(ok(await p.run(['token', 'print', 'myidp', '--profile', 'default'])).stdout).toBe(`${alice.token.access_token}\n`);
    expect(ok(await p.run(['token', 'print', 'myidp'], { env: { OAUTHD_PROFILE: 'default' } })).stdout).toBe(`${alice.token.access_token}\n`);
    const status = JSON.parse(ok(await p.run(['status', '--json'])).stdout) as StatusJson;
    expect(status.tokens.map((token) => [token.profile, token.inUse])).toEqual([
      ['default', false],
      ['work', true],
    ]);

    // A profile without a token is refused, and the choice stays.
    const missing = await p.run(['token', 'switch', 'myidp', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: no token for myidp \(profile nope\)/m);
    expect(ok(await p.run(['token', 'switch', 'myidp'])).stdout).toBe('work\n');
    const badEnv = await p.run(['token', 'print', 'myidp'], { env: { OAUTHD_PROFILE: '../x' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/^error: OAUTHD_PROFILE="\.\.\/x" is not a profile name$/m);

    ok(await p.run(['token', 'switch', 'myidp', 'default']));
    expect(ok(await p.run(['token', 'print', 'myidp'])).stdout).toBe(`${alice.token.access_token}\n`);
  });

  it('login --remove-scopes / --add-scopes: asks for the kept scopes changed, keeps what was granted, says what was not', async () => {
    await login(p, port, 'default', 'alice', ['--remove-scopes', 'email']);
    let kept = await p.kept();
    expect(kept.requestedScopes).toEqual(['openid', 'profile']);
    expect(kept.token.scope).toBe('openid profile');

    const more = await p.run(['login', 'myidp', '--port', String(port), '--add-scopes', 'email not-a-scope-here'], { env: { BROWSER_LOGIN: 'alice' } });
    ok(more);
    expect(more.stderr).toContain('Asking myidp (profile default) for: openid profile email not-a-scope-here (held: openid profile)');
    kept = await p.kept();
    expect(kept.requestedScopes).toEqual(['openid', 'profile', 'email', 'not-a-scope-here']);
    expect(kept.token.scope).toBe('openid profile email');
    expect(more.stderr).toMatch(/Granted: openid profile email/);
    expect(more.stderr).toMatch(/^warning: asked for but not granted: not-a-scope-here$/m);

    const both = await p.run(['login', 'myidp', '--scope', 'openid', '--add-scopes', 'email']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: --scope names every scope/m);
    const none = await p.run(['login', 'myidp', '--port', String(port), '--remove-scopes', 'openid profile email not-a-scope-here']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: --remove-scopes would leave no scope to ask for$/m);
  });
});

describe.skipIf(!requireComponent('secret-service', hasSecretService()))('status and token print with the keychain (a real Secret Service)', () => {
  it('a token in the keychain: status names the keychain; without one answering, status says so plainly', async () => {
    const home = (await makeTempDir()).path;
    const keyring = (await makeTempDir()).path;
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), WITH_KEYRING_DIR: keyring };
    const wrapped = (args: string[]) => runCli(args, { cwd: home, env, wrap: ['test/helpers/with-keyring.sh'] });
    ok(await wrapped(['login', 'sandbox', '--auto-approve', '--port', '0']));

    const status = JSON.parse(ok(await wrapped(['status', '--json'])).stdout) as StatusJson;
    expect(status.stores[0]).toMatchObject({ kind: 'keychain', readable: true, location: expect.stringMatching(/Secret Service/) });
    expect(status.stores[0]).not.toHaveProperty('warning');
    expect(status.stores[1]).toMatchObject({ kind: 'file', readable: true, warning: expect.any(String) });
    expect(status.tokens).toEqual([expect.objectContaining({ provider: 'sandbox', profile: 'default', store: 'keychain', state: 'valid', refreshToken: true })]);

    // Refreshed under the lock, saved back into the keychain.
    const before = ok(await wrapped(['token', 'print', 'sandbox'])).stdout;
    const after = ok(await wrapped(['token', 'print', 'sandbox', '--min-ttl', '86400']));
    expect(after.stdout).not.toBe(before);
    expect(after.stderr).toMatch(/refreshed it first/);
    expect(ok(await wrapped(['token', 'print', 'sandbox'])).stdout).toBe(after.stdout);

    // No Secret Service in this session: a line, not a failure, unless the keychain is asked for.
    const away = ok(await runCli(['status'], { cwd: home, env }));
    expect(away.stdout).toMatch(/^keychain: not available: /m);
    expect(away.stdout).toMatch(/^No tokens kept\./m);
    const asked = await runCli(['status', '--store', 'keychain'], { cwd: home, env });
    expect(asked.code).toBe(2);
    expect(asked.stderr).toMatch(/^error: the keychain cannot be read: /m);
    expect(asked.stderr).toMatch(/^hint: start a Secret Service/m);
  });
});
