/**
 * Token revocation (RFC 7009), shaped by the provider's revoke description: the RFC's form POST
 * with client authentication, or what the provider does instead (GitHub: DELETE with HTTP Basic and
 * a JSON body; Slack: GET with the token as the bearer credential).
 */
import type { EndpointAuth } from '../providers/schema.js';
import { CliError, flowError } from '../util/errors.js';
import { authenticateClient, encodeFields } from './client-auth.js';
import { failureSummary, parseBody, providerError, reportsFailure } from './endpoint-response.js';
import { header, type HttpClient, type HttpRequest, type HttpResponse } from './http.js';
import type { ClientCredentials } from './oauth2.js';

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

/** CliError.code of a revocation the server could not do now (§2.2.1: HTTP 503); retrying may work. */
export const REVOCATION_UNAVAILABLE = 'temporarily_unavailable';

export function isRetryableRevocationError(error: unknown): boolean {
  return error instanceof CliError && error.code === REVOCATION_UNAVAILABLE;
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
  const response = await http(revocationRequest(endpoint, client, token, tokenTypeHint));
  const body = parseBody(response);
  // §2.2: success is HTTP 200 (GitHub answers 204); the RFC's client ignores the body, but APIs
  // that answer every call with 200 report failures in it (Slack's {"ok": false}).
  if (response.status >= 200 && response.status < 300 && !reportsFailure(body)) return;
  throw revocationError(response, body);
}

/** The request, built from the description; exported so traces and tests can show it. */
export function revocationRequest(
  endpoint: RevokeEndpoint,
  client: ClientCredentials,
  token: string,
  tokenTypeHint?: TokenTypeHint,
): HttpRequest {
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
      authenticateClient(endpoint.auth, client, headers, fields);
  }
  if (endpoint.auth !== 'bearer') {
    fields[endpoint.tokenParam] = token;
    // The hint belongs to RFC 7009's own request shape; an API with its own field names
    // (GitHub's access_token) gets no field it does not document.
    if (tokenTypeHint !== undefined && endpoint.tokenParam === 'token') fields.token_type_hint = tokenTypeHint;
  }
  const request: HttpRequest = { method: endpoint.method, url: endpoint.url, headers, purpose: 'token revocation' };
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

/** RFC 7009 §2.2.1 and RFC 6749 §5.2 codes, and what usually causes them. */
const ERROR_HINTS: Record<string, string> = {
  unsupported_token_type: 'the provider cannot revoke this kind of token; try the other one (access or refresh token)',
  invalid_client: 'the client id or secret is wrong, or the provider wants another client authentication (revoke.auth in the provider file)',
  invalid_request: 'a parameter is missing or wrong; run with --trace to see the request',
};

function revocationError(response: HttpResponse, body: unknown): CliError {
  if (response.status === 503) {
    // §2.2.1: the token may still be valid; the client may retry after a delay.
    const retryAfter = header(response, 'retry-after');
    return flowError(
      `the revocation endpoint is temporarily unavailable (HTTP 503): the token is still valid`,
      `try again${retryAfter ? ` after ${/^\d+$/.test(retryAfter) ? `${retryAfter} s` : retryAfter}` : ' in a moment'}`,
      REVOCATION_UNAVAILABLE,
    );
  }
  const { code } = providerError(body);
  const hint =
    (code !== undefined ? ERROR_HINTS[code] : undefined) ??
    (response.status === 401 || response.status === 403
      ? 'the provider refused the credentials sent; check the client secret and revoke.auth in the provider file'
      : response.status === 404
        ? 'the URL is wrong, or (for APIs that say 404 for unknown tokens) the token is already gone'
        : 'run with --trace to see the request and the response');
  return flowError(`the revocation endpoint refused: ${failureSummary(response, body)}`, hint, code ?? 'revocation_failed');
}
