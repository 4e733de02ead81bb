// Starts test/fixtures/oauth1-server.mjs (an OAuth 1.0a provider that checks signatures with its
// own RFC 5849 code) as a child process.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/oauth1-server.mjs', import.meta.url));
const READY_TIMEOUT_MS = 15_000;

export interface OAuth1ServerOptions {
  /** Default "test-consumer". */
  consumerKey?: string;
  /** Default "test-consumer-secret". */
  consumerSecret?: string;
  /** PEM public key of the consumer: enables RSA-SHA1. */
  rsaPublicKeyPem?: string;
  /** Extra environment, e.g. { OAUTH1_OMIT_CALLBACK_CONFIRMED: '1', OAUTH1_TIMESTAMP_WINDOW: '60' }. */
  env?: Record<string, string>;
}

export interface OAuth1Server {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  consumerKey: string;
  consumerSecret: string;
  requestTokenUrl: string;
  authorizeUrl: string;
  accessTokenUrl: string;
  /** The protected resource: any method, answers {id, name, screen_name} as JSON. */
  meUrl: string;
  /** The fixture's stderr so far (it logs the base string of every signature it refuses). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

export async function startOAuth1Server(options: OAuth1ServerOptions = {}): Promise<OAuth1Server> {
  const port = await freePort();
  const consumerKey = options.consumerKey ?? 'test-consumer';
  const consumerSecret = options.consumerSecret ?? 'test-consumer-secret';
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      ...process.env,
      ...options.env,
      OAUTH1_PORT: String(port),
      OAUTH1_CONSUMER_KEY: consumerKey,
      OAUTH1_CONSUMER_SECRET: consumerSecret,
      ...(options.rsaPublicKeyPem ? { OAUTH1_RSA_PUBLIC_KEY: options.rsaPublicKeyPem } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
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
      reject(new Error(`oauth1-server did not print READY within ${READY_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
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
      reject(new Error(`oauth1-server exited early (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`oauth1-server could not be spawned: ${err.message}`));
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
    consumerKey,
    consumerSecret,
    requestTokenUrl: `${origin}/oauth/request_token`,
    authorizeUrl: `${origin}/oauth/authorize`,
    accessTokenUrl: `${origin}/oauth/access_token`,
    meUrl: `${origin}/api/me`,
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
