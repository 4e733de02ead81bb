// An OAuth 2.0 provider as an HttpClient, for commands run in-process (test/helpers/fake-factory.ts):
// a token endpoint for refreshes (RFC 6749 §6, rotating or not), revocation (RFC 7009),
// introspection (RFC 7662), a userinfo-style profile endpoint, and an API that echoes each call.
// It keeps the state a real one keeps (which tokens are active, for whom), so a test can ask it,
// as the process tests ask node-oidc-provider, whether a token was really revoked or rotated out.
import { randomBytes } from 'node:crypto';
import { HttpError, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/oauth/http.js';
import { lowerCaseKeys } from '../../src/util/headers.js';
import { jsonResponse } from './fake-factory.js';

export const IDP = 'https://idp.test';
export const API = 'https://api.test';
export const CLIENT = { id: 'test-client', secret: 'test-secret' };

/** The provider file of the fake provider ($OAUTHD_PROVIDERS_DIR/<id>.json). */
export function providerFile(id = 'myidp'): Record<string, unknown> {
  return {
    id,
    name: 'My IdP',
    docs: `${IDP}/docs`,
    oauth2: {
      authorizeUrl: `${IDP}/authorize`,
      tokenUrl: `${IDP}/token`,
      revoke: { url: `${IDP}/token/revocation` },
      introspectUrl: `${IDP}/token/introspection`,
      clientAuth: 'client_secret_basic',
      pkce: 'supported',
      scopes: { separator: ' ', default: ['openid', 'profile', 'email'] },
    },
    api: { baseUrl: API },
    profile: { url: `${IDP}/me`, map: { id: 'sub', name: 'name', email: 'email' } },
  };
}

interface Grant {
  sub: string;
  scope: string;
  active: boolean;
}

/** What the API received, as the process tests' echo server says it. */
export interface Echoed {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  ifMatch?: string;
  body: string;
}

export interface FakeProviderOptions {
  /** expires_in of the access tokens it issues (default 3600). */
  accessTtl?: number;
  /** A new refresh token with each refresh (OAuth 2.0 Security BCP §4.14.2). */
  rotate?: boolean;
}

export class FakeProvider {
  readonly access = new Map<string, Grant>();
  readonly refresh = new Map<string, Grant>();
  /** Every request that reached it, in order. */
  readonly requests: HttpRequest[] = [];
  readonly apiCalls: Echoed[] = [];

  constructor(private readonly options: FakeProviderOptions = {}) {}

  /** Tokens as if a login had happened: the token response's fields. */
  issue(sub: string, scope = 'openid profile email'): { access_token: string; refresh_token: string; token_type: string; expires_in: number; scope: string } {
    const access = `at-${sub}-${randomBytes(6).toString('hex')}`;
    const refresh = `rt-${sub}-${randomBytes(6).toString('hex')}`;
    this.access.set(access, { sub, scope, active: true });
    this.refresh.set(refresh, { sub, scope, active: true });
    return { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: this.options.accessTtl ?? 3600, scope };
  }

  /** RFC 7662 as the client would ask: is this token (of either kind) active? */
  isActive(token: string): boolean {
    return (this.access.get(token) ?? this.refresh.get(token))?.active === true;
  }

  readonly http: HttpClient = async (given) => {
    // As fetchClient sends them: header names in lower case.
    const request = { ...given, headers: lowerCaseKeys(given.headers) };
    this.requests.push(request);
    const url = new URL(request.url);
    if (url.origin === API) return this.api(request, url);
    if (url.origin !== IDP) throw new HttpError(`${request.purpose}: cannot reach ${url.host} (host not found)`, request.url);
    switch (`${request.method} ${url.pathname}`) {
      case 'POST /token':
        return this.token(request);
      case 'POST /token/revocation':
        return this.revoke(request);
      case 'POST /token/introspection':
        return this.introspect(request);
      case 'GET /me':
        return this.userinfo(request);
      default:
        return jsonResponse(request, 404, { error: 'not_found' });
    }
  };

  private clientOk(request: HttpRequest): boolean {
    return request.headers.authorization === `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
  }

  private token(request: HttpRequest): HttpResponse {
    if (!this.clientOk(request)) return jsonResponse(request, 401, { error: 'invalid_client' });
    const form = new URLSearchParams(request.body);
    const grant = this.refresh.get(form.get('refresh_token') ?? '');
    if (form.get('grant_type') !== 'refresh_token' || !grant?.active) return jsonResponse(request, 400, { error: 'invalid_grant' });
    const access = `at-${grant.sub}-${randomBytes(6).toString('hex')}`;
    this.access.set(access, { ...grant });
    const answer: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: this.options.accessTtl ?? 3600, scope: grant.scope };
    if (this.options.rotate) {
      grant.active = false;
      const next = `rt-${grant.sub}-${randomBytes(6).toString('hex')}`;
      this.refresh.set(next, { ...grant, active: true });
      answer.refresh_token = next;
    } else {
      answer.refresh_token = form.get('refresh_token');
    }
    return jsonResponse(request, 200, answer, { 'cache-control': 'no-store' });
  }

  private revoke(request: HttpRequest): HttpResponse {
    if (!this.clientOk(request)) return jsonResponse(request, 401, { error: 'invalid_client' });
    const token = new URLSearchParams(request.body).get('token') ?? '';
    const grant = this.access.get(token) ?? this.refresh.get(token);
    if (grant) grant.active = false;
    // RFC 7009 §2.2: revoking a refresh token may revoke the access tokens of the same grant.
    if (this.refresh.has(token)) for (const other of this.access.values()) if (other.sub === grant?.sub) other.active = false;
    return { status: 200, statusText: 'OK', headers: {}, text: '', url: request.url };
  }

  private introspect(request: HttpRequest): HttpResponse {
    if (!this.clientOk(request)) return jsonResponse(request, 401, { error: 'invalid_client' });
    const grant = (() => {
      const token = new URLSearchParams(request.body).get('token') ?? '';
      return this.access.get(token) ?? this.refresh.get(token);
    })();
    if (!grant?.active) return jsonResponse(request, 200, { active: false });
    return jsonResponse(request, 200, { active: true, sub: grant.sub, client_id: CLIENT.id, scope: grant.scope });
  }

  private userinfo(request: HttpRequest): HttpResponse {
    const grant = this.access.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!grant?.active) return jsonResponse(request, 401, { error: 'invalid_token' });
    return jsonResponse(request, 200, { sub: grant.sub, name: `Test User ${grant.sub}`, email: `${grant.sub}@example.test` });
  }

  private api(request: HttpRequest, url: URL): HttpResponse {
    const echoed: Echoed = { method: request.method, url: url.pathname + url.search, body: request.body ?? '' };
    if (request.headers.authorization !== undefined) echoed.authorization = request.headers.authorization;
    if (request.headers['content-type'] !== undefined) echoed.contentType = request.headers['content-type'];
    if (request.headers['if-match'] !== undefined) echoed.ifMatch = request.headers['if-match'];
    this.apiCalls.push(echoed);
    if (url.pathname === '/missing') return jsonResponse(request, 404, { message: 'no such thing' }, { 'x-request-id': 'r-404' });
    return jsonResponse(request, 200, echoed, { 'x-request-id': 'r-200' });
  }
}
