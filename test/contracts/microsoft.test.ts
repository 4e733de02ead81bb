// Contract: providers/microsoft.json against a Microsoft identity platform that answers as
// documented (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow,
// .../id-token-claims-reference): the tenant in every URL, an id_token whose iss names the user's
// tenant, AADSTS errors.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeMicrosoft, MICROSOFT_USER, registered } from './fake-providers.js';
import { contractBrokers, expectOneLineFailure, success } from './harness.js';
import { hintFor } from '../../src/cli/errors.js';

const CLIENT = registered('00001111-aaaa-2222-bbbb-3333cccc4444', 'ms-client-secret~value');
const TENANT = 'aaaabbbb-0000-cccc-1111-dddd2222eeee';
const openBroker = contractBrokers();

async function setup(options: { tenant?: string; scope?: string[]; clientSecret?: string | undefined } = {}) {
  const net = new FakeNet();
  const microsoft = await fakeMicrosoft(net, CLIENT, { tenantId: TENANT });
  const broker = await openBroker('microsoft', {
    keyset: { clientId: CLIENT.clientId, ...(options.tenant ? { params: { tenant: options.tenant } } : {}), ...(options.scope ? { scope: options.scope } : {}) },
    clientSecret: 'clientSecret' in options ? options.clientSecret : CLIENT.clientSecret,
    http: net.http,
  });
  return { net, microsoft, broker };
}

describe('microsoft', () => {
  it('a tenant id: every URL carries it, and the id_token issued by that tenant verifies', async () => {
    const { net, microsoft, broker } = await setup({ tenant: TENANT });
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('openid profile email offline_access User.Read');
    expect(authorize.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);

    const done = await broker.callback(await microsoft.approve(authorize.toString()));
    const outcome = success(done);
    const tokenRequest = net.last(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
    expect(new URLSearchParams(tokenRequest.body).get('client_secret')).toBe(CLIENT.clientSecret);
    expect(outcome.idToken?.claims).toMatchObject({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, tid: TENANT, aud: CLIENT.clientId });
    expect(outcome.idToken?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(outcome.idToken?.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['signature', 'iss', 'aud', 'nonce']));
    // The keys come from the tenant-independent JWKS, without a discovery round trip.
    expect(net.sent('https://login.microsoftonline.com/common/discovery/v2.0/keys')).toHaveLength(1);
    expect(outcome.token).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(outcome.token.extra.ext_expires_in).toBe(3599);
    expect(outcome.token.refresh_token).toBeDefined();
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, id_token: outcome.token.id_token, expires_in: 3599 });

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({ id: MICROSOFT_USER.id, name: 'Adele Vance', firstname: 'Adele', lastname: 'Vance', email: MICROSOFT_USER.mail, alias: MICROSOFT_USER.userPrincipalName });

    const api = await broker.request(encodeURIComponent('/me/messages?$top=1'), { access_token: token });
    expect(api.status).toBe(200);
    expect(net.last('https://graph.microsoft.com/v1.0/me/messages').url).toBe('https://graph.microsoft.com/v1.0/me/messages?$top=1');
  });

  it('the default tenant (common) without openid: the flow works and nothing is discovered', async () => {
    const { net, microsoft, broker } = await setup({ scope: ['User.Read', 'offline_access'] });
    const authorize = await broker.start();
    expect(authorize.pathname).toBe('/common/oauth2/v2.0/authorize');
    expect(authorize.searchParams.has('nonce')).toBe(false);
    const outcome = success(await broker.callback(await microsoft.approve(authorize.toString())));
    expect(net.last('https://login.microsoftonline.com/common/oauth2/v2.0/token')).toBeDefined();
    expect(outcome.token.id_token).toBeUndefined();
    expect(net.sent('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration')).toHaveLength(0);
  });

  it('common with openid: the id_token names the user\'s tenant, accepted through oidc.acceptIssuers ({id_token.tid})', async () => {
    const { microsoft, broker } = await setup();
    const done = await broker.callback(await microsoft.approve((await broker.start()).toString()));
    const outcome = success(done);
    expect(outcome.idToken?.checks.find((check) => check.name === 'iss')).toMatchObject({ ok: true, detail: `= "https://login.microsoftonline.com/${TENANT}/v2.0"` });
  });

  it('a web app without its secret: AADSTS7000218 (HTTP 401 invalid_client) → one line', async () => {
    const { microsoft, broker } = await setup({ tenant: TENANT, clientSecret: undefined });
    const done = await broker.callback(await microsoft.approve((await broker.start()).toString()));
    const message = expectOneLineFailure(done);
    expect(message).toMatch(/^the token endpoint refused: invalid_client — AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'\./);
    expect(message).toMatch(/\[HTTP 401\]$/);
    expect(done.outcome?.ok === false && hintFor(done.outcome.error)).toMatch(/client id or secret is wrong/);
  });

  it('an expired code: AADSTS70008 invalid_grant → one line', async () => {
    const { microsoft, broker } = await setup({ tenant: TENANT });
    const redirect = await microsoft.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: '0.AXkA-expired' });
    expect(expectOneLineFailure(done)).toMatch(/^the token endpoint refused: invalid_grant — AADSTS70008: The provided authorization code or refresh token has expired/);
  });

  it('the user declines consent → one line', async () => {
    const { microsoft, broker } = await setup({ tenant: TENANT });
    const done = await broker.callback(microsoft.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied — AADSTS65004: User declined to consent to access the app.');
  });
});
