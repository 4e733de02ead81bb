// Starts test/fixtures/faulty-oidc-server.mjs (an OpenID provider that misbehaves on purpose) as a
// child process, and reads its request counters.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/faulty-oidc-server.mjs', import.meta.url));
const READY_TIMEOUT_MS = 15_000;

/** What the provider gets wrong; see the fixture's header. */
export type Fault =
  | 'none'
  | 'wrong-key'
  | 'unknown-kid'
  | 'aud'
  | 'iss'
  | 'nonce'
  | 'expired'
  | 'iat-future'
  | 'azp'
  | 'at_hash'
  | 'alg-none'
  | 'hs256'
  | 'iss-param'
  | 'no-iss-param'
  | 'exp-within-skew'
  | 'iat-within-skew';

/** The values the fixture puts where the right ones belong. */
export const FAULTY_VALUES = {
  /** In `iss` (fault iss) or in the authorization response's iss parameter (fault iss-param). */
  impostorIssuer: 'https://impostor.example',
  /** In `aud` (fault aud; second audience with fault azp). */
  otherClient: 'other-client',
  /** In `nonce` (fault nonce). */
  forgedNonce: 'forged-nonce',
  /** The kid of the published key, also claimed by the wrong key and the HS256 token. */
  publishedKid: 'main-2024',
  /** The kid of the key that is not (yet) published (fault unknown-kid). */
  rotatedKid: 'rotated-2025',
} as const;

export interface FaultyOidcServerOptions {
  fault: Fault;
  /** With unknown-kid: the JWKS publishes the new key from its second fetch on. */
  rotate?: boolean;
  /** Registered redirect URIs, compared exactly. */
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}

/** Requests the provider has served, by endpoint. */
export interface FaultyOidcStats {
  jwks: number;
  authorize: number;
  token: number;
}

export interface FaultyOidcServer {
  /** http://127.0.0.1:<port> */
  issuer: string;
  stats(): Promise<FaultyOidcStats>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

export async function startFaultyOidcServer(options: FaultyOidcServerOptions): Promise<FaultyOidcServer> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      ...process.env,
      FAULT: options.fault,
      ROTATE: options.rotate ? '1' : '0',
      REDIRECT_URIS: options.redirectUris.join(','),
      PORT: '0',
      ...(options.clientId !== undefined ? { CLIENT_ID: options.clientId } : {}),
      ...(options.clientSecret !== undefined ? { CLIENT_SECRET: options.clientSecret } : {}),
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

  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`faulty-oidc-server did not print READY within ${READY_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
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
      reject(new Error(`faulty-oidc-server exited early (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`faulty-oidc-server could not be spawned: ${err.message}`));
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
  child.stdout.resume();

  let stopping: Promise<void> | undefined;
  return {
    issuer,
    async stats() {
      const response = await fetch(`${issuer}/__stats`);
      return (await response.json()) as FaultyOidcStats;
    },
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
