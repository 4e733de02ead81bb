// Contract: providers/dropbox.json against a Dropbox that answers as documented
// (https://developers.dropbox.com/oauth-guide, https://www.dropbox.com/developers/documentation/http/documentation):
// token_access_type=offline, short-lived tokens, and RPC endpoints where "no arguments" means no body.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, DROPBOX_USER, fakeDropbox, registered } from './fake-providers.js';
import { contractBrokers, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('dbx3kq9v2u8y1z0', 'dropbox-app-secret');
const openBroker = contractBrokers();

async function setup() {
  const net = new FakeNet();
  const dropbox = fakeDropbox(net, CLIENT);
  const broker = await openBroker('dropbox', { keyset: { clientId: CLIENT.clientId }, clientSecret: CLIENT.clientSecret, http: net.http });
  return { net, dropbox, broker };
}

describe('dropbox', () => {
  it('runs the flow: token_access_type=offline, PKCE, get_current_account as a POST without a body', async () => {
    const { net, dropbox, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://www.dropbox.com/oauth2/authorize');
    expect(authorize.searchParams.get('token_access_type')).toBe('offline');
    expect(authorize.searchParams.get('scope')).toBe('account_info.read');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);

    const done = await broker.callback(await dropbox.approve(authorize.toString()));
    const outcome = success(done);
    const fields = new URLSearchParams(net.last('https://api.dropboxapi.com/oauth2/token').body);
    expect(fields.get('client_secret')).toBe(CLIENT.clientSecret);
    expect(fields.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(outcome.token).toMatchObject({ token_type: 'bearer', expires_in: 14400, scope: 'account_info.read' });
    // token_access_type=offline brought the refresh token; the account ids stay in the raw answer.
    expect(outcome.token.refresh_token).toBeDefined();
    expect(outcome.token.extra).toMatchObject({ account_id: DROPBOX_USER.account_id, uid: '12345' });

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ id: DROPBOX_USER.account_id, name: 'Franz Ferdinand (Personal)', firstname: 'Franz', lastname: 'Ferdinand', email: DROPBOX_USER.email, avatar: DROPBOX_USER.profile_photo_url });
    const profileCall = net.last('https://api.dropboxapi.com/2/users/get_current_account');
    expect(profileCall.method).toBe('POST');
    expect(profileCall.body).toBeUndefined();
    expect(profileCall.headers['content-type']).toBeUndefined();

    const api = await broker.request('files/list_folder', { access_token: token }, { method: 'POST', payload: '{"path":""}', headers: { 'content-type': 'application/json' } });
    expect(api.status).toBe(200);
    const sent = net.last('https://api.dropboxapi.com/2/files/list_folder');
    expect(sent.body).toBe('{"path":""}');
    expect(sent.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('the fake holds the RPC rule the profile call keeps: a Content-Type with no body is Dropbox\'s 400 text error', async () => {
    const { dropbox, broker } = await setup();
    const token = success(await broker.callback(await dropbox.approve((await broker.start()).toString()))).token.access_token;
    const api = await broker.request('users/get_current_account', { access_token: token }, { method: 'POST', payload: '', headers: { 'content-type': 'application/json' } });
    expect(api.status).toBe(400);
    expect(api.body).toBe('Error in call to API function "users/get_current_account": request body: could not decode input as JSON');
    const unknown = await broker.request('users/get_current_account', { access_token: 'sl.u.unknown' }, { method: 'POST' });
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body).error['.tag']).toBe('invalid_access_token');
  });

  it('an expired code: HTTP 400 invalid_grant → one line with Dropbox\'s description', async () => {
    const { dropbox, broker } = await setup();
    const redirect = await dropbox.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: 'dbx-code-expired' });
    expect(expectOneLineFailure(done)).toBe("the token endpoint refused: invalid_grant — code doesn't exist or has expired [HTTP 400]");
  });

  it('the user declines → one line', async () => {
    const { dropbox, broker } = await setup();
    const done = await broker.callback(dropbox.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied — The user chose not to give your app access to their Dropbox account.');
  });
});
