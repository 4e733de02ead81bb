// Kept tokens as git passwords: `token setup-git` writes the helper into the (private) global git
// config, then a real `git clone` over HTTP from a git host on loopback (git http-backend behind a
// node server) that lets in only a password the authorization server says is an active token
// (RFC 7662 introspection). git runs `oauthd-cli git-credential get` itself.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expire, grantCounts, login, ok, tokenProject, type TokenProject } from '../helpers/kept-tokens.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer, introspectAtFixture } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, onPath, requireComponent } from '../helpers/components.js';

const available = requireComponent('chromium', hasChromium()) && requireComponent('git', onPath('git'));

/** Runs git asynchronously; resolves with its exit code and output. */
function git(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const active = async (server: OidcServer, token: string): Promise<boolean> => (await introspectAtFixture(server, token)).active;

describe.skipIf(!available)('git-credential: git clones with the kept token as the password', () => {
  let server: OidcServer;
  let port: number;
  let p: TokenProject;
  let host: GitServer;
  let repos: string;
  /** What git runs with: the project's HOME (its ~/.gitconfig) and data folder, no system config, no prompts. */
  let gitEnv: Record<string, string>;

  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
    p = await tokenProject(server);
    await login(p, port);
    repos = join(p.dir, 'repos');
    await mkdir(repos);
    gitEnv = {
      ...(process.env as Record<string, string>),
      ...p.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      SSH_ASKPASS: '',
      XDG_CONFIG_HOME: join(p.dir, '.config'),
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.test',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.test',
    };
    // A repository with one commit, served bare.
    const work = join(p.dir, 'work');
    await mkdir(work);
    expect((await git(['init', '-q', '-b', 'main'], { cwd: work, env: gitEnv })).code).toBe(0);
    await writeFile(join(work, 'README.md'), 'hello from the git host\n');
    expect((await git(['add', 'README.md'], { cwd: work, env: gitEnv })).code).toBe(0);
    expect((await git(['commit', '-q', '-m', 'first'], { cwd: work, env: gitEnv })).code).toBe(0);
    expect((await git(['clone', '-q', '--bare', work, join(repos, 'demo.git')], { cwd: p.dir, env: gitEnv })).code).toBe(0);
    host = await startGitServer(repos, async (_username, password) => active(server, password));
  });
  afterAll(async () => {
    await host?.close();
    await server?.stop();
  });

  it('without the helper the host refuses git, and git does not prompt', async () => {
    const elsewhere = (await makeTempDir()).path;
    const clone = await git(['clone', '-q', `${host.origin}/demo.git`], { cwd: elsewhere, env: gitEnv });
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/could not read Username|Authentication failed/);
  });

  it('token setup-git, then git clone: the kept token is the password, from any folder', async () => {
    const setup = ok(await p.run(['token', 'setup-git', 'myidp', '--host', host.origin]));
    expect(setup.stdout).toBe('');
    expect(setup.stderr).toContain(`git now asks oauthd-cli for ${host.origin}`);
    const gitconfig = await readFile(join(p.dir, '.gitconfig'), 'utf8');
    expect(gitconfig).toContain(`[credential "${host.origin}"]`);
    expect(gitconfig).toMatch(/helper = \n\s*helper = "?!.*oauthd-cli\.js.* git-credential/);
    expect(JSON.parse(await readFile(join(p.data, 'oauthd-cli', 'git-hosts.json'), 'utf8'))).toEqual({ version: 1, hosts: { [host.origin]: { provider: 'myidp' } } });

    const elsewhere = (await makeTempDir()).path;
    const clone = await git(['clone', '-q', `${host.origin}/demo.git`], { cwd: elsewhere, env: gitEnv });
    expect(clone.code, clone.stderr).toBe(0);
    expect(await readFile(join(elsewhere, 'demo', 'README.md'), 'utf8')).toBe('hello from the git host\n');
    const kept = await p.kept();
    const authenticated = host.requests.filter((request) => request.status === 200);
    expect(authenticated.length).toBeGreaterThan(0);
    for (const request of authenticated) expect(request).toMatchObject({ username: 'oauth2', password: kept.token.access_token });
  });

  it('an expired token is refreshed before git gets it', async () => {
    await p.edit('default', expire);
    const before = await p.kept();
    const refreshes = (await grantCounts(server)).refresh_token ?? 0;
    const elsewhere = (await makeTempDir()).path;
    const clone = await git(['clone', '-q', `${host.origin}/demo.git`], { cwd: elsewhere, env: gitEnv });
    expect(clone.code, clone.stderr).toBe(0);
    const after = await p.kept();
    expect(after.token.access_token).not.toBe(before.token.access_token);
    expect(host.requests.at(-1)).toMatchObject({ status: 200, password: after.token.access_token });
    expect((await grantCounts(server)).refresh_token).toBe(refreshes + 1);
  });

  it('git-credential get: a host with no mapping gets nothing (exit 0, no prompt); store does nothing; erase of the kept token makes the next get refresh', async () => {
    for (const input of ['protocol=https\nhost=unknown.example\n\n', `protocol=http\nhost=127.0.0.1:1\n\n`, '', 'garbage without equals\n\n']) {
      const unknown = await p.run(['git-credential', 'get'], { input });
      expect(unknown.code, unknown.stderr).toBe(0);
      expect(unknown.stdout).toBe('');
    }
    const { hostname, port: hostPort } = new URL(host.origin);
    const request = `protocol=http\nhost=${hostname}:${hostPort}\n\n`;
    const got = ok(await p.run(['git-credential', 'get'], { input: request }));
    const kept = await p.kept();
    expect(got.stdout).toBe(`username=oauth2\npassword=${kept.token.access_token}\npassword_expiry_utc=${Math.floor(Date.parse(kept.expiresAt as string) / 1000)}\n`);
    // git names the user from the URL: it is kept.
    expect(ok(await p.run(['git-credential', 'get'], { input: `url=${host.origin.replace('//', '//alice@')}/demo.git\n\n` })).stdout).toMatch(/^username=alice\npassword=/);

    expect(ok(await p.run(['git-credential', 'store'], { input: `${request.trim()}\nusername=oauth2\npassword=whatever\n\n` })).stdout).toBe('');
    expect((await p.kept()).token.access_token).toBe(kept.token.access_token);

    const refreshes = (await grantCounts(server)).refresh_token ?? 0;
    ok(await p.run(['git-credential', 'erase'], { input: `${request.trim()}\nusername=oauth2\npassword=${kept.token.access_token}\n\n` }));
    const renewed = ok(await p.run(['git-credential', 'get'], { input: request }));
    const after = await p.kept();
    expect(after.token.access_token).not.toBe(kept.token.access_token);
    expect(renewed.stdout).toContain(`password=${after.token.access_token}\n`);
    expect((await grantCounts(server)).refresh_token).toBe(refreshes + 1);
  });

  it('token setup-git refuses a clear-text host and a host with a path', async () => {
    const cleartext = await p.run(['token', 'setup-git', 'myidp', '--host', 'http://git.example.com']);
    expect(cleartext.code).toBe(2);
    expect(cleartext.stderr).toMatch(/^error: --host http:\/\/git\.example\.com: git would send the token in clear text$/m);
    const path = await p.run(['token', 'setup-git', 'myidp', '--host', 'github.com/org/repo']);
    expect(path.code).toBe(2);
    expect(path.stderr).toMatch(/has more than a host/);
  });
});
