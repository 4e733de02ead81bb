// Runs `oauthd-cli serve` as a child process (the broker as an app developer runs it) and waits
// until it listens. Asynchronous spawn only: the test process keeps serving pages meanwhile.
import { spawn } from 'node:child_process';
import { CLI_BIN } from './run-cli.js';

export interface ServeProcess {
  origin: string;
  stderr(): string;
  /** SIGTERM (graceful shutdown), resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startServe(options: { cwd: string; env: Record<string, string>; args: string[] }): Promise<ServeProcess> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const name of ['BROWSER', 'DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'OAUTHD_CONFIG']) {
    if (!(name in options.env)) delete env[name];
  }
  const child = spawn(process.execPath, [CLI_BIN, 'serve', ...options.args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 15 s:\n${stderr}`)), 15_000);
    const check = () => {
      const match = /listening\s+(http:\/\/\S+)/.exec(stderr);
      if (match && stderr.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stderr.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    origin,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
