// Starts test/fixtures/oauth1-server.mjs (an OAuth 1.0a provider that checks signatures with its
// own RFC 5849 code) as a child process.
//
// Always asynchronous (spawn, never spawnSync/execSync): the provider and the flow under test
// must keep running while the test process waits.
import { fileURLToPath } from 'node:url';
import { startFixture } from './fixture-process.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/oauth1-server.mjs', import.meta.url));

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
  const consumerKey = options.consumerKey ?? 'test-consumer';
  const consumerSecret = options.consumerSecret ?? 'test-consumer-secret';
  const fixture = await startFixture('oauth1-server', FIXTURE, (port) => ({
    ...options.env,
    OAUTH1_PORT: String(port),
    OAUTH1_CONSUMER_KEY: consumerKey,
    OAUTH1_CONSUMER_SECRET: consumerSecret,
    ...(options.rsaPublicKeyPem ? { OAUTH1_RSA_PUBLIC_KEY: options.rsaPublicKeyPem } : {}),
  }));
  const origin = fixture.origin;
  return {
    origin,
    port: fixture.port,
    consumerKey,
    consumerSecret,
    requestTokenUrl: `${origin}/oauth/request_token`,
    authorizeUrl: `${origin}/oauth/authorize`,
    accessTokenUrl: `${origin}/oauth/access_token`,
    meUrl: `${origin}/api/me`,
    stderr: fixture.stderr,
    stop: fixture.stop,
  };
}
