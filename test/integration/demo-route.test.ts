// The demo's routes and its app, through the broker built in this process (app.inject with the
// peer address set): loopback peers only, an app of its own whose whitelist is the broker's
// loopback origins, and nothing mounted unless asked for.
import { afterEach, describe, expect, it } from 'vitest';
import { buildBroker, type Broker } from '../../src/broker/app.js';
import { APP_ORIGIN, testBroker, type TestBroker } from '../helpers/broker.js';

const HOST = { host: '127.0.0.1:6284' };
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((broker) => broker.close()));
});

async function withDemo(): Promise<{ base: TestBroker; demo: Broker }> {
  const base = await testBroker();
  const demo = await buildBroker({ ...base.deps, demo: true });
  opened.push(base, { close: () => demo.app.close() });
  return { base, demo };
}

async function demoKey(demo: Broker): Promise<string> {
  const page = await demo.app.inject({ url: '/demo', headers: HOST, remoteAddress: '127.0.0.1' });
  expect(page.statusCode).toBe(200);
  return /OAuth\.initialize\(&quot;(demo-[A-Za-z0-9_-]+)&quot;\)/.exec(page.body)?.[1] as string;
}

describe('/demo', () => {
  it('answers loopback peers only: a broker bound to 0.0.0.0 does not show it to the network', async () => {
    const { demo } = await withDemo();
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect((await demo.app.inject({ url: '/demo', headers: HOST, remoteAddress })).statusCode).toBe(200);
    }
    for (const remoteAddress of ['192.0.2.7', '::ffff:192.0.2.7', '2001:db8::1']) {
      expect((await demo.app.inject({ url: '/demo', headers: HOST, remoteAddress })).statusCode).toBe(404);
      expect((await demo.app.inject({ url: '/demo/oauth.js', headers: HOST, remoteAddress })).statusCode).toBe(404);
    }
  });

  it('serves oauthio-web and a page under a CSP that allows only its own scripts and XHR to the broker', async () => {
    const { demo } = await withDemo();
    const sdk = await demo.app.inject({ url: '/demo/oauth.js', headers: HOST, remoteAddress: '127.0.0.1' });
    expect(sdk.headers['content-type']).toMatch(/^text\/javascript/);
    expect(sdk.body).toContain('setOAuthdURL');
    const page = await demo.app.inject({ url: '/demo', headers: HOST, remoteAddress: '127.0.0.1' });
    const csp = page.headers['content-security-policy'] as string;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:6284");
    expect(page.body).toContain(`<script nonce="${nonce as string}" src="/demo/oauth.js"></script>`);
  });

  it('signs in for pages on the broker\'s own loopback origins only, with an app of its own', async () => {
    const { base, demo } = await withDemo();
    const key = await demoKey(demo);
    const start = (k: string, page: string) =>
      demo.app.inject({ url: `/auth/acme?k=${k}&d=${encodeURIComponent(`${page}/`)}`, headers: HOST });
    // The SDK on the demo page sends d=<its origin>/ (no Referer: broker pages send none).
    expect((await start(key, 'http://127.0.0.1:6284')).statusCode).toBe(302);
    expect((await start(key, 'http://localhost:6284')).statusCode).toBe(302);
    // The demo key is useless anywhere else, the app's own origin included.
    expect((await start(key, APP_ORIGIN)).statusCode).toBe(403);
    expect((await start(key, 'http://127.0.0.1:9999')).statusCode).toBe(403);
    // And the configured app's whitelist is untouched: it does not gain the broker's origin.
    expect((await start(base.app_.key, 'http://127.0.0.1:6284')).statusCode).toBe(403);
    expect((await start(base.app_.key, APP_ORIGIN)).statusCode).toBe(302);
    // It has no secret: no code trade, no refresh.
    const trade = await demo.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code: 'x', key, secret: '' } });
    expect(trade.statusCode).toBeGreaterThanOrEqual(400);
  });

  it('is not mounted unless asked for (serve --sandbox)', async () => {
    const base = await testBroker();
    opened.push(base);
    expect((await base.app.inject({ url: '/demo', headers: HOST, remoteAddress: '127.0.0.1' })).statusCode).toBe(404);
  });
});
