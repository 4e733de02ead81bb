/**
 * `oauthd-cli token revoke <provider>`: revoke the kept token at the provider (RFC 7009, or the
 * provider's own endpoint as its provider file describes it), then delete the local copy. A
 * provider without a revocation endpoint is refused: deleting the copy would leave the token valid
 * with nobody holding it; `logout` is the command that deletes anyway.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { describeStore, findStoredToken, issuingProvider, profileFlag, tokenHttp, type TokenCommandOptions } from '../stored-token.js';
import type { BrokerProvider } from '../../registry/types.js';
import type { HttpClient } from '../../oauth/http.js';
import { revokeToken, type RevokeEndpoint, type TokenTypeHint } from '../../oauth/revoke.js';
import { deleteToken, type StoredToken } from '../../vault/tokens.js';
import { usageError } from '../../util/errors.js';

export type RevokeOptions = TokenCommandOptions;

export async function run(ctx: Context, provider: string, options: RevokeOptions): Promise<void> {
  const ui = new Ui(ctx);
  const { stored, vault } = await findStoredToken(ctx, provider, options);
  const http = tokenHttp();
  const issuer = await issuingProvider(ctx, ui, http, stored, 'revoked');
  const endpoint = revocationEndpoint(issuer);
  if (!endpoint) {
    throw usageError(
      `${issuer.resolved.name} has no revocation endpoint${issuer.resolved.oauth1 && !issuer.resolved.oauth2 ? ' (OAuth 1.0a defines none)' : ' (oauth2.revoke in its provider file)'}`,
      `\`oauthd-cli logout ${provider}${profileFlag(stored.profile)}\` deletes the local copy; revoke the app's access in your account settings at the provider`,
    );
  }
  const revoked = await revokeAtProvider(http, issuer, endpoint, stored);
  ui.success(`Revoked ${describeRevoked(revoked)} of ${provider} (profile ${stored.profile}) at ${endpoint.url}`);
  await deleteToken(vault, stored.provider, stored.profile);
  ui.success(`Deleted the local copy from ${describeStore(vault)}`);
}

export function revocationEndpoint(provider: BrokerProvider): RevokeEndpoint | undefined {
  return provider.resolved.oauth2?.revoke;
}

/**
 * Revokes the refresh token, then the access token. RFC 7009 §2.1: revoking a refresh token SHOULD
 * also invalidate the access tokens of its grant, but a server need not, so the access token is
 * revoked too (§2.2: an already invalid token is no error). Endpoints of a provider's own shape
 * (a bearer-authenticated call, GitHub's access_token field) take the access token only.
 */
export async function revokeAtProvider(http: HttpClient, provider: BrokerProvider, endpoint: RevokeEndpoint, stored: StoredToken): Promise<TokenTypeHint[]> {
  const clientSecret = await provider.clientSecret();
  const client = { clientId: provider.resolved.clientId, ...(clientSecret !== undefined ? { clientSecret } : {}) };
  const revoked: TokenTypeHint[] = [];
  const rfc7009 = endpoint.auth !== 'bearer' && endpoint.tokenParam === 'token';
  if (rfc7009 && stored.token.refresh_token !== undefined) {
    await revokeToken(http, endpoint, client, stored.token.refresh_token, 'refresh_token');
    revoked.push('refresh_token');
  }
  await revokeToken(http, endpoint, client, stored.token.access_token, 'access_token');
  revoked.push('access_token');
  return revoked;
}

export function describeRevoked(revoked: readonly TokenTypeHint[]): string {
  return revoked.map((hint) => (hint === 'refresh_token' ? 'the refresh token' : 'the access token')).join(' and ');
}
