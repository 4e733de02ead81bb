// The unified profile (oauthd's /me) for catalog providers, with canned provider answers: which
// request goes out (URL and header templates, token placement) and how root/map shape the result.
import { describe, expect, it } from 'vitest';
import { fetchProfile } from '../../src/oauth/profile.js';
import type { TokenSet } from '../../src/oauth/token-response.js';
import { catalogProvider, fakeHttp, json } from './fake-http.js';
import { caughtCliError } from './errors.js';

function tokenSet(extra: Record<string, unknown> = {}, accessToken = 'tok-123'): TokenSet {
  return { access_token: accessToken, token_type: 'Bearer', refresh_token: 'refresh-secret', extra };
}


describe('fetchProfile with catalog providers', () => {
  it('GitHub: Bearer token, the profile Accept header, numeric id as a string', async () => {
    const github = await catalogProvider('github');
    const user = {
      login: 'octocat',
      id: 583231,
      avatar_url: 'https://avatars.githubusercontent.com/u/583231?v=4',
      html_url: 'https://github.com/octocat',
      name: 'The Octocat',
      location: 'San Francisco',
      email: null,
    };
    const http = fakeHttp([json(200, user)]);
    const profile = await fetchProfile(http, github, tokenSet());
    expect(profile).toEqual({
      id: '583231',
      name: 'The Octocat',
      alias: 'octocat',
      avatar: 'https://avatars.githubusercontent.com/u/583231?v=4',
      location: 'San Francisco',
      url: 'https://github.com/octocat',
      raw: user,
    });
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'GET', url: 'https://api.github.com/user' });
    expect(request!.headers.authorization).toBe('Bearer tok-123');
    expect(request!.headers.accept).toBe('application/vnd.github+json');
  });

  it('Slack: nested map paths under user', async () => {
    const slack = await catalogProvider('slack');
    const answer = { ok: true, user: { name: 'Sonny Whether', id: 'U0G9QF9C6', email: 'sonny@example.com', image_192: 'https://a.slack-edge.com/192.png' }, team: { id: 'T0G9PQBBK' } };
    const http = fakeHttp([json(200, answer)]);
    const token = tokenSet({ team: { id: 'T0G9PQBBK' }, authed_user: { id: 'U0G9QF9C6' } }, 'xoxp-1');
    const profile = await fetchProfile(http, slack, token);
    expect(profile).toEqual({ id: 'U0G9QF9C6', name: 'Sonny Whether', email: 'sonny@example.com', avatar: 'https://a.slack-edge.com/192.png', raw: answer });
    expect(http.requests[0]).toMatchObject({ url: 'https://slack.com/api/users.identity' });
    expect(http.requests[0]!.headers.authorization).toBe('Bearer xoxp-1');
  });

  it('Slack: {"ok": false} with HTTP 200 is an error', async () => {
    const slack = await catalogProvider('slack');
    const error = await caughtCliError(() => fetchProfile(fakeHttp([json(200, { ok: false, error: 'invalid_auth' })]), slack, tokenSet()));
    expect(error.code).toBe('invalid_auth');
    expect(error.message).toContain('profile endpoint of Slack');
  });

  it('Salesforce: {token.instance_url} starts the profile URL', async () => {
    const salesforce = await catalogProvider('salesforce');
    const answer = { user_id: '005xx000001SwiUAAS', name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace', email: 'ada@example.com', preferred_username: 'ada@example.com.org', picture: 'https://c.example/pic' };
    const http = fakeHttp([json(200, answer)]);
    const profile = await fetchProfile(http, salesforce, tokenSet({ instance_url: 'https://na1.my.salesforce.com', id: 'https://login.salesforce.com/id/00D/005' }));
    expect(http.requests[0]!.url).toBe('https://na1.my.salesforce.com/services/oauth2/userinfo');
    expect(profile).toMatchObject({ id: '005xx000001SwiUAAS', firstname: 'Ada', lastname: 'Lovelace', alias: 'ada@example.com.org', avatar: 'https://c.example/pic' });
  });

  it('Salesforce: a token without instance_url is a clear error, and no request goes out', async () => {
    const salesforce = await catalogProvider('salesforce');
    const http = fakeHttp([]);
    const error = await caughtCliError(() => fetchProfile(http, salesforce, tokenSet()));
    expect(error.code).toBe('template_value_missing');
    expect(error.message).toContain('{token.instance_url}');
    expect(http.requests).toHaveLength(0);
  });

  it('Salesforce: an instance_url the provider file does not allow is refused, and no request goes out', async () => {
    const salesforce = await catalogProvider('salesforce');
    for (const instance of ['http://127.0.0.1:7001/secret#', 'https://127.0.0.1:7001', 'https://acme.my.salesforce.com@127.0.0.1']) {
      const http = fakeHttp([]);
      const error = await caughtCliError(() => fetchProfile(http, salesforce, tokenSet({ instance_url: instance })));
      expect(error.code).toBe('token_origin_refused');
      expect(http.requests).toHaveLength(0);
    }
  });

  it('Wrike: {token.host} in the host must name a Wrike host', async () => {
    const wrike = await catalogProvider('wrike');
    const http = fakeHttp([]);
    expect((await caughtCliError(() => fetchProfile(http, wrike, tokenSet({ host: '127.0.0.1' })))).code).toBe('token_origin_refused');
    expect((await caughtCliError(() => fetchProfile(http, wrike, tokenSet({ host: 'evil.example:8443' })))).code).toBe('token_origin_refused');
    expect(http.requests).toHaveLength(0);
  });

  it('Google (OpenID userinfo): sub becomes id', async () => {
    const google = await catalogProvider('google');
    const answer = { sub: '110169484474386276334', name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace', picture: 'https://lh3.example/a.jpg', email: 'ada@example.com', email_verified: true };
    const http = fakeHttp([json(200, answer)]);
    const profile = await fetchProfile(http, google, tokenSet());
    expect(profile).toEqual({ id: '110169484474386276334', name: 'Ada Lovelace', firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', avatar: 'https://lh3.example/a.jpg', raw: answer });
    expect(http.requests[0]!.url).toBe('https://openidconnect.googleapis.com/v1/userinfo');
  });

  it('Shopify: the token in the templated header, verbatim, and no Authorization; root applies', async () => {
    const shopify = await catalogProvider('shopify', { params: { shop: 'my-store' } });
    const answer = { shop: { id: 548380009, name: 'John Smith Test Store', email: 'j.smith@example.com' } };
    const http = fakeHttp([json(200, answer)]);
    // A character encodeURIComponent would change: header values are not URLs.
    const profile = await fetchProfile(http, shopify, tokenSet({}, 'shpat_a/b+c'));
    expect(profile).toEqual({ id: '548380009', name: 'John Smith Test Store', email: 'j.smith@example.com', raw: answer });
    const [request] = http.requests;
    expect(request!.url).toBe('https://my-store.myshopify.com/admin/api/2025-10/shop.json');
    expect(request!.headers['x-shopify-access-token']).toBe('shpat_a/b+c');
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('Stack Exchange: query templates, the token as a query parameter, root items.0', async () => {
    const stackexchange = await catalogProvider('stackexchange', { params: { key: 'U4DMV*8nvpm3EOpvf69Rxw((' } });
    const answer = { items: [{ account_id: 1234, display_name: 'Jon', link: 'https://stackoverflow.com/users/1', profile_image: 'https://i.example/1.png' }], has_more: false };
    const http = fakeHttp([json(200, answer)]);
    const profile = await fetchProfile(http, stackexchange, tokenSet({}, 'se(tok)'));
    expect(profile).toMatchObject({ id: '1234', name: 'Jon', url: 'https://stackoverflow.com/users/1' });
    const url = new URL(http.requests[0]!.url);
    expect(url.origin + url.pathname).toBe('https://api.stackexchange.com/2.3/me');
    expect(Object.fromEntries(url.searchParams)).toEqual({ site: 'stackoverflow', key: 'U4DMV*8nvpm3EOpvf69Rxw((', access_token: 'se(tok)' });
    expect(http.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('a 401 names the status and the provider message, and hints at the expired token', async () => {
    const github = await catalogProvider('github');
    const http = fakeHttp([json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' })]);
    const error = await caughtCliError(() => fetchProfile(http, github, tokenSet()));
    expect(error.message).toBe('the profile endpoint of GitHub refused: Bad credentials [HTTP 401]');
    expect(error.hint).toContain('log in again');
    expect(error.message + error.hint).not.toContain('tok-123');
  });

  it('a map whose id path finds nothing says which fields arrived', async () => {
    const github = await catalogProvider('github');
    const error = await caughtCliError(() => fetchProfile(fakeHttp([json(200, { login: 'octocat' })]), github, tokenSet()));
    expect(error.code).toBe('profile_unmapped');
    expect(error.message).toContain('"id"');
    expect(error.hint).toContain('login');
  });

  it('a provider without a profile block is a configuration error', async () => {
    const provider = await catalogProvider('github');
    const { profile: _omitted, ...spec } = provider.spec;
    const error = await caughtCliError(() => fetchProfile(fakeHttp([]), { ...provider, spec }, tokenSet()));
    expect(error.kind).toBe('config');
  });
});
