// Contract: providers/github.json against a GitHub that answers as documented
// (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps).
import { describe, expect, it } from 'vitest';
import { readTokenResponse } from '../../src/oauth/token-response.js';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeGithub, OCTOCAT, registered } from './fake-providers.js';
import { contractBrokers, deviationCodes, expectOneLineFailure, success } from './harness.js';

const CLIENT = registered('Iv1.8a61f9b3a7aba766', 'github-client-secret');
const openBroker = contractBrokers();

async function setup() {
  const net = new FakeNet();
  const github = fakeGithub(net, CLIENT);
  const broker = await openBroker('github', { keyset: { clientId: CLIENT.clientId }, clientSecret: CLIENT.clientSecret, http: net.http });
  return { net, github, broker };
}

describe('github', () => {
  it('runs the whole flow through the catalog entry: authorize URL, token, profile, API', async () => {
    const { net, github, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://github.com/login/oauth/authorize');
    const query = authorize.searchParams;
    expect(query.get('client_id')).toBe(CLIENT.clientId);
    expect(query.get('redirect_uri')).toBe(BROKER_CALLBACK);
    // Space-separated scopes in "scope", as GitHub documents.
    expect(query.get('scope')).toBe('read:user user:email');
    // pkce "supported": S256 on every flow (GitHub accepts only S256).
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(query.has('nonce')).toBe(false);

    const done = await broker.callback(await github.approve(authorize.toString()));
    const outcome = success(done);
    // The token request: client_id/client_secret as parameters, JSON asked for, the verifier sent.
    const tokenRequest = net.last('https://github.com/login/oauth/access_token');
    const fields = new URLSearchParams(tokenRequest.body);
    expect(fields.get('client_secret')).toBe(CLIENT.clientSecret);
    expect(tokenRequest.headers.authorization).toBeUndefined();
    expect(tokenRequest.headers.accept).toBe('application/json');
    expect(fields.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // GitHub joins granted scopes with commas: normalized to spaces, with a warning.
    expect(outcome.token.scope).toBe('read:user user:email');
    expect(outcome.raw.scope).toBe('read:user,user:email');
    expect(deviationCodes(done)).toContain('scope-commas');
    // OAuth app tokens do not expire: no expires_in, said as a known quirk.
    expect(outcome.deviations.find((d) => d.code === 'no-expires-in')?.expected).toBe(true);
    expect(done.result?.data).toMatchObject({ access_token: outcome.token.access_token, token_type: 'bearer', scope: 'read:user user:email' });
    expect(done.result?.data?.access_token).toMatch(/^gho_/);

    const token = done.result!.data!.access_token as string;
    const me = await broker.me({ access_token: token });
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ id: String(OCTOCAT.id), alias: 'octocat', name: 'The Octocat', avatar: OCTOCAT.avatar_url, url: OCTOCAT.html_url, location: 'San Francisco' });
    // GitHub's email is null unless public: absent, not "null".
    expect(me.json.data).not.toHaveProperty('email');

    const api = await broker.request(encodeURIComponent('/user/repos?per_page=2'), { access_token: token });
    expect(api.status).toBe(200);
    const sent = net.last('https://api.github.com/user/repos');
    expect(sent.url).toBe('https://api.github.com/user/repos?per_page=2');
    expect(sent.headers.authorization).toBe(`Bearer ${token}`);
    expect(sent.headers['x-github-api-version']).toBe('2022-11-28');
  });

  it('reads the documented default answer (form-encoded, without Accept: application/json) with a warning', async () => {
    const { net, github, broker } = await setup();
    const authorize = await broker.start();
    const { code } = await github.approve(authorize.toString());
    const response = await net.http({
      method: 'POST',
      url: 'https://github.com/login/oauth/access_token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code: code!, redirect_uri: BROKER_CALLBACK }).toString(),
      purpose: 'token request',
    });
    // Without the verifier GitHub refuses (PKCE was asked): the error too is form-encoded, HTTP 200.
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/^error=bad_verification_code&/);
    expect(() => readTokenResponse(response)).toThrow(/^the token endpoint refused: bad_verification_code — The code passed is incorrect or expired\./);

    // A flow without PKCE gets the documented form-encoded token.
    const plain = await net.http({
      method: 'POST',
      url: 'https://github.com/login/oauth/access_token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code: (await github.approve(authorize.toString().replace(/&code_challenge[^&]*/g, ''))).code!, redirect_uri: BROKER_CALLBACK }).toString(),
      purpose: 'token request',
    });
    expect(plain.text).toMatch(/^access_token=gho_[0-9a-f]+&scope=read%3Auser%2Cuser%3Aemail&token_type=bearer$/);
    const read = readTokenResponse(plain);
    expect(read.token).toMatchObject({ token_type: 'bearer', scope: 'read:user user:email' });
    expect(read.deviations.map((d) => d.code)).toEqual(expect.arrayContaining(['form-encoded', 'scope-commas']));
  });

  it('an expired or forged code: GitHub answers HTTP 200 with bad_verification_code → one line', async () => {
    const { github, broker } = await setup();
    const authorize = await broker.start();
    const redirect = await github.approve(authorize.toString());
    const done = await broker.callback({ ...redirect, code: 'expired-code' });
    expect(expectOneLineFailure(done)).toBe(
      'the token endpoint refused: bad_verification_code — The code passed is incorrect or expired. (see https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code) [HTTP 200]',
    );
  });

  it('a wrong client secret: incorrect_client_credentials with HTTP 200 → one line naming it', async () => {
    const net = new FakeNet();
    const github = fakeGithub(net, CLIENT);
    const broker = await openBroker('github', { keyset: { clientId: CLIENT.clientId }, clientSecret: 'stale-secret', http: net.http });
    const done = await broker.callback(await github.approve((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toMatch(/^the token endpoint refused: incorrect_client_credentials — The client_id and\/or client_secret passed are incorrect\./);
  });

  it('the user declines: GitHub redirects with error=access_denied → one line', async () => {
    const { github, broker } = await setup();
    const done = await broker.callback(github.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe(
      'the provider refused: access_denied — The user has denied your application access. (see https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied)',
    );
  });

  it('a revoked token at /me: GitHub\'s 401 "Bad credentials" → the caller\'s 401, one line', async () => {
    const { broker } = await setup();
    const me = await broker.me({ access_token: 'gho_revoked' });
    // The token is the caller's: its refusal is passed on, not reported as a provider failure.
    expect(me.status).toBe(401);
    expect(me.json.message).toBe('the profile endpoint of GitHub refused: Bad credentials [HTTP 401]');
  });
});
