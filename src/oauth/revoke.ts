/**
 * Token revocation (RFC 7009), shaped by the provider's revoke description: the RFC's form POST
 * with client authentication, or what the provider does instead (GitHub: DELETE with HTTP Basic and
 * a JSON body; Slack: GET with the token as the bearer credential).
 */
import type { EndpointAuth } from '../providers/schema.js';
import { authenticateClient, encodeFields } from './client-auth.js';
import { parseBody, providerError, refusal, reportsFailure } from './endpoint-response.js';
import { ProviderError } from './errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import { withCertificate, type ClientCredentials } from './oauth2.js';

/** The resolved revoke description (ResolvedOAuth2.revoke). */
export interface RevokeEndpoint {
  url: string;
  method: 'POST' | 'DELETE' | 'GET';
  auth: EndpointAuth;
  /** The field carrying the token; "token" per RFC 7009 §2.1. */
  tokenParam: string;
  body: 'form' | 'json';
}

/** RFC 7009 §2.1 token_type_hint values (RFC 7009 §4.1.2). */
export type TokenTypeHint = 'access_token' | 'refresh_token';

/** The code of a revocation the server could not do now (§2.2.1: HTTP 503); retrying may work. */
export const REVOCATION_UNAVAILABLE = 'temporarily_unavailable';

export function isRetryableRevocationError(error: unknown): boolean {
  return error instanceof ProviderError && error.code === REVOCATION_UNAVAILABLE;
}

/**
 * §2.1: revoke `token`. Resolves when the provider confirms. §2.2: a token that is already invalid
 * also gets HTTP 200, so revoking twice is no error.
 */
export async function revokeToken(
  http: HttpClient,
  endpoint: RevokeEndpoint,
  client: ClientCredentials,
  token: string,
  tokenTypeHint?: TokenTypeHint,
): Promise<void> {
  const response = await http(await revocationRequest(endpoint, client, token, tokenTypeHint));
  const body = parseBody(response);
  // §2.2: success is HTTP 200 (GitHub answers 204); the RFC's client ignores the body, but APIs
  // that answer every call with 200 report failures in it (Slack's {"ok": false}).
  if (response.status >= 200 && response.status < 300 && !reportsFailure(body)) return;
  throw revocationError(response, body);
}

/** The request, built from the description; exported so traces and tests can show it. */
export async function revocationRequest(
  endpoint: RevokeEndpoint,
  client: ClientCredentials,
  token: string,
  tokenTypeHint?: TokenTypeHint,
): Promise<HttpRequest> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const fields: Record<string, string> = {};
  switch (endpoint.auth) {
    case 'bearer':
      // The token authenticates its own revocation (RFC 6750 §2.1); no body repeats it.
      headers.authorization = `Bearer ${token}`;
      break;
    case 'none':
      break;
    default:
      await authenticateClient(endpoint.auth, client, headers, fields, endpoint.url);
  }
  if (endpoint.auth !== 'bearer') {
    fields[endpoint.tokenParam] = token;
    // The hint belongs to RFC 7009's own request shape; an API with its own field names
    // (GitHub's access_token) gets no field it does not document.
    if (tokenTypeHint !== undefined && endpoint.tokenParam === 'token') fields.token_type_hint = tokenTypeHint;
  }
  const request: HttpRequest = { method: endpoint.method, url: endpoint.url, headers, purpose: 'token revocation', ...withCertificate(client) };
  if (Object.keys(fields).length === 0) return request;
  if (endpoint.method === 'GET') {
    // A GET has no body: the provider asked for its fields in the query (RFC 7009 itself is POST only).
    const url = new URL(endpoint.url);
    for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
    request.url = url.href;
    return request;
  }
  request.body = encodeFields(fields, endpoint.body, headers);
  return request;
}

function revocationError(response: HttpResponse, body: unknown): ProviderError {
  if (response.status === 503) {
    // §2.2.1: the token may still be valid; the client may retry after a delay (Retry-After, in the response).
    const { code, description, uri } = providerError(body);
    return new ProviderError('the revocation endpoint is temporarily unavailable (HTTP 503): the token is still valid', {
      endpoint: 'revocation',
      code: REVOCATION_UNAVAILABLE,
      error: code,
      error_description: description,
      error_uri: uri,
      status: response.status,
      response,
    });
  }
  return refusal(response, body, 'revocation', 'revocation endpoint', 'revocation_failed');
}
