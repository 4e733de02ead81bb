// Starts test/fixtures/oidc-server.mjs (node-oidc-provider) as a child process.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startFixture } from './fixture-process.js';
import { freePort } from './ports.js';

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

/**
 * For a describe block: a fixture server started before its tests and stopped after, whose client
 * accepts the callback of a broker on `port` (picked here, free). Read `.server`/`.port` in tests.
 */
export function oidcServerForBroker(): { readonly server: OidcServer; readonly port: number } {
  let server: OidcServer | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the OIDC fixture is not started (use it inside a test)');
      return server;
    },
    get port() {
      return port;
    },
  };
}

/** RFC 7662 straight at the fixture, as its test client: the server's own view of a token. */
export async function introspectAtFixture(server: OidcServer, token: string): Promise<{ active: boolean; sub?: string }> {
  const response = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('test-client:test-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as { active: boolean; sub?: string };
}
