// Contract: providers/slack.json against a Slack that answers as documented
// (https://docs.slack.dev/authentication/installing-with-oauth, .../reference/methods/oauth.v2.access).
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeSlack, registered, SLACK_USER } from './fake-providers.js';
import { contractBrokers, deviationCodes, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('3336676.569200954261', 'slack-client-secret');
const openBroker = contractBrokers();

async function setup(scope?: string[]) {
  const net = new FakeNet();
  const slack = fakeSlack(net, CLIENT);
  const broker = await openBroker('slack', { keyset: { clientId: CLIENT.clientId, ...(scope ? { scope } : {}) }, clientSecret: CLIENT.clientSecret, http: net.http });
  return { net, slack, broker };
}

describe('slack', () => {
  it('asks user scopes in user_scope with commas, reads the nested user token, maps users.identity', async () => {
    const { net, slack, broker } = await setup(['identity.basic', 'identity.email', 'identity.avatar']);
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://slack.com/oauth/v2/authorize');
    expect(authorize.searchParams.get('user_scope')).toBe('identity.basic,identity.email,identity.avatar');
    expect(authorize.searchParams.has('scope')).toBe(false);
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);
    // pkce "unsupported": no challenge is sent.
    expect(authorize.searchParams.has('code_challenge')).toBe(false);

    const done = await broker.callback(await slack.approve(authorize.toString()));
    const outcome = success(done);
    const tokenRequest = new URLSearchParams(net.last('https://slack.com/api/oauth.v2.access').body);
    expect(tokenRequest.get('client_secret')).toBe(CLIENT.clientSecret);
    expect(tokenRequest.has('code_verifier')).toBe(false);
    // authed_user.access_token, authed_user.token_type and the comma scope of authed_user.
    expect(outcome.token.access_token).toMatch(/^xoxp-/);
    expect(outcome.token.token_type).toBe('user');
    expect(outcome.token.scope).toBe('identity.basic identity.email identity.avatar');
    expect(deviationCodes(done)).toContain('scope-commas');
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, token_type: 'user', team: SLACK_USER.team });

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({ id: SLACK_USER.id, name: SLACK_USER.name, email: SLACK_USER.email, avatar: SLACK_USER.image_192 });

    const api = await broker.request('conversations.list', { access_token: token });
    expect(JSON.parse(api.body)).toEqual({ ok: true, method: 'conversations.list', token_kind: 'user' });
    expect(net.last('https://slack.com/api/conversations.list').headers.authorization).toBe(`Bearer ${token}`);
  });

  it('with bot scopes asked too, the page gets the user token and never the bot token', async () => {
    const { slack, broker } = await setup();
    const authorize = await broker.start({ authorize: { scope: 'commands,chat:write' } });
    expect(authorize.searchParams.get('scope')).toBe('commands,chat:write');
    const done = await broker.callback(await slack.approve(authorize.toString()));
    const outcome = success(done);
    expect(outcome.raw.access_token).toMatch(/^xoxb-/);
    expect(outcome.token.access_token).toMatch(/^xoxp-/);
    expect(done.body).not.toContain(outcome.raw.access_token as string);
    expect(done.result?.data?.access_token).toBe(outcome.token.access_token);
  });

  it('a bad code: Slack answers HTTP 200 {"ok": false, "error": "invalid_code"} → one line', async () => {
    const { slack, broker } = await setup();
    const redirect = await slack.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: 'reused-code' });
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_code [HTTP 200]');
  });

  it('users.identity without identity.basic: HTTP 200 ok:false → one line', async () => {
    const { slack, broker } = await setup(['channels:read']);
    const done = await broker.callback(await slack.approve((await broker.start()).toString()));
    const me = await broker.me({ access_token: success(done).token.access_token });
    expect(me.status).toBe(502);
    expect(me.json.message).toBe('the profile endpoint of Slack (user token) refused: missing_scope [HTTP 200]');
  });
});
