// Starts a test server script (a fixture under test/fixtures/) as a child process on a free
// loopback port and waits for its one line `READY <origin>` on stdout. Asynchronous spawn only:
// the test process keeps serving while it waits.
import { spawn } from 'node:child_process';
import { freePort } from './ports.js';

const READY_TIMEOUT_MS = 15_000;

export interface FixtureProcess {
  /** What the fixture printed after READY (its origin or issuer). */
  origin: string;
  port: number;
  /** The last 8000 characters of its stderr. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** `env(port)` gives the fixture's environment for the port picked. */
export async function startFixture(name: string, script: string, env: (port: number) => Record<string, string | undefined>): Promise<FixtureProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env(port) }, stdio: ['ignore', 'pipe', 'pipe'] });

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    // Keep only the tail: a fixture's warnings are noise unless startup fails.
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${name} did not print READY within ${READY_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: string) => {
      stdout += chunk;
      const match = /^READY (\S+)$/m.exec(stdout);
      if (match) {
        cleanup();
        resolve(match[1]!);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`${name} exited early (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`${name} could not be spawned: ${err.message}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout.resume();

  let stopping: Promise<void> | undefined;
  return {
    origin,
    port,
    stderr: () => stderr,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
      })();
      return stopping;
    },
  };
}
