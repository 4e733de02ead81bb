/**
 * An exchanged token (RFC 8693) kept like a login's: one vault entry under the provider that issued
 * it and a profile the user names (`token exchange --save PROFILE`), so `me`, `request` and
 * `token print --profile` use it. It never silently takes the place of a token it was made from.
 */
import type { TokenSet } from '../oauth/token-response.js';
import type { SecretBackend } from '../vault/backend.js';
import { usageError } from '../util/errors.js';
import { splitScopes } from './scopes.js';
import { loadToken, saveToken, type StoredToken } from './store.js';

/** §3: the issued types a kept token can be used as, at an API or the userinfo endpoint. */
const USABLE_AS_ACCESS_TOKEN = new Set(['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt']);

/** A token the exchange sends (its subject or actor): its value, and where it is kept when it was named `@provider[:profile]`. */
export interface ExchangeInput {
  /** `--subject-token` or `--actor-token`. */
  flag: string;
  value: string;
  kept?: { provider: string; profile: string };
}

/**
 * Refused before anything is sent: `--save` naming the entry of a token the exchange sends would
 * replace it with a narrower one (§5: exchanges narrow), and the subject's refresh token would be
 * lost. The entry is the input's when the input named it (`@provider:profile`), or when it holds the
 * input's value (a kept token pasted by value). `existing` is the entry --save would replace.
 */
export function checkSaveTarget(provider: string, profile: string, inputs: readonly ExchangeInput[], existing?: StoredToken): void {
  const held = existing ? [existing.token.access_token, existing.token.refresh_token, existing.token.id_token] : [];
  const own = inputs.find((input) => (input.kept?.provider === provider && input.kept.profile === profile) || held.includes(input.value));
  if (own) {
    throw usageError(
      `--save ${profile} would replace the token ${own.flag} names (${provider}, profile ${profile})`,
      `keep the exchanged token under another profile, e.g. --save ${profile}-exchanged`,
    );
  }
}

/**
 * §2.2.1: the issued token is in `access_token` whatever its type; only access tokens (or JWTs used
 * as such) are kept, a refresh token, id_token or SAML assertion there would be sent as one.
 * Undefined when it can be kept, else why not.
 */
export function unkeepableType(issuedTokenType: string | undefined): string | undefined {
  if (issuedTokenType === undefined || USABLE_AS_ACCESS_TOKEN.has(issuedTokenType)) return undefined;
  return `issued_token_type is ${issuedTokenType.split(':').at(-1) ?? issuedTokenType}, not an access token`;
}

export interface ExchangedEntry {
  provider: string;
  profile: string;
  token: TokenSet;
  /** Epoch ms: when the answer came. */
  obtainedAt: number;
  /** The issuer of the provider that answered (a token goes back only to its issuer). */
  issuer?: string;
  /** `--scope`: the scopes asked for, when they were narrowed. */
  scope?: string;
}

export function exchangedToken(entry: ExchangedEntry): StoredToken {
  const stored: StoredToken = {
    version: 1,
    provider: entry.provider,
    profile: entry.profile,
    token: entry.token,
    obtainedAt: new Date(entry.obtainedAt).toISOString(),
    requestedScopes: splitScopes(entry.scope),
  };
  if (entry.token.expires_in !== undefined) stored.expiresAt = new Date(entry.obtainedAt + entry.token.expires_in * 1000).toISOString();
  // No `subject`: it would say an id_token was verified, and an exchange brings none to verify.
  if (entry.issuer !== undefined) stored.issuer = entry.issuer;
  return stored;
}

/** Saves the entry; says whether it replaced another token of that provider and profile. */
export async function keepExchanged(vault: SecretBackend, stored: StoredToken): Promise<{ replaced: boolean }> {
  // An entry that cannot be read is replaced too, and said so.
  const before = await loadToken(vault, stored.provider, stored.profile).catch(() => 'unreadable' as const);
  await saveToken(vault, stored);
  return { replaced: before !== undefined };
}
