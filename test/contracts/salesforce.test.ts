// Contract: providers/salesforce.json against a Salesforce that answers as documented
// (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm and the
// OpenID configuration of login.salesforce.com): instance_url in the token response, no
// expires_in, the API and userinfo on the org's own host, an id_token when openid is asked.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeSalesforce, registered, SALESFORCE_USER } from './fake-providers.js';
import { contractBrokers, deviationCodes, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('3MVG9HxRZv05HarTyunhC4dHwrkILJSnBtbdnHbPnnzgN1CPb', 'salesforce-consumer-secret');
const INSTANCE = 'https://acme-dev-ed.develop.my.salesforce.com';
const openBroker = contractBrokers();

async function setup(loginHost?: string) {
  const net = new FakeNet();
  const salesforce = await fakeSalesforce(net, CLIENT, { instanceUrl: INSTANCE, ...(loginHost ? { loginHost } : {}) });
  const broker = await openBroker('salesforce', {
    keyset: { clientId: CLIENT.clientId, ...(loginHost ? { params: { login_host: loginHost } } : {}) },
    clientSecret: CLIENT.clientSecret,
    http: net.http,
  });
  return { net, salesforce, broker };
}

describe('salesforce', () => {
  it('runs the flow with openid: verified id_token, instance_url kept, API and userinfo on the instance', async () => {
    const { net, salesforce, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://login.salesforce.com/services/oauth2/authorize');
    expect(authorize.searchParams.get('scope')).toBe('api refresh_token openid');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);

    const done = await broker.callback(await salesforce.approve(authorize.toString()));
    const outcome = success(done);
    expect(new URLSearchParams(net.last('https://login.salesforce.com/services/oauth2/token').body).get('client_secret')).toBe(CLIENT.clientSecret);
    // No expires_in: a known quirk, not a surprise.
    expect(outcome.token.expires_in).toBeUndefined();
    expect(outcome.deviations.find((d) => d.code === 'no-expires-in')?.expected).toBe(true);
    expect(deviationCodes(done)).not.toContain('missing-token-type');
    // The id_token was verified against login.salesforce.com's discovered keys, nonce included.
    expect(outcome.idToken?.claims).toMatchObject({ iss: 'https://login.salesforce.com', aud: CLIENT.clientId });
    expect(outcome.idToken?.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['signature', 'iss', 'aud', 'nonce', 'at_hash']));
    expect(net.sent('https://login.salesforce.com/.well-known/openid-configuration')).toHaveLength(1);
    // The page gets instance_url (and the other documented fields the API needs), and the SDK's
    // request description says it must send instance_url back.
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, instance_url: INSTANCE, issued_at: expect.any(String), request: { required: ['instance_url', 'id', 'signature', 'issued_at'] } });
    expect(done.result?.data).not.toHaveProperty('refresh_token');

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token, instance_url: INSTANCE });
    expect(me.json.data).toMatchObject({ id: SALESFORCE_USER.user_id, name: 'Ada Lovelace', firstname: 'Ada', lastname: 'Lovelace', email: SALESFORCE_USER.email, alias: SALESFORCE_USER.preferred_username });
    expect(net.last(`${INSTANCE}/services/oauth2/userinfo`).headers.authorization).toBe(`Bearer ${token}`);

    const api = await broker.request(encodeURIComponent('/services/data/v60.0/sobjects'), { access_token: token, instance_url: INSTANCE });
    expect(api.status).toBe(200);
    expect(net.last(`${INSTANCE}/services/data/`).url).toBe(`${INSTANCE}/services/data/v60.0/sobjects`);
  });

  it('the API needs instance_url: without it, or with a non-https one, nothing is sent', async () => {
    const { net, broker } = await setup();
    const missing = await broker.request('services/data', { access_token: 'token' });
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.body).message).toMatch(/needs a value for \{token\.instance_url\}/);
    const plain = await broker.request('services/data', { access_token: 'token', instance_url: 'http://evil.example' });
    expect(plain.status).toBe(403);
    expect(net.exchanges).toHaveLength(0);
  });

  it('a sandbox: login_host fills every URL, and the id_token of test.salesforce.com verifies', async () => {
    const { salesforce, broker } = await setup('test.salesforce.com');
    const authorize = await broker.start();
    expect(authorize.origin).toBe('https://test.salesforce.com');
    const outcome = success(await broker.callback(await salesforce.approve(authorize.toString())));
    expect(outcome.idToken?.claims.iss).toBe('https://test.salesforce.com');
  });

  it('an expired code: HTTP 400 invalid_grant → one line', async () => {
    const { salesforce, broker } = await setup();
    const redirect = await salesforce.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: 'aPrxExpired' });
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_grant — invalid authorization code [HTTP 400]');
  });

  it('the user declines → one line', async () => {
    const { salesforce, broker } = await setup();
    const done = await broker.callback(salesforce.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied — end-user denied authorization');
  });
});
