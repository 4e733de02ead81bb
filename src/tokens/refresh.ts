/**
 * Keeping a kept token usable: a refresh (RFC 6749 §6) when it has expired, its id_token checked
 * again (OIDC Core §12.2), the result merged with what was kept and saved back where it was found.
 */
import type { HttpClient } from '../oauth/http.js';
import { refreshAccessToken } from '../oauth/oauth2.js';
import type { Deviation, TokenSet } from '../oauth/token-response.js';
import { checkIdToken } from '../registry/id-token-check.js';
import type { BrokerProvider } from '../registry/types.js';
import { clientOf } from '../registry/client.js';
import { configError, flowError, type CliError } from '../util/errors.js';
import { ProviderError, TokenRejectedError, withBinding } from '../oauth/errors.js';
import { idTokenVerifiedAt, needsRefresh, secondsLeft } from './expiry.js';
import type { LocatedToken } from './find.js';
import { loginCommand } from './hints.js';
import { withLock, tokenLockPath, type LockOptions } from './lock.js';
import { loadToken, saveToken, type NeedsLogin, type StoredToken } from './store.js';

/**
 * Refused before any request: OAuth 1.0a credentials and tokens without a refresh token.
 * `implicitProfile`: the profile a command without --profile picks (the hint names another).
 */
export function requireRefreshable(stored: StoredToken, implicitProfile: string | undefined): string {
  const id = stored.provider;
  if (stored.token.token_secret !== undefined) {
    throw configError(
      `${id} uses OAuth 1.0a: its token credentials do not expire and have no refresh (RFC 5849 §2.3)`,
      `they stay valid until revoked at ${id}; if they stopped working, log in again: ${loginCommand(id, stored.profile, implicitProfile)}`,
    );
  }
  if (stored.token.refresh_token === undefined) {
    throw configError(
      `the ${id} token (profile ${stored.profile}) came without a refresh token, so it cannot be refreshed`,
      `log in again: ${loginCommand(id, stored.profile, implicitProfile)} (some providers issue refresh tokens only with a scope such as offline_access, or a parameter such as access_type=offline)`,
    );
  }
  return stored.token.refresh_token;
}

/**
 * What happened to the refresh token: the provider issued another one (rotation, OAuth 2.0
 * Security BCP §4.14.2), sent the same one back, or sent none and the old one was kept.
 */
export type Rotation = 'rotated' | 'unchanged' | 'kept';

export interface Refreshed {
  stored: StoredToken;
  rotation: Rotation;
  deviations: Deviation[];
}

/** RFC 6749 §6: trade the refresh token for a new access token. Nothing is saved here. */
export async function refreshStoredToken(http: HttpClient, provider: BrokerProvider, located: LocatedToken, now: () => number = Date.now): Promise<Refreshed> {
  const { stored } = located;
  const refreshToken = requireRefreshable(stored, located.implicitProfile);
  const oauth2 = provider.resolved.oauth2;
  if (!oauth2) throw configError(`${provider.resolved.id} describes no OAuth 2 token endpoint`, 'fix its provider file');
  const client = await clientOf(provider);
  const result = await refreshAccessToken(http, oauth2, client, refreshToken).catch((error: unknown) => {
    // RFC 9449 §5, RFC 8705 §3: a grant bound at login (its token says DPoP, or a certificate was
    // shown) is refused when the refresh lacks that key or certificate; the hint says so.
    const binding = stored.token.token_type.toLowerCase() === 'dpop' ? 'dpop' : stored.clientCertificate !== undefined ? 'certificate' : undefined;
    throw error instanceof ProviderError && binding !== undefined ? withBinding(error, binding) : error;
  });
  const obtainedAt = now();
  const verified = result.token.id_token !== undefined && (await verifyRefreshedIdToken(provider, stored, result.token, obtainedAt));
  return { ...mergeRefreshed(stored, result.token, obtainedAt, verified), deviations: result.deviations };
}

/**
 * OpenID Connect Core §12.2: an id_token from a refresh is checked as at login (signature, iss,
 * aud, exp, at_hash; no nonce was sent) and must name the same subject. True when verified; false
 * when no issuer is known and the login's id_token was not verified either.
 */
async function verifyRefreshedIdToken(provider: BrokerProvider, stored: StoredToken, fresh: TokenSet, obtainedAt: number): Promise<boolean> {
  const openid = await provider.openid();
  if (!openid && stored.subject !== undefined) {
    throw new TokenRejectedError('the refresh brought an id_token, but no issuer is known to verify it', 'id_token_unverifiable');
  }
  const checked = await checkIdToken(fresh, openid, { clientId: provider.resolved.clientId, openidAsked: false, now: obtainedAt });
  if (!checked) return false;
  if (stored.subject !== undefined && checked.claims.sub !== stored.subject) {
    throw new TokenRejectedError(
      `the id_token of the refresh names the subject "${String(checked.claims.sub)}", not "${stored.subject}" (OIDC Core §12.2: it MUST be the same)`,
      'id_token_sub',
    );
  }
  return true;
}

/**
 * The stored token after a refresh. RFC 6749 §6: the server MAY issue a new refresh token; when it
 * does the client discards the old one, when it does not the old one stays valid and is kept.
 * §5.1: a response without `scope` grants the scope asked, here the scope held before.
 */
export function mergeRefreshed(previous: StoredToken, fresh: TokenSet, obtainedAt: number, idTokenVerified: boolean): { stored: StoredToken; rotation: Rotation } {
  const token: TokenSet = { ...fresh, extra: { ...previous.token.extra, ...fresh.extra } };
  let rotation: Rotation;
  if (fresh.refresh_token === undefined) {
    rotation = 'kept';
    if (previous.token.refresh_token !== undefined) token.refresh_token = previous.token.refresh_token;
  } else {
    // Both values are ours; nothing learns from how long this comparison takes.
    rotation = fresh.refresh_token === previous.token.refresh_token ? 'unchanged' : 'rotated';
  }
  if (fresh.scope === undefined && previous.token.scope !== undefined) token.scope = previous.token.scope;
  // The login's id_token stays the record of the sign-in until a refresh brings another one.
  if (fresh.id_token === undefined && previous.token.id_token !== undefined) token.id_token = previous.token.id_token;

  const at = new Date(obtainedAt).toISOString();
  const stored: StoredToken = {
    version: 1,
    provider: previous.provider,
    profile: previous.profile,
    token,
    obtainedAt: at,
    requestedScopes: previous.requestedScopes,
  };
  if (fresh.expires_in !== undefined) stored.expiresAt = new Date(obtainedAt + fresh.expires_in * 1000).toISOString();
  if (previous.subject !== undefined) stored.subject = previous.subject;
  if (previous.issuer !== undefined) stored.issuer = previous.issuer;
  // The refreshed token is bound to the same DPoP key (RFC 9449 §5: the proof of the refresh was made with it).
  if (previous.dpopKey !== undefined) stored.dpopKey = previous.dpopKey;
  if (previous.authMethod !== undefined) stored.authMethod = previous.authMethod;
  if (previous.clientCertificate !== undefined) stored.clientCertificate = previous.clientCertificate;
  const verifiedAt = fresh.id_token !== undefined ? (idTokenVerified ? at : undefined) : idTokenVerifiedAt(previous);
  if (verifiedAt !== undefined) stored.idTokenVerifiedAt = verifiedAt;
  return { stored, rotation };
}

/** What usableToken did, for the command to say. */
export type Usable =
  /** Valid, of unknown lifetime, or OAuth 1.0a token credentials (they do not expire). */
  | { kind: 'valid'; stored: StoredToken }
  /** Refreshed by another process while this one waited for the lock: read again from the vault. */
  | { kind: 'refreshed-elsewhere'; stored: StoredToken }
  /** Expired (or about to), and there is no refresh token: it is tried as it is. */
  | { kind: 'expired'; stored: StoredToken; secondsLeft: number }
  /** Expired, refreshed, and saved back into the store it came from. */
  | ({ kind: 'refreshed'; secondsLeft: number } & Refreshed);

export interface FreshnessOptions {
  /** The folder of the refresh locks (lock.ts lockFolder: `locks/` in the data folder). */
  lockFolder: string;
  /** Refresh also when the token is valid for less than this many seconds (`token print --min-ttl`). */
  minTtlSeconds?: number;
  lock?: LockOptions;
  /** The clock (the command factory's), for expiry and the times saved. */
  now?: () => number;
}

/**
 * The stored token, refreshed first (and saved back) when it has expired, or expires within
 * `minTtlSeconds`, and can be refreshed; an expired token without a refresh token is tried as it is.
 *
 * Single flight: the refresh happens under the token's lock (lock.ts), and the entry is read again
 * once the lock is held. A process that waited while another refreshed finds the new token there
 * and sends nothing, so a rotating refresh token is presented once. `provider` is asked for only
 * when this process refreshes.
 */
export async function usableToken(
  http: HttpClient,
  located: LocatedToken,
  provider: BrokerProvider | (() => Promise<BrokerProvider>),
  options: FreshnessOptions,
): Promise<Usable> {
  const { stored } = located;
  const now = options.now ?? Date.now;
  const minTtl = options.minTtlSeconds ?? 0;
  if (!needsRefresh(stored, minTtl, now())) return { kind: 'valid', stored };
  const left = secondsLeft(stored, now()) as number;
  if (stored.token.refresh_token === undefined) return { kind: 'expired', stored, secondsLeft: left };
  const path = tokenLockPath(options.lockFolder, stored.provider, stored.profile);
  return withLock(
    path,
    async (): Promise<Usable> => {
      const current = (await loadToken(located.vault, stored.provider, stored.profile)) ?? stored;
      if (current.obtainedAt !== stored.obtainedAt && !needsRefresh(current, minTtl, now())) return { kind: 'refreshed-elsewhere', stored: current };
      if (current.needsLogin !== undefined) throw refusedRefresh(current, current.needsLogin, located.implicitProfile);
      const issuer = typeof provider === 'function' ? await provider() : provider;
      const refreshed = await refreshAndSave(http, { ...located, stored: current }, issuer, now);
      return { kind: 'refreshed', secondsLeft: secondsLeft(current, now()) ?? left, ...refreshed };
    },
    options.lock,
  );
}

/**
 * `token refresh`: a refresh now, under the token's lock, with the refresh token read again once
 * the lock is held (another process may have rotated it meanwhile).
 */
export async function refreshNow(http: HttpClient, located: LocatedToken, provider: BrokerProvider, options: Pick<FreshnessOptions, 'lockFolder' | 'lock' | 'now'>): Promise<Refreshed> {
  const { stored, vault } = located;
  return withLock(
    tokenLockPath(options.lockFolder, stored.provider, stored.profile),
    async () => refreshAndSave(http, { ...located, stored: (await loadToken(vault, stored.provider, stored.profile)) ?? stored }, provider, options.now),
    options.lock,
  );
}

/**
 * RFC 6749 §6, saved back where the token was found. A refusal of the refresh token itself
 * (§5.2 invalid_grant: revoked, expired, or already spent) marks the entry as needing a login and
 * says so; the entry is kept, not deleted, so `status` and `token show` can tell what happened.
 */
export async function refreshAndSave(http: HttpClient, located: LocatedToken, provider: BrokerProvider, now: () => number = Date.now): Promise<Refreshed> {
  let refreshed: Refreshed;
  try {
    refreshed = await refreshStoredToken(http, provider, located, now);
  } catch (error) {
    if (!(error instanceof ProviderError && error.endpoint === 'token' && error.code === 'invalid_grant')) throw error;
    const needsLogin: NeedsLogin = { since: new Date(now()).toISOString(), error: error.code };
    // The provider's words, kept to one short line: they end up in a terminal and in `status`.
    const description = error.error_description?.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, 200);
    if (description) needsLogin.description = description;
    await saveToken(located.vault, { ...located.stored, needsLogin });
    throw refusedRefresh(located.stored, needsLogin, located.implicitProfile);
  }
  await saveToken(located.vault, refreshed.stored);
  return refreshed;
}

/** The one line for a refresh token the provider refused, and how to log in again. */
export function refusedRefresh(stored: StoredToken, refusal: NeedsLogin, implicitProfile: string | undefined): CliError {
  const why = refusal.description !== undefined ? `: ${refusal.description}` : '';
  const login = loginCommand(stored.provider, stored.profile, implicitProfile);
  // A sender-constrained grant (RFC 9449 §5, RFC 8705 §3) is refused too when the refresh lacks the key or certificate it is bound to.
  const bound =
    stored.token.token_type.toLowerCase() === 'dpop'
      ? `the grant is bound to a DPoP key (RFC 9449): a refresh needs a proof made with the key kept beside the token${stored.dpopKey === undefined ? ', and this entry has none' : ''}; log in again: ${login}`
      : stored.clientCertificate !== undefined
        ? `the grant is bound to the client certificate (RFC 8705 §3): a refresh must show the certificate it was issued to; log in again: ${login}`
        : undefined;
  return flowError(
    `${stored.provider} refused the refresh token of the profile ${stored.profile} (${refusal.error}${why}); it was revoked, expired or already used${bound !== undefined ? ', or not presented with what it is bound to' : ''}, so the token is marked as needing a login`,
    bound ?? `log in again: ${login}`,
    'login_required',
  );
}

/**
 * A tool that used the access token says it was refused (git's `erase`): the entry is kept with an
 * expiry of now, so the next ask refreshes it instead of handing out the same token again.
 */
export async function markRejected(located: LocatedToken, now = Date.now()): Promise<void> {
  await saveToken(located.vault, { ...located.stored, expiresAt: new Date(now).toISOString() });
}
