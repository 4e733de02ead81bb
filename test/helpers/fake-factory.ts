// Running a command in-process: a Context whose factory holds fakes (an in-memory keychain and
// file, an HTTP client that answers as the provider, a fixed clock, scripted prompts), and the
// command's stdout and stderr as strings.
//
//   const t = commandContext({ cwd: dir, http: provider.http, now: Date.parse('2026-01-01T00:00:00Z') });
//   await run(t.ctx, 'myidp', { format: 'raw' });
//   expect(t.stdout()).toBe('at-1\n');
//
// A command that built its own HTTP client, vault or clock would not see these fakes: the provider
// URLs of the in-process tests do not resolve, the memory vaults are not on disk, and the clock is
// years away from the real one.
import { PassThrough } from 'node:stream';
import type { Context } from '../../src/cli/context.js';
import type { Factory, Prompter } from '../../src/cli/factory.js';
import { CommanderError } from 'commander';
import { report } from '../../src/cli/main.js';
import { buildProgram, type Action } from '../../src/cli/program.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/oauth/http.js';
import type { BackendKind, SecretBackend } from '../../src/vault/backend.js';
import type { VaultOpener } from '../../src/vault/open.js';
import { configError } from '../../src/util/errors.js';
import { openBrowser } from '../../src/cli/browser.js';
import { fetchClient } from '../../src/oauth/http.js';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT, type RunCliOptions, type RunCliResult } from './run-cli.js';

/** A vault in memory, of either kind. `entries` is the test's view of what rests there. */
export class MemoryVault implements SecretBackend {
  readonly entries = new Map<string, string>();

  constructor(
    readonly kind: BackendKind,
    readonly location: string,
  ) {}

  async get(account: string): Promise<string | undefined> {
    return this.entries.get(account);
  }

  async set(account: string, value: string): Promise<void> {
    this.entries.set(account, value);
  }

  async delete(account: string): Promise<boolean> {
    return this.entries.delete(account);
  }

  async accounts(): Promise<string[]> {
    return [...this.entries.keys()];
  }

  /** The kept tokens, parsed: what the CLI must never print by accident. */
  tokens(): Record<string, { token: Record<string, string | undefined> } & Record<string, unknown>> {
    return Object.fromEntries([...this.entries].filter(([account]) => account.startsWith('token:')).map(([account, text]) => [account, JSON.parse(text)]));
  }
}

/**
 * The vaults of a machine: a keychain (or none: `keychain: undefined`) and the 0600 file, chosen as
 * src/vault/open.ts chooses (a forced keychain that is not there is an error; otherwise the file,
 * with the fallback told).
 */
export function memoryVaults(options: { keychain?: MemoryVault | undefined; file?: MemoryVault } = {}): { keychain: MemoryVault | undefined; file: MemoryVault; open: VaultOpener } {
  const keychain = 'keychain' in options ? options.keychain : undefined;
  const file = options.file ?? new MemoryVault('file', '/memory/secrets.json');
  const open: VaultOpener = async (choose = {}) => {
    const choice = choose.choice ?? 'auto';
    if (choice === 'file') return file;
    if (keychain) {
      choose.onKeychain?.();
      return keychain;
    }
    if (choice === 'keychain') throw configError('the OS keychain is not available: no keychain in this test', 'use --store file');
    choose.onFallback?.({ reason: 'no keychain in this test', location: file.location });
    return file;
  };
  return { keychain, file, open };
}

/** An HTTP client that fails the test when a command sends anything at all. */
export const noNetwork: HttpClient = async (request) => {
  throw new Error(`unexpected HTTP request: ${request.method} ${request.url}`);
};

export interface CommandContextOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  http?: HttpClient;
  vault?: VaultOpener;
  /** The clock's time (ms since the epoch): fixed, or a function (Date.now for the real one). */
  now?: number | (() => number);
  openBrowser?: (url: string) => Promise<string>;
  prompter?: Partial<Prompter>;
  stdin?: string;
  /** stdin is a terminal (the prompts' condition). */
  stdinIsTTY?: boolean;
}

export interface CommandRun {
  ctx: Context;
  factory: Factory;
  stdout(): string;
  stderr(): string;
  /** Runs `command` as main() would: its exit code, and an error reported on stderr in one line. */
  exit(command: (ctx: Context) => Promise<void>): Promise<number>;
  /**
   * The command line, parsed by the real command table and run in this process with this context,
   * as main() runs it: the exit code (2 for usage errors), output in stdout() and stderr().
   */
  cli(args: string[]): Promise<number>;
  /** Forgets the output so far (for the next command's). */
  clear(): void;
}

export const FIXED_NOW = Date.parse('2031-05-04T12:00:00Z');

export function commandContext(options: CommandContextOptions): CommandRun {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const stdin: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (options.stdinIsTTY) stdin.isTTY = true;
  else stdin.end(options.stdin ?? '');
  const unscripted = (name: string) => async () => {
    throw new Error(`unexpected prompt (${name})`);
  };
  const factory: Factory = {
    http: () => options.http ?? noNetwork,
    vault: options.vault ?? memoryVaults().open,
    openBrowser: options.openBrowser ?? (async (url) => {
      throw new Error(`unexpected browser for ${url}`);
    }),
    clock: { now: typeof options.now === 'function' ? options.now : () => (options.now as number | undefined) ?? FIXED_NOW },
    prompter: { input: unscripted('input'), select: unscripted('select'), password: unscripted('password'), ...options.prompter },
  };
  const ctx: Context = {
    stdout,
    stderr,
    stdin,
    env: { NO_COLOR: '1', ...options.env },
    cwd: options.cwd,
    debug: false,
    configPath: undefined,
    platform: 'linux',
    factory,
  };
  const exit = async (command: (ctx: Context) => Promise<void>): Promise<number> => {
    try {
      await command(ctx);
      return 0;
    } catch (error) {
      return report(error, ctx, false);
    }
  };
  return {
    ctx,
    factory,
    stdout: () => out,
    stderr: () => err,
    exit,
    clear: () => {
      out = '';
      err = '';
    },
    cli: async (args) => {
      const program = buildProgram('0.0.0-test', ctx, async (load: () => Promise<{ run: Action }>, given, rest) => {
        const command = await load();
        await (command.run as (ctx: Context, ...rest: unknown[]) => Promise<void>)(given, ...rest);
      });
      try {
        await program.parseAsync(args, { from: 'user' });
        return 0;
      } catch (error) {
        // commander printed its own message; main() exits 2 for it (0 for --help).
        if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
        return report(error, ctx, false);
      }
    },
  };
}

/** An HttpResponse with a JSON body. */
export function jsonResponse(request: HttpRequest, status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    statusText: status === 200 ? 'OK' : status === 404 ? 'Not Found' : '',
    headers: { 'content-type': 'application/json', ...headers },
    text: JSON.stringify(body),
    url: request.url,
  };
}

/** The vaults of each data folder, kept across runInProcess calls as the 0600 file would be. */
const machineVaults = new Map<string, ReturnType<typeof memoryVaults>>();

/**
 * runCli's twin in this process: the command line through the real command table with a factory
 * that has the real HTTP client, browser opener ($BROWSER from `env`) and clock, and an in-memory
 * vault per data folder (never the keychain of the machine running the tests). Same options and
 * result as runCli: a temporary HOME unless given, `input` on stdin, the exit code main() gives.
 */
export async function runInProcess(args: string[], options: RunCliOptions = {}): Promise<RunCliResult> {
  if (options.wrap) throw new Error('runInProcess: wrap needs a process; use runCli');
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, NO_COLOR: '1' };
  const given = options.env ?? {};
  if (Object.keys(HOME_DIRS).some((name) => !(name in given))) {
    const home = (await makeTempDir('oauthd-cli-home-')).path;
    for (const [name, sub] of Object.entries(HOME_DIRS)) env[name] = join(home, sub);
  }
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const folder = env.XDG_DATA_HOME ?? env.HOME ?? '';
  const vaults = machineVaults.get(folder) ?? memoryVaults({ file: new MemoryVault('file', join(folder, 'oauthd-cli', 'secrets.json')) });
  machineVaults.set(folder, vaults);
  const started = Date.now();
  const t = commandContext({
    cwd: options.cwd ?? REPO_ROOT,
    env,
    http: fetchClient(),
    vault: vaults.open,
    now: () => Date.now(),
    openBrowser: (url) => openBrowser(url, env),
    ...(options.input !== undefined ? { stdin: options.input } : {}),
  });
  // runCli's env starts from NO_COLOR=1; the fake context adds it too.
  const code = await t.cli(args);
  return { code, signal: null, stdout: t.stdout(), stderr: t.stderr(), timedOut: false, home: env.HOME, durationMs: Date.now() - started };
}

const HOME_DIRS: Record<string, string> = {
  HOME: '',
  XDG_DATA_HOME: '.local/share',
  XDG_CONFIG_HOME: '.config',
  XDG_STATE_HOME: '.local/state',
  XDG_CACHE_HOME: '.cache',
};
