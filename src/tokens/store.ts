/**
 * Tokens at rest: one vault entry per provider and profile (`token:<provider>:<profile>`), holding
 * the normalized token response and what is needed to use, refresh and explain it later.
 */
import type { TokenSet } from '../oauth/token-response.js';
import type { SecretBackend } from '../vault/backend.js';
import type { JWK } from 'jose';
import type { ClientAuthMethod } from '../providers/schema.js';

export const DEFAULT_PROFILE = 'default';

export interface StoredToken {
  version: 1;
  provider: string;
  profile: string;
  token: TokenSet;
  /** ISO 8601. */
  obtainedAt: string;
  /** ISO 8601, when the provider gave a lifetime. */
  expiresAt?: string;
  /** Scopes asked for; `token.scope` holds the scopes granted when the provider says. */
  requestedScopes: string[];
  /** The signed-in account when known (id_token sub, or the profile). */
  subject?: string;
  issuer?: string;
  /**
   * ISO 8601: when oauthd-cli verified `token.id_token` (at login, or at a refresh that brought a
   * new one). Entries written before this field existed: a `subject` means verified at `obtainedAt`.
   */
  idTokenVerifiedAt?: string;
  /**
   * RFC 9449: the private key (a JWK with its alg) the token is bound to (its cnf.jkt), made for
   * the login that got it. Kept only here, beside the token, for the proofs of later calls (me,
   * request, token refresh); never printed.
   */
  dpopKey?: JWK;
  /**
   * RFC 8705: the client certificate the login showed (its x5t#S256), and where it and its key are
   * when they came from login's --cert/--key (file: references; a keyset's clientCert is found in
   * the keyset again). A certificate-bound token works only over connections that show it, so me,
   * request, token refresh, introspect and revoke show it too. Never the key itself.
   */
  clientCertificate?: { 'x5t#S256': string; cert?: string; key?: string };
  /** How the client authenticated at login, when `login --auth-method` chose other than the keyset: refreshes do the same. */
  authMethod?: ClientAuthMethod;
  /**
   * Set when the provider refused the refresh token (RFC 6749 §5.2 invalid_grant: revoked, expired
   * or spent): the entry stays, so `status` can say which login is needed, until a login replaces it.
   */
  needsLogin?: NeedsLogin;
}

export interface NeedsLogin {
  /** ISO 8601: when the refresh was refused. */
  since: string;
  /** The provider's `error` code. */
  error: string;
  /** Its `error_description`, when it gave one. */
  description?: string;
}

const PREFIX = 'token:';

export function tokenAccount(provider: string, profile = DEFAULT_PROFILE): string {
  return `${PREFIX}${provider}:${profile}`;
}

export async function saveToken(vault: SecretBackend, token: StoredToken): Promise<void> {
  await vault.set(tokenAccount(token.provider, token.profile), JSON.stringify(token));
}

export async function loadToken(vault: SecretBackend, provider: string, profile = DEFAULT_PROFILE): Promise<StoredToken | undefined> {
  const text = await vault.get(tokenAccount(provider, profile));
  return text === undefined ? undefined : (JSON.parse(text) as StoredToken);
}

export async function deleteToken(vault: SecretBackend, provider: string, profile = DEFAULT_PROFILE): Promise<boolean> {
  return vault.delete(tokenAccount(provider, profile));
}

export async function listTokens(vault: SecretBackend): Promise<StoredToken[]> {
  const accounts = (await vault.accounts()).filter((account) => account.startsWith(PREFIX)).sort();
  const tokens: StoredToken[] = [];
  for (const account of accounts) {
    const text = await vault.get(account);
    if (text === undefined) continue;
    try {
      tokens.push(JSON.parse(text) as StoredToken);
    } catch {
      // An entry we cannot read is not ours to interpret; skip it.
    }
  }
  return tokens;
}
