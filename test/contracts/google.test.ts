// Contract: providers/google.json against a Google that answers as documented
// (https://developers.google.com/identity/protocols/oauth2/web-server,
// https://developers.google.com/identity/openid-connect/openid-connect and .../reference):
// discovery, a signed id_token with nonce and at_hash, access_type=offline and its refresh token
// only on a consent screen, the userinfo endpoint.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeGoogle, GOOGLE_USER, registered } from './fake-providers.js';
import { contractBrokers, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('407408718192.apps.googleusercontent.com', 'GOCSPX-google-client-secret');
const openBroker = contractBrokers();

async function setup(options: { legacyIssuer?: boolean } = {}) {
  const net = new FakeNet();
  const google = await fakeGoogle(net, CLIENT, options);
  const broker = await openBroker('google', { keyset: { clientId: CLIENT.clientId }, clientSecret: CLIENT.clientSecret, http: net.http });
  return { net, google, broker };
}

describe('google', () => {
  it('runs the OpenID flow: discovery, nonce, PKCE, access_type=offline, verified id_token, userinfo', async () => {
    const { net, google, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    const query = authorize.searchParams;
    expect(query.get('scope')).toBe('openid email profile');
    expect(query.get('access_type')).toBe('offline');
    expect(query.get('include_granted_scopes')).toBe('true');
    expect(query.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('redirect_uri')).toBe(BROKER_CALLBACK);

    const done = await broker.callback(await google.approve(authorize.toString()));
    const outcome = success(done);
    expect(net.sent('https://accounts.google.com/.well-known/openid-configuration')).toHaveLength(1);
    expect(net.sent('https://www.googleapis.com/oauth2/v3/certs')).toHaveLength(1);
    const fields = new URLSearchParams(net.last('https://oauth2.googleapis.com/token').body);
    expect(fields.get('client_secret')).toBe(CLIENT.clientSecret);
    expect(fields.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(outcome.idToken?.claims).toMatchObject({ iss: 'https://accounts.google.com', aud: CLIENT.clientId, azp: CLIENT.clientId, sub: GOOGLE_USER.sub, nonce: query.get('nonce') });
    expect(outcome.idToken?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(outcome.idToken?.checks.map((c) => c.name)).toEqual(['alg', 'signature', 'iss', 'aud', 'azp', 'exp', 'iat', 'nonce', 'at_hash']);
    // Google names the userinfo scopes in full in its answer.
    expect(outcome.token.scope).toBe('openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile');
    // The first consent with access_type=offline brings a refresh token; the page does not get it.
    expect(outcome.token.refresh_token).toMatch(/^1\/\//);
    expect(done.result?.data).not.toHaveProperty('refresh_token');
    expect(outcome.deviations).toEqual([]);
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, token_type: 'Bearer', expires_in: 3599, id_token: outcome.token.id_token });

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({ id: GOOGLE_USER.sub, name: 'Grace Hopper', firstname: 'Grace', lastname: 'Hopper', email: GOOGLE_USER.email, avatar: GOOGLE_USER.picture });
    expect(net.last('https://openidconnect.googleapis.com/v1/userinfo').headers.authorization).toBe(`Bearer ${token}`);

    const api = await broker.request(encodeURIComponent('/drive/v3/files?pageSize=1'), { access_token: token });
    expect(api.status).toBe(200);
    expect(net.last('https://www.googleapis.com/drive/v3/files').url).toBe('https://www.googleapis.com/drive/v3/files?pageSize=1');
  });

  it('a second sign-in gets no refresh token (no consent screen) until prompt=consent is asked', async () => {
    const { google, broker } = await setup();
    success(await broker.callback(await google.approve((await broker.start()).toString())));
    const again = success(await broker.callback(await google.approve((await broker.start()).toString())));
    expect(again.token.refresh_token).toBeUndefined();
    const consent = await broker.start({ authorize: { prompt: 'consent' } });
    expect(consent.searchParams.get('prompt')).toBe('consent');
    const refreshed = success(await broker.callback(await google.approve(consent.toString())));
    expect(refreshed.token.refresh_token).toBeDefined();
  });

  it('an id_token with the legacy iss "accounts.google.com" (documented by Google) is accepted through oidc.acceptIssuers', async () => {
    const { google, broker } = await setup({ legacyIssuer: true });
    const done = await broker.callback(await google.approve((await broker.start()).toString()));
    expect(success(done).idToken?.checks.find((check) => check.name === 'iss')).toMatchObject({ ok: true, detail: '= "accounts.google.com"' });
  });

  it('a spent code: HTTP 400 invalid_grant "Bad Request" → one line', async () => {
    const { google, broker } = await setup();
    const redirect = await google.approve((await broker.start()).toString());
    success(await broker.callback(redirect));
    const second = await broker.start();
    const done = await broker.callback({ ...redirect, state: second.searchParams.get('state')! });
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_grant — Bad Request [HTTP 400]');
  });

  it('the user declines → one line', async () => {
    const { google, broker } = await setup();
    const done = await broker.callback(google.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied');
  });
});
