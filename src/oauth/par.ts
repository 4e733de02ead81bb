/**
 * Pushed Authorization Requests (RFC 9126): the authorization request's parameters go to the
 * server on the back channel, with the client's authentication (§2.1), and the browser carries
 * only the `request_uri` the server answers (§2.2) and the `client_id` (§4). Nothing the browser,
 * its history or a proxy sees tells the scopes, the PKCE challenge or the redirect URI, and the
 * server knows the request came from the client before the user sees it.
 */
import { authenticateClient } from './client-auth.js';
import { isJsonObject, parseBody, refusal } from './endpoint-response.js';
import { InvalidResponseError } from './errors.js';
import type { HttpClient } from './http.js';
import { withCertificate, withQuery, type ClientCredentials, type TokenEndpoint } from './oauth2.js';
import { formEncode } from '../util/form-encoding.js';
import type { ProtocolCheck } from './outcome.js';

const ENDPOINT_NAME = 'pushed authorization request endpoint';

/** §2.2: what the server answers a pushed request with. */
export interface PushedAuthorizationRequest {
  /** A reference to the pushed request, single use, for the authorization endpoint (§4). */
  requestUri: string;
  /** Seconds the request_uri is valid (§2.2: REQUIRED). */
  expiresIn: number;
}

/**
 * §2.1: POST the authorization request's parameters (`query`: form-encoded, as the browser would
 * have carried them) to the PAR endpoint, authenticated as at the token endpoint.
 */
export async function pushAuthorizationRequest(
  http: HttpClient,
  parUrl: string,
  tokenEndpoint: Pick<TokenEndpoint, 'clientAuth' | 'tokenHeaders'>,
  client: ClientCredentials,
  query: string,
): Promise<PushedAuthorizationRequest> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
  const fields: Record<string, string> = {};
  // §2: "the client MUST authenticate ... using the same method it uses at the token endpoint";
  // the assertion's audience is the issuer or this endpoint (§2, RFC 7523 §3); the endpoint's URL here.
  await authenticateClient(tokenEndpoint.clientAuth, client, headers, fields, parUrl);
  // The request's own parameters already carry client_id (§2.1 requires it for public clients).
  delete fields.client_id;
  const extra = new URLSearchParams(fields).toString();
  const body = extra === '' ? query : `${query}&${extra}`;
  const response = await http({ method: 'POST', url: parUrl, headers, body, purpose: 'pushed authorization request', ...withCertificate(client) });
  const parsed = parseBody(response);
  // §2.2: 201 Created on success; §2.3: an error object (400, 401, 405, 413, 429) otherwise.
  if (response.status < 200 || response.status >= 300 || !isJsonObject(parsed) || typeof parsed.error === 'string') {
    throw refusal(response, parsed, 'pushed_authorization', ENDPOINT_NAME, 'par_failed');
  }
  const { request_uri: requestUri, expires_in: expiresIn } = parsed;
  if (typeof requestUri !== 'string' || requestUri === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new InvalidResponseError(`the ${ENDPOINT_NAME} answered HTTP ${response.status} without a request_uri and a positive expires_in (RFC 9126 §2.2)`, {
      endpoint: 'pushed_authorization',
      code: 'invalid_par_response',
      status: response.status,
      response,
      received: Object.keys(parsed).join(', ') || 'none',
    });
  }
  return { requestUri, expiresIn };
}

/** §4: the authorization request that refers to the pushed one: client_id and request_uri only. */
export function pushedAuthorizationUrl(authorizeUrl: string, clientId: string, requestUri: string): string {
  return withQuery(authorizeUrl, `client_id=${formEncode(clientId)}&request_uri=${formEncode(requestUri)}`);
}

/** What --verbose says of a pushed request. */
export function parCheck(pushed: PushedAuthorizationRequest, parUrl: string): ProtocolCheck {
  return {
    ok: pushed.expiresIn <= 600,
    name: 'PAR',
    detail: `pushed to ${parUrl}; request_uri ${pushed.requestUri.length} characters, valid ${pushed.expiresIn} s; the browser carried only client_id and request_uri`,
    source: 'RFC 9126 §2.2, §4',
  };
}
