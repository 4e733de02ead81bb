/**
 * What the broker is built from. `buildBroker(deps)` takes everything it talks to, so `serve`,
 * `login` and the tests assemble the same broker from different parts.
 */
import type { DomainRule } from '../config/domains.js';
import type { HttpClient } from '../oauth/http.js';
import type { FlowStore } from '../store/store.js';
import type { ProviderRegistry } from '../registry/types.js';
import type { Sandbox } from '../sandbox/server.js';
import type { FlowError, FlowOutcome } from '../oauth/outcome.js';
import type { FlowRecorder } from '../inspector/recorder.js';
import type { AppOverview } from '../inspector/overview.js';
import type { SharedFlows } from '../inspector/shared.js';

/** How the result of a flow reaches whoever started it. */
export type AppFlow = 'client' | 'server' | 'cli';

export interface BrokerApp {
  key: string;
  name: string;
  flow: AppFlow;
  domains: DomainRule[];
  refreshTokensToClient: boolean;
  codeTtlMs: number;
  /** Constant-time check of the app secret (server flow); absent when the app has none. */
  verifySecret?: (candidate: string) => Promise<boolean>;
}

export interface AppRegistry {
  get(key: string): BrokerApp | undefined;
  /** Every app (CORS preflights carry no key, only an Origin). */
  list(): BrokerApp[];
}

/** The registry of a broker that serves the given apps. */
export function appRegistry(apps: BrokerApp[]): AppRegistry {
  const byKey = new Map(apps.map((app) => [app.key, app]));
  return { get: (key) => byKey.get(key), list: () => apps };
}

export interface FlowTracer {
  authorizationRequest(url: string): void;
  authorizationResponse(response: { method?: 'GET' | 'POST'; url?: string; params?: Record<string, string | undefined> }): void;
}

export interface BrokerDeps {
  apps: AppRegistry;
  providers: ProviderRegistry;
  store: FlowStore;
  http: HttpClient;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
  /** The origin browsers and providers reach the broker at, e.g. http://127.0.0.1:6284. */
  publicOrigin(): string;
  /** Host header values the broker answers to (DNS-rebinding defence); computed after listen. */
  allowedHosts(): ReadonlySet<string>;
  /** How long a started flow waits for its callback. */
  flowTtlMs?: number;
  /** The embedded authorization server, mounted at /sandbox when present. */
  sandbox?: Sandbox;
  /** `login`: receives the outcome of flows started by the CLI app. */
  onCliOutcome?: (outcome: FlowOutcome) => void;
  /** Told of each callback that matches no flow (forged, replayed, expired); it ends no flow. */
  onStrayCallback?: (error: FlowError, state: string | undefined) => void;
  /**
   * The advice printed under a failed sign-in's message on the broker's pages: the CLI's hint for
   * the error (src/cli/errors.ts), since a sign-in page is read by the person at the terminal.
   * Without it, the message stands alone.
   */
  hintFor?: (error: FlowError) => string | undefined;
  /** Sees each authorization request and response as it happens (login --trace); secrets are its business. */
  trace?: FlowTracer;
  /** Request logs (serve): fastify's logger writes pino's JSON lines to `stream`; absent, no logs. */
  log?: BrokerLog;
  /** Mount the demo page of the client-side flow at /demo (serve --sandbox; src/broker/routes/demo.ts). */
  demo?: boolean;
  /** Record every flow, and serve the inspector at /inspector (src/broker/routes/inspector.ts, docs/inspector.md). */
  inspector?: BrokerInspector;
}

export interface BrokerInspector {
  recorder: FlowRecorder;
  /** This run's secret: the inspector's URL carries it once, a cookie afterwards. */
  secret: string;
  /** The app's configuration at a glance (secret references only), read when the page asks. */
  overview(): Promise<AppOverview>;
  /**
   * The flows of every broker on the same Redis (serve --inspect with the Redis store;
   * src/inspector/shared.ts): set once the broker listens, absent otherwise.
   */
  shared?: SharedFlows;
}

export interface BrokerLog {
  /** Receives one JSON line per entry (pino's format); `serve` prettifies it on a terminal. */
  stream: { write(line: string): unknown };
  /** 'debug' with --debug; 'info' (one line per request) otherwise. */
  level: 'info' | 'debug';
}
