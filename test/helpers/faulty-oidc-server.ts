// Starts test/fixtures/faulty-oidc-server.mjs (an OpenID provider that misbehaves on purpose) as a
// child process, and reads its request counters.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { startFixture } from './fixture-process.js';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/faulty-oidc-server.mjs', import.meta.url));

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
  discovery: number;
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
  const fixture = await startFixture('faulty-oidc-server', FIXTURE, (port) => ({
    FAULT: options.fault,
    ROTATE: options.rotate ? '1' : '0',
    REDIRECT_URIS: options.redirectUris.join(','),
    PORT: String(port),
    ...(options.clientId !== undefined ? { CLIENT_ID: options.clientId } : {}),
    ...(options.clientSecret !== undefined ? { CLIENT_SECRET: options.clientSecret } : {}),
  }));
  const issuer = fixture.origin;
  return {
    issuer,
    async stats() {
      const response = await fetch(`${issuer}/__stats`);
      return (await response.json()) as FaultyOidcStats;
    },
    stop: fixture.stop,
  };
}
