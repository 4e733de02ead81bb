// Runs the real CLI (bin/oauthd-cli.js) as a child process, isolated from the developer's machine.
//
//   const r = await runCli(['login', 'github'], { env: { BROWSER: browserCommand() } });
//   expect(r.code).toBe(0);
//
//   // with a private, unlocked Secret Service (fresh and empty for this one run):
//   await runCli(['vault', 'set', 'x'], { wrap: ['test/helpers/with-keyring.sh'] });
//
// Always asynchronous (spawn, never spawnSync/execSync): tests often run a broker, an
// authorization server or a callback server in the test process, and a synchronous call would
// freeze them while the CLI waits on them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** Repository root (absolute, with a trailing separator). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_BIN = path.join(REPO_ROOT, 'bin', 'oauthd-cli.js');

/** `$BROWSER` value for the test browser (test/helpers/browser.mjs), with absolute paths. */
export function browserCommand(): string {
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(REPO_ROOT, 'test', 'helpers', 'browser.mjs'))}`;
}

export interface TempDir {
  path: string;
  /** Removes the directory (idempotent). Set KEEP_TEST_TMP=1 to keep it for debugging. */
  cleanup(): Promise<void>;
  /** True when removal was registered with vitest's onTestFinished. */
  autoCleanup: boolean;
}

/** Calls `fn` when the current test finishes; returns false when not inside a test (e.g. beforeAll). */
function whenTestFinishes(fn: () => unknown): boolean {
  try {
    onTestFinished(async () => {
      await fn();
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a fresh temporary directory. Inside a test (or beforeEach) it is removed automatically
 * when the test finishes; elsewhere (beforeAll, module scope) call `cleanup()` yourself.
 */
export async function makeTempDir(prefix = 'oauthd-cli-test-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  let removed = false;
  const cleanup = async () => {
    if (removed || process.env.KEEP_TEST_TMP === '1') return;
    removed = true;
    // A process the test started may still be writing there as it exits (a browser's profile, a
    // keyring daemon): rm's retries cover ENOTEMPTY and EBUSY until it is done.
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  const autoCleanup = whenTestFinishes(cleanup);
  return { path: dir, cleanup, autoCleanup };
}

export interface RunCliOptions {
  /** Merged over the clean base environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Written to stdin, which is then closed. Without it stdin is closed at once (EOF). */
  input?: string;
  /** Default 60 000. On expiry the process group gets SIGTERM, then SIGKILL 2 s later. */
  timeoutMs?: number;
  /**
   * Command prepended to `node bin/oauthd-cli.js ...`, e.g. ['test/helpers/with-keyring.sh'].
   * A relative path in wrap[0] is resolved against the repository root.
   */
  wrap?: string[];
}

export interface RunCliResult {
  /** Exit code; null when the process was killed by a signal (e.g. on timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when runCli killed the process because of timeoutMs (also noted at the end of stderr). */
  timedOut: boolean;
  /** The temporary HOME used for this run (already removed when not inside a test), or the given HOME. */
  home: string | undefined;
  durationMs: number;
}

/**
 * Variables removed from the inherited environment unless `options.env` sets them:
 * - BROWSER, DISPLAY, WAYLAND_DISPLAY, SSH_CONNECTION: the CLI must not open the developer's real
 *   browser, and its "can I open a browser?" logic must see a predictable headless machine;
 * - OAUTHD_CONFIG, OAUTHD_APP_SECRET, OAUTHD_PROVIDERS_DIR: the developer's own settings;
 * - DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR: otherwise a test could read or write the
 *   developer's real keychain (keyring clients find the session bus through either one);
 *   tests that need a keychain use `wrap: ['test/helpers/with-keyring.sh']`;
 * - FORCE_COLOR: would override NO_COLOR in chalk.
 */
const SCRUBBED = [
  'BROWSER',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'SSH_CONNECTION',
  'OAUTHD_CONFIG',
  'OAUTHD_APP_SECRET',
  'OAUTHD_PROVIDERS_DIR',
  'DBUS_SESSION_BUS_ADDRESS',
  'XDG_RUNTIME_DIR',
  'FORCE_COLOR',
];

/** Directories pointed into the temporary HOME unless `options.env` sets them. */
const HOME_DIRS: Record<string, string> = {
  HOME: '',
  XDG_DATA_HOME: '.local/share',
  XDG_CONFIG_HOME: '.config',
  XDG_STATE_HOME: '.local/state',
  XDG_CACHE_HOME: '.cache',
};

export async function runCli(args: string[], options: RunCliOptions = {}): Promise<RunCliResult> {
  const given = options.env ?? {};
  const timeoutMs = options.timeoutMs ?? 60_000;

  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const name of SCRUBBED) delete env[name];

  let tempHome: TempDir | undefined;
  if (Object.keys(HOME_DIRS).some((name) => !(name in given))) {
    tempHome = await makeTempDir('oauthd-cli-home-');
    for (const [name, sub] of Object.entries(HOME_DIRS)) env[name] = path.join(tempHome.path, sub);
  }
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }

  const wrap = [...(options.wrap ?? [])];
  if (wrap[0] && !path.isAbsolute(wrap[0]) && wrap[0].includes('/') && existsSync(path.join(REPO_ROOT, wrap[0]))) {
    wrap[0] = path.join(REPO_ROOT, wrap[0]);
  }
  const argv = [...wrap, process.execPath, CLI_BIN, ...args];

  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd ?? REPO_ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group, so a timeout also kills what the CLI started (wrapper, D-Bus, keyring).
    detached: true,
  });

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A CLI that exits before reading stdin makes the write fail with EPIPE; that is not our error.
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');

  let exited = false;
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the whole group is gone already.
    }
  };

  // When the test ends, nothing from this run may survive: neither the CLI (test failed or timed
  // out first) nor anything it left in its process group (e.g. a $BROWSER it did not wait for).
  whenTestFinishes(() => killGroup('SIGKILL'));

  let timedOut = false;
  let escalate: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    escalate = setTimeout(() => {
      if (!exited) killGroup('SIGKILL');
    }, 2000);
  }, timeoutMs);

  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`runCli: cannot start ${argv[0]}: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      clearTimeout(escalate);
      resolve({ code, signal });
    });
  });

  // 'exit' can come before the pipes are drained; wait for 'close', but not forever: a grandchild
  // that kept the pipes (e.g. a browser started without stdio: 'ignore') must not hang the test.
  if (child.stdout.readable || child.stderr.readable) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve();
      }, 2000);
      child.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  if (timedOut) stderr += `\n[runCli] killed after the ${timeoutMs} ms timeout\n`;

  // Outside a test nobody can look at the temp HOME later, so remove it now.
  if (tempHome && !tempHome.autoCleanup) await tempHome.cleanup();

  return {
    code: result.code,
    signal: result.signal,
    stdout,
    stderr,
    timedOut,
    home: env.HOME,
    durationMs: Date.now() - started,
  };
}
