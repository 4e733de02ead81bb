// The package as a newcomer gets it: `npm pack` in a copy of this checkout (running the real
// prepack/prepare scripts, so the tarball's dist/ is a clean build), `npm publish --dry-run`, then
// `npm install -g --prefix DIR <tarball>` (dependencies from the npm registry, no dev dependencies)
// and the installed `oauthd-cli` run from a folder outside the checkout with a private HOME:
// login sandbox, serve --sandbox, providers list, completion.
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, type TempDir } from '../helpers/run-cli.js';

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  /** Resolves with what the process printed once `pattern` shows on stderr. */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<Ran>;
}

function start(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Running {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // gone already
    }
  };
  const timer = setTimeout(() => killGroup('SIGKILL'), timeoutMs);
  const done = new Promise<Ran>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    done,
    kill: (signal) => child.kill(signal),
    async waitForStderr(pattern, waitMs) {
      const deadline = Date.now() + waitMs;
      while (!pattern.test(stderr)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`never saw ${pattern}; stderr:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return stderr;
    },
  };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Ran> {
  return start(command, args, cwd, env, timeoutMs).done;
}

/** npm with the developer's npm config and cache, but none of the npm_* variables of `npm test`. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

let work: TempDir;
let checkout: string;
let prefix: string;
let tarball: string;
let packedFiles: string[];
let user: { home: string; app: string; env: NodeJS.ProcessEnv };
const devDependencies = Object.keys((JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
const version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(async () => {
  work = await makeTempDir('oauthd-cli-package-');
  // A copy of the checkout without its build, sharing node_modules (for tsc in `prepare`); a stale
  // file in dist/ stands for an old build, which must not reach the tarball.
  checkout = join(work.path, 'checkout');
  await cp(REPO_ROOT, checkout, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist|\.git|coverage|\.test-tmp)$/.test(source) && !source.endsWith('.tgz'),
  });
  await symlink(join(REPO_ROOT, 'node_modules'), join(checkout, 'node_modules'));
  await mkdir(join(checkout, 'dist'));
  await writeFile(join(checkout, 'dist', 'stale-old-build.js'), 'throw new Error("stale")\n');

  const pack = await run('npm', ['pack', '--json', '--pack-destination', work.path], checkout, npmEnv());
  expect(pack.code, pack.stderr).toBe(0);
  const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work.path, packed!.filename);
  packedFiles = packed!.files.map((file) => file.path).sort();

  prefix = join(work.path, 'prefix');
  const install = await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], work.path, npmEnv());
  expect(install.code, install.stderr).toBe(0);

  const home = join(work.path, 'home');
  const app = join(home, 'app');
  await mkdir(app, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
  };
  user = { home, app, env };
}, 900_000);

afterAll(async () => {
  await work?.cleanup();
});

describe('npm pack', () => {
  it('holds the launcher, a fresh dist/, the catalog and the schemas, and nothing else', () => {
    const outside = packedFiles.filter(
      (path) =>
        !['README.md', 'LICENSE', 'package.json', 'bin/oauthd-cli.js'].includes(path) &&
        !/^dist\/.+\.js$/.test(path) &&
        !/^providers\/[a-z0-9_-]+\.json$/.test(path) &&
        !/^schemas\/[a-z0-9_.-]+\.json$/.test(path) &&
        // The inspector's page: plain ES modules, a style sheet, an icon, served by the broker (docs/inspector.md).
        !/^assets\/inspector\/[a-z0-9-]+\.(js|css|svg)$/.test(path),
    );
    expect(outside).toEqual([]);
    expect(packedFiles).toEqual(
      expect.arrayContaining(['LICENSE', 'bin/oauthd-cli.js', 'dist/cli/main.js', 'dist/cli/commands/completion.js', 'providers/schema.json', 'providers/github.json', 'schemas/oauthd.schema.json', 'assets/inspector/app.js']),
    );
    // No tests or fixtures, no build tools or source maps (their sources are not shipped), no stale build.
    expect(packedFiles.filter((path) => /test|fixture|\.map$|^dist\/tools\/|stale/.test(path))).toEqual([]);
  });

  it('every compiled file comes from a source file of this checkout', async () => {
    for (const path of packedFiles.filter((file) => file.startsWith('dist/'))) {
      const source = join(REPO_ROOT, 'src', path.slice('dist/'.length).replace(/\.js$/, '.ts'));
      expect((await stat(source).catch(() => undefined))?.isFile(), path).toBe(true);
    }
  });

  it('npm publish --dry-run has no warning about the package (only that nobody is logged in)', async () => {
    const publish = await run('npm', ['publish', '--dry-run', '--ignore-scripts'], checkout, npmEnv());
    expect(publish.code, publish.stderr).toBe(0);
    const warnings = publish.stderr.split('\n').filter((line) => /\bwarn/i.test(line) && !/requires you to be logged in/.test(line));
    expect(warnings).toEqual([]);
  }, 300_000);
});

describe('installed globally from the tarball', () => {
  it('installs no dev dependency', async () => {
    const installed = await readdir(join(prefix, 'lib', 'node_modules', 'oauthd-cli', 'node_modules'));
    const scoped = (await Promise.all(
      installed.filter((name) => name.startsWith('@')).map(async (scope) =>
        (await readdir(join(prefix, 'lib', 'node_modules', 'oauthd-cli', 'node_modules', scope))).map((name) => `${scope}/${name}`)),
    )).flat();
    expect([...installed, ...scoped].filter((name) => devDependencies.includes(name))).toEqual([]);
    expect(installed).toEqual(expect.arrayContaining(['commander', 'fastify', 'oidc-provider']));
  });

  it('oauthd-cli is on PATH and answers --version and providers list', async () => {
    const versionRun = await run('oauthd-cli', ['--version'], user.app, user.env, 60_000);
    expect(versionRun.stdout).toBe(`${version}\n`);
    const list = await run('oauthd-cli', ['providers', 'list'], user.app, user.env, 60_000);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^\s+github\s+GitHub/m);
    expect(list.stdout).toMatch(/ sandbox +oauthd-cli sandbox/);
  }, 120_000);

  it('login sandbox --port 0 signs in and keeps the token', async () => {
    const login = await run('oauthd-cli', ['login', 'sandbox', '--port', '0'], user.app, user.env, 120_000);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/id_token\s+verified/);
    const tokens = await run('oauthd-cli', ['token', 'list', '--json'], user.app, user.env, 60_000);
    expect(tokens.code, tokens.stderr).toBe(0);
    expect((JSON.parse(tokens.stdout) as Array<{ provider: string }>).map((token) => token.provider)).toEqual(['sandbox']);
  }, 180_000);

  it('serve --sandbox --port 0 serves the embedded provider and stops on SIGTERM', async () => {
    const init = await run('oauthd-cli', ['init', '--yes'], user.app, user.env, 60_000);
    expect(init.code, init.stderr).toBe(0);
    const serve = start('oauthd-cli', ['serve', '--sandbox', '--port', '0'], user.app, user.env, 120_000);
    const banner = await serve.waitForStderr(/Press Ctrl-C to stop/, 90_000);
    const origin = /(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    expect(origin, banner).toBeDefined();
    const discovery = await fetch(`${origin}/sandbox/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`${origin}/sandbox`);
    serve.kill('SIGTERM');
    const ended = await serve.done;
    expect(ended.code, ended.stderr).toBe(0);
  }, 180_000);

  it('completion bash works from the installed package', async () => {
    const completion = await run('oauthd-cli', ['completion', 'bash'], user.app, user.env, 60_000);
    expect(completion.code, completion.stderr).toBe(0);
    expect(completion.stdout).toContain('complete -F _oauthd_cli oauthd-cli');
  }, 120_000);
});
