/** When a kept token stops working, and whether its id_token was verified. */
import type { StoredToken } from './store.js';

/**
 * How early a token counts as expired: a request sent a few seconds before `exp` can arrive after
 * it, and clocks differ.
 */
export const EXPIRY_SKEW_SECONDS = 30;

/** Seconds until the access token expires (negative once expired); undefined when the lifetime is unknown. */
export function secondsLeft(stored: StoredToken, now = Date.now()): number | undefined {
  if (stored.expiresAt === undefined) return undefined;
  return Math.floor((Date.parse(stored.expiresAt) - now) / 1000);
}

/** True when the access token has expired, or will within the skew. Unknown lifetimes count as valid. */
export function isExpired(stored: StoredToken, now = Date.now()): boolean {
  const left = secondsLeft(stored, now);
  return left !== undefined && left <= EXPIRY_SKEW_SECONDS;
}

/**
 * True when the access token should be refreshed before it is handed out: expired (within the
 * skew), or valid for less than `minTtlSeconds` more (`token print --min-ttl`: a script that needs
 * the token for ten minutes asks for ten). Unknown lifetimes and OAuth 1.0a credentials never do.
 */
export function needsRefresh(stored: StoredToken, minTtlSeconds = 0, now = Date.now()): boolean {
  if (stored.token.token_secret !== undefined) return false;
  const left = secondsLeft(stored, now);
  return left !== undefined && left <= Math.max(EXPIRY_SKEW_SECONDS, minTtlSeconds);
}

/** When the stored id_token was verified by oauthd-cli, if it was. */
export function idTokenVerifiedAt(stored: StoredToken): string | undefined {
  if (stored.token.id_token === undefined) return undefined;
  // Entries written before idTokenVerifiedAt existed: login keeps `subject` only from a verified id_token.
  return stored.idTokenVerifiedAt ?? (stored.subject !== undefined ? stored.obtainedAt : undefined);
}
