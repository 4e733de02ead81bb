// RFC 7009 token revocation, in the shapes the catalog describes: the RFC's form POST, GitHub's
// DELETE with Basic auth and a JSON body, Slack's GET with the token as bearer, Google's
// unauthenticated POST.
import { describe, expect, it } from 'vitest';
import { isRetryableRevocationError, revokeToken, type RevokeEndpoint } from '../../src/oauth/revoke.js';
import { resolveProvider } from '../../src/providers/resolve.js';
import { specFromMetadata } from '../../src/providers/discovered.js';
import { basic, catalogProvider, fakeHttp, formFields, json } from './fake-http.js';
import { caught, caughtCliError, explained } from './errors.js';

const CLIENT = { clientId: 'my-client-id', clientSecret: 'my secret' };


async function revokeSpecOf(id: string): Promise<RevokeEndpoint> {
  const provider = await catalogProvider(id);
  return provider.oauth2!.revoke!;
}

/** An RFC 7009 endpoint as discovery describes it (RFC 8414 revocation_endpoint). */
function discoveredRevoke(): RevokeEndpoint {
  const spec = specFromMetadata('idp', 'IdP', {
    issuer: 'https://idp.example',
    authorization_endpoint: 'https://idp.example/auth',
    token_endpoint: 'https://idp.example/token',
    revocation_endpoint: 'https://idp.example/revoke',
  });
  return resolveProvider(spec, { clientId: 'my-client-id' }, 'issuer').oauth2!.revoke!;
}

describe('revokeToken request shapes', () => {
  it('RFC 7009 §2.1: form POST with token, token_type_hint and HTTP Basic', async () => {
    const http = fakeHttp([{ status: 200 }]);
    await revokeToken(http, discoveredRevoke(), CLIENT, 'rt-123', 'refresh_token');
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'POST', url: 'https://idp.example/revoke' });
    // §2.3.1: id and secret are form-encoded before Basic (the space becomes "+")
    expect(request!.headers.authorization).toBe(basic('my-client-id', 'my+secret'));
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(formFields(request)).toEqual({ token: 'rt-123', token_type_hint: 'refresh_token' });
  });

  it("GitHub: DELETE, Basic auth, JSON body with access_token, {client_id} in the URL, 204 is success", async () => {
    const http = fakeHttp([{ status: 204 }]);
    await revokeToken(http, await revokeSpecOf('github'), { clientId: 'my-client-id', clientSecret: 'gh-secret' }, 'gho_abc', 'access_token');
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'DELETE', url: 'https://api.github.com/applications/my-client-id/token' });
    expect(request!.headers.authorization).toBe(basic('my-client-id', 'gh-secret'));
    expect(request!.headers['content-type']).toBe('application/json');
    // No token_type_hint: GitHub's API documents only access_token.
    expect(JSON.parse(request!.body!)).toEqual({ access_token: 'gho_abc' });
  });

  it('Slack: GET with the token as bearer, nothing in the URL', async () => {
    const http = fakeHttp([json(200, { ok: true, revoked: true })]);
    await revokeToken(http, await revokeSpecOf('slack'), CLIENT, 'xoxp-1', 'access_token');
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'GET', url: 'https://slack.com/api/auth.revoke' });
    expect(request!.headers.authorization).toBe('Bearer xoxp-1');
    expect(request!.body).toBeUndefined();
  });

  it('Slack: an error inside HTTP 200 is a failure with the provider code', async () => {
    const http = fakeHttp([json(200, { ok: false, error: 'invalid_auth' })]);
    const error = await caughtCliError(async () => revokeToken(http, await revokeSpecOf('slack'), CLIENT, 'xoxp-1'));
    expect(error.code).toBe('invalid_auth');
    expect(error.message).toContain('invalid_auth');
  });

  it('Google: auth "none" sends the token alone', async () => {
    const http = fakeHttp([{ status: 200 }]);
    await revokeToken(http, await revokeSpecOf('google'), CLIENT, 'ya29.x');
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'POST', url: 'https://oauth2.googleapis.com/revoke' });
    expect(request!.headers.authorization).toBeUndefined();
    expect(formFields(request)).toEqual({ token: 'ya29.x' });
  });

  it('client_secret_post puts the credentials in the body', async () => {
    const http = fakeHttp([{ status: 200 }]);
    const endpoint: RevokeEndpoint = { url: 'https://as.example/revoke', method: 'POST', auth: 'client_secret_post', tokenParam: 'token', body: 'form' };
    await revokeToken(http, endpoint, CLIENT, 'tok');
    expect(http.requests[0]!.headers.authorization).toBeUndefined();
    expect(formFields(http.requests[0])).toEqual({ client_id: 'my-client-id', client_secret: 'my secret', token: 'tok' });
  });

  it('a public client identifies itself with client_id (no secret, no Basic)', async () => {
    const http = fakeHttp([{ status: 200 }]);
    await revokeToken(http, discoveredRevoke(), { clientId: 'public-app' }, 'tok');
    expect(http.requests[0]!.headers.authorization).toBeUndefined();
    expect(formFields(http.requests[0])).toEqual({ client_id: 'public-app', token: 'tok' });
  });

  it('a GET that is not bearer carries its fields in the query', async () => {
    const http = fakeHttp([{ status: 200 }]);
    const endpoint: RevokeEndpoint = { url: 'https://as.example/revoke?v=2', method: 'GET', auth: 'none', tokenParam: 'access_token', body: 'form' };
    await revokeToken(http, endpoint, CLIENT, 'tok');
    expect(http.requests[0]!.url).toBe('https://as.example/revoke?v=2&access_token=tok');
    expect(http.requests[0]!.body).toBeUndefined();
  });
});

describe('revokeToken answers', () => {
  it('§2.2: HTTP 200 for an already invalid token is success', async () => {
    const http = fakeHttp([{ status: 200, text: '' }, { status: 200, text: '' }]);
    const endpoint = discoveredRevoke();
    await revokeToken(http, endpoint, CLIENT, 'tok');
    await expect(revokeToken(http, endpoint, CLIENT, 'tok')).resolves.toBeUndefined();
  });

  it('§2.2.1: 503 is a retryable error naming Retry-After', async () => {
    const http = fakeHttp([{ status: 503, statusText: 'Service Unavailable', headers: { 'retry-after': '30' } }]);
    const thrown = await caught(() => revokeToken(http, discoveredRevoke(), CLIENT, 'tok'));
    expect(isRetryableRevocationError(thrown)).toBe(true);
    const error = explained(thrown);
    expect(error.message).toContain('still valid');
    expect(error.hint).toContain('30 s');
  });

  it('§2.2.1: unsupported_token_type with the provider description', async () => {
    const http = fakeHttp([json(400, { error: 'unsupported_token_type', error_description: 'refresh tokens cannot be revoked here' })]);
    const thrown = await caught(() => revokeToken(http, discoveredRevoke(), CLIENT, 'tok', 'refresh_token'));
    expect(isRetryableRevocationError(thrown)).toBe(false);
    const error = explained(thrown);
    expect(error.code).toBe('unsupported_token_type');
    expect(error.message).toBe('the revocation endpoint refused: unsupported_token_type — refresh tokens cannot be revoked here [HTTP 400]');
    expect(error.hint).toContain('other one');
  });

  it("an API's own error shape (GitHub's message) still reads as one line", async () => {
    const http = fakeHttp([json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, {})]);
    const error = await caughtCliError(async () => revokeToken(http, await revokeSpecOf('github'), CLIENT, 'gho_x'));
    expect(error.code).toBe('revocation_failed');
    expect(error.message).toBe('the revocation endpoint refused: Not Found [HTTP 404]');
    expect(error.message).not.toContain('gho_x');
  });
});
