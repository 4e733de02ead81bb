// Runs the CLI on a pseudo-terminal and types into it, for what happens at a prompt (Ctrl-C, Ctrl-D).
//
//   const r = await runInPty(['init'], { cwd, env, steps: [{ waitFor: 'App name', send: CTRL_C }] });
//   expect(r.code).toBe(130);
//
// node-pty is not installed; util-linux's `script` (Debian's bsdutils, an essential package) gives
// the command a real terminal: `script -qfec CMD /dev/null`. What we write to script's stdin reaches
// the terminal as typed keys: with the CLI in raw mode (a prompt) ^C is a key, in cooked mode the
// terminal turns it into SIGINT and ^D into the end of input, as for a person at a keyboard.
import { spawn } from 'node:child_process';
import { quote } from 'shell-quote';
import { onTestFinished } from 'vitest';
import { CLI_BIN } from './run-cli.js';

export const CTRL_C = '\x03';
export const CTRL_D = '\x04';

export interface PtyStep {
  /** Text the terminal must show (since the previous step) before `send` is typed. */
  waitFor: string;
  send: string;
}

export interface PtyResult {
  /** Everything the terminal showed (stdout and stderr together, with escape sequences). */
  output: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

export async function runInPty(
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; steps: PtyStep[]; timeoutMs?: number },
): Promise<PtyResult> {
  const command = quote([process.execPath, CLI_BIN, ...args]);
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { ...options.env, SHELL: '/bin/sh' } as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  onTestFinished(killGroup);

  let output = '';
  let mark = 0;
  const steps = [...options.steps];
  const advance = () => {
    const step = steps[0];
    if (!step || !output.slice(mark).includes(step.waitFor)) return;
    steps.shift();
    mark = output.length;
    // The prompt prints its question before it switches the terminal to raw mode: let it settle, as
    // a person would take a moment to press the key.
    setTimeout(() => {
      child.stdin.write(step.send);
      advance();
    }, 300);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    advance();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stdin.on('error', () => undefined);

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs ?? 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(timer);
  return { output, code, signal, timedOut };
}
