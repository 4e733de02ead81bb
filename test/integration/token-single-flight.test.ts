// Single-flight refresh across processes: node-oidc-provider with refresh-token rotation on (every
// refresh spends the refresh token presented and issues another), a token kept by a real login, and
// the built CLI run as parallel child processes. The fixture counts the refresh requests it gets.
import { spawn } from 'node:child_process';
import { mkdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expire, grantCounts, login, ok, tokenProject, type TokenProject } from '../helpers/kept-tokens.js';
import { startOidcServer, type OidcServer, introspectAtFixture } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { CLI_BIN } from '../helpers/run-cli.js';

const chromium = requireComponent('chromium', hasChromium());

/** RFC 7662 at the fixture, as the client: is this token active? */
const active = async (server: OidcServer, token: string): Promise<boolean> => (await introspectAtFixture(server, token)).active;

describe.skipIf(!chromium)('single-flight refresh of a kept token (rotating refresh tokens)', () => {
  let server: OidcServer;
  let port: number;
  let p: TokenProject;

  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`], env: { OIDC_ROTATE_REFRESH_TOKEN: '1', OIDC_REFRESH_DELAY_MS: '2500' } });
    p = await tokenProject(server);
    await login(p, port);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('ten concurrent `token print` of an expired token: one refresh at the provider, ten identical new tokens', async () => {
    const before = await p.kept();
    await p.edit('default', expire);
    const refreshesBefore = (await grantCounts(server)).refresh_token ?? 0;

    const results = await Promise.all(Array.from({ length: 10 }, () => p.run(['token', 'print', 'myidp'])));
    for (const result of results) ok(result);

    const printed = new Set(results.map((result) => result.stdout));
    expect(printed.size).toBe(1);
    const after = await p.kept();
    expect([...printed][0]).toBe(`${after.token.access_token}\n`);
    expect(after.token.access_token).not.toBe(before.token.access_token);
    expect(after.token.refresh_token).not.toBe(before.token.refresh_token);
    expect(Date.parse(after.expiresAt as string)).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect((await grantCounts(server)).refresh_token).toBe(refreshesBefore + 1);
    // One process refreshed; the others waited for its lock and read what it saved (or, started
    // later, found the new token already there). The fixture answers refreshes 2.5 s late, so the
    // ten processes overlap however slowly a loaded machine starts them.
    expect(results.filter((result) => /refreshed it first/.test(result.stderr))).toHaveLength(1);
    expect(results.filter((result) => /refreshed by another oauthd-cli process/.test(result.stderr)).length).toBeGreaterThan(0);
    // The grant is alive: a second refresh with the spent token would have revoked it.
    expect(await active(server, after.token.access_token)).toBe(true);
    expect(after.token.refresh_token && (await active(server, after.token.refresh_token))).toBe(true);
  });

  it('--min-ttl refreshes a token that expires sooner than asked, and leaves one that lasts alone', async () => {
    const before = await p.kept();
    const counted = (await grantCounts(server)).refresh_token ?? 0;
    expect(ok(await p.run(['token', 'print', 'myidp', '--min-ttl', '60'])).stdout).toBe(`${before.token.access_token}\n`);
    expect((await grantCounts(server)).refresh_token ?? 0).toBe(counted);
    // The fixture's tokens live an hour: asking for two refreshes it.
    const printed = ok(await p.run(['token', 'print', 'myidp', '--min-ttl', '7200']));
    const after = await p.kept();
    expect(printed.stdout).toBe(`${after.token.access_token}\n`);
    expect(after.token.access_token).not.toBe(before.token.access_token);
    expect((await grantCounts(server)).refresh_token).toBe(counted + 1);
  });

  it('a lock left by a killed process is taken over once it is stale', async () => {
    await p.edit('default', expire);
    const before = await p.kept();
    // What a process killed while refreshing leaves: the lock folder, touched by nobody since.
    const lock = join(p.data, 'oauthd-cli', 'locks', 'token-myidp-default.lock');
    await mkdir(lock, { recursive: true });
    const touched = new Date(Date.now() - 5_000);
    await utimes(lock, touched, touched);
    const started = Date.now();
    const printed = ok(await p.run(['token', 'print', 'myidp']));
    // It waited for the lock to go stale (10 s after its last touch), then refreshed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    const after = await p.kept();
    expect(printed.stdout).toBe(`${after.token.access_token}\n`);
    expect(after.token.access_token).not.toBe(before.token.access_token);
  });

  it('Ctrl-C while waiting for the lock ends the command at once (130), and leaves the lock to its holder', async () => {
    await p.edit('default', expire);
    const lock = join(p.data, 'oauthd-cli', 'locks', 'token-myidp-default.lock');
    await mkdir(lock, { recursive: true });
    const child = spawn(process.execPath, [CLI_BIN, 'token', 'print', 'myidp'], {
      cwd: p.dir,
      env: { ...process.env, ...p.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Once it says it is waiting for the lock.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no waiting notice within 30 s:\n${stderr}`)), 30_000);
      child.stderr.on('data', () => {
        if (/Waiting for another oauthd-cli process that is refreshing the myidp token \(profile default\)/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    expect(await exited).toBe(130);
    clearTimeout(killer);
    expect(stderr).toMatch(/^cancelled$/m);
    // Not its lock: it stays until its holder (or staleness) ends it.
    await expect(stat(lock)).resolves.toBeTruthy();
    await rm(lock, { recursive: true });
  });

  it('a refused refresh (invalid_grant) says so in one line, tells how to log in, and keeps the entry marked', async () => {
    const before = await p.kept();
    // Revoke the grant at the provider (RFC 7009): the next refresh gets invalid_grant.
    const revoked = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('test-client:test-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: before.token.refresh_token as string, token_type_hint: 'refresh_token' }).toString(),
    });
    expect(revoked.status).toBe(200);
    await p.edit('default', expire);
    const counted = (await grantCounts(server)).refresh_token ?? 0;

    const refused = await p.run(['token', 'print', 'myidp']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: myidp refused the refresh token of the profile default \(invalid_grant[^\n]*\); it was revoked, expired or already used, so the token is marked as needing a login$/m);
    expect(refused.stderr).toMatch(/log in again: oauthd-cli login myidp$/m);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const marked = await p.kept();
    expect(marked.token.refresh_token).toBe(before.token.refresh_token);
    expect(marked.needsLogin).toMatchObject({ error: 'invalid_grant' });
    expect((await grantCounts(server)).refresh_token).toBe(counted + 1);

    // Marked: the next command says the same without asking the provider again.
    const again = await p.run(['token', 'print', 'myidp']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refused the refresh token/);
    expect((await grantCounts(server)).refresh_token).toBe(counted + 1);

    // A login replaces the entry, and the mark with it.
    await login(p, port);
    expect((await p.kept()).needsLogin).toBeUndefined();
    ok(await p.run(['token', 'print', 'myidp']));
  });
});
