/**
 * Polling the token endpoint until a user decides elsewhere: the device authorization grant
 * (RFC 8628 §3.4, §3.5) and OpenID CIBA in poll mode (CIBA Core §7.3, §10.1, §11). Both wait
 * `interval` seconds before each request, add 5 s on slow_down, keep waiting on
 * authorization_pending, and stop on access_denied, expired_token or the request's own expiry.
 */
import { ProviderError } from './errors.js';
import type { HttpClient } from './http.js';
import { requestToken, type ClientCredentials, type TokenEndpoint } from './oauth2.js';
import type { ReadTokenResult } from './token-response.js';

/** RFC 8628 §3.2 and CIBA Core §7.3: "If no value is provided, clients MUST use 5 as the default." */
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;

/** RFC 8628 §3.5, CIBA Core §11: on slow_down the interval grows by 5 s "for this and all subsequent requests". */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;

export interface PendingPoll {
  /** 1 for the first poll. */
  attempt: number;
  /** The interval now in force, after any slow_down. */
  intervalSeconds: number;
  /** True when the server answered slow_down rather than authorization_pending. */
  slowDown: boolean;
  /** Seconds until the request expires. */
  secondsLeft: number;
}

export interface PollOptions {
  /** The interval the server gave; DEFAULT_POLL_INTERVAL_SECONDS when absent. */
  interval?: number;
  /** expires_in: polling stops when the request expires. */
  expiresIn: number;
  /** Injectable so tests need no real waiting. Default: setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
  /** Called after each authorization_pending or slow_down answer. */
  onPending?: (poll: PendingPoll) => void;
}

/** What a grant calls its request and its ending answers, in the words of its RFC. */
export interface PollingGrant {
  /** The token request's fields: grant_type and the code that names the request. */
  fields: Record<string, string>;
  /** The transcript's name for one poll: "token request (device_code)". */
  purpose: string;
  /** The request expired (said by the server, or known from expires_in before asking again). */
  expired(expiresIn: number, cause?: ProviderError): ProviderError;
  /** The user said no. */
  denied(cause: ProviderError): ProviderError;
}

export async function pollTokenEndpoint(
  http: HttpClient,
  tokenEndpoint: TokenEndpoint,
  client: ClientCredentials,
  grant: PollingGrant,
  options: PollOptions,
): Promise<ReadTokenResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.expiresIn * 1000;
  let interval = options.interval ?? DEFAULT_POLL_INTERVAL_SECONDS;

  for (let attempt = 1; ; attempt++) {
    // No poll can succeed once the request has expired: stop rather than wait.
    if (now() + interval * 1000 > deadline) throw grant.expired(options.expiresIn);
    await sleep(interval * 1000);
    try {
      return await requestToken(http, tokenEndpoint, client, grant.fields, grant.purpose);
    } catch (error) {
      // The polling answers are RFC 6749 §5.2 error responses; anything else ends the polling as it is.
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
          throw grant.expired(options.expiresIn, error);
        case 'access_denied':
          throw grant.denied(error);
        default:
          // Already one line naming the provider's error (token-response.ts).
          throw error;
      }
    }
  }
}

/** A count of seconds as the RFCs write it: a positive JSON number (or its digits, as some servers send). */
export function positiveSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value) && Number(value) > 0) return Number(value);
  return undefined;
}

export function describeDuration(totalSeconds: number): string {
  return totalSeconds >= 120 ? `${Math.round(totalSeconds / 60)} minutes` : `${totalSeconds} s`;
}

/** A refusal said again in the grant's words, keeping the server's fields. */
export function restated(message: string, code: string, cause: ProviderError | undefined): ProviderError {
  return new ProviderError(message, {
    endpoint: 'token',
    code,
    error: cause?.error,
    error_description: cause?.error_description,
    status: cause?.status,
    response: cause?.response,
    cause,
  });
}
