// A reader that stops early (`oauthd-cli login --help | head -1`, a pager quit) closes the pipe
// under the CLI. That ends the command quietly, with its own status (0 for help, as git does):
// no "write EPIPE", no "this is a bug", and the work of the command is still done.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, makeTempDir } from '../helpers/run-cli.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Bytes read before the pipe was closed. */
  read: number;
}

/**
 * Runs the CLI with stdout on a pipe that we close: at once (`head` gone before the CLI writes a
 * byte; every write then fails) or after the first bytes (`head -c1`, racing the CLI's writes).
 */
async function runIntoClosedPipe(args: string[], when: 'at-once' | 'after-first-bytes', cwd: string, env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, BROWSER: undefined, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let read = 0;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  if (when === 'at-once') {
    child.stdout.destroy();
  } else {
    child.stdout.once('data', (chunk: Buffer) => {
      read = chunk.length;
      child.stdout.destroy();
    });
  }
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  return { code, signal, stderr, read };
}

async function privateHome(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = (await makeTempDir('oauthd-cli-pipe-')).path;
  return { dir, env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') } };
}

const COMMANDS = [
  ['login', '--help'],
  ['--help'],
  ['help', 'login'],
  ['token', '--help'],
  ['providers', 'list', '--json'],
  ['providers', 'list'],
  ['providers', 'show', 'github', '--json'],
  ['completion', 'bash'],
];

describe('a closed stdout', () => {
  for (const args of COMMANDS) {
    it(`oauthd-cli ${args.join(' ')} into a reader that is already gone: exit 0, nothing on stderr`, async () => {
      const { dir, env } = await privateHome();
      const run = await runIntoClosedPipe(args, 'at-once', dir, env);
      // The readable listing says how many providers on stderr (and, with no oauthd.json, that
      // none was found); nothing else may be there: no EPIPE, no "bug".
      if (args.join(' ') === 'providers list') expect(run.stderr).toMatch(/^\d+ provider\(s\);[^\n]*\n(note: no config file: [^\n]*\n)?$/);
      else expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    });
  }

  it('closed after the first bytes, many times over (help and a large --json listing): always exit 0, never an error', async () => {
    const { dir, env } = await privateHome();
    for (let attempt = 0; attempt < 6; attempt++) {
      for (const args of [['login', '--help'], ['providers', 'list', '--json']]) {
        const run = await runIntoClosedPipe(args, 'after-first-bytes', dir, env);
        expect(run.read).toBeGreaterThan(0);
        expect(run.stderr, `attempt ${attempt}: ${args.join(' ')}`).not.toMatch(/EPIPE|\bbug\b|\berror\b/);
        expect(run.code).toBe(0);
      }
    }
  });

  it('drops only the output: init --yes --json still writes oauthd.json and keeps the app secret', async () => {
    const { dir, env } = await privateHome();
    const run = await runIntoClosedPipe(['init', '--yes', '--json'], 'at-once', dir, { ...env, OAUTHD_STORE: 'file' });
    expect(run.stderr).not.toMatch(/EPIPE|\bbug\b|\berror\b/);
    expect(run.code).toBe(0);
    const config = JSON.parse(await readFile(join(dir, 'oauthd.json'), 'utf8')) as { app: { key: string } };
    const vault = await readFile(join(dir, 'data', 'oauthd-cli', 'secrets.json'), 'utf8');
    expect(vault).toContain(config.app.key);
  });

  it('--version (answered by the launcher alone) into a closed pipe: exit 0, silent', async () => {
    const { dir, env } = await privateHome();
    const run = await runIntoClosedPipe(['--version'], 'at-once', dir, env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
