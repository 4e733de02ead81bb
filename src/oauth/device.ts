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
import { InvalidResponseError, ProviderError } from './errors.js';
import type { HttpClient } from './http.js';
import { requestToken, withCertificate, type ClientCredentials, type TokenEndpoint } from './oauth2.js';
import type { ReadTokenResult } from './token-response.js';

/** §3.4: the grant_type of the polling token request. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** §3.2: "If no value is provided, clients MUST use 5 as the default." */
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;

/** §3.5: on slow_down "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;

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
  const expiresIn = seconds(body.expires_in);
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
    interval: seconds(body.interval) ?? DEFAULT_POLL_INTERVAL_SECONDS,
  };
  if (verificationUriComplete !== undefined) authorization.verification_uri_complete = verificationUriComplete;
  return authorization;
}

export interface PendingPoll {
  /** 1 for the first poll. */
  attempt: number;
  /** The interval now in force, after any slow_down. */
  intervalSeconds: number;
  /** True when the server answered slow_down rather than authorization_pending. */
  slowDown: boolean;
  /** Seconds until the device code expires. */
  secondsLeft: number;
}

export interface PollOptions {
  /** §3.2 interval; DEFAULT_POLL_INTERVAL_SECONDS when absent. */
  interval?: number;
  /** §3.2 expires_in: polling stops when the device code expires. */
  expiresIn: number;
  /** Injectable so tests need no real waiting. Default: setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
  /** Called after each authorization_pending or slow_down answer. */
  onPending?: (poll: PendingPoll) => void;
}

/**
 * §3.4, §3.5: poll the token endpoint, waiting `interval` seconds before each request, until the
 * user approves (the token), denies, or the device code expires.
 */
export async function pollDeviceToken(
  http: HttpClient,
  tokenEndpoint: TokenEndpoint,
  client: ClientCredentials,
  deviceCode: string,
  options: PollOptions,
): Promise<ReadTokenResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.expiresIn * 1000;
  let interval = options.interval ?? DEFAULT_POLL_INTERVAL_SECONDS;
  const grant = { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode };

  for (let attempt = 1; ; attempt++) {
    // No poll can succeed once the device code has expired (§3.5 expired_token): stop rather than wait.
    if (now() + interval * 1000 > deadline) throw expired(options.expiresIn);
    await sleep(interval * 1000);
    try {
      return await requestToken(http, tokenEndpoint, client, grant, 'token request (device_code)');
    } catch (error) {
      // §3.5: the polling answers are §5.2 error responses; anything else ends the polling as it is.
      if (!(error instanceof ProviderError)) throw error;
      const pending = (slowDown: boolean) =>
        options.onPending?.({ attempt, intervalSeconds: interval, slowDown, secondsLeft: Math.max(0, Math.round((deadline - now()) / 1000)) });
      switch (error.code) {
        case 'authorization_pending':
          pending(false);
          continue;
        case 'slow_down':
          interval += SLOW_DOWN_INCREMENT_SECONDS;
          pending(true);
          continue;
        case 'expired_token':
          throw expired(options.expiresIn, error);
        case 'access_denied':
          throw new ProviderError('the authorization request was denied at the verification page', {
            endpoint: 'token',
            code: 'access_denied',
            error: 'access_denied',
            error_description: error.error_description,
            status: error.status,
            response: error.response,
            cause: error,
          });
        default:
          // Already one line naming the provider's error (token-response.ts).
          throw error;
      }
    }
  }
}

/**
 * §3.5 expired_token: said by the server, or known before asking again, from the expires_in of the
 * device authorization (the same answer, one wasted request earlier).
 */
function expired(expiresIn: number, cause?: ProviderError): ProviderError {
  return new ProviderError(`the device code expired before the sign-in was completed (it lived ${describeDuration(expiresIn)})`, {
    endpoint: 'token',
    code: 'expired_token',
    error: cause?.error,
    status: cause?.status,
    response: cause?.response,
    cause,
  });
}

function seconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value) && Number(value) > 0) return Number(value);
  return undefined;
}

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function describeDuration(totalSeconds: number): string {
  return totalSeconds >= 120 ? `${Math.round(totalSeconds / 60)} minutes` : `${totalSeconds} s`;
}
