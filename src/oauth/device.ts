/**
 * The device authorization grant (RFC 8628), for a CLI whose user signs in on another device or
 * in a browser the CLI cannot reach: the client asks for a user code (§3.1, §3.2), the user enters
 * it at the verification URI (§3.3), and the client polls the token endpoint (§3.4, §3.5) until the
 * user has decided or the device code expires.
 */
import type { ClientAuthMethod } from '../providers/schema.js';
import { lowerCaseKeys } from '../util/headers.js';
import { authenticateClient, encodeFields } from './client-auth.js';
import { parseBody, readObject, refusal, reportsFailure, type JsonObject } from './endpoint-response.js';
import { InvalidResponseError } from './errors.js';
import type { HttpClient } from './http.js';
import { withCertificate, type ClientCredentials, type TokenEndpoint } from './oauth2.js';
import { DEFAULT_POLL_INTERVAL_SECONDS, describeDuration, pollTokenEndpoint, positiveSeconds, restated, type PollOptions } from './token-polling.js';
import type { ReadTokenResult } from './token-response.js';

/** §3.4: the grant_type of the polling token request. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

// §3.2's default interval, §3.5's slow_down step and the polling itself: ./token-polling.ts.
export { DEFAULT_POLL_INTERVAL_SECONDS, SLOW_DOWN_INCREMENT_SECONDS, type PendingPoll, type PollOptions } from './token-polling.js';

const ENDPOINT_NAME = 'device authorization endpoint';

export interface DeviceAuthorizationEndpoint {
  deviceAuthorizationUrl: string;
  /** §3.1: the client authenticates as at the token endpoint (RFC 6749 §3.2.1). */
  clientAuth: ClientAuthMethod;
  /** What joins the scopes; RFC 6749 §3.3 says a space. */
  scopeSeparator?: string;
  /** Headers the provider wants on its OAuth endpoints (GitHub answers JSON only when asked). */
  tokenHeaders?: Record<string, string>;
}

/** §3.2: the device authorization response. */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  /** Seconds the device_code and user_code live. */
  expires_in: number;
  /** Seconds to wait between polls (DEFAULT_POLL_INTERVAL_SECONDS when the server says none). */
  interval: number;
}

/** §3.1: ask for a device code and a user code. */
export async function requestDeviceAuthorization(
  http: HttpClient,
  endpoint: DeviceAuthorizationEndpoint,
  client: ClientCredentials,
  scopes: readonly string[],
): Promise<DeviceAuthorization> {
  const headers: Record<string, string> = { accept: 'application/json', ...lowerCaseKeys(endpoint.tokenHeaders ?? {}) };
  const fields: Record<string, string> = {};
  await authenticateClient(endpoint.clientAuth, client, headers, fields, endpoint.deviceAuthorizationUrl);
  if (scopes.length > 0) fields.scope = scopes.join(endpoint.scopeSeparator ?? ' ');
  const body = encodeFields(fields, 'form', headers);
  const response = await http({
    method: 'POST',
    url: endpoint.deviceAuthorizationUrl,
    headers,
    body,
    purpose: 'device authorization request',
    ...withCertificate(client),
  });
  const parsed = parseBody(response);
  if (response.status < 200 || response.status >= 300 || reportsFailure(parsed)) {
    throw refusal(response, parsed, 'device_authorization', ENDPOINT_NAME, 'http_error');
  }
  return readDeviceAuthorization(readObject(response, 'device_authorization', ENDPOINT_NAME));
}

/** §3.2: device_code, user_code, verification_uri and expires_in are REQUIRED. */
export function readDeviceAuthorization(body: JsonObject): DeviceAuthorization {
  const missing: string[] = [];
  const text = (name: string): string | undefined => {
    const value = body[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const deviceCode = text('device_code');
  const userCode = text('user_code');
  // Google's device endpoint says verification_url, after a draft of the RFC.
  const verificationUri = text('verification_uri') ?? text('verification_url');
  const verificationUriComplete = text('verification_uri_complete');
  const expiresIn = positiveSeconds(body.expires_in);
  if (deviceCode === undefined) missing.push('device_code');
  if (userCode === undefined) missing.push('user_code');
  if (verificationUri === undefined) missing.push('verification_uri');
  if (expiresIn === undefined) missing.push('expires_in');
  if (deviceCode === undefined || userCode === undefined || verificationUri === undefined || expiresIn === undefined) {
    throw new InvalidResponseError(`the ${ENDPOINT_NAME} answered without ${missing.join(', ')} (RFC 8628 §3.2 requires them)`, {
      endpoint: 'device_authorization',
      code: 'invalid_device_authorization',
      received: Object.keys(body).join(', ') || 'none',
    });
  }
  // The user is sent to these pages: nothing but a web page will do.
  for (const [name, value] of [['verification_uri', verificationUri], ['verification_uri_complete', verificationUriComplete]] as const) {
    if (value !== undefined && !isWebUrl(value)) {
      throw new InvalidResponseError(`the ${ENDPOINT_NAME} gave a ${name} that is not an http(s) URL: "${value.slice(0, 100)}"`, {
        endpoint: 'device_authorization',
        code: 'invalid_device_authorization',
      });
    }
  }
  const authorization: DeviceAuthorization = {
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: verificationUri,
    expires_in: expiresIn,
    interval: positiveSeconds(body.interval) ?? DEFAULT_POLL_INTERVAL_SECONDS,
  };
  if (verificationUriComplete !== undefined) authorization.verification_uri_complete = verificationUriComplete;
  return authorization;
}

/**
 * §3.4, §3.5: poll the token endpoint, waiting `interval` seconds before each request, until the
 * user approves (the token), denies, or the device code expires.
 */
export function pollDeviceToken(
  http: HttpClient,
  tokenEndpoint: TokenEndpoint,
  client: ClientCredentials,
  deviceCode: string,
  options: PollOptions,
): Promise<ReadTokenResult> {
  return pollTokenEndpoint(http, tokenEndpoint, client, {
    fields: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode },
    purpose: 'token request (device_code)',
    // §3.5 expired_token: said by the server, or known before asking again from the expires_in of
    // the device authorization (the same answer, one wasted request earlier).
    expired: (expiresIn, cause) =>
      restated(`the device code expired before the sign-in was completed (it lived ${describeDuration(expiresIn)})`, 'expired_token', cause),
    denied: (cause) => restated('the authorization request was denied at the verification page', 'access_denied', cause),
  }, options);
}

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
