// The servers under load, in their own process (so the load generator does not share the event
// loop): a bare fastify redirect route (the baseline) and the broker (memory store), both on
// loopback. Prints "READY <barePort> <brokerPort> <appKey>" when listening. Run with --expose-gc.
// The bare server also answers the benchmark's control calls: /__stats and /__codes.
import { hash, randomFillSync } from 'node:crypto';
import Fastify from 'fastify';
import { buildBroker } from '../dist/broker/app.js';
import { providerFor } from '../dist/broker/registry.js';
import { authorizationUrl } from '../dist/oauth/oauth2.js';
import { appRegistry } from '../dist/broker/types.js';
import { parseDomainRule } from '../dist/config/domains.js';
import { secretsEqual } from '../dist/config/app-secret.js';
import { MemoryStore } from '../dist/store/memory.js';
import { CODE_KEY_PREFIX } from '../dist/broker/results.js';

const spec = {
  id: 'bench',
  name: 'Bench',
  docs: 'https://bench.example/docs',
  oauth2: {
    authorizeUrl: 'https://auth.bench.example/authorize',
    tokenUrl: 'https://auth.bench.example/token',
    clientAuth: 'client_secret_basic',
    pkce: 'supported',
    scopes: { separator: ' ', default: ['read'] },
  },
};

// The baseline: a bare fastify route giving the answer the broker gives, a 302 to an authorization
// URL of the same length, computed once. (On a 2-core machine the load generator shares the CPU
// with the server and pays for every byte it parses: a baseline with a much shorter answer would
// measure autocannon, not the broker.) The broker's answer still carries its security headers.
let baselineLocation = '';
const bare = Fastify();
bare.get('/auth/:provider', async (_request, reply) => reply.redirect(baselineLocation, 302));

// The floor: what any broker must do to start a flow, inline in a bare route with nothing else
// (two CSPRNG draws from a pool, a SHA-256 for PKCE, a stored record, the authorization URL, a
// 302), with the cheapest primitives Node has. The broker's overhead is the distance from this
// line, not from the bare redirect.
const floorStore = new Map();
const pool = Buffer.allocUnsafe(32 * 128);
let offset = pool.length;
const draw = () => {
  if (offset + 32 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 32;
  return pool.toString('base64url', offset - 32, offset);
};
bare.get('/floor/:provider', async (request, reply) => {
  const state = draw();
  const verifier = draw();
  const challenge = hash('sha256', verifier, 'base64url');
  floorStore.set(state, { json: JSON.stringify({ provider: request.params.provider, redirectUri: 'http://127.0.0.1/auth', verifier, startedAt: Date.now() }), expiresAt: Date.now() + 5_000 });
  if (floorStore.size > 100_000) floorStore.clear();
  const query = new URLSearchParams({ response_type: 'code', client_id: 'bench-client', redirect_uri: 'http://127.0.0.1/auth', scope: 'read', state, code_challenge: challenge, code_challenge_method: 'S256' });
  return reply.redirect(`https://auth.bench.example/authorize?${query}`, 302);
});
// Codes for an exchange round, as the server flow leaves them (one per request, the default 60 s
// to live), minted just before the round: the store holds one round's codes at a time, as a
// broker would, not every code of the whole run from the start.
bare.post('/__codes', async (request) => {
  const { from, count } = request.query;
  for (let i = Number(from); i < Number(from) + Number(count); i++) {
    await store.put(`${CODE_KEY_PREFIX}code-${i}`, { appKey: app.key, provider: 'bench', state: 's', token: { access_token: `a${i}`, token_type: 'Bearer', expires_in: 3600, extra: {} } }, 60_000);
  }
  return { minted: Number(count) };
});
bare.get('/__stats', async () => {
  globalThis.gc?.();
  return { ...process.memoryUsage(), cpu: process.cpuUsage(), entries: await store.size() };
});
await bare.listen({ host: '127.0.0.1', port: 0 });

// Abandoned flows expire after 5 s here (10 min by default): the run models a steady state, not
// an ever-growing pile of sign-ins nobody finishes; the cap bounds the store either way.
const store = new MemoryStore({ maxEntries: 250_000, sweepIntervalMs: 1000 });
const app = {
  key: 'bench-app-key-0123456789abcdef',
  name: 'bench',
  flow: 'server',
  domains: [parseDomainRule('http://localhost:3000')],
  refreshTokensToClient: false,
  codeTtlMs: 10 * 60_000,
  verifySecret: async (candidate) => secretsEqual(candidate, 'bench-secret'),
};
const http = async () => {
  throw new Error('the benchmark makes no provider calls');
};
const provider = providerFor(spec, { clientId: 'bench-client' }, 'catalog', async () => 'secret', http);
let port = 0;
let hosts = new Set();
const { app: broker } = await buildBroker({
  apps: appRegistry([app]),
  providers: { get: async (id) => (id === 'bench' ? provider : undefined), list: async () => [spec] },
  store,
  http,
  publicOrigin: () => `http://127.0.0.1:${port}`,
  flowTtlMs: 5_000,
  allowedHosts: () => hosts,
});
await broker.listen({ host: '127.0.0.1', port: 0 });
port = broker.server.address().port;
hosts = new Set([`127.0.0.1:${port}`]);
// A sample of the broker's authorization URL (its state, challenge and redirect URI have fixed lengths).
baselineLocation = authorizationUrl(provider.resolved.oauth2, {
  clientId: 'bench-client',
  redirectUri: `http://127.0.0.1:${port}/auth`,
  state: 's'.repeat(43),
  scopes: ['read'],
  pkce: { verifier: 'v'.repeat(43), challenge: 'c'.repeat(43), method: 'S256' },
});

process.on("SIGINT", () => process.exit(0));
console.log(`READY ${bare.server.address().port} ${port} ${app.key}`);
