// The inspector's routes on a broker built in this process (app.inject): the secret traded once for
// a cookie, the guards (401 without it, 403 for a foreign Origin or a non-loopback peer, 421 for a
// foreign Host), the strict CSP, versioned assets, and the flows the broker recorded: the popup
// flow step by step, the reveal by POST only, a redirect-URI refusal explained.
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ORIGIN, callback, startPopupFlow, testBroker, type TestBroker } from '../helpers/broker.js';
import { openInspector } from '../../src/compose/inspector.js';
import { appOverview } from '../../src/inspector/overview.js';
import type { BrokerInspector } from '../../src/broker/types.js';
import type { FlowView } from '../../src/inspector/recorder.js';

const HOST = '127.0.0.1:6284';
const SELF = `http://${HOST}`;

let broker: TestBroker | undefined;
let inspector: BrokerInspector;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function start(): Promise<TestBroker> {
  inspector = openInspector({ hintFor: () => 'the CLI hint', overview: async () => appOverview(undefined) });
  broker = await testBroker({ inspector });
  return broker;
}

const cookie = () => `oauthd_inspector_6284=${inspector.secret}`;
const get = (url: string, headers: Record<string, string> = {}) => broker!.app.inject({ method: 'GET', url, headers: { host: HOST, cookie: cookie(), ...headers } });
const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  broker!.app.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { host: HOST, cookie: cookie(), origin: SELF, 'content-type': 'application/json', ...headers } });

describe('the inspector routes', () => {
  it('trades the URL secret for an HttpOnly SameSite=Strict cookie and drops it from the address; a wrong one is 401', async () => {
    await start();
    const entry = await broker!.app.inject({ method: 'GET', url: `/inspector?secret=${inspector.secret}`, headers: { host: HOST } });
    expect(entry.statusCode).toBe(303);
    expect(entry.headers.location).toBe('/inspector/');
    expect(entry.headers['set-cookie']).toBe(`oauthd_inspector_6284=${inspector.secret}; Path=/inspector; HttpOnly; SameSite=Strict`);
    const wrong = await broker!.app.inject({ method: 'GET', url: `/inspector?secret=${inspector.secret}x`, headers: { host: HOST } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('answers 401 without the cookie (or with another run\'s), 403 for a foreign Origin or a peer off loopback, 421 for a foreign Host', async () => {
    await start();
    for (const url of ['/inspector/', '/inspector/api/flows', '/inspector/api/events', '/inspector/api/overview']) {
      expect((await broker!.app.inject({ method: 'GET', url, headers: { host: HOST } })).statusCode, url).toBe(401);
      expect((await get(url, { cookie: 'oauthd_inspector_6284=another-runs-secret' })).statusCode, url).toBe(401);
    }
    expect((await get('/inspector/api/flows', { origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await get('/inspector/api/flows', { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    // A page on another port of this machine: same site, another origin.
    expect((await get('/inspector/api/flows', { 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
    expect((await get('/inspector/api/flows', { 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    expect((await get('/inspector/api/flows', { host: 'evil.example:6284' })).statusCode).toBe(421);
    expect((await broker!.app.inject({ method: 'GET', url: '/inspector/api/flows', remoteAddress: '192.168.1.20', headers: { host: HOST, cookie: cookie() } })).statusCode).toBe(403);
    // A POST without an Origin is not the page's.
    expect((await post('/inspector/api/flows/abc/reveal', { name: 'access_token' }, { origin: '' })).statusCode).toBe(403);
    // And with everything right, 200.
    expect((await get('/inspector/api/flows')).statusCode).toBe(200);
  });

  it('serves the page under a strict CSP with no inline script, and its versioned assets cached for good', async () => {
    await start();
    const page = await get('/inspector/');
    expect(page.statusCode).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const app = /src="(\/inspector\/assets\/([0-9a-f]{12})\/app\.js)"/.exec(page.body);
    expect(app).not.toBeNull();
    const asset = await get(app![1]!);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect((await get(`/inspector/assets/000000000000/app.js`)).statusCode).toBe(404);
    expect((await get(`/inspector/assets/${app![2]}/..%2Fpackage.json`)).statusCode).toBe(404);
  });

  it('records a popup flow step by step, reveals a token by POST only, and files /me under the flow that got the token', async () => {
    await start();
    const state = await startPopupFlow(broker!);
    const listed = (await get('/inspector/api/flows')).json() as { flows: Array<{ id: string; status: string; kind: string; provider: string }> };
    expect(listed.flows).toMatchObject([{ status: 'pending', kind: 'client', provider: 'acme' }]);
    await callback(broker!, { state, code: 'the-code' });
    const id = listed.flows[0]!.id;
    const flow = (await get(`/inspector/api/flows/${id}`)).json() as FlowView;
    expect(flow.status).toBe('ok');
    const titles = flow.events.map((event) => (event.kind === 'step' ? event.title : event.kind === 'http' ? event.purpose : `check ${event.check.name}`));
    expect(titles.slice(0, 3)).toEqual(['authorization request', 'authorization response', 'token request (authorization_code)']);
    expect(titles).toEqual(expect.arrayContaining(['check state', 'check PKCE', 'check redirect_uri']));
    // The token's value is in no view; the reveal hands it over on a POST from the page.
    expect(JSON.stringify(flow)).not.toContain('access-1');
    expect(JSON.stringify(flow)).not.toContain('the-code');
    const reveal = await post(`/inspector/api/flows/${id}/reveal`, { name: 'access_token' });
    expect(reveal.statusCode).toBe(200);
    expect(reveal.json()).toEqual({ name: 'access_token', value: 'access-1' });
    expect(reveal.headers['cache-control']).toBe('no-store');
    expect((await get(`/inspector/api/flows/${id}/reveal?name=access_token`)).statusCode).toBe(404);
    expect((await post(`/inspector/api/flows/${id}/reveal`, { name: 'client_secret' })).statusCode).toBe(400);
    expect((await post(`/inspector/api/flows/no-such-flow/reveal`, { name: 'access_token' })).statusCode).toBe(404);

    const me = await broker!.app.inject({ method: 'GET', url: '/auth/acme/me', headers: { host: HOST, oauthio: `k=${broker!.app_.key}&access_token=access-1` } });
    // The fake provider answers a token response where a profile is expected: its fault, 502.
    expect(me.statusCode).toBe(502);
    const after = (await get(`/inspector/api/flows/${id}`)).json() as FlowView;
    expect(after.events.some((event) => event.kind === 'http' && event.purpose.startsWith('profile'))).toBe(true);
    expect(((await get('/inspector/api/flows')).json() as { flows: unknown[] }).flows).toHaveLength(1);

    const har = await get(`/inspector/api/flows/${id}/har`);
    expect(har.headers['content-disposition']).toMatch(/^attachment; filename="oauthd-acme-.+\.har"$/);
    expect((har.json() as { log: { entries: unknown[] } }).log.entries.length).toBeGreaterThanOrEqual(2);
    expect(har.body).not.toContain('access-1');
  });

  it('a provider refusing the redirect URI: the callback is the failing step, with the CLI\'s diagnosis', async () => {
    await start();
    const state = await startPopupFlow(broker!);
    await callback(broker!, { state, error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' });
    const [summary] = ((await get('/inspector/api/flows')).json() as { flows: Array<{ id: string }> }).flows;
    const flow = (await get(`/inspector/api/flows/${summary!.id}`)).json() as FlowView;
    expect(flow.status).toBe('failed');
    expect(flow.events[flow.failing!]).toMatchObject({ kind: 'step', title: 'authorization response' });
    expect(flow.explanation).toMatchObject({ code: 'redirect_uri_mismatch', hint: 'the CLI hint' });
    expect(flow.explanation?.redirect?.join('\n')).toContain('Acme refused the redirect URI');
    expect(flow.explanation?.redirect?.join('\n')).toContain('  http://127.0.0.1:6284/auth');
  });

  it('a forged callback is a failed flow of its own, the state check failing', async () => {
    await start();
    await callback(broker!, { state: 'forged-state-value', code: 'x' });
    const [summary] = ((await get('/inspector/api/flows')).json() as { flows: Array<{ id: string; kind: string }> }).flows;
    expect(summary?.kind).toBe('callback');
    const flow = (await get(`/inspector/api/flows/${summary!.id}`)).json() as FlowView;
    expect(flow.events[flow.failing!]).toMatchObject({ kind: 'check', check: { ok: false, name: 'state', source: 'RFC 6749 §10.12' } });
    expect(flow.explanation?.message).toMatch(/^state mismatch: the callback's state was not issued by this broker/);
  });

  it('answers 4xx to malformed requests, never 500', async () => {
    await start();
    for (const [method, url, payload] of [
      ['GET', '/inspector/api/flows/%00'],
      ['GET', `/inspector/api/flows/${'x'.repeat(300)}`],
      ['POST', '/inspector/api/flows/abc/reveal', '{not json'],
      ['POST', '/inspector/api/flows/abc/reveal', '[]'],
      ['POST', '/inspector/api/flows/abc/me', ''],
      ['GET', '/inspector?secret=' + 'x'.repeat(400)],
    ] as const) {
      const response = await broker!.app.inject({ method, url, ...(payload !== undefined ? { payload } : {}), headers: { host: HOST, cookie: cookie(), origin: SELF, 'content-type': 'application/json' } });
      expect(response.statusCode, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${method} ${url}`).toBeLessThan(500);
    }
  });
});

it('the request for the app origin is unaffected by the inspector (sanity: flows still start)', async () => {
  await start();
  expect(await startPopupFlow(broker!, {}, APP_ORIGIN)).toMatch(/^[A-Za-z0-9_-]+/);
  await broker?.close();
  broker = undefined;
});
