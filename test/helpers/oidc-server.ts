// Starts test/fixtures/oidc-server.mjs (node-oidc-provider) as a child process.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/oidc-server.mjs', import.meta.url));
const READY_TIMEOUT_MS = 15_000;

export interface OidcServerOptions {
  /** Redirect URIs of the default client `test-client` / `test-secret` (exact match, port included). */
  redirectUris?: string[];
  /** Full client metadata list; replaces the default client. */
  clients?: object[];
  /** Extra environment for the fixture, e.g. { OIDC_ACCESS_TOKEN_TTL: '2' }. */
  env?: Record<string, string>;
}

export interface OidcServer {
  /** http://127.0.0.1:<port>; discovery at <issuer>/.well-known/openid-configuration. */
  issuer: string;
  port: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

export async function startOidcServer(options: OidcServerOptions = {}): Promise<OidcServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      ...process.env,
      ...options.env,
      OIDC_PORT: String(port),
      OIDC_REDIRECT_URIS: (options.redirectUris ?? []).join(','),
      ...(options.clients ? { OIDC_CLIENTS: JSON.stringify(options.clients) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    // Keep only the tail: the provider's warnings are noise unless startup fails.
    stderr = (stderr + chunk).slice(-8000);
  });

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`oidc-server did not print READY within ${READY_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
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
      reject(new Error(`oidc-server exited early (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`oidc-server could not be spawned: ${err.message}`));
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
    issuer,
    port,
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
