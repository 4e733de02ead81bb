/**
 * OpenID Client-Initiated Backchannel Authentication (CIBA Core 1.0), poll mode: the client names
 * the user (login_hint, id_token_hint or login_hint_token), the server asks that user on their own authentication device (a phone,
 * here the sandbox's approval page), and the client polls the token endpoint with the auth_req_id
 * until the user has decided. No browser, no redirect: the consumption device and the
 * authentication device are two.
 *
 *   §7.1  the authentication request, to backchannel_authentication_endpoint, with client auth
 *   §7.3  the acknowledgement: auth_req_id, expires_in, interval
 *   §10.1 the token request in poll mode (grant_type urn:openid:params:grant-type:ciba)
 *   §11   its errors: authorization_pending, slow_down, expired_token, access_denied
 *   §13   the authentication request's errors
 */
import { lowerCaseKeys } from '../util/headers.js';
import type { ClientAuthMethod } from '../providers/schema.js';
import { authenticateClient, encodeFields } from './client-auth.js';
import { parseBody, readObject, refusal, reportsFailure } from './endpoint-response.js';
import { InvalidResponseError } from './errors.js';
import type { HttpClient } from './http.js';
import { withCertificate, type ClientCredentials, type TokenEndpoint } from './oauth2.js';
import type { ReadTokenResult } from './token-response.js';
import { DEFAULT_POLL_INTERVAL_SECONDS, describeDuration, pollTokenEndpoint, positiveSeconds, restated, type PollOptions } from './token-polling.js';

/** §10.1: the grant_type of the token request in poll mode. */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

/** §4: the delivery mode this client speaks (ping and push need a notification endpoint of ours). */
export const POLL_MODE = 'poll';

const ENDPOINT_NAME = 'backchannel authentication endpoint';

export interface BackchannelEndpoint {
  backchannelAuthenticationUrl: string;
  /** §7.1: "the Client MUST authenticate to the Backchannel Authentication Endpoint using the authentication method registered". */
  clientAuth: ClientAuthMethod;
  scopeSeparator?: string;
  tokenHeaders?: Record<string, string>;
}

/** §7.1: the parameters that name the user; a request carries exactly one of them. */
export const HINT_PARAMETERS = ['login_hint', 'id_token_hint', 'login_hint_token'] as const;
export type HintParameter = (typeof HINT_PARAMETERS)[number];

/** §7.1: who is to authenticate. */
export interface BackchannelHint {
  /** login_hint: what the server knows the user by (a name, e-mail, phone); id_token_hint: an ID Token it issued to this client; login_hint_token: a token naming the user. */
  parameter: HintParameter;
  value: string;
}

export interface BackchannelRequest {
  /** §7.1: REQUIRED, and an OpenID request: it includes "openid". */
  scopes: readonly string[];
  /** §7.1: "it is REQUIRED that Clients provide one (and only one) of the hints". */
  hint: BackchannelHint;
  /** §7.1: a short text shown on both devices, so the user knows which request they approve. */
  bindingMessage?: string;
  /** §7.1: a secret code the user knows, where the server supports it (§4 backchannel_user_code_parameter_supported). */
  userCode?: string;
}

/** §7.3: the successful authentication request acknowledgement. */
export interface BackchannelAuthentication {
  /** A credential: whoever holds it (and the client's credentials) can collect the tokens. */
  auth_req_id: string;
  expires_in: number;
  /** DEFAULT_POLL_INTERVAL_SECONDS when the server says none (§7.3). */
  interval: number;
  /** Members beyond §7.3 (the sandbox's approval_uri); a client ignores what it does not know. */
  extra: Record<string, unknown>;
}

/** §7.1: ask the server to authenticate the user named by `request.hint`. */
export async function requestBackchannelAuthentication(
  http: HttpClient,
  endpoint: BackchannelEndpoint,
  client: ClientCredentials,
  request: BackchannelRequest,
): Promise<BackchannelAuthentication> {
  const headers: Record<string, string> = { accept: 'application/json', ...lowerCaseKeys(endpoint.tokenHeaders ?? {}) };
  const fields: Record<string, string> = {};
  // §7.1: the assertion's audience is the issuer or this endpoint; RFC 7523 lets us name the endpoint.
  await authenticateClient(endpoint.clientAuth, client, headers, fields, endpoint.backchannelAuthenticationUrl);
  fields.scope = request.scopes.join(endpoint.scopeSeparator ?? ' ');
  fields[request.hint.parameter] = request.hint.value;
  if (request.bindingMessage !== undefined) fields.binding_message = request.bindingMessage;
  if (request.userCode !== undefined) fields.user_code = request.userCode;
  const body = encodeFields(fields, 'form', headers);
  const response = await http({ method: 'POST', url: endpoint.backchannelAuthenticationUrl, headers, body, purpose: 'backchannel authentication request', ...withCertificate(client) });
  const parsed = parseBody(response);
  // §13: errors are RFC 6749 §5.2 objects, HTTP 400, 401 (invalid_client) or 403 (access_denied).
  if (response.status < 200 || response.status >= 300 || reportsFailure(parsed)) {
    throw refusal(response, parsed, 'backchannel_authentication', ENDPOINT_NAME, 'http_error');
  }
  return readBackchannelAuthentication(readObject(response, 'backchannel_authentication', ENDPOINT_NAME));
}

/** §7.3: auth_req_id and expires_in are REQUIRED, interval OPTIONAL. */
export function readBackchannelAuthentication(body: Record<string, unknown>): BackchannelAuthentication {
  const { auth_req_id: authReqId, expires_in: expiresInValue, interval, ...extra } = body;
  const expiresIn = positiveSeconds(expiresInValue);
  const missing = [
    ...(typeof authReqId !== 'string' || authReqId === '' ? ['auth_req_id'] : []),
    ...(expiresIn === undefined ? ['expires_in'] : []),
  ];
  if (typeof authReqId !== 'string' || authReqId === '' || expiresIn === undefined) {
    throw new InvalidResponseError(`the ${ENDPOINT_NAME} answered without ${missing.join(', ')} (OpenID CIBA Core §7.3 requires them)`, {
      endpoint: 'backchannel_authentication',
      code: 'invalid_backchannel_response',
      received: Object.keys(body).join(', ') || 'none',
    });
  }
  return { auth_req_id: authReqId, expires_in: expiresIn, interval: positiveSeconds(interval) ?? DEFAULT_POLL_INTERVAL_SECONDS, extra };
}

/**
 * §7.3, §10.1, §11: poll the token endpoint with the auth_req_id, `interval` seconds apart (5 more
 * after each slow_down), until the user approves (the token), denies, or the request expires.
 */
export function pollCibaToken(
  http: HttpClient,
  tokenEndpoint: TokenEndpoint,
  client: ClientCredentials,
  authReqId: string,
  options: PollOptions,
): Promise<ReadTokenResult> {
  return pollTokenEndpoint(http, tokenEndpoint, client, {
    fields: { grant_type: CIBA_GRANT_TYPE, auth_req_id: authReqId },
    purpose: 'token request (ciba)',
    expired: (expiresIn, cause) =>
      restated(`the backchannel authentication request expired before the user approved it (it lived ${describeDuration(expiresIn)})`, 'expired_token', cause),
    denied: (cause) => restated('the user denied the request on their authentication device', 'access_denied', cause),
  }, options);
}
