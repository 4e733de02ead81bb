/**
 * OAuth 2.0 client requests (RFC 6749): the authorization request (§4.1.1), the token request for
 * the code (§4.1.3) and refresh (§6) grants, with client authentication (§2.3.1) and PKCE
 * (RFC 7636 §4.3, §4.5).
 */
import { ProviderError, withBinding } from './errors.js';
import { formEncode, type Base64Url } from '../util/form-encoding.js';
import { lowerCaseKeys } from '../util/headers.js';
import type { HttpClient, HttpResponse } from './http.js';
import { authenticateClient, encodeFields, type RequestFields } from './client-auth.js';
import type { DpopProver } from './dpop.js';
import type { ClientKey } from './keys.js';
import type { ClientCertificate } from './mtls.js';
import type { ProtocolCheck } from './outcome.js';
import type { Pkce } from './pkce.js';
import { readTokenResponse, type ReadTokenResult } from './token-response.js';
import { isReservedParameter as isReserved, type AuthorizationEndpoint, type TokenEndpoint } from '../providers/endpoints.js';

// The endpoints' shapes are filled by src/providers/resolve.ts; requests here take them as they are.
export { PROTOCOL_PARAMETERS, reservedExtras, type AuthorizationEndpoint, type TokenEndpoint } from '../providers/endpoints.js';

/** The client as the server's endpoints see it: its id, and what it authenticates or binds tokens with. */
export interface ClientCredentials {
  clientId: string;
  /** Absent for public clients. */
  clientSecret?: string;
  /** private_key_jwt (RFC 7523): the key client assertions are signed with. */
  key?: ClientKey;
  /** DPoP (RFC 9449): the key tokens are bound to; each token request carries its proof. */
  dpop?: DpopProver;
  /**
   * RFC 8705: the certificate shown in the TLS handshake of every request to the server's endpoints
   * (tls_client_auth, self_signed_tls_client_auth, and the certificate tokens are bound to).
   */
  certificate?: ClientCertificate;
  /** Told of each check made on the way (a client assertion's claims, a DPoP proof's): --verbose prints them. */
  report?: (check: ProtocolCheck) => void;
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** Base64url, like the nonce and the PKCE challenge: sent as they are (the state is long, and on every start). */
  state: Base64Url;
  scopes: readonly string[];
  /** Absent only for providers known to break on PKCE. */
  pkce?: Pkce;
  /** OpenID Connect Core §3.1.2.1, sent when openid is asked. */
  nonce?: Base64Url;
  extra?: Record<string, string>;
  /** OAuth 2.0 Multiple Response Type Encoding Practices §2.1; JARM's "jwt" (its §2.3.4). */
  responseMode?: 'query' | 'form_post' | 'jwt';
  /** RFC 8707 §2: the protected resources the token is for (absolute URIs). */
  resource?: readonly string[];
  /** RFC 9396 §2: authorization_details, already JSON-encoded. */
  authorizationDetails?: string;
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

/**
 * §4.1.1: the authorization request's parameters, form-encoded: the query the browser carries, or
 * the body of a pushed authorization request (RFC 9126 §2.1) or the claims of a request object
 * (RFC 9101 §4), which carry the same parameters.
 */
export function authorizationQuery(endpoint: AuthorizationEndpoint, request: AuthorizationRequest): string {
  let query = queryHead(endpoint, request.clientId, request.redirectUri);
  if (request.scopes.length > 0) query += `&${formEncode(endpoint.scopeParam)}=${formEncode(request.scopes.join(endpoint.scopeSeparator))}`;
  query += `&state=${request.state}`;
  if (request.pkce) query += `&code_challenge=${request.pkce.challenge}&code_challenge_method=${request.pkce.method}`;
  if (request.nonce) query += `&nonce=${request.nonce}`;
  const responseMode = request.responseMode ?? (endpoint.responseMode === 'form_post' ? 'form_post' : undefined);
  if (responseMode !== undefined) query += `&response_mode=${responseMode}`;
  // RFC 8707 §2: one resource parameter per target; RFC 9396 §2: authorization_details as JSON.
  for (const resource of request.resource ?? []) query += `&resource=${formEncode(resource)}`;
  if (request.authorizationDetails !== undefined) query += `&authorization_details=${formEncode(request.authorizationDetails)}`;
  // The provider's fixed extras, then this request's, which win over the provider's. Reserved
  // names are skipped: callers refuse them with a message (reservedExtras), this is the last guard.
  const extra = request.extra ?? {};
  for (const name in endpoint.authorizeParams) {
    if (!Object.hasOwn(extra, name) && !isReserved(endpoint, name)) query += `&${formEncode(name)}=${formEncode(endpoint.authorizeParams[name] as string)}`;
  }
  for (const name in extra) {
    if (!isReserved(endpoint, name)) query += `&${formEncode(name)}=${formEncode(extra[name] as string)}`;
  }
  return query;
}

/** §4.1.1: the URL the browser is sent to. Query parameters already in the endpoint are kept (§3.1). */
export function authorizationUrl(endpoint: AuthorizationEndpoint, request: AuthorizationRequest): string {
  return withQuery(endpoint.authorizeUrl, authorizationQuery(endpoint, request));
}

/** `query` added to `base`; a query of the base's own is kept, our parameters winning (§3.1). */
export function withQuery(base: string, query: string): string {
  if (!base.includes('?')) return `${base}?${query}`;
  // The endpoint has a query of its own: keep it, our parameters winning (§3.1). A parameter we
  // repeat (RFC 8707's resource) stays repeated.
  const url = new URL(base);
  const merged = new URLSearchParams(url.search);
  const ours = new URLSearchParams(query);
  for (const name of new Set(ours.keys())) merged.delete(name);
  for (const [name, value] of ours) merged.append(name, value);
  url.search = merged.toString();
  return url.toString();
}

export { basicAuthorization, type RequestFields } from './client-auth.js';

/** A token request with any grant; the answer is read by the normalizer (token-response.ts). */
export async function requestToken(
  http: HttpClient,
  endpoint: TokenEndpoint,
  client: ClientCredentials,
  grant: RequestFields,
  purpose: string,
  url = endpoint.tokenUrl,
): Promise<ReadTokenResult> {
  // A provider's extra parameters never override the grant's own (grant_type, code, redirect_uri).
  const fields: RequestFields = { ...endpoint.tokenParams, ...grant };
  const headers: Record<string, string> = { accept: 'application/json', ...lowerCaseKeys(endpoint.tokenHeaders) };
  // §2.3 (and RFC 7523): public clients send client_id alone (§4.1.3).
  await authenticateClient(endpoint.clientAuth, client, headers, fields, url);
  const body = encodeFields(fields, endpoint.tokenRequestBody, headers);
  const send = async (): Promise<HttpResponse> => {
    // RFC 9449 §5: a fresh proof on every token request, for this method and URL.
    const proof: Record<string, string> = client.dpop ? { dpop: await client.dpop.proof('POST', url) } : {};
    return http({ method: 'POST', url, headers: { ...headers, ...proof }, body, purpose, ...withCertificate(client) });
  };
  let response = await send();
  // RFC 9449 §8: a server that wants its nonce in the proof answers use_dpop_nonce with a DPoP-Nonce
  // header; the request is sent again once with it.
  if (client.dpop?.wantsNonce(response)) response = await send();
  try {
    return readTokenResponse(response, endpoint.tokenResponse);
  } catch (error) {
    // The hint of a refusal says when the grant is sender-constrained (a proof or certificate went with it).
    const binding = client.dpop !== undefined ? 'dpop' : client.certificate !== undefined ? 'certificate' : undefined;
    throw error instanceof ProviderError && binding !== undefined ? withBinding(error, binding) : error;
  }
}

/** RFC 8705 §2, §3: the client's certificate on a request to the server, when it has one. */
export function withCertificate(client: Pick<ClientCredentials, 'certificate'>): { tls?: ClientCertificate } {
  return client.certificate !== undefined ? { tls: client.certificate } : {};
}

/** §4.1.3 (+ RFC 7636 §4.5): trade the authorization code. */
export function exchangeCode(
  http: HttpClient,
  endpoint: TokenEndpoint,
  client: ClientCredentials,
  code: string,
  redirectUri: string,
  codeVerifier: string | undefined,
  extra?: Record<string, string>,
): Promise<ReadTokenResult> {
  const grant: Record<string, string> = { ...extra, grant_type: 'authorization_code', code, redirect_uri: redirectUri };
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

