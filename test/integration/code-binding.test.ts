// Issue 9 §4 "Keys of other apps": a server-flow code is bound to the app it was issued to, and the
// binding is checked before the code is taken. A back end presenting another app's valid key and
// secret used to take (and so burn) a good code; now it finds nothing and the code stays good for
// its own app — single use still atomic. On both stores: memory, and a real redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBroker, type Broker } from '../../src/broker/app.js';
import { providerFor } from '../../src/registry/registry.js';
import { appRegistry, type BrokerApp } from '../../src/broker/types.js';
import type { ProviderRegistry } from '../../src/registry/types.js';
import { parseDomainRule } from '../../src/config/domains.js';
import { secretsEqual } from '../../src/config/app-secret.js';
import type { HttpClient } from '../../src/oauth/http.js';
import { openStore } from '../../src/store/open.js';
import type { FlowStore } from '../../src/store/store.js';
import { ACME, APP_ORIGIN, jsonResponse } from '../helpers/broker.js';
import { hasRedis, requireComponent } from '../helpers/components.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const HOST = '127.0.0.1:6284';
const redisAvailable = requireComponent('redis', hasRedis());

function serverApp(name: string, key: string, secret: string): BrokerApp & { secret: string } {
  return {
    key,
    name,
    secret,
    flow: 'server',
    domains: [parseDomainRule(APP_ORIGIN)],
    refreshTokensToClient: false,
    codeTtlMs: 60_000,
    verifySecret: async (candidate) => secretsEqual(candidate, secret),
  };
}

const APP_A = serverApp('app A', 'app-a-key-0123456789abcdef', 'secret-of-app-a');
const APP_B = serverApp('app B', 'app-b-key-0123456789abcdef', 'secret-of-app-b');

async function brokerOn(store: FlowStore): Promise<Broker> {
  let issued = 0;
  const http: HttpClient = async (request) => {
    issued += 1;
    return jsonResponse(200, { access_token: `access-${issued}`, token_type: 'Bearer', expires_in: 3600 }, request.url);
  };
  const acme = providerFor(ACME, { clientId: 'acme-client' }, 'catalog', async () => 'acme-secret', http);
  const providers: ProviderRegistry = { get: async (id) => (id === 'acme' ? acme : undefined), list: async () => [ACME] };
  return buildBroker({
    apps: appRegistry([APP_A, APP_B]),
    providers,
    store,
    http,
    publicOrigin: () => `http://${HOST}`,
    allowedHosts: () => new Set([HOST]),
  });
}

/** A server flow of `app` through the popup, to the code the page receives. */
async function codeFor(broker: Broker, app: BrokerApp, state: string): Promise<string> {
  const start = await broker.app.inject({
    url: `/auth/acme?k=${app.key}&opts=${encodeURIComponent(JSON.stringify({ state }))}`,
    headers: { host: HOST, origin: APP_ORIGIN },
  });
  expect(start.statusCode, start.body).toBe(302);
  const providerState = new URL(start.headers.location as string).searchParams.get('state') as string;
  const callback = await broker.app.inject({ url: `/auth?${new URLSearchParams({ state: providerState, code: 'provider-code' })}`, headers: { host: HOST } });
  const message = /var message=("(?:[^"\\]|\\.)*")/.exec(callback.body)?.[1] as string;
  const result = JSON.parse(JSON.parse(message) as string) as { status: string; data: { code: string } };
  expect(result.status).toBe('success');
  return result.data.code;
}

const exchange = (broker: Broker, code: string, app: { key: string; secret: string }) =>
  broker.app.inject({
    method: 'POST',
    url: '/auth/access_token',
    headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ code, key: app.key, secret: app.secret }).toString(),
  });

function binding(name: string, open: () => Promise<FlowStore>) {
  describe(name, () => {
    it("another app's key and secret find nothing, and the code still trades once for its own app", async () => {
      const store = await open();
      const broker = await brokerOn(store);
      try {
        const code = await codeFor(broker, APP_A, 'state-of-a');
        const stolen = await exchange(broker, code, APP_B);
        expect(stolen.statusCode).toBe(400);
        expect(stolen.json()).toEqual({ status: 'error', message: 'invalid or expired code (codes are single-use and live a short time)' });

        const own = await exchange(broker, code, APP_A);
        expect(own.statusCode, own.body).toBe(200);
        expect(own.json()).toMatchObject({ access_token: expect.stringMatching(/^access-/), state: 'state-of-a', provider: 'acme' });
        expect((await exchange(broker, code, APP_A)).statusCode).toBe(400);
      } finally {
        await broker.app.close();
        await store.close();
      }
    });

    it('20 concurrent exchanges, half with the other app: exactly one success, for the right app', async () => {
      const store = await open();
      const broker = await brokerOn(store);
      try {
        const code = await codeFor(broker, APP_B, 'state-of-b');
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(broker, code, i % 2 === 0 ? APP_A : APP_B).then((a) => ({ i, status: a.statusCode }))));
        const wins = answers.filter((a) => a.status === 200);
        expect(wins).toHaveLength(1);
        expect((wins[0] as { i: number }).i % 2).toBe(1);
        expect(answers.filter((a) => a.status === 400)).toHaveLength(19);
      } finally {
        await broker.app.close();
        await store.close();
      }
    });
  });
}

const noVault = () => Promise.reject(new Error('no vault in this test'));

binding('memory store', () => openStore({ type: 'memory' }, {}, noVault));

describe.skipIf(!redisAvailable)('Redis store', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  binding('real redis-server', () => openStore({ type: 'redis', url: redis.url, prefix: `binding-${process.pid}:` }, {}, noVault));
});
