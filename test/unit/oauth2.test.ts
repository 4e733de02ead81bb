// src/oauth/oauth2.ts: the authorization request, client authentication and token requests.
import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/oauth/http.js';
import {
  authorizationUrl,
  basicAuthorization,
  exchangeCode,
  refreshAccessToken,
  requestToken,
  reservedExtras,
  type AuthorizationEndpoint,
  type TokenEndpoint,
} from '../../src/oauth/oauth2.js';
import { s256 } from '../../src/oauth/pkce.js';
import { base64Url } from '../../src/util/form-encoding.js';
import { caughtCliError } from './errors.js';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const PKCE = { verifier: VERIFIER, challenge: s256(VERIFIER), method: 'S256' as const };

function endpoint(overrides: Partial<AuthorizationEndpoint> = {}): AuthorizationEndpoint {
  return { authorizeUrl: 'https://idp.example/authorize', scopeSeparator: ' ', scopeParam: 'scope', authorizeParams: {}, ...overrides };
}

const REQUEST = { clientId: 'client 1', redirectUri: 'http://127.0.0.1:6284/auth', state: base64Url('st4te'), scopes: ['openid', 'email'] };

describe('authorizationUrl (RFC 6749 §4.1.1)', () => {
  it('sends the standard parameters, PKCE (RFC 7636 §4.3) and the nonce', () => {
    const url = new URL(authorizationUrl(endpoint(), { ...REQUEST, pkce: PKCE, nonce: base64Url('n-0S6_WzA2Mj') }));
    expect(url.origin + url.pathname).toBe('https://idp.example/authorize');
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'client 1'],
      ['redirect_uri', 'http://127.0.0.1:6284/auth'],
      ['scope', 'openid email'],
      ['state', 'st4te'],
      ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
      ['code_challenge_method', 'S256'],
      ['nonce', 'n-0S6_WzA2Mj'],
    ]);
    // The verifier itself never travels in the front channel.
    expect(url.toString()).not.toContain(VERIFIER);
  });

  it('keeps query parameters already in the endpoint (§3.1), and adds the provider and request extras', () => {
    const url = new URL(
      authorizationUrl(endpoint({ authorizeUrl: 'https://idp.example/oauth/authorize?audience=api%20x&tenant=t1', authorizeParams: { access_type: 'offline', prompt: 'consent' } }), {
        ...REQUEST,
        extra: { prompt: 'select_account', login_hint: 'a@b.example' },
      }),
    );
    expect(url.searchParams.get('audience')).toBe('api x');
    expect(url.searchParams.get('tenant')).toBe('t1');
    expect(url.searchParams.get('access_type')).toBe('offline');
    // The request's extras win over the provider's defaults.
    expect(url.searchParams.getAll('prompt')).toEqual(['select_account']);
    expect(url.searchParams.get('login_hint')).toBe('a@b.example');
    expect(url.searchParams.get('response_type')).toBe('code');
  });

  it('never lets an extra replace a parameter of the request itself', () => {
    const hijack = { state: 'attacker', redirect_uri: 'https://evil.example/cb', client_id: 'other', code_challenge: 'x', nonce: 'n', scope: 'admin', response_type: 'token' };
    const url = new URL(authorizationUrl(endpoint({ authorizeParams: hijack }), { ...REQUEST, pkce: PKCE, nonce: base64Url('n-0S6_WzA2Mj'), extra: { ...hijack, prompt: 'consent' } }));
    expect(url.searchParams.getAll('state')).toEqual(['st4te']);
    expect(url.searchParams.getAll('redirect_uri')).toEqual(['http://127.0.0.1:6284/auth']);
    expect(url.searchParams.getAll('client_id')).toEqual(['client 1']);
    expect(url.searchParams.getAll('code_challenge')).toEqual([PKCE.challenge]);
    expect(url.searchParams.getAll('nonce')).toEqual(['n-0S6_WzA2Mj']);
    expect(url.searchParams.getAll('scope')).toEqual(['openid email']);
    expect(url.searchParams.getAll('response_type')).toEqual(['code']);
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(reservedExtras({ scopeParam: 'scope' }, { ...hijack, prompt: 'consent' })).toEqual(Object.keys(hijack));
    // Slack carries the scopes in user_scope: there `scope` is an extra like any other.
    expect(reservedExtras({ scopeParam: 'user_scope' }, { scope: 'chat:write', user_scope: 'x' })).toEqual(['user_scope']);
  });

  it('reserved names compare case-insensitively, without surrounding whitespace or control characters', () => {
    const disguised = { Redirect_URI: 'https://evil.example/cb', STATE: 'attacker', 'response_type ': 'token', ' Nonce': 'n', 'client_id\t': 'other', 'code_challenge\u0000': 'x', SCOPE: 'admin' };
    expect(reservedExtras({ scopeParam: 'scope' }, { ...disguised, prompt: 'consent' })).toEqual(Object.keys(disguised));
    expect(reservedExtras({ scopeParam: 'user_scope' }, { User_Scope: 'x', Scope: 'chat:write' })).toEqual(['User_Scope']);
    // The URL builder's last guard drops them too, whatever the caller forgot to check.
    const url = authorizationUrl(endpoint({ authorizeParams: disguised }), { ...REQUEST, extra: { ...disguised, prompt: 'consent' } });
    const names = [...new URL(url).searchParams.keys()];
    expect(names).toEqual(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'prompt']);
  });

  it('encodes like URLSearchParams, and follows a change of redirect URI or client id at the same endpoint', () => {
    const shared = endpoint();
    const first = authorizationUrl(shared, { ...REQUEST, extra: { login_hint: "o'brien (test)!~*" } });
    const expected = new URL('https://idp.example/authorize');
    for (const [name, value] of [
      ['response_type', 'code'],
      ['client_id', 'client 1'],
      ['redirect_uri', 'http://127.0.0.1:6284/auth'],
      ['scope', 'openid email'],
      ['state', 'st4te'],
      ['login_hint', "o'brien (test)!~*"],
    ] as const) {
      expected.searchParams.append(name, value);
    }
    expect(first).toBe(expected.toString());
    const moved = new URL(authorizationUrl(shared, { ...REQUEST, redirectUri: 'http://127.0.0.1:7000/auth', clientId: 'client-2' }));
    expect(moved.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:7000/auth');
    expect(moved.searchParams.get('client_id')).toBe('client-2');
  });

  it('joins scopes with the provider separator, under the provider parameter name', () => {
    const url = new URL(authorizationUrl(endpoint({ scopeSeparator: ',', scopeParam: 'user_scope' }), { ...REQUEST, scopes: ['chat:write', 'users:read'] }));
    expect(url.searchParams.get('user_scope')).toBe('chat:write,users:read');
    expect(url.searchParams.has('scope')).toBe(false);
  });

  it('leaves out what is not there: no scope, no PKCE, no nonce, no response_mode', () => {
    const url = new URL(authorizationUrl(endpoint(), { ...REQUEST, scopes: [] }));
    expect([...url.searchParams.keys()]).toEqual(['response_type', 'client_id', 'redirect_uri', 'state']);
  });

  it('asks for form_post when the provider answers that way', () => {
    const url = new URL(authorizationUrl(endpoint({ responseMode: 'form_post' }), REQUEST));
    expect(url.searchParams.get('response_mode')).toBe('form_post');
    expect(new URL(authorizationUrl(endpoint({ responseMode: 'query' }), REQUEST)).searchParams.has('response_mode')).toBe(false);
  });
});

describe('basicAuthorization (RFC 6749 §2.3.1)', () => {
  /** Decodes the header back into its two form-urlencoded halves. */
  const halves = (header: string) => Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

  it('matches the RFC example for plain ASCII credentials', () => {
    expect(basicAuthorization('s6BhdRkqt3', '7Fjfp0ZBr1KtDRbnfVdmIw')).toBe('Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3');
  });

  it('form-urlencodes id and secret before joining them, so ":" " " "%" and non-ASCII survive', () => {
    const header = basicAuthorization('my:client id', 'p%ss wörd:+/=');
    expect(header).toBe(`Basic ${Buffer.from('my%3Aclient+id:p%25ss+w%C3%B6rd%3A%2B%2F%3D').toString('base64')}`);
    const parts = halves(header);
    expect(parts).toHaveLength(2);
    expect(parts.map(formDecode)).toEqual(['my:client id', 'p%ss wörd:+/=']);
  });
});

interface Captured {
  request: HttpRequest;
}

const TOKEN_JSON = { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1' };

/** A fake HttpClient: records the request, answers a standard token response. */
function fakeHttp(answer: Partial<HttpResponse> = {}): { http: HttpClient; captured: Captured[] } {
  const captured: Captured[] = [];
  const http: HttpClient = async (request) => {
    captured.push({ request });
    return {
      status: 200,
      statusText: 'OK',
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      text: JSON.stringify(TOKEN_JSON),
      url: request.url,
      ...answer,
    };
  };
  return { http, captured };
}

function tokenEndpoint(overrides: Partial<TokenEndpoint> = {}): TokenEndpoint {
  return {
    tokenUrl: 'https://idp.example/token',
    clientAuth: 'client_secret_basic',
    tokenParams: {},
    tokenHeaders: {},
    tokenRequestBody: 'form',
    tokenResponse: {},
    ...overrides,
  };
}

const CLIENT = { clientId: 'cid:1', clientSecret: 's3 cr%t' };
const form = (request: HttpRequest) => Object.fromEntries(new URLSearchParams(request.body ?? ''));

describe('exchangeCode (RFC 6749 §4.1.3, RFC 7636 §4.5)', () => {
  it('client_secret_basic: credentials in the Authorization header only', async () => {
    const { http, captured } = fakeHttp();
    const result = await exchangeCode(http, tokenEndpoint(), CLIENT, 'code-1', 'http://127.0.0.1:6284/auth', VERIFIER);
    expect(captured).toHaveLength(1);
    const { request } = captured[0] as Captured;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://idp.example/token');
    expect(request.purpose).toBe('token request (authorization_code)');
    expect(request.headers).toEqual({
      accept: 'application/json',
      authorization: basicAuthorization('cid:1', 's3 cr%t'),
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form(request)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: 'http://127.0.0.1:6284/auth',
      code_verifier: VERIFIER,
    });
    expect(result.token).toEqual({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1', extra: {} });
    expect(result.deviations).toEqual([]);
  });

  it('client_secret_post: client_id and client_secret in the body, no Authorization header', async () => {
    const { http, captured } = fakeHttp();
    await exchangeCode(http, tokenEndpoint({ clientAuth: 'client_secret_post' }), CLIENT, 'code-1', 'https://app.example/cb', undefined);
    const { request } = captured[0] as Captured;
    expect(request.headers.authorization).toBeUndefined();
    expect(form(request)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: 'https://app.example/cb',
      client_id: 'cid:1',
      client_secret: 's3 cr%t',
    });
  });

  it('none (public client): client_id in the body, the secret nowhere', async () => {
    const { http, captured } = fakeHttp();
    await exchangeCode(http, tokenEndpoint({ clientAuth: 'none' }), CLIENT, 'code-1', 'https://app.example/cb', VERIFIER);
    const { request } = captured[0] as Captured;
    expect(request.headers.authorization).toBeUndefined();
    expect(form(request)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: 'https://app.example/cb',
      code_verifier: VERIFIER,
      client_id: 'cid:1',
    });
    expect(request.body).not.toContain('s3');
  });

  it('client_secret_basic without a secret falls back to client_id in the body', async () => {
    const { http, captured } = fakeHttp();
    await exchangeCode(http, tokenEndpoint(), { clientId: 'cid' }, 'c', 'https://app.example/cb', VERIFIER);
    const { request } = captured[0] as Captured;
    expect(request.headers.authorization).toBeUndefined();
    expect(form(request).client_id).toBe('cid');
  });

  it('a JSON body when the provider wants one; extra params and headers (lower-cased) from the provider', async () => {
    const { http, captured } = fakeHttp();
    await exchangeCode(
      http,
      tokenEndpoint({
        clientAuth: 'client_secret_post',
        tokenRequestBody: 'json',
        tokenParams: { audience: 'api' },
        tokenHeaders: { Accept: 'application/vnd.github+json', 'X-Api-Version': '2' },
      }),
      CLIENT,
      'code-1',
      'https://app.example/cb',
      VERIFIER,
    );
    const { request } = captured[0] as Captured;
    expect(request.headers).toEqual({
      accept: 'application/vnd.github+json',
      'x-api-version': '2',
      'content-type': 'application/json',
    });
    expect(JSON.parse(request.body ?? '')).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: 'https://app.example/cb',
      code_verifier: VERIFIER,
      audience: 'api',
      client_id: 'cid:1',
      client_secret: 's3 cr%t',
    });
  });

  it('the answer goes through the normalizer: an error answer becomes a flow error', async () => {
    const { http } = fakeHttp({ status: 400, text: '{"error":"invalid_grant","error_description":"Code expired"}' });
    expect(await caughtCliError(() => exchangeCode(http, tokenEndpoint(), CLIENT, 'c', 'https://app.example/cb', VERIFIER))).toMatchObject({
      kind: 'flow',
      code: 'invalid_grant',
      message: 'the token endpoint refused: invalid_grant — Code expired [HTTP 400]',
    });
  });
});

describe('refreshAccessToken (RFC 6749 §6) and requestToken', () => {
  it('posts the refresh grant to the refresh URL, with scopes space-joined', async () => {
    const { http, captured } = fakeHttp();
    await refreshAccessToken(
      http,
      { ...tokenEndpoint({ clientAuth: 'client_secret_post' }), refreshUrl: 'https://idp.example/refresh' },
      CLIENT,
      'rt-1',
      ['a', 'b'],
    );
    const { request } = captured[0] as Captured;
    expect(request.url).toBe('https://idp.example/refresh');
    expect(request.purpose).toBe('token request (refresh_token)');
    expect(form(request)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1', scope: 'a b', client_id: 'cid:1', client_secret: 's3 cr%t' });
  });

  it('no scope parameter when none is asked', async () => {
    const { http, captured } = fakeHttp();
    await refreshAccessToken(http, { ...tokenEndpoint(), refreshUrl: 'https://idp.example/token' }, CLIENT, 'rt-1');
    expect(form((captured[0] as Captured).request)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
  });

  it('requestToken sends any grant, to the URL given', async () => {
    const { http, captured } = fakeHttp();
    await requestToken(http, tokenEndpoint({ clientAuth: 'none' }), CLIENT, { grant_type: 'client_credentials' }, 'token request (client_credentials)', 'https://other.example/t');
    const { request } = captured[0] as Captured;
    expect(request.url).toBe('https://other.example/t');
    expect(request.purpose).toBe('token request (client_credentials)');
    expect(form(request)).toEqual({ grant_type: 'client_credentials', client_id: 'cid:1' });
  });
});
