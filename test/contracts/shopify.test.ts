// Contract: providers/shopify.json against a Shopify shop that answers as documented
// (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant,
// https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens):
// the shop in every URL, comma scopes, hmac/host/shop/timestamp on the redirect back, no
// token_type, expiring offline tokens with a refresh token, X-Shopify-Access-Token on API calls.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeShopify, registered } from './fake-providers.js';
import { contractBroker, contractBrokers, deviationCodes, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('4f7fb2e6c9a1d3b5e8f0a2c4d6e8f0a1', 'shpss_shopify_client_secret');
const openBroker = contractBrokers();

async function setup() {
  const net = new FakeNet();
  const shopify = fakeShopify(net, CLIENT, 'my-store');
  const broker = await openBroker('shopify', {
    keyset: { clientId: CLIENT.clientId, params: { shop: 'my-store' }, scope: ['read_products', 'read_orders'] },
    clientSecret: CLIENT.clientSecret,
    http: net.http,
  });
  return { net, shopify, broker };
}

describe('shopify', () => {
  it('runs the flow on the shop: comma scopes, the signed redirect back, an expiring offline token, X-Shopify-Access-Token', async () => {
    const { net, shopify, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://my-store.myshopify.com/admin/oauth/authorize');
    expect(authorize.searchParams.get('scope')).toBe('read_products,read_orders');
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);

    const redirect = await shopify.approve(authorize.toString());
    expect(Object.keys(redirect).sort()).toEqual(['code', 'hmac', 'host', 'shop', 'state', 'timestamp']);
    const done = await broker.callback(redirect);
    const outcome = success(done);
    const fields = new URLSearchParams(net.last('https://my-store.myshopify.com/admin/oauth/access_token').body);
    expect(fields.get('client_id')).toBe(CLIENT.clientId);
    expect(fields.get('client_secret')).toBe(CLIENT.clientSecret);
    // Public apps must use expiring offline tokens (Shopify, from 2027): the catalog asks for them.
    expect(fields.get('expiring')).toBe('1');
    expect(outcome.token.expires_in).toBe(3600);
    expect(outcome.token.refresh_token).toMatch(/^shprt_/);
    expect(outcome.token.extra.refresh_token_expires_in).toBe(7776000);
    // No token_type and comma scopes: normalized, with warnings.
    expect(outcome.token).toMatchObject({ token_type: 'Bearer', scope: 'read_products read_orders' });
    expect(deviationCodes(done)).toEqual(expect.arrayContaining(['missing-token-type', 'scope-commas']));
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, expires_in: 3600 });

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({ id: '690933842', name: 'Super Toys', email: 'super@supertoys.example' });
    const profileCall = net.last('https://my-store.myshopify.com/admin/api/2025-10/shop.json');
    expect(profileCall.headers['x-shopify-access-token']).toBe(token);
    expect(profileCall.headers.authorization).toBeUndefined();

    const api = await broker.request(encodeURIComponent('/api/2025-10/products.json?limit=1'), { access_token: token });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ path: '/admin/api/2025-10/products.json', authorization: null });
    const sent = net.last('https://my-store.myshopify.com/admin/api/2025-10/products.json');
    expect(sent.headers['x-shopify-access-token']).toBe(token);
    expect(sent.headers.authorization).toBeUndefined();
  });

  it('the expiring token refreshes through the broker, and the refresh token rotates', async () => {
    const { net, shopify, broker } = await setup();
    const first = success(await broker.callback(await shopify.approve((await broker.start()).toString())));
    const refreshed = await broker.refresh(first.token.refresh_token!);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ provider: 'shopify', expires_in: 3600, token_type: 'Bearer', scope: 'read_products read_orders' });
    expect(refreshed.json.access_token).not.toBe(first.token.access_token);
    expect(refreshed.json.refresh_token).not.toBe(first.token.refresh_token);
    const fields = new URLSearchParams(net.last('https://my-store.myshopify.com/admin/oauth/access_token').body);
    expect(Object.fromEntries(fields)).toMatchObject({ grant_type: 'refresh_token', refresh_token: first.token.refresh_token, client_secret: CLIENT.clientSecret, expiring: '1' });
    // A retry with it a moment later gets the same answer, and the provider is not asked again:
    // the broker refreshes once per refresh token (src/broker/refresh-flight.ts).
    const retry = await broker.refresh(first.token.refresh_token!);
    expect(retry).toEqual(refreshed);
    const refreshes = net.sent('https://my-store.myshopify.com/admin/oauth/access_token').filter((sent) => new URLSearchParams(sent.body).get('grant_type') === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    // Once that answer is gone: spent, so the provider refuses it, in one line.
    broker.later(60_000);
    const again = await broker.refresh(first.token.refresh_token!);
    expect(again.status).toBe(400);
    expect(again.json.message).toMatch(/^the token endpoint refused: invalid_grant — .* \[HTTP 400\]$/);
  });

  it('without the shop parameter the entry cannot resolve: a one-line configuration error', async () => {
    const net = new FakeNet();
    await expect(contractBroker('shopify', { keyset: { clientId: CLIENT.clientId }, clientSecret: CLIENT.clientSecret, http: net.http })).rejects.toThrow(
      /^shopify: the URL https:\/\/\{shop\}\.myshopify\.com\/admin\/oauth\/\w+ needs a value for \{shop\}$/,
    );
  });

  it('a code already used: HTTP 400 invalid_request → one line', async () => {
    const { shopify, broker } = await setup();
    const redirect = await shopify.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: 'used-code' });
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_request — The authorization code was not found or was already used [HTTP 400]');
  });
});
