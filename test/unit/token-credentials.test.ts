// src/tokens: git's credential protocol and host mapping, kubectl's ExecCredential, the scopes of a
// re-consent, when a token needs a refresh, the refresh lock, and the broker's refresh single flight.
import { mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialAnswer, mappingFor, parseCredentialRequest } from '../../src/tokens/git-credential.js';
import { gitOrigin } from '../../src/tokens/git-hosts.js';
import { execCredential, kubeconfigUser } from '../../src/tokens/credentials.js';
import { grantedOf, rescoped } from '../../src/tokens/scopes.js';
import { needsRefresh } from '../../src/tokens/expiry.js';
import { withLock } from '../../src/tokens/lock.js';
import type { StoredToken } from '../../src/tokens/store.js';
import { MemoryStore } from '../../src/store/memory.js';
import { flightKey, singleFlightRefresh } from '../../src/broker/refresh-flight.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

function stored(fields: Partial<StoredToken> & { expiresIn?: number } = {}): StoredToken {
  const { expiresIn, ...rest } = fields;
  return {
    version: 1,
    provider: 'myidp',
    profile: 'default',
    token: { access_token: 'at-1', token_type: 'Bearer', refresh_token: 'rt-1', extra: {} },
    obtainedAt: new Date().toISOString(),
    requestedScopes: ['openid', 'email'],
    ...(expiresIn !== undefined ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}),
    ...rest,
  } as StoredToken;
}

describe('git credential protocol', () => {
  it('reads key=value lines up to the empty line; url= is split as git does', () => {
    expect(parseCredentialRequest('protocol=https\nhost=github.com\npath=o/r.git\n\nprotocol=http\n')).toEqual({ protocol: 'https', host: 'github.com', path: 'o/r.git' });
    expect(parseCredentialRequest('url=https://alice@git.example.com:8443/o/r.git\n')).toMatchObject({ protocol: 'https', host: 'git.example.com:8443', path: 'o/r.git', username: 'alice' });
    expect(parseCredentialRequest('no equals here\n=value\nkey=a=b\n')).toEqual({ key: 'a=b' });
  });

  it('answers only for a mapped origin, over https or loopback http, for the mapped user name', () => {
    const hosts = { 'https://github.com': { provider: 'github' }, 'http://127.0.0.1:8080': { provider: 'local' }, 'https://gl.example': { provider: 'gl', username: 'oauth2' } };
    expect(mappingFor({ protocol: 'https', host: 'github.com' }, hosts)).toMatchObject({ host: { provider: 'github' } });
    expect(mappingFor({ protocol: 'https', host: 'github.com:443' }, hosts)).toMatchObject({ origin: 'https://github.com' });
    expect(mappingFor({ protocol: 'http', host: '127.0.0.1:8080' }, hosts)).toMatchObject({ host: { provider: 'local' } });
    expect(mappingFor({ protocol: 'https', host: 'gitlab.com' }, hosts)).toEqual({ unanswered: 'unmapped' });
    expect(mappingFor({ protocol: 'http', host: 'github.com' }, hosts)).toEqual({ unanswered: 'unmapped' });
    expect(mappingFor({ host: 'github.com' }, hosts)).toEqual({ unanswered: 'unmapped' });
    expect(mappingFor({ protocol: 'https', host: 'gl.example', username: 'mallory' }, hosts)).toEqual({ unanswered: 'other-user' });
    expect(mappingFor({ protocol: 'https', host: 'constructor' }, hosts)).toEqual({ unanswered: 'unmapped' });
    // A mapping file edited by hand to a clear-text host is still refused.
    expect(mappingFor({ protocol: 'http', host: 'git.example' }, { 'http://git.example': { provider: 'x' } })).toEqual({ unanswered: 'cleartext' });
  });

  it('the answer: user name from git, else the mapping, else oauth2; the token as password; its expiry; no newline smuggled', async () => {
    expect(credentialAnswer({}, { provider: 'p' }, 'tok', '2030-01-01T00:00:00.000Z')).toBe('username=oauth2\npassword=tok\npassword_expiry_utc=1893456000\n');
    expect(credentialAnswer({ username: 'alice' }, { provider: 'p', username: 'x' }, 'tok', undefined)).toBe('username=alice\npassword=tok\n');
    expect(credentialAnswer({}, { provider: 'p', username: 'x-token-auth' }, 'tok', undefined)).toBe('username=x-token-auth\npassword=tok\n');
    const error = await caughtCliError(() => credentialAnswer({}, { provider: 'p' }, 'tok\nusername=evil', undefined));
    expect(error.message).toMatch(/newline/);
  });

  it('--host: a host, a host:port or an origin; http only for loopback; nothing but the host', async () => {
    expect(gitOrigin('github.com')).toBe('https://github.com');
    expect(gitOrigin('git.example.com:8443')).toBe('https://git.example.com:8443');
    expect(gitOrigin('https://GitHub.com/')).toBe('https://github.com');
    expect(gitOrigin('http://localhost:3000')).toBe('http://localhost:3000');
    expect((await caughtCliError(() => gitOrigin('http://git.example.com'))).message).toMatch(/clear text/);
    expect((await caughtCliError(() => gitOrigin('github.com/org'))).message).toMatch(/more than a host/);
    expect((await caughtCliError(() => gitOrigin('https://user:pw@github.com'))).message).toMatch(/more than a host/);
  });
});

describe('kubectl credentials', () => {
  it('ExecCredential v1: the token and an RFC 3339 expiry without fractions; none when the lifetime is unknown', async () => {
    const token = stored({ expiresAt: '2030-01-01T10:00:00.123Z' });
    expect(execCredential(token)).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'at-1', expirationTimestamp: '2030-01-01T10:00:00Z' } });
    expect(execCredential(stored()).status).toEqual({ token: 'at-1' });
    const oauth1 = stored({ token: { access_token: 'a', token_secret: 's', token_type: 'OAuth', extra: {} } as StoredToken['token'] });
    expect((await caughtCliError(() => execCredential(oauth1))).message).toMatch(/OAuth 1\.0a/);
  });

  it('the users: entry runs token print with --config first and --profile when named', () => {
    expect(kubeconfigUser('oauthd-cli', 'myidp', { profile: 'work', configPath: '/p/oauthd.json' }, 'me').user.exec.args).toEqual([
      '--config',
      '/p/oauthd.json',
      'token',
      'print',
      'myidp',
      '--profile',
      'work',
      '--format',
      'exec-credential',
    ]);
    expect(kubeconfigUser('oauthd-cli', 'myidp', {}, 'me').user.exec).toMatchObject({ interactiveMode: 'Never', args: ['token', 'print', 'myidp', '--format', 'exec-credential'] });
  });
});

describe('re-consent scopes and refresh timing', () => {
  it('adds, removes, keeps order, refuses an empty request; says what was not granted', async () => {
    expect(rescoped(['openid', 'email'], ['repo', 'email'], [])).toEqual(['openid', 'email', 'repo']);
    expect(rescoped(['openid', 'email'], [], ['email'])).toEqual(['openid']);
    expect((await caughtCliError(() => rescoped(['openid'], [], ['openid']))).message).toMatch(/no scope/);
    expect(grantedOf(['a', 'b'], 'a')).toEqual({ granted: ['a'], notGranted: ['b'] });
    expect(grantedOf(['a', 'b'], undefined)).toEqual({ granted: undefined, notGranted: [] });
  });

  it('needsRefresh: expired or within the skew, or within --min-ttl; never for unknown lifetimes or OAuth 1.0a', () => {
    expect(needsRefresh(stored({ expiresIn: -10 }))).toBe(true);
    expect(needsRefresh(stored({ expiresIn: 20 }))).toBe(true);
    expect(needsRefresh(stored({ expiresIn: 600 }))).toBe(false);
    expect(needsRefresh(stored({ expiresIn: 600 }), 900)).toBe(true);
    expect(needsRefresh(stored())).toBe(false);
    expect(needsRefresh(stored({ expiresIn: -10, token: { access_token: 'a', token_secret: 's', token_type: 'OAuth', extra: {} } as StoredToken['token'] }))).toBe(false);
  });
});

describe('the refresh lock (proper-lockfile)', () => {
  it('runs holders one after another', async () => {
    const path = join((await makeTempDir()).path, 'locks', 'token-x-default.lock');
    const events: string[] = [];
    const hold = (name: string) =>
      withLock(path, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b'), hold('c')]);
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i]!.replace(' in', ' out'));
  });

  it('a lock nobody touches is taken over once stale; a living holder makes a waiter give up with one line', async () => {
    const dir = (await makeTempDir()).path;
    const dead = join(dir, 'dead.lock');
    await mkdir(dead);
    const started = Date.now();
    expect(await withLock(dead, async () => 'taken', { staleMs: 2000 })).toBe('taken');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);

    const busy = join(dir, 'busy.lock');
    let release!: () => void;
    const holder = withLock(busy, () => new Promise<void>((resolve) => (release = resolve)), { staleMs: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await caughtCliError(() => withLock(busy, async () => 'never', { staleMs: 2000, waitMs: 3000 }));
    expect(error.code).toBe('lock_timeout');
    expect(error.exitCode).toBe(1);
    release();
    await holder;
    expect(await withLock(busy, async () => 'free')).toBe('free');
  }, 15_000);

  it('an old lock is taken at once', async () => {
    const old = join((await makeTempDir()).path, 'old.lock');
    await mkdir(old);
    const then = new Date(Date.now() - 60_000);
    await utimes(old, then, then);
    const started = Date.now();
    await withLock(old, async () => undefined);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('the broker refresh single flight (memory store)', () => {
  it('one refresh for concurrent callers; the kept answer is sealed and keyed by a hash; 5xx are not kept', async () => {
    const store = new MemoryStore();
    const key = flightKey('app', 'myidp', 'rt-secret');
    expect(key).not.toContain('rt-secret');
    let calls = 0;
    const refresh = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 200, body: { access_token: 'new-at', refresh_token: 'new-rt' } };
    };
    const answers = await Promise.all(Array.from({ length: 5 }, () => singleFlightRefresh(store, key, 'rt-secret', refresh)));
    expect(calls).toBe(1);
    for (const answer of answers) expect(answer).toEqual({ status: 200, body: { access_token: 'new-at', refresh_token: 'new-rt' } });
    const kept = await store.peek<string>(`refresh-result:${key}`);
    expect(kept).toEqual(expect.any(String));
    expect(kept).not.toContain('new-at');

    let failures = 0;
    const failing = async () => {
      failures++;
      return { status: 502, body: { status: 'error', message: 'the token endpoint could not be reached' } };
    };
    const other = flightKey('app', 'myidp', 'rt-2');
    expect((await singleFlightRefresh(store, other, 'rt-2', failing)).status).toBe(502);
    expect((await singleFlightRefresh(store, other, 'rt-2', failing)).status).toBe(502);
    expect(failures).toBe(2);
    await store.close();
  });
});

describe('the provider file\'s git block', () => {
  it('github, gitlab (its keyset\'s base_url), bitbucket name their git host and user name; a missing parameter is said', async () => {
    const { readFile } = await import('node:fs/promises');
    const { resolveGitHost } = await import('../../src/providers/resolve.js');
    const spec = async (id: string) => JSON.parse(await readFile(join(process.cwd(), 'providers', `${id}.json`), 'utf8')) as Parameters<typeof resolveGitHost>[0];
    expect(resolveGitHost(await spec('github'), undefined)).toEqual({ origin: 'https://github.com', username: 'x-access-token' });
    expect(resolveGitHost(await spec('gitlab'), undefined)).toEqual({ origin: 'https://gitlab.com', username: 'oauth2' });
    expect(resolveGitHost(await spec('gitlab'), { clientId: 'x', params: { base_url: 'https://git.corp.example' } } as never)).toEqual({ origin: 'https://git.corp.example', username: 'oauth2' });
    expect(resolveGitHost(await spec('bitbucket'), undefined)).toEqual({ origin: 'https://bitbucket.org', username: 'x-token-auth' });
    // Gitea has no default instance: without a keyset's base_url there is no host to name.
    const gitea = await spec('gitea');
    expect(() => resolveGitHost(gitea, undefined)).toThrow(/base_url/);
    expect(resolveGitHost(gitea, { clientId: 'x', params: { base_url: 'https://gitea.example.com' } } as never)).toEqual({ origin: 'https://gitea.example.com' });
    expect(resolveGitHost(await spec('google'), undefined)).toBeUndefined();
  });
});
