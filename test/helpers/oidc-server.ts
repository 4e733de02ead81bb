// Starts test/fixtures/oidc-server.mjs (node-oidc-provider) as a child process.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { fileURLToPath } from 'node:url';
import { startFixture } from './fixture-process.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/oidc-server.mjs', import.meta.url));

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
  const fixture = await startFixture('oidc-server', FIXTURE, (port) => ({
    ...options.env,
    OIDC_PORT: String(port),
    OIDC_REDIRECT_URIS: (options.redirectUris ?? []).join(','),
    ...(options.clients ? { OIDC_CLIENTS: JSON.stringify(options.clients) } : {}),
  }));
  return { issuer: fixture.origin, port: fixture.port, stop: fixture.stop };
}
