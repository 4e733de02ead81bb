// Contract: providers/facebook.json against a Facebook Login that answers as documented
// (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow), today's
// JSON token answer and the historical one (before Graph API v2.3: `access_token=…&expires=…`).
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, FACEBOOK_USER, fakeFacebook, registered } from './fake-providers.js';
import { contractBrokers, deviationCodes, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('1234567890123456', 'facebook-app-secret');
const openBroker = contractBrokers();

async function setup(legacy = false) {
  const net = new FakeNet();
  const facebook = fakeFacebook(net, CLIENT, { legacy });
  const broker = await openBroker('facebook', { keyset: { clientId: CLIENT.clientId }, clientSecret: CLIENT.clientSecret, http: net.http });
  return { net, facebook, broker };
}

describe('facebook', () => {
  it('runs the flow: comma scopes, identical redirect_uri at the token endpoint, Graph /me with fields', async () => {
    const { net, facebook, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://www.facebook.com/dialog/oauth');
    expect(authorize.searchParams.get('scope')).toBe('public_profile,email');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);
    // No openid asked by default: no nonce.
    expect(authorize.searchParams.has('nonce')).toBe(false);

    const done = await broker.callback(await facebook.approve(authorize.toString()));
    const outcome = success(done);
    const fields = new URLSearchParams(net.last('https://graph.facebook.com/oauth/access_token').body);
    expect(fields.get('redirect_uri')).toBe(BROKER_CALLBACK);
    expect(fields.get('client_secret')).toBe(CLIENT.clientSecret);
    expect(outcome.token).toMatchObject({ token_type: 'bearer', expires_in: 5183944 });
    expect(deviationCodes(done)).not.toContain('expires-renamed');
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, expires_in: 5183944 });

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({
      id: FACEBOOK_USER.id,
      name: FACEBOOK_USER.name,
      firstname: 'Mark',
      lastname: 'Fakeberg',
      email: FACEBOOK_USER.email,
      avatar: FACEBOOK_USER.picture.data.url,
    });
    expect(new URL(net.last('https://graph.facebook.com/me').url).searchParams.get('fields')).toBe('id,name,first_name,last_name,email,picture');

    const api = await broker.request(encodeURIComponent('/v19.0/me/friends'), { access_token: token });
    expect(api.status).toBe(200);
    expect(net.last('https://graph.facebook.com/v19.0/me/friends').headers.authorization).toBe(`Bearer ${token}`);
  });

  it('the historical answer (form-encoded, "expires", no token_type) is normalized with warnings', async () => {
    const { facebook, broker } = await setup(true);
    const done = await broker.callback(await facebook.approve((await broker.start()).toString()));
    const outcome = success(done);
    expect(outcome.raw).toEqual({ access_token: outcome.token.access_token, expires: '5183944' });
    expect(outcome.token.expires_in).toBe(5183944);
    expect(outcome.token.token_type).toBe('Bearer');
    expect(deviationCodes(done)).toEqual(expect.arrayContaining(['form-encoded', 'expires-renamed', 'expires-in-string', 'missing-token-type']));
    expect(outcome.deviations.find((d) => d.code === 'expires-renamed')).toMatchObject({ message: 'uses "expires" instead of "expires_in"', source: 'RFC 6749 §5.1' });
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, expires_in: 5183944, token_type: 'Bearer' });
  });

  it('a code used twice: Graph\'s HTTP 400 OAuthException → one line with Facebook\'s message', async () => {
    const { facebook, broker } = await setup();
    const first = await facebook.approve((await broker.start()).toString());
    success(await broker.callback(first));
    // A second flow receives the spent code (an injected or replayed callback).
    const second = await broker.start();
    const done = await broker.callback({ state: second.searchParams.get('state')!, code: first.code! });
    expect(expectOneLineFailure(done)).toMatch(/^the token endpoint answered HTTP 400: .*This authorization code has been used\./);
  });

  it('the user declines: error_reason=user_denied → one line', async () => {
    const { facebook, broker } = await setup();
    const done = await broker.callback(facebook.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied — Permissions error.');
  });
});
