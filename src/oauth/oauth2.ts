/**
 * OAuth 2.0 client requests (RFC 6749): the authorization request (§4.1.1), the token request for
 * the code (§4.1.3) and refresh (§6) grants, with client authentication (§2.3.1) and PKCE
 * (RFC 7636 §4.3, §4.5).
 */
import { formEncode } from '../util/form-encoding.js';
import { lowerCaseKeys } from '../util/headers.js';
import type { HttpClient } from './http.js';
import type { Pkce } from './pkce.js';
import { readTokenResponse, type ReadTokenResult } from './token-response.js';
import { isReservedParameter as isReserved, type AuthorizationEndpoint, type TokenEndpoint } from '../providers/endpoints.js';

// The endpoints' shapes are filled by src/providers/resolve.ts; requests here take them as they are.
export { PROTOCOL_PARAMETERS, reservedExtras, type AuthorizationEndpoint, type TokenEndpoint } from '../providers/endpoints.js';

export interface ClientCredentials {
  clientId: string;
  /** Absent for public clients. */
  clientSecret?: string;
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: readonly string[];
  /** Absent only for providers known to break on PKCE. */
  pkce?: Pkce;
  /** OpenID Connect Core §3.1.2.1, sent when openid is asked. */
  nonce?: string;
  extra?: Record<string, string>;
}

interface QueryHead {
  clientId: string;
  redirectUri: string;
  text: string;
}
// The head of the query (response_type, client_id, redirect_uri) is the same for every flow a
// broker starts with a provider: it is encoded once per endpoint, not on every flow.
const heads = new WeakMap<AuthorizationEndpoint, QueryHead>();

function queryHead(endpoint: AuthorizationEndpoint, clientId: string, redirectUri: string): string {
  const cached = heads.get(endpoint);
  if (cached && cached.clientId === clientId && cached.redirectUri === redirectUri) return cached.text;
  const text = `response_type=code&client_id=${formEncode(clientId)}&redirect_uri=${formEncode(redirectUri)}`;
  heads.set(endpoint, { clientId, redirectUri, text });
  return text;
}

/** §4.1.1: the URL the browser is sent to. Query parameters already in the endpoint are kept (§3.1). */
export function authorizationUrl(endpoint: AuthorizationEndpoint, request: AuthorizationRequest): string {
  let query = queryHead(endpoint, request.clientId, request.redirectUri);
  if (request.scopes.length > 0) query += `&${formEncode(endpoint.scopeParam)}=${formEncode(request.scopes.join(endpoint.scopeSeparator))}`;
  query += `&state=${formEncode(request.state)}`;
  if (request.pkce) query += `&code_challenge=${request.pkce.challenge}&code_challenge_method=${request.pkce.method}`;
  if (request.nonce) query += `&nonce=${formEncode(request.nonce)}`;
  if (endpoint.responseMode === 'form_post') query += '&response_mode=form_post';
  // The provider's fixed extras, then this request's, which win over the provider's. Reserved
  // names are skipped: callers refuse them with a message (reservedExtras), this is the last guard.
  const extra = request.extra ?? {};
  for (const name in endpoint.authorizeParams) {
    if (!Object.hasOwn(extra, name) && !isReserved(endpoint, name)) query += `&${formEncode(name)}=${formEncode(endpoint.authorizeParams[name] as string)}`;
  }
  for (const name in extra) {
    if (!isReserved(endpoint, name)) query += `&${formEncode(name)}=${formEncode(extra[name] as string)}`;
  }

  if (!endpoint.authorizeUrl.includes('?')) return `${endpoint.authorizeUrl}?${query}`;
  // The endpoint has a query of its own: keep it, our parameters winning (§3.1).
  const url = new URL(endpoint.authorizeUrl);
  const merged = new URLSearchParams(url.search);
  for (const [name, value] of new URLSearchParams(query)) merged.set(name, value);
  url.search = merged.toString();
  return url.toString();
}

/** §2.3.1: client_id and client_secret are form-urlencoded before they are joined for Basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** A token request with any grant; the answer is read by the normalizer (token-response.ts). */
export async function requestToken(
  http: HttpClient,
  endpoint: TokenEndpoint,
  client: ClientCredentials,
  grant: Record<string, string>,
  purpose: string,
  url = endpoint.tokenUrl,
): Promise<ReadTokenResult> {
  // A provider's extra parameters never override the grant's own (grant_type, code, redirect_uri).
  const fields: Record<string, string> = { ...endpoint.tokenParams, ...grant };
  const headers: Record<string, string> = { accept: 'application/json', ...lowerCaseKeys(endpoint.tokenHeaders) };
  if (endpoint.clientAuth === 'client_secret_basic' && client.clientSecret !== undefined) {
    headers.authorization = basicAuthorization(client.clientId, client.clientSecret);
  } else {
    // client_secret_post (§2.3.1) and public clients (§4.1.3: client_id when not authenticating).
    fields.client_id = client.clientId;
    if (endpoint.clientAuth === 'client_secret_post' && client.clientSecret !== undefined) {
      fields.client_secret = client.clientSecret;
    }
  }
  let body: string;
  if (endpoint.tokenRequestBody === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(fields);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(fields).toString();
  }
  const response = await http({ method: 'POST', url, headers, body, purpose });
  return readTokenResponse(response, endpoint.tokenResponse);
}

/** §4.1.3 (+ RFC 7636 §4.5): trade the authorization code. */
export function exchangeCode(
  http: HttpClient,
  endpoint: TokenEndpoint,
  client: ClientCredentials,
  code: string,
  redirectUri: string,
  codeVerifier: string | undefined,
): Promise<ReadTokenResult> {
  const grant: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri };
  if (codeVerifier !== undefined) grant.code_verifier = codeVerifier;
  return requestToken(http, endpoint, client, grant, 'token request (authorization_code)');
}

/** §6: a new access token from a refresh token. */
export function refreshAccessToken(
  http: HttpClient,
  endpoint: TokenEndpoint & { refreshUrl: string },
  client: ClientCredentials,
  refreshToken: string,
  scopes?: readonly string[],
): Promise<ReadTokenResult> {
  const grant: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (scopes && scopes.length > 0) grant.scope = scopes.join(' ');
  return requestToken(http, endpoint, client, grant, 'token request (refresh_token)', endpoint.refreshUrl);
}

