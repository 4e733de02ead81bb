// Where an API request may go (the SSRF guard shared by the broker's /request proxy and the CLI's
// request command) and how the token is attached, for catalog providers.
import { describe, expect, it } from 'vitest';
import { apiRequestTarget, authorizeApiRequest } from '../../src/oauth/profile.js';
import { tokenTemplateValues } from '../../src/oauth/api.js';
import type { TokenSet } from '../../src/oauth/token-response.js';
import { fillTemplate, TemplateError } from '../../src/providers/template.js';
import type { CliError } from '../../src/util/errors.js';
import { explained } from './errors.js';
import { catalogProvider } from './fake-http.js';

const TOKEN: TokenSet = { access_token: 'tok-123', token_type: 'Bearer', refresh_token: 'refresh-secret', extra: {} };

function refusal(run: () => unknown): CliError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  return explained(caught);
}

describe('apiRequestTarget', () => {
  it('appends relative paths to the base URL, with or without a leading slash', async () => {
    const github = await catalogProvider('github');
    expect(apiRequestTarget(github, TOKEN, 'user')).toBe('https://api.github.com/user');
    expect(apiRequestTarget(github, TOKEN, '/user/repos?per_page=5')).toBe('https://api.github.com/user/repos?per_page=5');
    const slack = await catalogProvider('slack');
    expect(apiRequestTarget(slack, TOKEN, '/users.identity')).toBe('https://slack.com/api/users.identity');
    const shopify = await catalogProvider('shopify', { params: { shop: 'my-store' } });
    expect(apiRequestTarget(shopify, TOKEN, 'api/2025-10/shop.json')).toBe('https://my-store.myshopify.com/admin/api/2025-10/shop.json');
  });

  it('accepts absolute URLs on the API origin', async () => {
    const github = await catalogProvider('github');
    expect(apiRequestTarget(github, TOKEN, 'https://api.github.com/user')).toBe('https://api.github.com/user');
    expect(apiRequestTarget(github, TOKEN, 'HTTPS://API.GITHUB.COM:443/user')).toBe('https://api.github.com/user');
  });

  it('takes the base URL from the token ({token.instance_url})', async () => {
    const salesforce = await catalogProvider('salesforce');
    const token = { ...TOKEN, extra: { instance_url: 'https://na1.my.salesforce.com' } };
    expect(apiRequestTarget(salesforce, token, 'services/data/v62.0/sobjects')).toBe('https://na1.my.salesforce.com/services/data/v62.0/sobjects');
    expect(apiRequestTarget(salesforce, token, 'https://na1.my.salesforce.com/services/data')).toBe('https://na1.my.salesforce.com/services/data');
    expect(refusal(() => apiRequestTarget(salesforce, token, 'https://eu5.my.salesforce.com/services/data')).code).toBe('foreign_origin');
  });

  it.each([
    ['a protocol-relative URL', '//evil.com/steal'],
    ['a backslash protocol-relative URL', '\\\\evil.com'],
    ['a slash-backslash URL', '/\\evil.com'],
    ['userinfo that looks like the API host', 'http://api.github.com@evil.com'],
    ['userinfo on https', 'https://api.github.com@evil.com/user'],
    ['credentials on the API host', 'https://user:pass@api.github.com/user'],
    ['another host', 'https://evil.com/user'],
    ['a look-alike host', 'https://api.github.com.evil.com/user'],
    ['another scheme', 'http://api.github.com/user'],
    ['another port', 'https://api.github.com:8443/user'],
    ['a scheme without slashes', 'https:evil.com'],
    ['a non-web scheme', 'javascript:alert(1)'],
    ['a file URL', 'file:///etc/passwd'],
    ['a tab the URL parser would drop', 'ht\ttps://evil.com'],
    ['a newline', '/user\n//evil.com'],
  ])('refuses %s', async (_name, target) => {
    const github = await catalogProvider('github');
    const error = refusal(() => apiRequestTarget(github, TOKEN, target));
    expect(error.code).toBe('foreign_origin');
    expect(error.kind).toBe('usage');
    expect(error.message).toContain('refusing to send a GitHub token');
    expect(error.hint).toContain('https://api.github.com');
  });

  it('keeps even odd relative paths on the API origin', async () => {
    const github = await catalogProvider('github');
    for (const path of ['@evil.com', '.evil.com/x', '../../../x', '%2e%2e/%2e%2e/x']) {
      expect(new URL(apiRequestTarget(github, TOKEN, path)).origin).toBe('https://api.github.com');
    }
  });

  it('keeps the resolved path under the base path: no ../, encoded or not, on a relative path or a full URL', async () => {
    const pipedrive = await catalogProvider('pipedrive');
    const token = { ...TOKEN, extra: { api_domain: 'https://acme.pipedrive.com' } };
    expect(apiRequestTarget(pipedrive, token, 'deals?limit=5')).toBe('https://acme.pipedrive.com/api/v1/deals?limit=5');
    expect(apiRequestTarget(pipedrive, token, 'a/../deals')).toBe('https://acme.pipedrive.com/api/v1/deals');
    expect(apiRequestTarget(pipedrive, token, 'https://acme.pipedrive.com/api/v1')).toBe('https://acme.pipedrive.com/api/v1');
    for (const path of ['../../admin', '..', '/../v2/deals', '%2e%2e/%2e%2e/admin', '.%2E/x', '..\\..\\admin', 'https://acme.pipedrive.com/api/v2/deals', 'https://acme.pipedrive.com/api/v1x', 'https://acme.pipedrive.com/api/v1/../../admin']) {
      const error = refusal(() => apiRequestTarget(pipedrive, token, path));
      expect(error.code, path).toBe('foreign_origin');
      expect(error.message, path).toMatch(/outside the API's base path \/api\/v1/);
    }
    // Dot segments a server would find after decoding once more (%252e%252e reached the broker).
    for (const path of ['%2e%2e%2fadmin', 'x/..%2f..%2f..%2fadmin', 'x%2F..']) {
      expect(refusal(() => apiRequestTarget(pipedrive, token, path)).message, path).toContain('decodes to "." or ".."');
    }
    // An encoded slash that is no dot segment stays legal (GitLab's projects/group%2Fproject).
    const gitlab = await catalogProvider('gitlab');
    expect(apiRequestTarget(gitlab, TOKEN, 'projects/group%2Fproject')).toBe('https://gitlab.com/api/v4/projects/group%2Fproject');
  });

  it('needs an api block', async () => {
    const github = await catalogProvider('github');
    const { api: _omitted, ...spec } = github.spec;
    expect(refusal(() => apiRequestTarget({ ...github, spec }, TOKEN, 'user')).kind).toBe('config');
  });
});

describe('token fields that decide the API origin (tokenOrigins)', () => {
  // A documented value passes for every catalog provider whose API origin comes from the token;
  // loopback, plain http and look-alikes are refused with the one code the broker maps to 403.
  const cases: Array<[string, Record<string, string>, Record<string, string>, string, string]> = [
    ['salesforce', {}, { instance_url: 'https://acme.my.salesforce.com' }, 'instance_url', 'https://acme.my.salesforce.com/x'],
    ['zoho', {}, { api_domain: 'https://www.zohoapis.eu' }, 'api_domain', 'https://www.zohoapis.eu/x'],
    ['pipedrive', {}, { api_domain: 'https://acme.pipedrive.com' }, 'api_domain', 'https://acme.pipedrive.com/api/v1/x'],
    ['adobe_sign', { shard: 'na1' }, { api_access_point: 'https://api.na1.adobesign.com/' }, 'api_access_point', 'https://api.na1.adobesign.com/api/rest/v6/x'],
    ['bitrix24', { portal: 'acme.bitrix24.com' }, { client_endpoint: 'https://acme.bitrix24.com/rest/' }, 'client_endpoint', 'https://acme.bitrix24.com/rest/x'],
    ['gong', {}, { api_base_url_for_customer: 'https://us-4657.api.gong.io' }, 'api_base_url_for_customer', 'https://us-4657.api.gong.io/x'],
    ['wrike', {}, { host: 'app-eu.wrike.com' }, 'host', 'https://app-eu.wrike.com/api/v4/x'],
  ];
  it.each(cases)('%s: a documented value passes, a hostile one is refused', async (id, params, fields, field, expected) => {
    const provider = await catalogProvider(id, { params });
    expect(apiRequestTarget(provider, { ...TOKEN, extra: fields }, 'x')).toBe(expected);
    const hostile = field === 'host' ? ['127.0.0.1', '127.0.0.1:7001', 'evil.example', 'wrike.com.evil.example'] : ['http://127.0.0.1:7001/secret#', 'https://127.0.0.1:7001', 'https://evil.example', `${fields[field]}@evil.example`];
    for (const value of hostile) {
      const error = refusal(() => apiRequestTarget(provider, { ...TOKEN, extra: { [field]: value } }, 'x'));
      expect(error.code, value).toBe('token_origin_refused');
      expect(error.message, value).toContain(`from {token.${field}}`);
      expect(error.hint, value).toContain(`tokenOrigins.${field}`);
    }
  });

  it('bitrix24: the origin is the keyset\'s own portal, not any Bitrix24 portal', async () => {
    const bitrix = await catalogProvider('bitrix24', { params: { portal: 'acme.bitrix24.com' } });
    const error = refusal(() => apiRequestTarget(bitrix, { ...TOKEN, extra: { client_endpoint: 'https://other.bitrix24.com/rest/' } }, 'x'));
    expect(error.message).toContain('allowed: https://acme.bitrix24.com/rest');
  });
});

describe('authorizeApiRequest', () => {
  it('GitHub: Authorization Bearer and the API headers; caller headers override defaults, never the token', async () => {
    const github = await catalogProvider('github');
    const request = authorizeApiRequest(github, TOKEN, { Accept: 'application/vnd.github.raw+json', Authorization: 'Bearer stolen' }, 'https://api.github.com/user');
    expect(request).toEqual({
      url: 'https://api.github.com/user',
      headers: { accept: 'application/vnd.github.raw+json', 'x-github-api-version': '2022-11-28', authorization: 'Bearer tok-123' },
    });
  });

  it('Shopify: a header template carrying the token replaces Authorization', async () => {
    const shopify = await catalogProvider('shopify', { params: { shop: 'my-store' } });
    const request = authorizeApiRequest(shopify, TOKEN, {}, 'https://my-store.myshopify.com/admin/api/2025-10/products.json');
    expect(request.headers).toEqual({ 'x-shopify-access-token': 'tok-123' });
  });

  it('Baidu: the token as the query parameter the provider names', async () => {
    const baidu = await catalogProvider('baidu');
    const request = authorizeApiRequest(baidu, TOKEN, {}, 'https://pan.baidu.com/rest/2.0/xpan/nas?method=uinfo');
    expect(request.url).toBe('https://pan.baidu.com/rest/2.0/xpan/nas?method=uinfo&access_token=tok-123');
    expect(request.headers.authorization).toBeUndefined();
  });

  it("Zoho: the provider's Authorization scheme", async () => {
    const zoho = await catalogProvider('zoho');
    expect(authorizeApiRequest(zoho, TOKEN, {}, 'https://www.zohoapis.com/crm/v6/users').headers.authorization).toBe('Zoho-oauthtoken tok-123');
  });

  it('Twitch: {client_id} in a header template', async () => {
    const twitch = await catalogProvider('twitch');
    const request = authorizeApiRequest(twitch, TOKEN, {}, 'https://api.twitch.tv/helix/users');
    expect(request.headers).toMatchObject({ 'client-id': 'my-client-id', authorization: 'Bearer tok-123' });
  });
});

describe('template values with a token', () => {
  it('offers token fields (numbers as strings) but never the refresh token', async () => {
    const github = await catalogProvider('github');
    const values = tokenTemplateValues(github, { ...TOKEN, expires_in: 3600, extra: { instance_url: 'https://x.example', uid: 42, nested: { a: 1 } } });
    expect(values).toMatchObject({ client_id: 'my-client-id', 'token.access_token': 'tok-123', 'token.expires_in': '3600', 'token.instance_url': 'https://x.example', 'token.uid': '42' });
    expect(values['token.refresh_token']).toBeUndefined();
    expect(values['token.nested']).toBeUndefined();
  });

  it('fillTemplate: text values are inserted verbatim, URL values stay percent-encoded', () => {
    const values = { 'token.access_token': 'a/b c+d', tenant: 'a/b' };
    expect(fillTemplate('{token.access_token}', values, 'text')).toBe('a/b c+d');
    expect(fillTemplate('Bearer {token.access_token}', values, 'text')).toBe('Bearer a/b c+d');
    expect(fillTemplate('https://login.example/{tenant}/token', values)).toBe('https://login.example/a%2Fb/token');
  });

  it('fillTemplate: a text value with CR/LF is refused without repeating it', () => {
    let caught: unknown;
    try {
      fillTemplate('{token.access_token}', { 'token.access_token': 'secret\r\nX-Evil: 1' }, 'text');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect((caught as Error).message).not.toContain('secret');
  });
});
