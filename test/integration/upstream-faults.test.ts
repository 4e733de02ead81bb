// The broker facing hostile callers and failing providers (issue 9, §1 and §3), with the real HTTP
// client (fetchClient) and real loopback servers: one that counts every request it gets (to prove a
// refused target is never contacted), an HTTPS one with a self-signed certificate made here with
// openssl, one that never answers, one that answers bytes that are not HTTP, a closed port, and
// small APIs that refuse tokens or answer junk.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchClient } from '../../src/oauth/http.js';
import { findCatalogProvider } from '../../src/providers/catalog.js';
import { originFields } from '../../src/providers/token-origins.js';
import type { ProviderSpec } from '../../src/providers/schema.js';
import { APP_SECRET, testBroker, type TestBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir, type TempDir } from '../helpers/run-cli.js';

const HOST = { host: '127.0.0.1:6284' };
const KEY = 'test-app-key-0123456789abcdef';
const oauthio = (fields: Record<string, string>) => new URLSearchParams({ k: KEY, access_token: 'caller-token', ...fields }).toString();

/** What an answer may never carry: the HTTP or TLS library's own words, a stack, a 500's text. */
const LIBRARY_TEXT = /certificate|self[- ]signed|openssl|ssl|alert|wrong version|ECONN|EPROTO|HPE_|UND_ERR|fetch failed|other side closed|internal error|\n\s+at /i;

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

interface Listening {
  port: number;
  /** Requests (HTTP) or connections (raw TCP) received. */
  hits: number;
  close(): Promise<void>;
}

async function listen(server: Server | net.Server, counter: { hits: number }): Promise<Listening> {
  // Every socket, so close() ends the ones a silent or broken server leaves open.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    get hits() {
      return counter.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An internal service the broker must never be aimed at: it counts every request, and answers a secret. */
async function countingServer(): Promise<Listening> {
  const counter = { hits: 0 };
  const server = createHttpServer((_request, response) => {
    counter.hits += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"secret":"internal-only"}');
  });
  return listen(server, counter);
}

/** An HTTP API answering every request with `answer(path)`. */
async function apiServer(answer: (path: string) => { status: number; type?: string; body: string }): Promise<Listening> {
  const counter = { hits: 0 };
  const server = createHttpServer((request, response) => {
    counter.hits += 1;
    request.resume();
    request.on('end', () => {
      const { status, type, body } = answer(request.url ?? '/');
      response.writeHead(status, { 'content-type': type ?? 'application/json' });
      response.end(body);
    });
  });
  return listen(server, counter);
}

/** Accepts connections and never answers: the client's timeout must end the wait. */
async function silentServer(): Promise<Listening> {
  const counter = { hits: 0 };
  const server = net.createServer((socket) => {
    counter.hits += 1;
    socket.on('error', () => {});
  });
  return listen(server, counter);
}

/** Answers every connection with bytes that are not HTTP. */
async function garbageServer(): Promise<Listening> {
  const counter = { hits: 0 };
  const server = net.createServer((socket) => {
    counter.hits += 1;
    socket.on('error', () => {});
    socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2 not http at all\r\n\r\n'));
  });
  return listen(server, counter);
}

let certDir: TempDir;
let tls: { key: Buffer; cert: Buffer };

/** HTTPS with a certificate nobody trusts (self-signed, made by openssl for this run). */
async function selfSignedServer(): Promise<Listening> {
  const counter = { hits: 0 };
  const server = createHttpsServer(tls, (_request, response) => {
    counter.hits += 1;
    response.end('{"id":"never"}');
  });
  return listen(server, counter);
}

beforeAll(async () => {
  certDir = await makeTempDir();
  const key = path.join(certDir.path, 'key.pem');
  const cert = path.join(certDir.path, 'cert.pem');
  await promisify(execFile)('/usr/bin/openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ]);
  tls = { key: await readFile(key), cert: await readFile(cert) };
});
afterAll(async () => {
  await certDir?.cleanup();
});

/** A provider whose every endpoint is at `origin` (no token field decides anything here). */
function providerAt(origin: string): ProviderSpec {
  return {
    id: 'faulty',
    name: 'Faulty',
    docs: 'https://faulty.example/docs',
    oauth2: {
      authorizeUrl: `${origin}/authorize`,
      tokenUrl: `${origin}/token`,
      clientAuth: 'client_secret_post',
      pkce: 'supported',
      scopes: { separator: ' ', default: [] },
    },
    api: { baseUrl: `${origin}/api` },
    profile: { url: `${origin}/api/me`, map: { id: 'id' } },
  };
}

async function brokerFor(spec: ProviderSpec, options: { timeoutMs?: number; params?: Record<string, string> } = {}): Promise<TestBroker> {
  return testBroker({ provider: { spec, ...(options.params ? { params: options.params } : {}) }, http: fetchClient({ timeoutMs: options.timeoutMs ?? 5_000 }) });
}

const me = (b: TestBroker, provider: string, fields: Record<string, string> = {}) =>
  b.app.inject({ url: `/auth/${provider}/me`, headers: { ...HOST, oauthio: oauthio(fields) } });
const apiRequest = (b: TestBroker, provider: string, path: string, fields: Record<string, string> = {}) =>
  b.app.inject({ url: `/request/${provider}/${path}`, headers: { ...HOST, oauthio: oauthio(fields) } });
const refresh = (b: TestBroker, provider: string) =>
  b.app.inject({ method: 'POST', url: `/auth/refresh_token/${provider}`, headers: HOST, payload: { token: 'the-refresh-token', key: KEY, secret: APP_SECRET } });

function expectEnvelope(response: { statusCode: number; body: string; json(): any }, status: number): string {
  expect(response.statusCode, response.body).toBe(status);
  const body = response.json() as { status: string; message: string };
  expect(body.status).toBe('error');
  expect(body.message).toEqual(expect.any(String));
  expect(response.body).not.toMatch(LIBRARY_TEXT);
  return body.message;
}

describe('§1 SSRF through token fields: a target the provider file does not allow is never contacted', () => {
  let internal: Listening;
  beforeAll(async () => {
    internal = await countingServer();
  });
  afterAll(async () => {
    await internal.close();
  });

  it('Salesforce instance_url: /me and /request refuse loopback and every disguise of it, with 403', async () => {
    const salesforce = await findCatalogProvider('salesforce');
    broker = await brokerFor(salesforce!);
    const at = `127.0.0.1:${internal.port}`;
    const hostile = [
      `http://${at}/secret#`,
      `https://${at}`,
      `http://${at}`,
      `https://acme.my.salesforce.com@${at}`,
      `https://${at}#.my.salesforce.com`,
      `https://${at}/.my.salesforce.com`,
      `https://${at}?.salesforce.com`,
      `https://${at}\\.salesforce.com`,
      `https://localhost:${internal.port}`,
      `https://salesforce.com.127.0.0.1.nip.io:${internal.port}`,
      `https://acme.my.salesforce.com:${internal.port}`,
    ];
    for (const instance of hostile) {
      const profile = await me(broker, 'salesforce', { instance_url: instance });
      expect(expectEnvelope(profile, 403), instance).toContain('refusing to send a Salesforce token');
      const api = await apiRequest(broker, 'salesforce', encodeURIComponent('/services/data'), { instance_url: instance });
      expect(expectEnvelope(api, 403), instance).toContain('{token.instance_url}');
      expect(api.body).not.toContain('internal-only');
    }
    expect(internal.hits).toBe(0);
    expect(broker.requests).toHaveLength(0);
  });

  it('Wrike host (a token field inside the host): refused the same way', async () => {
    const wrike = await findCatalogProvider('wrike');
    broker = await brokerFor(wrike!);
    for (const host of [`127.0.0.1:${internal.port}`, '127.0.0.1', 'localhost', 'www.wrike.com.evil.example', `www.wrike.com@127.0.0.1:${internal.port}`]) {
      expectEnvelope(await me(broker, 'wrike', { host }), 403);
      expectEnvelope(await apiRequest(broker, 'wrike', 'contacts', { host }), 403);
    }
    expect(internal.hits).toBe(0);
    expect(broker.requests).toHaveLength(0);
  });

  it('every catalog provider whose API origin comes from the token refuses a loopback value', async () => {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['zoho', 'api_domain', {}],
      ['pipedrive', 'api_domain', {}],
      ['adobe_sign', 'api_access_point', { shard: 'na1' }],
      ['bitrix24', 'client_endpoint', { portal: 'acme.bitrix24.com' }],
      ['gong', 'api_base_url_for_customer', {}],
    ];
    for (const [id, field, params] of cases) {
      const spec = await findCatalogProvider(id);
      const b = await brokerFor(spec!, { params });
      try {
        expectEnvelope(await apiRequest(b, id, 'x', { [field]: `https://127.0.0.1:${internal.port}` }), 403);
        // Zoho's profile is on its accounts server, which no token field decides.
        if (spec!.profile && originFields(spec!.profile.url).length > 0) {
          expectEnvelope(await me(b, id, { [field]: `http://127.0.0.1:${internal.port}/` }), 403);
        }
        expect(b.requests, id).toHaveLength(0);
      } finally {
        await b.close();
      }
    }
    expect(internal.hits).toBe(0);
  });
});

describe('§3 a failing provider: 502 (504 when too slow) with the envelope, never 500, never the library\'s words', () => {
  const servers: Listening[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });
  async function keep(server: Promise<Listening>): Promise<Listening> {
    const started = await server;
    servers.push(started);
    return started;
  }

  const faults: Array<[string, () => Promise<{ origin: string; timeoutMs?: number }>, number]> = [
    ['a self-signed TLS certificate', async () => ({ origin: `https://127.0.0.1:${(await keep(selfSignedServer())).port}` }), 502],
    ['a refused connection', async () => ({ origin: `http://127.0.0.1:${await freePort()}` }), 502],
    ['an answer that is not HTTP', async () => ({ origin: `http://127.0.0.1:${(await keep(garbageServer())).port}` }), 502],
    ['plain HTTP where TLS was expected', async () => ({ origin: `https://127.0.0.1:${(await keep(apiServer(() => ({ status: 200, body: '{}' })))).port}` }), 502],
    ['no answer within the timeout', async () => ({ origin: `http://127.0.0.1:${(await keep(silentServer())).port}`, timeoutMs: 400 }), 504],
  ];

  for (const [name, start, status] of faults) {
    it(`${name}: /me, /request and /auth/refresh_token answer ${status}`, async () => {
      const { origin, timeoutMs } = await start();
      broker = await brokerFor(providerAt(origin), timeoutMs !== undefined ? { timeoutMs } : {});
      expect(expectEnvelope(await me(broker, 'faulty'), status)).toMatch(/^the Faulty profile endpoint /);
      expect(expectEnvelope(await apiRequest(broker, 'faulty', encodeURIComponent('/things')), status)).toMatch(/^the Faulty API /);
      expect(expectEnvelope(await refresh(broker, 'faulty'), status)).toMatch(/^the Faulty token endpoint /);
      // The broker did try: these are upstream faults, not refusals.
      expect(broker.requests.map((request) => new URL(request.url).pathname)).toEqual(['/api/me', '/api/things', '/token']);
    });
  }

  it('a TLS failure says so in the broker\'s words only', async () => {
    const server = await keep(selfSignedServer());
    broker = await brokerFor(providerAt(`https://127.0.0.1:${server.port}`));
    expect(expectEnvelope(await me(broker, 'faulty'), 502)).toBe('the Faulty profile endpoint could not be reached (TLS handshake failed)');
    expect(server.hits).toBe(0);
  });

  it('a profile or token endpoint answering junk: 502; a refresh token the provider refuses: 400', async () => {
    const api = await keep(
      apiServer((url) => {
        if (url === '/api/me') return { status: 200, type: 'text/html', body: '<html><title>Maintenance</title></html>' };
        return { status: 200, type: 'text/html', body: '<html><title>Maintenance</title></html>' };
      }),
    );
    broker = await brokerFor(providerAt(`http://127.0.0.1:${api.port}`));
    expectEnvelope(await me(broker, 'faulty'), 502);
    expectEnvelope(await refresh(broker, 'faulty'), 502);
    await broker.close();

    const failing = await keep(apiServer(() => ({ status: 503, body: '{"error":"temporarily_unavailable"}' })));
    broker = await brokerFor(providerAt(`http://127.0.0.1:${failing.port}`));
    expectEnvelope(await refresh(broker, 'faulty'), 502);
    expectEnvelope(await me(broker, 'faulty'), 502);
    await broker.close();

    const refusing = await keep(apiServer(() => ({ status: 400, body: '{"error":"invalid_grant","error_description":"expired refresh token"}' })));
    broker = await brokerFor(providerAt(`http://127.0.0.1:${refusing.port}`));
    expect(expectEnvelope(await refresh(broker, 'faulty'), 400)).toContain('invalid_grant');
  });
});

describe('§3 an OAuth 1.0a start whose provider does not answer', () => {
  it('answers 502 to the page that started it (its popup gets the error), never 500, never the library\'s words', async () => {
    const origin = `http://127.0.0.1:${await freePort()}`;
    const spec: ProviderSpec = {
      id: 'faulty1',
      name: 'Faulty One',
      docs: 'https://faulty.example/docs',
      oauth1: { requestTokenUrl: `${origin}/request_token`, authorizeUrl: `${origin}/authorize`, accessTokenUrl: `${origin}/access_token`, signatureMethod: 'HMAC-SHA1' },
    };
    broker = await brokerFor(spec);
    const started = await broker.app.inject({ url: `/auth/faulty1?k=${KEY}`, headers: { ...HOST, origin: 'http://localhost:3000' } });
    expect(started.statusCode, started.body).toBe(502);
    expect(started.body).toContain('the temporary-credentials request failed');
    expect(started.body).toContain('connection refused');
    expect(started.body).not.toMatch(LIBRARY_TEXT);
  });
});

describe('§3 a token the provider refuses is the caller\'s: its 401/403 is passed on', () => {
  let api: Listening;
  beforeAll(async () => {
    api = await apiServer((url) =>
      url.endsWith('/forbidden') || url.includes('scope=missing')
        ? { status: 403, body: '{"error":"insufficient_scope"}' }
        : { status: 401, body: '{"error":"invalid_token","error_description":"The access token expired"}' },
    );
  });
  afterAll(async () => {
    await api.close();
  });

  it('/me: 401 and 403 with the envelope, the provider\'s reason in one line', async () => {
    broker = await brokerFor(providerAt(`http://127.0.0.1:${api.port}`));
    expect(expectEnvelope(await me(broker, 'faulty'), 401)).toBe('the profile endpoint of Faulty refused: invalid_token — The access token expired [HTTP 401 Unauthorized]');
    await broker.close();
    const spec = providerAt(`http://127.0.0.1:${api.port}`);
    broker = await brokerFor({ ...spec, profile: { ...spec.profile!, url: `http://127.0.0.1:${api.port}/api/forbidden` } });
    expect(expectEnvelope(await me(broker, 'faulty'), 403)).toContain('insufficient_scope');
  });

  it('/request: the API\'s own 401 and 403 reach the caller as they came', async () => {
    broker = await brokerFor(providerAt(`http://127.0.0.1:${api.port}`));
    const expired = await apiRequest(broker, 'faulty', encodeURIComponent('/things'));
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({ error: 'invalid_token', error_description: 'The access token expired' });
    expect((await apiRequest(broker, 'faulty', encodeURIComponent('/forbidden'))).statusCode).toBe(403);
  });
});
