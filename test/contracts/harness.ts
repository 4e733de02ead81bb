// A broker built in-process around ONE real catalog entry (providers/<id>.json, read with
// findCatalogProvider) and a FakeNet of fake providers, driven with app.inject() the way oauthd's
// SDK drives it: a popup started from a whitelisted page, the provider's redirect back to /auth,
// then /auth/:provider/me and /request/:provider/* with the oauthio header.
import { afterEach, expect, vi } from 'vitest';
import { buildBroker, type Broker } from '../../src/broker/app.js';
import type { Completion } from '../../src/broker/flows.js';
import type { FlowOutcome } from '../../src/oauth/outcome.js';
import { providerFor } from '../../src/registry/registry.js';
import type { OauthdResult } from '../../src/broker/results.js';
import { appRegistry, type BrokerApp, type BrokerDeps } from '../../src/broker/types.js';
import type { BrokerProvider } from '../../src/registry/types.js';
import type { Keyset } from '../../src/config/schema.js';
import { parseDomainRule } from '../../src/config/domains.js';
import type { HttpClient } from '../../src/oauth/http.js';
import { findCatalogProvider } from '../../src/providers/catalog.js';
import type { ProviderSpec } from '../../src/providers/schema.js';
import { MemoryStore } from '../../src/store/memory.js';

export const BROKER_ORIGIN = 'http://127.0.0.1:6284';
export const APP_ORIGIN = 'http://localhost:3000';
export const APP_KEY = 'contract-app-key-0123456789abcdef';
export const APP_SECRET = 'contract-app-secret';
const HOST = { host: '127.0.0.1:6284' };

export interface ContractBrokerOptions {
  /** The keyset as oauthd.json would hold it (client id, scopes, template params). */
  keyset: Keyset;
  /** The resolved client secret; undefined for a public client. */
  clientSecret: string | undefined;
  http: HttpClient;
  refreshTokensToClient?: boolean;
  /** The catalog entry as an app's own copy holds it (its origins pointed at a look-alike); default: the entry itself. */
  spec?: ProviderSpec;
}

export interface Callback {
  status: number;
  body: string;
  /** The oauthd result the popup page posts to the opener (undefined on a plain error page). */
  result: OauthdResult | undefined;
  /** What FlowEngine.complete decided (deviations, raw response, id_token checks). */
  outcome: FlowOutcome | undefined;
}

export interface ContractBroker extends Broker {
  spec: ProviderSpec;
  provider: BrokerProvider;
  /** Starts a popup flow from the app's page; returns the provider's authorization URL. */
  start(opts?: Record<string, unknown>): Promise<URL>;
  /** Starts a flow and returns the broker's answer as is (for flows that fail to start). */
  startRaw(opts?: Record<string, unknown>): Promise<{ status: number; body: string; location: string | undefined }>;
  /** The provider's redirect back to the broker's /auth. */
  callback(params: Record<string, string>): Promise<Callback>;
  /** GET /auth/:provider/me with the oauthio header fields (k is added). */
  me(fields: Record<string, string>): Promise<{ status: number; json: { status: string; data?: Record<string, unknown>; message?: string } }>;
  /** /request/:provider/<path> with the oauthio header fields (k is added). */
  request(path: string, fields: Record<string, string>, init?: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; payload?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }>;
  /** POST /auth/refresh_token/:provider, as an app's back end calls it. */
  refresh(refreshToken: string): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Moves the store's clock forward: what it keeps for a while (a refresh's answer, a code) ages. */
  later(ms: number): void;
  close(): Promise<void>;
}

/**
 * contractBroker for a test file: call it at the file's top level; every broker it opens is
 * closed after each test.
 */
export function contractBrokers(): (id: string, options: ContractBrokerOptions) => Promise<ContractBroker> {
  const open: ContractBroker[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
  });
  return async (id, options) => {
    const broker = await contractBroker(id, options);
    open.push(broker);
    return broker;
  };
}

export async function contractBroker(id: string, options: ContractBrokerOptions): Promise<ContractBroker> {
  const spec = options.spec ?? (await findCatalogProvider(id));
  if (!spec) throw new Error(`providers/${id}.json is not in the catalog`);
  const provider = providerFor(spec, options.keyset, 'catalog', async () => options.clientSecret, options.http);
  let skewMs = 0;
  const store = new MemoryStore({ now: () => Date.now() + skewMs });
  const app: BrokerApp = {
    key: APP_KEY,
    name: 'contract app',
    flow: 'client',
    domains: [parseDomainRule(APP_ORIGIN)],
    refreshTokensToClient: options.refreshTokensToClient ?? false,
    codeTtlMs: 60_000,
    verifySecret: async (candidate) => candidate === APP_SECRET,
  };
  const deps: BrokerDeps = {
    apps: appRegistry([app]),
    providers: { get: async (wanted) => (wanted === id ? provider : undefined), list: async () => [spec] },
    store,
    http: options.http,
    publicOrigin: () => BROKER_ORIGIN,
    allowedHosts: () => new Set([HOST.host]),
  };
  const broker = await buildBroker(deps);
  const complete = vi.spyOn(broker.flows, 'complete');
  const oauthio = (fields: Record<string, string>) => new URLSearchParams({ k: APP_KEY, ...fields }).toString();

  const startRaw = async (opts: Record<string, unknown> = {}) => {
    const response = await broker.app.inject({
      method: 'GET',
      url: `/auth/${id}?k=${APP_KEY}&opts=${encodeURIComponent(JSON.stringify(opts))}`,
      headers: { ...HOST, referer: `${APP_ORIGIN}/login` },
    });
    return { status: response.statusCode, body: response.body, location: response.headers.location as string | undefined };
  };

  return {
    ...broker,
    spec,
    provider,
    startRaw,
    async start(opts = {}) {
      const response = await startRaw(opts);
      if (response.status !== 302 || response.location === undefined) {
        throw new Error(`the flow did not start: HTTP ${response.status} ${popupResult(response.body)?.message ?? pageText(response.body)}`);
      }
      return new URL(response.location);
    },
    async callback(params) {
      const calls = complete.mock.results.length;
      const response = await broker.app.inject({ method: 'GET', url: `/auth?${new URLSearchParams(params)}`, headers: HOST });
      const settled = complete.mock.results[calls];
      const completion = settled?.type === 'return' ? await (settled.value as Promise<Completion>) : undefined;
      return { status: response.statusCode, body: response.body, result: popupResult(response.body), outcome: completion?.outcome };
    },
    async me(fields) {
      const response = await broker.app.inject({ method: 'GET', url: `/auth/${id}/me`, headers: { ...HOST, origin: APP_ORIGIN, oauthio: oauthio(fields) } });
      return { status: response.statusCode, json: response.json() };
    },
    async request(path, fields, init = {}) {
      const response = await broker.app.inject({
        method: init.method ?? 'GET',
        url: `/request/${id}/${path}`,
        headers: { ...HOST, origin: APP_ORIGIN, oauthio: oauthio(fields), ...init.headers },
        ...(init.payload !== undefined ? { payload: init.payload } : {}),
      });
      return { status: response.statusCode, body: response.body };
    },
    async refresh(refreshToken) {
      const response = await broker.app.inject({ method: 'POST', url: `/auth/refresh_token/${id}`, headers: HOST, payload: { token: refreshToken, key: APP_KEY, secret: APP_SECRET } });
      return { status: response.statusCode, json: response.json() };
    },
    later(ms) {
      skewMs += ms;
    },
    async close() {
      complete.mockRestore();
      await broker.app.close();
      await store.close();
    },
  };
}

/** The result object a popup page posts to its opener (oauthd's protocol). */
export function popupResult(body: string): OauthdResult | undefined {
  const literal = /var message=("(?:[^"\\]|\\.)*")/.exec(body)?.[1];
  return literal === undefined ? undefined : (JSON.parse(JSON.parse(literal) as string) as OauthdResult);
}

/** The visible text of an error page's message. */
export function pageText(body: string): string {
  return /<p class="error">([^<]*)<\/p>/.exec(body)?.[1] ?? body.slice(0, 200);
}

/** A failed outcome's message: one line, no stack, and it is what the page delivered. */
export function expectOneLineFailure(callback: Callback): string {
  expect(callback.outcome?.ok, 'the flow should have failed').toBe(false);
  const message = callback.outcome && !callback.outcome.ok ? callback.outcome.error.message : '';
  expectOneLine(message);
  expect(callback.result?.status).toBe('error');
  expect(callback.result?.message).toBe(message);
  expect(callback.body).not.toMatch(/\bat \S+ \(?(file:|node:|\/)/);
  return message;
}

export function expectOneLine(message: string | undefined): void {
  expect(message).toBeTruthy();
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).not.toMatch(/\bat \S+ \(?(file:|node:|\/)/);
  expect(message!.length).toBeLessThan(600);
}

/** The deviation codes of a successful outcome. */
export function deviationCodes(callback: Callback): string[] {
  return callback.outcome?.ok ? callback.outcome.deviations.map((d) => d.code) : [];
}

/** The successful outcome, or a test failure naming why it is not one. */
export function success(callback: Callback) {
  const outcome = callback.outcome;
  if (!outcome?.ok) throw new Error(`the flow failed: ${outcome ? outcome.error.message : `no outcome (HTTP ${callback.status})`}`);
  expect(callback.result?.status).toBe('success');
  return outcome;
}
