/**
 * `status`: every kept token and whether it can be used, read from every store without sending
 * anything anywhere. A store that cannot be read (no keychain answering where one was asked for,
 * a secrets file that is unreadable or not ours) is reported beside the tokens of the others.
 *
 * A token's state:
 *   valid          not expired (or of unknown lifetime, or OAuth 1.0a credentials, which do not expire)
 *   refreshable    expired (or about to), with a refresh token: the next command refreshes it
 *   login-needed   expired without a refresh token, or its refresh token was refused (invalid_grant)
 */
import { KeychainBackend } from '../vault/keychain.js';
import { openVault, type StoreChoice } from '../vault/open.js';
import type { BackendKind, SecretBackend } from '../vault/backend.js';
import { isCliError } from '../util/errors.js';
import { isExpired, secondsLeft } from './expiry.js';
import { loginCommand } from './hints.js';
import { resolveProfile } from './profiles.js';
import { listTokens, type NeedsLogin, type StoredToken } from './store.js';

export type TokenState = 'valid' | 'refreshable' | 'login-needed';

export interface StoreStatus {
  kind: BackendKind;
  location: string;
  /** False: this store could not be read; `problem` says why. */
  readable: boolean;
  problem?: string;
  /** The file store: plain text protected by file permissions only. */
  warning?: string;
}

export interface TokenStatus {
  provider: string;
  profile: string;
  /** True for the profile the commands use when they name none (token switch, $OAUTHD_PROFILE). */
  inUse: boolean;
  account: string | null;
  store: BackendKind;
  protocol: 'oauth2' | 'oauth1';
  scopes: {
    /** What the provider said it granted; null when its answer had no `scope` (RFC 6749 §5.1: then as asked). */
    granted: string[] | null;
    asked: string[];
    /** Asked for, and not granted. */
    notGranted: string[];
  };
  obtainedAt: string;
  expiresAt: string | null;
  /** Negative once expired; null when the lifetime is unknown. */
  expiresInSeconds: number | null;
  expired: boolean;
  refreshToken: boolean;
  needsLogin: NeedsLogin | null;
  state: TokenState;
  /** For login-needed: the command that gets a new token. */
  fix: string | null;
}

export interface StatusReport {
  stores: StoreStatus[];
  tokens: TokenStatus[];
}

export const FILE_STORE_WARNING = 'plain text, protected by file permissions only; a keychain keeps tokens encrypted';

type Where = { env: Readonly<Record<string, string | undefined>>; platform: NodeJS.Platform };

export async function tokenStatus(where: Where, choice: StoreChoice | undefined, now = Date.now()): Promise<StatusReport> {
  const stores: StoreStatus[] = [];
  const found: Array<{ stored: StoredToken; vault: SecretBackend }> = [];
  for (const opened of await openStores(where, choice)) {
    if ('problem' in opened) {
      stores.push({ ...opened, readable: false });
      continue;
    }
    const vault = opened;
    const status: StoreStatus = { kind: vault.kind, location: vault.location, readable: true };
    if (vault.kind === 'file') status.warning = FILE_STORE_WARNING;
    try {
      for (const stored of await listTokens(vault)) found.push({ stored, vault });
    } catch (error) {
      status.readable = false;
      status.problem = problemOf(error, vault.location);
    }
    stores.push(status);
  }
  found.sort((a, b) => a.stored.provider.localeCompare(b.stored.provider) || a.stored.profile.localeCompare(b.stored.profile));
  const inUse = new Map<string, string>();
  for (const provider of new Set(found.map(({ stored }) => stored.provider))) {
    inUse.set(provider, (await resolveProfile(where, provider, undefined)).profile);
  }
  return { stores, tokens: found.map(({ stored, vault }) => statusOf(stored, vault.kind, inUse.get(stored.provider), now)) };
}

/**
 * `status`'s exit code: 2 when a store that must be read cannot be (the file, or the keychain that
 * --store or $OAUTHD_STORE names), 1 when a token is expired and cannot be refreshed, else 0.
 * A keychain that does not answer when none was asked for is no failure: tokens are then kept in
 * the file.
 */
export function statusExitCode(report: StatusReport): 0 | 1 | 2 {
  if (failedStores(report).length > 0) return 2;
  return report.tokens.some((token) => token.state === 'login-needed') ? 1 : 0;
}

/** The stores that had to be read and could not: the file, or a keychain that was the only store asked for. */
export function failedStores(report: StatusReport): StoreStatus[] {
  return report.stores.filter((store) => !store.readable && (store.kind === 'file' || report.stores.length === 1));
}

/** `implicitProfile`: the profile a command without --profile picks for the token's provider. */
function statusOf(stored: StoredToken, store: BackendKind, implicitProfile: string | undefined, now: number): TokenStatus {
  const oauth1 = stored.token.token_secret !== undefined;
  const granted = stored.token.scope !== undefined ? stored.token.scope.split(' ').filter(Boolean) : null;
  const asked = stored.requestedScopes ?? [];
  const left = oauth1 ? undefined : secondsLeft(stored, now);
  const expired = !oauth1 && isExpired(stored, now);
  const refreshToken = stored.token.refresh_token !== undefined;
  const needsLogin = stored.needsLogin ?? null;
  const state: TokenState = !expired ? 'valid' : refreshToken && needsLogin === null ? 'refreshable' : 'login-needed';
  return {
    provider: stored.provider,
    profile: stored.profile,
    inUse: implicitProfile === stored.profile,
    account: stored.subject ?? null,
    store,
    protocol: oauth1 ? 'oauth1' : 'oauth2',
    scopes: { granted, asked, notGranted: granted === null ? [] : asked.filter((scope) => !granted.includes(scope)) },
    obtainedAt: stored.obtainedAt,
    expiresAt: stored.expiresAt ?? null,
    expiresInSeconds: left ?? null,
    expired,
    refreshToken,
    needsLogin,
    state,
    fix: state === 'login-needed' ? loginCommand(stored.provider, stored.profile, implicitProfile) : null,
  };
}

/** The stores to read: the one `--store` names; otherwise the keychain (or why it is missing) and the file. */
async function openStores(where: Where, choice: StoreChoice | undefined): Promise<Array<SecretBackend | { kind: BackendKind; location: string; problem: string }>> {
  const fromEnv = where.env.OAUTHD_STORE;
  const pinned = choice ?? (fromEnv === 'keychain' || fromEnv === 'file' ? fromEnv : undefined);
  const file = () => openVault({ env: where.env, platform: where.platform, choice: 'file' });
  if (pinned === 'file') return [await file()];
  const opened = await KeychainBackend.open(where.platform);
  const keychain = opened instanceof KeychainBackend ? opened : { kind: 'keychain' as const, location: 'OS keychain', problem: opened.unavailable.split('\n')[0] ?? opened.unavailable };
  if (pinned === 'keychain') return [keychain];
  return [keychain, await file()];
}

function problemOf(error: unknown, location: string): string {
  if (isCliError(error)) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${location}: permission denied`;
  if (code === 'EISDIR') return `${location} is a folder, not a file`;
  return `cannot read ${location}: ${(error as Error).message}`;
}
