// Contract: providers/twitter.json (OAuth 1.0a, HMAC-SHA1) against an X that answers as documented
// (https://docs.x.com/resources/fundamentals/authentication/oauth-1-0a/obtaining-user-access-tokens)
// and checks every signature with its own RFC 5849 code (test/contracts/fake-kit.ts, ported from
// test/fixtures/oauth1-server.mjs): two implementations must agree for a request to pass.
import { describe, expect, it } from 'vitest';
import { FakeNet } from './fake-kit.js';
import { BROKER_CALLBACK, fakeTwitter, TWITTER_USER } from './fake-providers.js';
import { contractBrokers, expectOneLine, expectOneLineFailure, popupResult, success } from './harness.js';

const CONSUMER = { key: 'xvz1evFS4wEEPTGEFPHBog', secret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw', callback: BROKER_CALLBACK };
const openBroker = contractBrokers();

async function setup(options: { consumerSecret?: string; registeredCallback?: string } = {}) {
  const net = new FakeNet();
  const twitter = fakeTwitter(net, { ...CONSUMER, callback: options.registeredCallback ?? CONSUMER.callback });
  const broker = await openBroker('twitter', { keyset: { clientId: CONSUMER.key }, clientSecret: options.consumerSecret ?? CONSUMER.secret, http: net.http });
  return { net, twitter, broker };
}

describe('twitter (OAuth 1.0a)', () => {
  it('runs the three legs, then signs /me and API calls with the token credentials', async () => {
    const { net, twitter, broker } = await setup();
    const authorize = await broker.start();
    // Leg 1 happened while starting: a signed request_token call with the callback signed in.
    const requestToken = net.last('https://api.x.com/oauth/request_token');
    expect(requestToken.headers.authorization).toMatch(/^OAuth /);
    expect(requestToken.headers.authorization).toContain(`oauth_callback="${encodeURIComponent(BROKER_CALLBACK)}"`);
    expect(requestToken.headers.authorization).toContain('oauth_signature_method="HMAC-SHA1"');
    // Leg 2: the user goes to X with the temporary token.
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://api.x.com/oauth/authorize');
    expect([...authorize.searchParams.keys()]).toEqual(['oauth_token']);

    const done = await broker.callback(twitter.approve(authorize.toString()) as Record<string, string>);
    const outcome = success(done);
    // Leg 3: the verifier was signed into the access_token call.
    expect(net.last('https://api.x.com/oauth/access_token').headers.authorization).toMatch(/oauth_verifier="[^"]+"/);
    expect(outcome.token.access_token).toMatch(new RegExp(`^${TWITTER_USER.id_str}-`));
    expect(outcome.token.token_secret).toBeDefined();
    expect(outcome.token.extra).toEqual({ user_id: TWITTER_USER.id_str, screen_name: TWITTER_USER.screen_name });
    expect(outcome.deviations).toEqual([]);
    // The SDKs sign with both halves: oauth_token and oauth_token_secret reach the page.
    expect(done.result?.data).toEqual({ oauth_token: outcome.token.access_token, oauth_token_secret: outcome.token.token_secret, request: { url: 'https://api.x.com' } });

    const credentials = { oauthv: '1', oauth_token: outcome.token.access_token, oauth_token_secret: outcome.token.token_secret! };
    const me = await broker.me(credentials);
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ id: TWITTER_USER.id_str, name: TWITTER_USER.name, alias: TWITTER_USER.screen_name, email: TWITTER_USER.email, avatar: TWITTER_USER.profile_image_url_https, location: TWITTER_USER.location });

    const api = await broker.request(encodeURIComponent('/1.1/statuses/home_timeline.json?count=2&tweet_mode=extended'), credentials);
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ path: '/1.1/statuses/home_timeline.json', query: '?count=2&tweet_mode=extended' });
    // Every request passed X's own signature check.
    expect(twitter.refusals).toEqual([]);
  });

  it('a POST with a form body: the body is signed too, and X\'s own check agrees', async () => {
    const { net, twitter, broker } = await setup();
    const outcome = success(await broker.callback(twitter.approve((await broker.start()).toString()) as Record<string, string>));
    const api = await broker.request(
      encodeURIComponent('/1.1/statuses/update.json'),
      { oauthv: '1', oauth_token: outcome.token.access_token, oauth_token_secret: outcome.token.token_secret! },
      { method: 'POST', payload: 'status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&include_entities=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    );
    expect(api.status).toBe(200);
    // The same signed request with one body parameter changed fails X's check: the body was signed.
    const sent = net.last('https://api.x.com/1.1/statuses/update.json');
    const tampered = await net.http({ ...sent, body: sent.body!.replace('include_entities=true', 'include_entities=false') });
    expect(tampered.status).toBe(401);
    expect(twitter.refusals).toEqual(['bad_signature']);
    // And the untouched request, sent again, is a replay.
    expect((await net.http(sent)).status).toBe(401);
    expect(twitter.refusals).toEqual(['bad_signature', 'replayed']);
  });

  it('a callback URL not registered at X: error 415 (XML, HTTP 403) ends the start in one line', async () => {
    const { broker } = await setup({ registeredCallback: 'https://app.example/callback' });
    const started = await broker.startRaw();
    expect(started.status).toBe(502);
    const result = popupResult(started.body);
    expect(result?.status).toBe('error');
    expectOneLine(result?.message);
    expect(result?.message).toMatch(/^the request-token endpoint answered HTTP 403: .*Callback URL not approved for this client application/);
  });

  it('a wrong consumer secret: {"errors":[{"code":32}]} ends the start in one line', async () => {
    const { twitter, broker } = await setup({ consumerSecret: 'not-the-secret' });
    const started = await broker.startRaw();
    expect(started.status).toBe(502);
    expect(twitter.refusals).toEqual(['bad_signature']);
    expect(popupResult(started.body)?.message).toBe('the request-token endpoint answered HTTP 401: Could not authenticate you.');
  });

  it('the user declines: denied=<token> → one line', async () => {
    const { twitter, broker } = await setup();
    const done = await broker.callback(twitter.deny((await broker.start()).toString()));
    expect(expectOneLineFailure(done)).toBe('the user denied access at the provider');
  });
});
