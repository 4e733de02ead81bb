// Contract: providers/reddit.json against a Reddit that answers as its OAuth2 wiki documents
// (https://github.com/reddit-archive/reddit/wiki/OAuth2): Basic client authentication,
// duration=permanent for a refresh token, errors in the body, the API on oauth.reddit.com.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeReddit, REDDIT_USER, registered } from './fake-providers.js';
import { contractBrokers, deviationCodes, expectOneLineFailure, success } from './harness.js';
import { hintFor } from '../../src/cli/errors.js';

const CLIENT = registered('p-jcoLKBynTLew', 'gko_LXELoV07ZBNUXrvWZfzE3aI');
const openBroker = contractBrokers();

async function setup(clientSecret = CLIENT.clientSecret) {
  const net = new FakeNet();
  const reddit = fakeReddit(net, CLIENT);
  const broker = await openBroker('reddit', { keyset: { clientId: CLIENT.clientId, scope: ['identity', 'read'] }, clientSecret, http: net.http });
  return { net, reddit, broker };
}

describe('reddit', () => {
  it('runs the flow: duration=permanent, HTTP Basic at the token endpoint, bearer on oauth.reddit.com', async () => {
    const { net, reddit, broker } = await setup();
    const authorize = await broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://www.reddit.com/api/v1/authorize');
    expect(authorize.searchParams.get('duration')).toBe('permanent');
    expect(authorize.searchParams.get('scope')).toBe('identity read');
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('redirect_uri')).toBe(BROKER_CALLBACK);
    // pkce "undocumented": S256 is still sent (RFC 6749 §3.1: unknown parameters are ignored).
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    const done = await broker.callback(await reddit.approve(authorize.toString()));
    const outcome = success(done);
    const tokenRequest = net.last('https://www.reddit.com/api/v1/access_token');
    expect(tokenRequest.headers.authorization).toBe(`Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`);
    expect(new URLSearchParams(tokenRequest.body).has('client_secret')).toBe(false);
    expect(tokenRequest.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // duration=permanent is what brought the refresh token; it stays off the page.
    expect(outcome.token.refresh_token).toBeDefined();
    expect(done.result?.data).not.toHaveProperty('refresh_token');
    expect(outcome.token).toMatchObject({ token_type: 'bearer', expires_in: 86400, scope: 'identity read' });
    expect(deviationCodes(done)).toContain('no-cache-control');

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.json.data).toMatchObject({ id: REDDIT_USER.id, alias: REDDIT_USER.name, avatar: REDDIT_USER.icon_img });
    expect(net.last('https://oauth.reddit.com/api/v1/me').headers.authorization).toBe(`Bearer ${token}`);

    const api = await broker.request(encodeURIComponent('/r/programming/hot?limit=1'), { access_token: token });
    expect(api.status).toBe(200);
    expect(net.last('https://oauth.reddit.com/r/programming/hot').url).toBe('https://oauth.reddit.com/r/programming/hot?limit=1');
  });

  it('a spent code: Reddit answers {"error": "invalid_grant"} in the body → one line', async () => {
    const { reddit, broker } = await setup();
    const redirect = await reddit.approve((await broker.start()).toString());
    const done = await broker.callback({ ...redirect, code: 'spent' });
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_grant [HTTP 200]');
  });

  it('wrong client credentials: a bare 401 → one line naming the status', async () => {
    const { reddit, broker } = await setup('wrong-secret');
    const done = await broker.callback(await reddit.approve((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the token endpoint answered HTTP 401: Unauthorized');
  });

  it('an outage: an HTML 503 page from the token endpoint → one line quoting its title', async () => {
    const { reddit, broker } = await setup();
    const redirect = await reddit.approve((await broker.start()).toString());
    reddit.outage = true;
    const done = await broker.callback(redirect);
    expect(expectOneLineFailure(done)).toBe('the token endpoint answered HTTP 503 with an HTML page, not a token response: "Reddit - Service Unavailable"');
    expect(done.outcome?.ok === false && hintFor(done.outcome.error)).toMatch(/^check the token URL \(https:\/\/www\.reddit\.com\/api\/v1\/access_token\); the provider failed; try again later/);
  });

  it('the user declines → one line', async () => {
    const { reddit, broker } = await setup();
    const done = await broker.callback(reddit.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the provider refused: access_denied');
  });
});
