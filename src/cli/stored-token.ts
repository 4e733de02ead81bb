/**
 * What the token commands share: where tokens rest (`--store`), finding the token of a provider and
 * profile, the provider that issued it (its keyset in oauthd.json joined with its provider file,
 * exactly as `login` builds it), and keeping it usable: a refresh (RFC 6749 §6) when it has expired,
 * saved back into the store it came from.
 */
import type { Context } from './context.js';
import type { Ui } from './ui.js';
import { lazyVault } from './vault.js';
import { formatDuration } from './render/token.js';
import { checkIdToken } from '../registry/id-token-check.js';
import { configRegistry } from '../registry/registry.js';
import type { BrokerProvider } from '../registry/types.js';
import { configPathFor, loadConfig, readConfig } from '../config/load.js';
import { fetchClient, HttpError, type HttpClient } from '../oauth/http.js';
import { refreshAccessToken } from '../oauth/oauth2.js';
import type { Deviation, TokenSet } from '../oauth/token-response.js';
import { catalogDirs, catalogIds, findCatalogEntry, unknownNameHint } from '../providers/catalog.js';
import { SANDBOX_ID } from '../sandbox/spec.js';
import { describeBackend, type SecretBackend } from '../vault/backend.js';
import { openVault, type StoreChoice } from '../vault/open.js';
import { DEFAULT_PROFILE, listTokens, loadToken, saveToken, tokenAccount, type StoredToken } from '../vault/tokens.js';
import { CliError, configError, flowError, usageError } from '../util/errors.js';

/** `--profile` and `--store`, which every token command takes. */
export interface TokenCommandOptions {
  profile?: string;
  store?: StoreChoice;
}

/** A token, and the store it was found in (where a refreshed one is saved back). */
export interface LocatedToken {
  stored: StoredToken;
  vault: SecretBackend;
}

/**
 * How early a token counts as expired: a request sent a few seconds before `exp` can arrive after
 * it, and clocks differ.
 */
export const EXPIRY_SKEW_SECONDS = 30;

/**
 * The HTTP client of the token commands: fetchClient, with an unreachable server reported as a
 * failure a user can act on (exit 1), not as a bug.
 */
export function tokenHttp(): HttpClient {
  const http = fetchClient();
  return async (request) => {
    try {
      return await http(request);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      throw flowError(error.message, 'check the network, and the URL in the provider file or discovery document', 'unreachable', error);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Stores

/**
 * The stores to read. `--store` (or $OAUTHD_STORE) names one; otherwise both the keychain, when one
 * answers, and the 0600 file: a token kept in the file by `login --store file`, or while the keychain
 * was away, is still found.
 */
export async function openTokenStores(ctx: Context, choice: StoreChoice | undefined): Promise<SecretBackend[]> {
  const fromEnv = ctx.env.OAUTHD_STORE;
  const pinned = choice ?? (fromEnv === 'keychain' || fromEnv === 'file' ? fromEnv : undefined);
  // No notice: reading needs no word about fallbacks; `token list` names each token's store.
  const primary = await openVault({ env: ctx.env, platform: ctx.platform, ...(pinned ? { choice: pinned } : {}) });
  if (pinned !== undefined || primary.kind === 'file') return [primary];
  return [primary, await openVault({ env: ctx.env, platform: ctx.platform, choice: 'file' })];
}

/** "the keychain (Secret Service …)", or the file's path with its mode. */
export function describeStore(vault: SecretBackend): string {
  return vault.kind === 'keychain' ? `the keychain (${vault.location})` : describeBackend(vault);
}

// ---------------------------------------------------------------------------------------------
// Finding a token

export async function findStoredToken(ctx: Context, provider: string, options: TokenCommandOptions): Promise<LocatedToken> {
  const profile = options.profile ?? DEFAULT_PROFILE;
  const stores = await openTokenStores(ctx, options.store);
  for (const vault of stores) {
    let stored: StoredToken | undefined;
    try {
      stored = await loadToken(vault, provider, profile);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw configError(
        `the entry ${tokenAccount(provider, profile)} in ${describeStore(vault)} is not a readable token`,
        `log in again to replace it: ${loginCommand(provider, profile)}`,
      );
    }
    if (stored) return { stored, vault };
  }
  throw await missingToken(ctx, provider, profile, stores);
}

/** " --profile NAME" for commands to suggest, nothing for the default profile. */
export function profileFlag(profile: string): string {
  return profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`;
}

export function loginCommand(provider: string, profile: string): string {
  return `oauthd-cli login ${provider}${profileFlag(profile)}`;
}

async function missingToken(ctx: Context, provider: string, profile: string, stores: SecretBackend[]): Promise<CliError> {
  const kept = (await Promise.all(stores.map(listTokens))).flat();
  const profiles = [...new Set(kept.filter((token) => token.provider === provider).map((token) => token.profile))];
  if (profiles.length === 0) {
    const known = await knownProviders(ctx);
    if (!known.has(provider)) {
      const names = [...new Set([...known, ...kept.map((token) => token.provider)])];
      return usageError(`unknown provider "${provider}"`, unknownNameHint(provider, names, 'oauthd-cli token list shows the tokens kept'));
    }
  }
  const where = stores.map(describeStore).join(' or ');
  const hint =
    profiles.length > 0
      ? `${provider} has tokens for the profile${profiles.length > 1 ? 's' : ''} ${profiles.join(', ')} (--profile ${profiles[0]}); or run \`${loginCommand(provider, profile)}\``
      : `run \`${loginCommand(provider, profile)}\``;
  return configError(`no token for ${provider} (profile ${profile}) in ${where}`, hint);
}

/** Providers a token could come from: the sandbox, keysets in oauthd.json, provider files. */
async function knownProviders(ctx: Context): Promise<Set<string>> {
  const known = new Set<string>([SANDBOX_ID]);
  // Only for "did you mean": a broken config or provider folder is reported by the commands that need them.
  const config = await readConfig(configPathFor(ctx)).catch(() => undefined);
  for (const id of Object.keys(config?.config.providers ?? {})) known.add(id);
  for (const id of await catalogIds(catalogDirs(ctx)).catch(() => [])) known.add(id);
  return known;
}

// ---------------------------------------------------------------------------------------------
// The issuing provider

/**
 * The provider that issued `stored`, as `login` built it. `action` ends "the token cannot be …"
 * in errors. The sandbox is started in this process on the port its issuer names, or reached
 * where it already runs (./sandbox-runtime.ts).
 */
export async function issuingProvider(ctx: Context, ui: Ui, http: HttpClient, stored: StoredToken, action: string): Promise<BrokerProvider> {
  const id = stored.provider;
  if (id === SANDBOX_ID) {
    const { issuingSandbox } = await import('./sandbox-runtime.js');
    return issuingSandbox(ctx, http, stored.issuer, loginCommand(id, stored.profile));
  }
  const { config, path } = await loadConfig(ctx);
  const dirs = catalogDirs(ctx);
  const registry = configRegistry({
    keysets: config.providers,
    env: ctx.env,
    http,
    vault: lazyVault(ctx, ui),
    catalog: (providerId) => findCatalogEntry(providerId, dirs),
  });
  const provider = await registry.get(id);
  if (!provider) {
    throw config.providers[id]
      ? configError(`no provider file for ${id} (looked in ${dirs.join(', ')})`, 'restore the provider file, or add the provider again with providers add --issuer')
      : configError(
          `${id} has no keyset in ${path}, so the token cannot be ${action}`,
          `run in the project that signed in, pass --config, or add the keyset again: oauthd-cli providers add ${id} --client-id …`,
        );
  }
  // A token goes back only to the server that issued it: never send it to another issuer that took
  // over the provider id (a changed --issuer, another project's keyset).
  if (stored.issuer !== undefined && provider.resolved.issuer !== stored.issuer) {
    throw configError(
      `the ${id} token was issued by ${stored.issuer}, but ${id} in ${path} is ${provider.resolved.issuer ?? 'not that OpenID provider'}; the token is not sent there`,
      `log in again: ${loginCommand(id, stored.profile)}`,
    );
  }
  return provider;
}

// ---------------------------------------------------------------------------------------------
// Expiry and refresh

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

/** "expired 3 min ago" / "expires in 20 s". */
export function describeLeft(seconds: number): string {
  return seconds <= 0 ? `expired ${formatDuration(-seconds)} ago` : `expires in ${formatDuration(seconds)}`;
}

/** When the stored id_token was verified by oauthd-cli, if it was. */
export function idTokenVerifiedAt(stored: StoredToken): string | undefined {
  if (stored.token.id_token === undefined) return undefined;
  // Entries written before idTokenVerifiedAt existed: login keeps `subject` only from a verified id_token.
  return stored.idTokenVerifiedAt ?? (stored.subject !== undefined ? stored.obtainedAt : undefined);
}

/** Refused before any request: OAuth 1.0a credentials and tokens without a refresh token. */
export function requireRefreshable(stored: StoredToken): string {
  const id = stored.provider;
  if (stored.token.token_secret !== undefined) {
    throw configError(
      `${id} uses OAuth 1.0a: its token credentials do not expire and have no refresh (RFC 5849 §2.3)`,
      `they stay valid until revoked at ${id}; if they stopped working, log in again: ${loginCommand(id, stored.profile)}`,
    );
  }
  if (stored.token.refresh_token === undefined) {
    throw configError(
      `the ${id} token (profile ${stored.profile}) came without a refresh token, so it cannot be refreshed`,
      `log in again: ${loginCommand(id, stored.profile)} (some providers issue refresh tokens only with a scope such as offline_access, or a parameter such as access_type=offline)`,
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
export async function refreshStoredToken(http: HttpClient, provider: BrokerProvider, stored: StoredToken, now: () => number = Date.now): Promise<Refreshed> {
  const refreshToken = requireRefreshable(stored);
  const oauth2 = provider.resolved.oauth2;
  if (!oauth2) throw configError(`${provider.resolved.id} describes no OAuth 2 token endpoint`, 'fix its provider file');
  const clientSecret = await provider.clientSecret();
  const result = await refreshAccessToken(
    http,
    oauth2,
    { clientId: provider.resolved.clientId, ...(clientSecret !== undefined ? { clientSecret } : {}) },
    refreshToken,
  );
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
    throw flowError('the refresh brought an id_token, but no issuer is known to verify it', 'add the provider with --issuer so its keys can be found', 'id_token_unverifiable');
  }
  const checked = await checkIdToken(fresh, openid, { clientId: provider.resolved.clientId, openidAsked: false, now: obtainedAt });
  if (!checked) return false;
  if (stored.subject !== undefined && checked.claims.sub !== stored.subject) {
    throw flowError(
      `the id_token of the refresh names the subject "${String(checked.claims.sub)}", not "${stored.subject}" (OIDC Core §12.2: it MUST be the same)`,
      'nothing was saved; log in again',
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
  const verifiedAt = fresh.id_token !== undefined ? (idTokenVerified ? at : undefined) : idTokenVerifiedAt(previous);
  if (verifiedAt !== undefined) stored.idTokenVerifiedAt = verifiedAt;
  return { stored, rotation };
}

export function describeRotation(rotation: Rotation): string {
  switch (rotation) {
    case 'rotated':
      return 'the provider rotated the refresh token: the new one is saved, the old one may no longer work';
    case 'unchanged':
      return 'the same refresh token came back (not rotated)';
    case 'kept':
      return 'no refresh token came back; the old one is kept and stays valid (RFC 6749 §6)';
  }
}

/** Token-response deviations worth a warning, as `login` prints them. */
export function warnDeviations(ui: Ui, deviations: readonly Deviation[]): void {
  for (const deviation of deviations) {
    if (!deviation.expected) ui.warn(`token response: ${deviation.message} (${deviation.source})`);
  }
}

/**
 * The stored token, refreshed first (and saved back) when it has expired and can be refreshed; an
 * expired token without a refresh token is tried as it is, with a warning.
 */
export async function usableToken(ui: Ui, http: HttpClient, located: LocatedToken, provider: BrokerProvider): Promise<StoredToken> {
  const { stored } = located;
  if (!isExpired(stored) || stored.token.token_secret !== undefined) return stored;
  const left = secondsLeft(stored) as number;
  if (stored.token.refresh_token === undefined) {
    ui.warn(`the ${stored.provider} access token ${describeLeft(left)} and there is no refresh token; trying it anyway`);
    return stored;
  }
  const refreshed = await refreshStoredToken(http, provider, stored);
  await saveToken(located.vault, refreshed.stored);
  warnDeviations(ui, refreshed.deviations);
  ui.info(`The ${stored.provider} access token ${describeLeft(left)}: refreshed it first; ${describeRotation(refreshed.rotation)}.`);
  return refreshed.stored;
}
