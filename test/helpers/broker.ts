// A broker built in the test process for app.inject() tests: one app, one provider described in
// the test ("acme", an OAuth 2 + OpenID-less provider whose token endpoint is a fake HttpClient),
// a memory store with a controllable clock.
import { buildBroker, type Broker } from '../../src/broker/app.js';
import { providerFor } from '../../src/registry/registry.js';
import { appRegistry, type BrokerApp, type BrokerDeps, type BrokerInspector } from '../../src/broker/types.js';
import type { ProviderRegistry } from '../../src/registry/types.js';
import { parseDomainRule } from '../../src/config/domains.js';
import { secretsEqual } from '../../src/config/app-secret.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/oauth/http.js';
import type { ProviderSpec } from '../../src/providers/schema.js';
import { MemoryStore } from '../../src/store/memory.js';

export const BROKER_ORIGIN = 'http://127.0.0.1:6284';
export const APP_ORIGIN = 'http://localhost:3000';
export const APP_SECRET = 'app-secret-for-tests';

export const ACME: ProviderSpec = {
  id: 'acme',
  name: 'Acme',
  docs: 'https://acme.example/docs',
  oauth2: {
    authorizeUrl: 'https://auth.acme.example/authorize',
    tokenUrl: 'https://auth.acme.example/token',
    clientAuth: 'client_secret_basic',
    pkce: 'supported',
    scopes: { separator: ' ', default: ['read'] },
  },
  api: { baseUrl: 'https://api.acme.example/v1' },
  profile: { url: 'https://api.acme.example/v1/me', map: { id: 'id', name: 'name' } },
};

export interface TestBroker extends Broker {
  deps: BrokerDeps;
  store: MemoryStore;
  requests: HttpRequest[];
  clock: { now: number };
  app_: BrokerApp;
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  flow?: 'client' | 'server';
  domains?: string[];
  /** The fake provider's answers, by request; default: a token response for every token request. */
  respond?: (request: HttpRequest) => HttpResponse;
  maxEntries?: number;
  /** Another provider than ACME (routes use its id), with the keyset's template parameters. */
  provider?: { spec: ProviderSpec; params?: Record<string, string> };
  /** A real HttpClient (fetchClient toward loopback servers) instead of the fake; still recorded. */
  http?: HttpClient;
  /** Records flows (and sees each exchange, as fetchClient's observer would) and serves /inspector. */
  inspector?: BrokerInspector;
}

export function jsonResponse(status: number, body: unknown, url = ''): HttpResponse {
  return { status, statusText: '', headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, text: JSON.stringify(body), url };
}

export async function testBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const clock = { now: Date.parse('2026-11-27T12:00:00Z') };
  const requests: HttpRequest[] = [];
  let issued = 0;
  const answer: HttpClient = async (request) => {
    requests.push(request);
    if (options.http) return options.http(request);
    if (options.respond) return options.respond(request);
    issued += 1;
    return jsonResponse(200, { access_token: `access-${issued}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `refresh-${issued}` }, request.url);
  };
  const observe = options.inspector?.recorder.observer;
  const http: HttpClient = !observe
    ? answer
    : async (request) => {
        const startedAt = clock.now;
        const response = await answer(request);
        observe({ request, response, startedAt, durationMs: 0 });
        return response;
      };
  const store = new MemoryStore({ now: () => clock.now, ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}) });
  const app: BrokerApp = {
    key: 'test-app-key-0123456789abcdef',
    name: 'test app',
    flow: options.flow ?? 'client',
    domains: (options.domains ?? [APP_ORIGIN]).map(parseDomainRule),
    refreshTokensToClient: false,
    codeTtlMs: 60_000,
    verifySecret: async (candidate) => secretsEqual(candidate, APP_SECRET),
  };
  const spec = options.provider?.spec ?? ACME;
  const keyset = { clientId: 'acme-client', ...(options.provider?.params ? { params: options.provider.params } : {}) };
  const provider = providerFor(spec, keyset, 'catalog', async () => 'acme-secret', http);
  const providers: ProviderRegistry = {
    get: async (id) => (id === spec.id ? provider : undefined),
    list: async () => [spec],
  };
  const deps: BrokerDeps = {
    apps: appRegistry([app]),
    providers,
    store,
    http,
    now: () => clock.now,
    publicOrigin: () => BROKER_ORIGIN,
    allowedHosts: () => new Set(['127.0.0.1:6284', 'localhost:6284']),
    ...(options.inspector ? { inspector: options.inspector } : {}),
  };
  const broker = await buildBroker(deps);
  return {
    ...broker,
    deps,
    store,
    requests,
    clock,
    app_: app,
    async close() {
      await broker.app.close();
      await store.close();
    },
  };
}

/** Starts a flow the way the SDK's popup does and returns the broker's provider state. */
export async function startPopupFlow(broker: TestBroker, opts: Record<string, unknown> = {}, origin = APP_ORIGIN): Promise<string> {
  const response = await broker.app.inject({
    method: 'GET',
    url: `/auth/acme?k=${broker.app_.key}&d=${encodeURIComponent(`${origin}/`)}&opts=${encodeURIComponent(JSON.stringify(opts))}`,
    headers: { host: '127.0.0.1:6284', referer: `${origin}/` },
  });
  if (response.statusCode !== 302) throw new Error(`flow did not start: ${response.statusCode} ${response.body}`);
  return new URL(response.headers.location as string).searchParams.get('state') as string;
}

export async function callback(broker: TestBroker, query: Record<string, string>) {
  return broker.app.inject({ method: 'GET', url: `/auth?${new URLSearchParams(query)}`, headers: { host: '127.0.0.1:6284' } });
}
