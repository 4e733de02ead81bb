// RFC 7662 introspection and the RFC 6749 §4.4 client credentials grant.
import { describe, expect, it } from 'vitest';
import { clientCredentialsGrant } from '../../src/oauth/client-credentials.js';
import { introspectToken } from '../../src/oauth/introspect.js';
import type { TokenEndpoint } from '../../src/oauth/oauth2.js';
import { basic, fakeHttp, formFields, json } from './fake-http.js';
import { caughtCliError } from './errors.js';

const URL = 'https://as.example/introspect';
const CLIENT = { clientId: 'rs', clientSecret: 'rs-secret' };


describe('introspectToken (RFC 7662)', () => {
  it('§2.1: form POST of token and hint, client authenticated; §2.2: the parsed answer', async () => {
    const http = fakeHttp([json(200, { active: true, scope: 'read write', client_id: 'app', exp: 1_900_000_000, sub: 'alice', ext: 'x' })]);
    const result = await introspectToken(http, URL, CLIENT, 'tok-1', 'access_token');
    expect(result).toEqual({ active: true, scope: 'read write', client_id: 'app', exp: 1_900_000_000, sub: 'alice', ext: 'x' });
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'POST', url: URL });
    expect(request!.headers.authorization).toBe(basic('rs', 'rs-secret'));
    expect(formFields(request)).toEqual({ token: 'tok-1', token_type_hint: 'access_token' });
  });

  it('an inactive token is an answer, not an error', async () => {
    const http = fakeHttp([json(200, { active: false })]);
    await expect(introspectToken(http, URL, CLIENT, 'gone')).resolves.toEqual({ active: false });
    expect(formFields(http.requests[0])).toEqual({ token: 'gone' });
  });

  it('client_secret_post when the provider wants it', async () => {
    const http = fakeHttp([json(200, { active: false })]);
    await introspectToken(http, URL, CLIENT, 'tok', undefined, 'client_secret_post');
    expect(http.requests[0]!.headers.authorization).toBeUndefined();
    expect(formFields(http.requests[0])).toEqual({ token: 'tok', client_id: 'rs', client_secret: 'rs-secret' });
  });

  it('§2.2: an answer without a boolean active is refused', async () => {
    for (const body of [{ scope: 'x' }, { active: 'true' }]) {
      const error = await caughtCliError(() => introspectToken(fakeHttp([json(200, body)]), URL, CLIENT, 'tok'));
      expect(error.code).toBe('invalid_introspection_response');
      expect(error.message).toContain('RFC 7662 §2.2');
    }
  });

  it('an HTML page is named as such', async () => {
    const http = fakeHttp([{ status: 200, text: '<html><title>Sign in</title></html>', headers: { 'content-type': 'text/html' } }]);
    const error = await caughtCliError(() => introspectToken(http, URL, CLIENT, 'tok'));
    expect(error.message).toBe('the introspection endpoint answered HTTP 200 with an HTML page ("Sign in"), not a JSON object');
  });

  it('401 names the provider error and points at the client credentials', async () => {
    const http = fakeHttp([json(401, { error: 'invalid_client', error_description: 'client authentication failed' })]);
    const error = await caughtCliError(() => introspectToken(http, URL, CLIENT, 'tok'));
    expect(error.code).toBe('invalid_client');
    expect(error.message).toContain('client authentication failed');
    expect(error.hint).toContain('client secret');
  });
});

describe('clientCredentialsGrant (RFC 6749 §4.4)', () => {
  const endpoint: TokenEndpoint & { scopeSeparator: string } = {
    tokenUrl: 'https://as.example/token',
    clientAuth: 'client_secret_post',
    tokenParams: { audience: 'https://api.example' },
    tokenHeaders: {},
    tokenRequestBody: 'form',
    tokenResponse: {},
    scopeSeparator: ' ',
  };

  it('§4.4.2: grant_type=client_credentials, scopes, the client authenticated', async () => {
    const http = fakeHttp([json(200, { access_token: 'cc-1', token_type: 'Bearer', expires_in: 600 }, { 'cache-control': 'no-store' })]);
    const { token } = await clientCredentialsGrant(http, endpoint, CLIENT, ['read', 'write']);
    expect(token).toMatchObject({ access_token: 'cc-1', expires_in: 600 });
    expect(formFields(http.requests[0])).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
      audience: 'https://api.example',
      client_id: 'rs',
      client_secret: 'rs-secret',
    });
  });

  it('§4.4: a client without a secret is stopped before any request', async () => {
    const http = fakeHttp([]);
    const error = await caughtCliError(() => clientCredentialsGrant(http, endpoint, { clientId: 'public' }, []));
    expect(error.kind).toBe('config');
    expect(http.requests).toHaveLength(0);
  });
});
