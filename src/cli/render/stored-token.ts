/**
 * How a kept token is described: its scopes, its expiry, what a refresh or a revocation did, decoded
 * JWT claims, label/value rows.
 */
import type { ChalkInstance } from 'chalk';
import type { TokenTypeHint } from '../../oauth/revoke.js';
import { secondsLeft } from '../../tokens/expiry.js';
import type { Rotation } from '../../tokens/refresh.js';
import type { StoredToken } from '../../tokens/store.js';
import type { SecretBackend } from '../../vault/backend.js';
import { formatDuration } from './token.js';

/** The scopes granted (the token response's `scope`), else those asked for. */
export function tokenScopes(stored: StoredToken): { scopes: string[]; granted: boolean } {
  const granted = stored.token.scope;
  if (granted !== undefined) return { scopes: granted.split(' ').filter(Boolean), granted: true };
  return { scopes: stored.requestedScopes, granted: false };
}

/** What `token list --json` and `token show --json` both say of a kept token: never its value. */
export interface TokenSummary {
  provider: string;
  profile: string;
  account: string | null;
  store: { kind: SecretBackend['kind']; location: string };
  protocol: 'oauth2' | 'oauth1';
  tokenType: string;
  scopes: string[];
  /** False when the provider did not say which scopes it granted: `scopes` are those asked for. */
  scopesGranted: boolean;
  obtainedAt: string;
  expiresAt: string | null;
}

export function tokenSummary(stored: StoredToken, vault: SecretBackend): TokenSummary {
  const { scopes, granted } = tokenScopes(stored);
  return {
    provider: stored.provider,
    profile: stored.profile,
    account: stored.subject ?? null,
    store: { kind: vault.kind, location: vault.location },
    protocol: stored.token.token_secret !== undefined ? 'oauth1' : 'oauth2',
    tokenType: stored.token.token_type,
    scopes,
    scopesGranted: granted,
    obtainedAt: stored.obtainedAt,
    expiresAt: stored.expiresAt ?? null,
  };
}

/** "in 57 min (2025-01-01T10:00:00Z)", "expired 3 min ago (…)", or why there is no expiry. */
export function describeExpiry(stored: StoredToken, now = Date.now()): string {
  if (stored.token.token_secret !== undefined) return 'never (OAuth 1.0a token credentials; RFC 5849)';
  const left = secondsLeft(stored, now);
  if (left === undefined || stored.expiresAt === undefined) return 'unknown (the provider gave no expires_in)';
  return `${left > 0 ? `in ${formatDuration(left)}` : describeLeft(left)} (${isoSeconds(stored.expiresAt)})`;
}

/** A short form for tables: "in 57 min", "expired 3 min ago", "never", "unknown". */
export function shortExpiry(stored: StoredToken, now = Date.now()): string {
  if (stored.token.token_secret !== undefined) return 'never';
  const left = secondsLeft(stored, now);
  if (left === undefined) return 'unknown';
  return left > 0 ? `in ${formatDuration(left)}` : describeLeft(left);
}

/** "expired 3 min ago" / "expires in 20 s". */
export function describeLeft(seconds: number): string {
  return seconds <= 0 ? `expired ${formatDuration(-seconds)} ago` : `expires in ${formatDuration(seconds)}`;
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

/** "the refresh token and the access token". */
export function describeRevoked(revoked: readonly TokenTypeHint[]): string {
  return revoked.map((hint) => (hint === 'refresh_token' ? 'the refresh token' : 'the access token')).join(' and ');
}

export function isoSeconds(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

/** "5 min ago" / "in 5 min" relative to now. */
export function relative(epochMs: number, now = Date.now()): string {
  const seconds = Math.round((epochMs - now) / 1000);
  return seconds >= 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

/** RFC 7519 §4.1 NumericDate claims (and OIDC's auth_time), shown as dates. */
const DATE_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

/** One row per claim; dates as ISO 8601 with the time from now, structures as JSON. */
export function claimRows(claims: Record<string, unknown>, now = Date.now()): Array<[string, string]> {
  return Object.entries(claims).map(([name, value]): [string, string] => {
    if (DATE_CLAIMS.has(name) && typeof value === 'number') {
      return [name, `${value} = ${isoSeconds(new Date(value * 1000).toISOString())} (${relative(value * 1000, now)})`];
    }
    return [name, typeof value === 'string' ? value : JSON.stringify(value)];
  });
}

/** Label/value rows, the labels dimmed and aligned; `indent` nests a block under a row. */
export function rows(entries: Array<[string, string]>, color: ChalkInstance, indent = '  '): string[] {
  const width = Math.max(0, ...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${indent}${color.dim(label.padEnd(width))}  ${value}`);
}

/** A plain table with a header row; columns padded to their widest cell. */
export function table(header: string[], body: string[][], color: ChalkInstance): string {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  return [color.bold(line(header)), ...body.map(line)].join('\n');
}
