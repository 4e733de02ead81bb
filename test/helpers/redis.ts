// A throwaway Redis server on a free loopback port (no persistence), for the store tests; it can
// be paused (SIGSTOP: connections stay open, nothing answers), stopped, and started again on the
// same port.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGSTOP: the server holds its connections and answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops the server (it loses everything: no persistence). */
  stop(): Promise<void>;
  /** Starts a fresh server on the same port. */
  restart(): Promise<void>;
}

async function launch(port: number): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout!.on('data', () => {
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`redis-server exited:\n${output}`)));
  });
  return { child, exited };
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let current = await launch(port);
  const stop = async () => {
    if (current.child.exitCode !== null || current.child.signalCode !== null) return;
    current.child.kill('SIGCONT');
    current.child.kill('SIGTERM');
    await current.exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => current.child.kill('SIGSTOP'),
    resume: () => current.child.kill('SIGCONT'),
    stop,
    async restart() {
      await stop();
      current = await launch(port);
    },
  };
}
