// The broker's security promises, one test each (issue: "The broker: both flows from the seed...
// with every security promise kept"), on a broker built in-process and driven with app.inject().
import type { InjectOptions } from 'fastify';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ORIGIN, APP_SECRET, callback, jsonResponse, startPopupFlow, testBroker, type TestBroker } from '../helpers/broker.js';
import { codeKey } from '../../src/broker/results.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const HOST = { host: '127.0.0.1:6284' };

/** One GET over a plain socket, the path exactly as given (no client normalizes it). */
async function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const socket = connect(port, '127.0.0.1');
  const head = Object.entries({ ...headers, connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`GET ${path} HTTP/1.1\r\n${head}\r\n`);
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await new Promise((resolve, reject) => socket.once('end', resolve).once('error', reject));
  // Fastify answers JSON with a Content-Length (no chunks): the body is all after the head.
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(text.split(' ')[1]), body: text.slice(split + 4) };
}

/** The nonce in a page's CSP header, and every nonce attribute in its body. */
function nonces(response: { headers: Record<string, unknown>; body: string }) {
  const csp = String(response.headers['content-security-policy']);
  const scriptNonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  const inBody = [...response.body.matchAll(/<script nonce="([^"]+)"/g)].map((m) => m[1]);
  return { csp, scriptNonce, inBody };
}

function expectHardenedHtml(response: { headers: Record<string, unknown>; body: string }) {
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['cache-control']).toBe('no-store');
  const { csp, scriptNonce, inBody } = nonces(response);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'none'");
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  // Every inline script carries this response's nonce, and nothing else runs.
  for (const nonce of inBody) expect(nonce).toBe(scriptNonce);
}

describe('flows', () => {
  it('the client flow delivers the tokens to the exact caller origin, with the SDK state, and keeps nothing', async () => {
    broker = await testBroker();
    const state = await startPopupFlow(broker, { state: 'sdk-state', state_type: 'client' });
    // Sealed: base64url, far more than 128 bits, and starting the flow stored nothing.
    expect(state).toMatch(/^[A-Za-z0-9_-]{100,400}$/);
    expect(await broker.store.size()).toBe(0);
    const response = await callback(broker, { state, code: 'provider-code' });
    expect(response.statusCode).toBe(200);
    expectHardenedHtml(response);
    expect(response.body).toContain(`var origin="${APP_ORIGIN}"`);
    expect(response.body).not.toContain('"*"');
    expect(response.body).toContain('\\"state\\":\\"sdk-state\\"');
    expect(response.body).toContain('\\"access_token\\":\\"access-1\\"');
    // No refresh token for the page unless the app opted in (oauthd #109).
    expect(response.body).not.toContain('refresh-1');
    // The token request carried PKCE and the exact redirect_uri of the authorization request.
    const tokenRequest = new URLSearchParams(broker.requests[0]?.body);
    expect(tokenRequest.get('redirect_uri')).toBe('http://127.0.0.1:6284/auth');
    expect(tokenRequest.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(broker.requests[0]?.headers.authorization).toMatch(/^Basic /);
    // Nothing stays behind once the page has its tokens but the marker that keeps the state
    // single-use (a key and no value, far smaller than any token).
    expect(await broker.store.size()).toBe(1);
    expect(broker.store.usedBytes()).toBeLessThan(160);
    expect((await callback(broker, { state, code: 'provider-code' })).body).toContain('already answered');
  });

  it('the server flow needs a state from the back end', async () => {
    broker = await testBroker({ flow: 'server' });
    const withoutState = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}&d=${encodeURIComponent(APP_ORIGIN)}`, headers: { ...HOST, origin: APP_ORIGIN } });
    expect(withoutState.statusCode).toBe(400);
    expect(withoutState.body).toContain('the server-side flow needs a state from your back end');
    const clientState = await broker.app.inject({
      url: `/auth/acme?k=${broker.app_.key}&opts=${encodeURIComponent(JSON.stringify({ state: 'x', state_type: 'client' }))}`,
      headers: { ...HOST, origin: APP_ORIGIN },
    });
    expect(clientState.statusCode).toBe(400);
  });

  it('a state the broker did not issue is refused before any exchange', async () => {
    broker = await testBroker();
    const response = await callback(broker, { state: 'forged', code: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('state mismatch');
    expect(broker.requests).toHaveLength(0);
    expectHardenedHtml(response);
  });

  it('a callback state works once: the replay is a state mismatch', async () => {
    broker = await testBroker();
    const state = await startPopupFlow(broker);
    expect((await callback(broker, { state, code: 'c' })).statusCode).toBe(200);
    const replay = await callback(broker, { state, code: 'c' });
    expect(replay.body).toContain('state mismatch');
    expect(broker.requests).toHaveLength(1);
  });
});

describe('server-flow codes', () => {
  async function serverCode(b: TestBroker): Promise<string> {
    const state = await startPopupFlow(b, { state: 'backend-state' });
    const response = await callback(b, { state, code: 'provider-code' });
    const message = /var message=("(?:[^"\\]|\\.)*")/.exec(response.body)?.[1] as string;
    const result = JSON.parse(JSON.parse(message) as string) as { data: { code: string; access_token?: string } };
    expect(result.data.access_token).toBeUndefined();
    return result.data.code;
  }

  it('is distinct from the provider state, random, and trades once for the tokens plus the state', async () => {
    broker = await testBroker({ flow: 'server' });
    const code = await serverCode(broker);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const exchange = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code, key: broker.app_.key, secret: APP_SECRET } });
    expect(exchange.statusCode).toBe(200);
    expect(exchange.json()).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1', state: 'backend-state', provider: 'acme' });
    // RFC 6749 §5.1: a response with tokens is neither stored nor cached.
    expect(exchange.headers['cache-control']).toBe('no-store');
    expect(exchange.headers.pragma).toBe('no-cache');
    const again = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code, key: broker.app_.key, secret: APP_SECRET } });
    expect(again.statusCode).toBe(400);
  });

  it('20 concurrent exchanges of one code: exactly one succeeds', async () => {
    broker = await testBroker({ flow: 'server' });
    const code = await serverCode(broker);
    const b = broker;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        b.app.inject({ method: 'POST', url: '/auth/access_token', headers: { ...HOST, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ code, key: b.app_.key, secret: APP_SECRET }).toString() }),
      ),
    );
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 400)).toHaveLength(19);
  });

  it('expires after 60 s (fake clock)', async () => {
    broker = await testBroker({ flow: 'server' });
    const code = await serverCode(broker);
    broker.clock.now += 61_000;
    const late = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code, key: broker.app_.key, secret: APP_SECRET } });
    expect(late.statusCode).toBe(400);
    expect(late.json()).toEqual({ status: 'error', message: 'invalid or expired code (codes are single-use and live a short time)' });
  });

  it('is bound to the app and its secret', async () => {
    broker = await testBroker({ flow: 'server' });
    const code = await serverCode(broker);
    const wrongSecret = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code, key: broker.app_.key, secret: 'guess' } });
    expect(wrongSecret.statusCode).toBe(401);
    // A wrong secret does not burn the code.
    expect(await broker.store.peek(codeKey(broker.app_.key, code))).toBeDefined();
    const wrongKey = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code, key: 'other-app', secret: APP_SECRET } });
    expect(wrongKey.statusCode).toBe(401);
  });
});

describe('origins and domains', () => {
  it('refuses a caller outside the whitelist, naming what it saw and what the whitelist holds', async () => {
    broker = await testBroker();
    const response = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}`, headers: { ...HOST, referer: 'http://localhost.evil.example:3000/app' } });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('http://localhost.evil.example:3000/app (from Referer) is not allowed');
    expect(response.body).toContain(APP_ORIGIN);
    expectHardenedHtml(response);
  });

  it('no wildcard unless written: a subdomain is refused by a host entry', async () => {
    broker = await testBroker({ domains: ['example.com'] });
    const sub = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}`, headers: { ...HOST, origin: 'https://app.example.com' } });
    expect(sub.statusCode).toBe(403);
    await broker.close();
    broker = await testBroker({ domains: ['*.example.com'] });
    const allowed = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}`, headers: { ...HOST, origin: 'https://app.example.com' } });
    expect(allowed.statusCode).toBe(302);
  });

  it('redirect_uri must match the whitelist too, path level included', async () => {
    broker = await testBroker({ domains: ['http://localhost:3000/cb'] });
    const other = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}&redirect_uri=${encodeURIComponent('http://localhost:3000/other')}`, headers: HOST });
    expect(other.statusCode).toBe(403);
    const exact = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}&redirect_uri=${encodeURIComponent('http://localhost:3000/cb')}`, headers: HOST });
    expect(exact.statusCode).toBe(302);
    const script = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}&redirect_uri=${encodeURIComponent('javascript:alert(1)//localhost:3000/cb')}`, headers: HOST });
    expect(script.statusCode).toBe(403);
  });

  it('answers only its own Host (DNS rebinding)', async () => {
    broker = await testBroker();
    const rebound = await broker.app.inject({ url: '/api/providers', headers: { host: 'evil.example:6284' } });
    expect(rebound.statusCode).toBe(421);
    const own = await broker.app.inject({ url: '/api/providers', headers: HOST });
    expect(own.statusCode).toBe(200);
  });

  it('CORS answers only whitelisted origins, never a reflected or wildcard origin', async () => {
    broker = await testBroker();
    const preflight = (origin: string) =>
      broker!.app.inject({ method: 'OPTIONS', url: '/request/acme/%2Fme', headers: { ...HOST, origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'oauthio' } });
    expect((await preflight(APP_ORIGIN)).headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    const evil = await preflight('https://evil.example');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('opts.authorize', () => {
  it('reaches the provider as extra parameters, but may not replace one the flow is checked against', async () => {
    broker = await testBroker();
    const start = (authorize: Record<string, string>) =>
      broker!.app.inject({
        url: `/auth/acme?k=${broker!.app_.key}&opts=${encodeURIComponent(JSON.stringify({ state: 'sdk', state_type: 'client', authorize }))}`,
        headers: { ...HOST, origin: APP_ORIGIN },
      });
    const allowed = await start({ prompt: 'consent' });
    expect(allowed.statusCode).toBe(302);
    expect(new URL(allowed.headers.location as string).searchParams.get('prompt')).toBe('consent');

    const refused = await start({ prompt: 'consent', state: 'attacker-known', redirect_uri: 'https://evil.example/cb' });
    expect(refused.statusCode).toBe(400);
    expectHardenedHtml(refused);
    expect(refused.body).toContain('opts.authorize cannot set state, redirect_uri: the broker sets them');
    // Names compare case-insensitively and trimmed: a server that folds case or trims would read these as the real ones.
    const disguised = await start({ STATE: 'attacker-known', Redirect_URI: 'https://evil.example/cb', 'response_type ': 'token' });
    expect(disguised.statusCode).toBe(400);
    expect(disguised.body).toContain('opts.authorize cannot set STATE, Redirect_URI, response_type');
  });
});

describe('XSS: every reflected value is encoded', () => {
  const payload = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

  it('the SDK state in the popup result page cannot close the script', async () => {
    broker = await testBroker();
    const state = await startPopupFlow(broker, { state: payload });
    const response = await callback(broker, { state, code: 'c' });
    expect(response.statusCode).toBe(200);
    const script = /<script nonce="[^"]+">([\s\S]*?)<\/script>/.exec(response.body)?.[1] as string;
    expect(script).not.toContain('</script');
    expect(script).not.toContain('<img');
    expect(response.body.match(/<script/g)).toHaveLength(1);
  });

  it('the provider error text in an error page', async () => {
    broker = await testBroker();
    const response = await callback(broker, { state: 'unknown', error: 'access_denied', error_description: payload });
    expect(response.body).not.toContain('<img src=x');
    expect(response.body).not.toContain('<script>alert');
  });

  it('the d parameter and Referer in the refusal page', async () => {
    broker = await testBroker();
    const response = await broker.app.inject({ url: `/auth/acme?k=${broker.app_.key}&d=${encodeURIComponent(`http://x.example/"><script>alert(1)</script>`)}`, headers: HOST });
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('<script>alert');
    expect(response.body.match(/<script/g) ?? []).toHaveLength(0);
  });

  it('the provider id in the path is held to its pattern', async () => {
    broker = await testBroker();
    const response = await broker.app.inject({ url: `/auth/${encodeURIComponent('<svg onload=alert(1)>')}?k=${broker.app_.key}`, headers: HOST });
    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('<svg');
  });
});

describe('the /request proxy goes only to the provider\'s API origin (no SSRF)', () => {
  const oauthio = (token = 't0ken') => `k=test-app-key-0123456789abcdef&access_token=${token}`;
  for (const target of ['https://evil.example/steal', '//evil.example/steal', 'https://api.acme.example@evil.example/', 'http://api.acme.example/v1/me', 'https://api.acme.example:8443/v1', 'http://169.254.169.254/latest/meta-data']) {
    it(`refuses ${target}`, async () => {
      broker = await testBroker();
      const response = await broker.app.inject({ url: `/request/acme/${encodeURIComponent(target)}`, headers: { ...HOST, oauthio: oauthio() } });
      expect(response.statusCode).toBe(403);
      expect(response.json().status).toBe('error');
      expect(broker.requests).toHaveLength(0);
    });
  }

  it('forwards a path to the API with the token as the provider wants it, and drops the caller\'s credentials', async () => {
    broker = await testBroker({ respond: (request) => jsonResponse(200, { seen: request.url }) });
    const response = await broker.app.inject({
      url: `/request/acme/${encodeURIComponent('/items?limit=2')}`,
      headers: { ...HOST, oauthio: oauthio(), cookie: 'session=secret', authorization: 'Basic c2VjcmV0' },
    });
    expect(response.statusCode).toBe(200);
    expect(broker.requests[0]?.url).toBe('https://api.acme.example/v1/items?limit=2');
    expect(broker.requests[0]?.headers.authorization).toBe('Bearer t0ken');
    expect(broker.requests[0]?.headers.cookie).toBeUndefined();
  });

  it('takes the provider and the path from the route: an encoded provider id shifts nothing', async () => {
    broker = await testBroker({ respond: (request) => jsonResponse(200, { seen: request.url }) });
    for (const url of ['/request/%61cme/items', '/request/ac%6De/%2Fitems', '/request/acme/items']) {
      const response = await broker.app.inject({ url: `${url}?limit=2`, headers: { ...HOST, oauthio: oauthio() } });
      expect(response.statusCode, url).toBe(200);
      expect(response.json().seen, url).toBe('https://api.acme.example/v1/items?limit=2');
    }
  });

  it('keeps the path under the API\'s base path: ../ and its encoded forms are refused before anything is sent', async () => {
    broker = await testBroker({ respond: (request) => jsonResponse(200, { seen: request.url }) });
    // Sent over a real socket, byte for byte: inject() would resolve "%2e%2e/" and "../" itself.
    await broker.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = broker.app.server.address() as AddressInfo;
    const paths = ['../../admin', '..%2F..%2Fadmin', '%2e%2e/%2e%2e/admin', '%252e%252e/admin', '%252e%252e%252fadmin', 'x/..%2F..%2F..%2Fadmin', '..%5C..%5Cadmin', encodeURIComponent('https://api.acme.example/admin')];
    for (const path of paths) {
      const response = await rawGet(port, `/request/acme/${path}`, { ...HOST, oauthio: oauthio() });
      expect(response.status, path).toBe(403);
      expect(JSON.parse(response.body).message, path).toMatch(/outside the API's base path \/v1|decodes to "\." or "\.\."/);
    }
    expect(broker.requests).toHaveLength(0);
    // Inside the base path, dot segments that stay there are fine.
    const inside = await broker.app.inject({ url: `/request/acme/${encodeURIComponent('a/../items')}`, headers: { ...HOST, oauthio: oauthio() } });
    expect(inside.json().seen).toBe('https://api.acme.example/v1/items');
  });

  it('refuses a browser Origin outside the app\'s whitelist', async () => {
    broker = await testBroker();
    const response = await broker.app.inject({ url: '/request/acme/%2Fme', headers: { ...HOST, oauthio: oauthio(), origin: 'https://evil.example' } });
    expect(response.statusCode).toBe(403);
    expect(broker.requests).toHaveLength(0);
  });

  it('/me is checked the same way, and maps the profile', async () => {
    broker = await testBroker({ respond: () => jsonResponse(200, { id: 42, name: 'Ada' }) });
    const refused = await broker.app.inject({ url: '/auth/acme/me', headers: { ...HOST, oauthio: oauthio(), origin: 'https://evil.example' } });
    expect(refused.statusCode).toBe(403);
    const me = await broker.app.inject({ url: '/auth/acme/me', headers: { ...HOST, oauthio: oauthio(), origin: APP_ORIGIN } });
    expect(me.json()).toMatchObject({ status: 'success', data: { id: '42', name: 'Ada' } });
  });
});

describe('malformed input: a 4xx with oauthd\'s envelope, never a 5xx', () => {
  const cases: Array<[string, InjectOptions]> = [
    ['missing k', { url: '/auth/acme' }],
    ['opts not JSON', { url: '/auth/acme?k=test-app-key-0123456789abcdef&opts=%7Bnope' }],
    ['opts.state not a string', { url: `/auth/acme?k=test-app-key-0123456789abcdef&opts=${encodeURIComponent('{"state":5}')}` }],
    ['access_token without fields', { method: 'POST', url: '/auth/access_token', payload: {} }],
    ['access_token with broken JSON', { method: 'POST', url: '/auth/access_token', payload: '{"code":', headers: { 'content-type': 'application/json' } }],
    ['refresh for an unknown provider', { method: 'POST', url: '/auth/refresh_token/nope', payload: { token: 'r', key: 'k', secret: 's' } }],
    ['proxy without oauthio header', { url: '/request/acme/%2Fme' }],
    ['proxy with bad percent-encoding', { url: '/request/acme/%E0%A4%A', headers: { oauthio: 'k=test-app-key-0123456789abcdef&access_token=t' } }],
    ['unknown route', { url: '/nope' }],
    ['iframe relay', { url: '/auth/iframe?d=http://x' }],
  ];
  for (const [name, request] of cases) {
    it(name, async () => {
      broker = await testBroker();
      const response = await broker.app.inject({ ...request, headers: { ...HOST, ...(request as { headers?: object }).headers } } as InjectOptions);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.body).not.toMatch(/\n\s+at /);
      if (response.headers['content-type']?.toString().startsWith('application/json')) {
        expect(['error', 'fail']).toContain(response.json().status);
      }
    });
  }
});

describe('unfinished flows cost nothing; answered states are single-use', () => {
  const start = () => broker!.app.inject({ url: `/auth/acme?k=${broker!.app_.key}`, headers: { ...HOST, origin: APP_ORIGIN } });

  it('a flood of unfinished flows stores nothing, and a sign-in started during it completes', async () => {
    broker = await testBroker({ maxEntries: 100 });
    const legit = await startPopupFlow(broker, { state: 'mine' });
    for (let i = 0; i < 2000; i++) expect((await start()).statusCode).toBe(302);
    expect(await broker.store.size()).toBe(0);
    const during = await startPopupFlow(broker, { state: 'mine too' });
    for (const state of [legit, during]) {
      const done = await callback(broker, { state, code: 'provider-code' });
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain('\\"access_token\\"');
    }
  });

  it('an expired state is refused as expired, before any exchange', async () => {
    broker = await testBroker();
    const state = await startPopupFlow(broker);
    broker.clock.now += 10 * 60_000 + 1000;
    const late = await callback(broker, { state, code: 'provider-code' });
    expect(late.statusCode).toBe(400);
    expect(late.body).toContain('its state has expired');
    expect(broker.requests).toHaveLength(0);
  });

  it('a state altered by one character, or sealed by another broker, is refused before any exchange', async () => {
    broker = await testBroker();
    const state = await startPopupFlow(broker);
    const flipped = state.slice(0, 40) + (state[40] === 'A' ? 'B' : 'A') + state.slice(41);
    const other = await testBroker();
    const foreign = await startPopupFlow(other);
    await other.close();
    for (const forged of [flipped, foreign, state.slice(0, -1), `${state}A`]) {
      const response = await callback(broker, { state: forged, code: 'provider-code' });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('state mismatch');
    }
    expect(broker.requests).toHaveLength(0);
    // The genuine state still works: refusals claimed nothing.
    expect((await callback(broker, { state, code: 'provider-code' })).statusCode).toBe(200);
  });

  it('20 racing callbacks of one state: exactly one is exchanged', async () => {
    broker = await testBroker();
    const state = await startPopupFlow(broker);
    const answers = await Promise.all(Array.from({ length: 20 }, () => callback(broker!, { state, code: 'provider-code' })));
    expect(answers.filter((answer) => answer.body.includes('access_token'))).toHaveLength(1);
    expect(broker.requests).toHaveLength(1);
  });

  it('a stray callback (any page can load /auth?state=x) is reported to the CLI as stray, and ends no flow', async () => {
    broker = await testBroker();
    const stray: string[] = [];
    const outcomes: unknown[] = [];
    broker.deps.onStrayCallback = (error, state) => stray.push(`${error.code} ${state}`);
    broker.deps.onCliOutcome = (outcome) => outcomes.push(outcome);
    const response = await callback(broker, { state: 'x', code: 'provider-code' });
    expect(response.statusCode).toBe(400);
    expect(stray).toEqual(['state_mismatch x']);
    expect(outcomes).toEqual([]);
  });

  it('when the store is full, an answered callback gets 503 with Retry-After, and no exchange', async () => {
    broker = await testBroker({ maxEntries: 100 });
    const states = [];
    for (let i = 0; i < 101; i++) states.push(await startPopupFlow(broker));
    for (const state of states.slice(0, 100)) await callback(broker, { state, error: 'access_denied' });
    const full = await callback(broker, { state: states[100] as string, code: 'provider-code' });
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('30');
    expect(broker.requests).toHaveLength(0);
  });
});
