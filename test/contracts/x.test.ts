// Contract: providers/x.json (OAuth 2.0 with PKCE) against an X that answers as documented
// (https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token):
// PKCE required, HTTP Basic for confidential clients, client_id alone for public ones.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeX, registered, X_USER } from './fake-providers.js';
import { contractBrokers, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ', 'x-confidential-client-secret');
const openBroker = contractBrokers();

async function setup(confidential = true) {
  const net = new FakeNet();
  const x = fakeX(net, { ...CLIENT, confidential });
  const broker = await openBroker('x', { keyset: { clientId: CLIENT.clientId }, clientSecret: confidential ? CLIENT.clientSecret : undefined, http: net.http });
  return { net, x, broker };
}

describe('x (OAuth 2.0)', () => {
  it('a confidential client: PKCE on the authorize URL, HTTP Basic at the token endpoint, /2/users/me', async () => {
    const { net, x, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://x.com/i/oauth2/authorize');
    expect(authorize.searchParams.get('scope')).toBe('tweet.read users.read offline.access');
    // pkce "required": always there.
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);

    const done = await broker.callback(await x.approve(authorize.toString()));
    const outcome = success(done);
    const tokenRequest = net.last('https://api.x.com/2/oauth2/token');
    expect(tokenRequest.headers.authorization).toBe(`Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`);
    const fields = new URLSearchParams(tokenRequest.body);
    expect(fields.has('client_secret')).toBe(false);
    expect(fields.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(outcome.token).toMatchObject({ token_type: 'bearer', expires_in: 7200, scope: 'tweet.read users.read offline.access' });
    // offline.access brought a refresh token; the page does not get it.
    expect(outcome.token.refresh_token).toBeDefined();
    expect(done.result?.data).not.toHaveProperty('refresh_token');

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({ id: X_USER.id, name: 'X Dev', alias: 'XDevelopers', avatar: X_USER.profile_image_url, location: X_USER.location });
    expect(new URL(net.last('https://api.x.com/2/users/me').url).searchParams.get('user.fields')).toBe('profile_image_url,location');

    const api = await broker.request(encodeURIComponent('/tweets?ids=1460323737035677698'), { access_token: token });
    expect(api.status).toBe(200);
    expect(net.last('https://api.x.com/2/tweets').headers.authorization).toBe(`Bearer ${token}`);
  });

  it('a public client (no secret): client_id in the body, no Authorization header', async () => {
    const { net, x, broker } = await setup(false);
    success(await broker.callback(await x.approve((await broker.start()).toString())));
    const tokenRequest = net.last('https://api.x.com/2/oauth2/token');
    expect(tokenRequest.headers.authorization).toBeUndefined();
    expect(new URLSearchParams(tokenRequest.body).get('client_id')).toBe(CLIENT.clientId);
  });

  it('X refuses an authorization request without PKCE (the fake holds the rule the catalog keeps)', async () => {
    const { x, broker } = await setup();
    const authorize = await broker.start();
    authorize.searchParams.delete('code_challenge');
    expect(() => x.approve(authorize.toString())).toThrow(/Something went wrong\. You weren't able to give access to the App.*\(code_challenge\)/);
  });

  it('an invalid code: HTTP 400 invalid_request → one line', async () => {
    const { x, broker } = await setup();
    const redirect = await x.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: 'not-a-code' });
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_request — Value passed for the authorization code was invalid. [HTTP 400]');
  });

  it('the user declines → one line', async () => {
    const { x, broker } = await setup();
    const done = await broker.callback(x.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied');
  });
});
