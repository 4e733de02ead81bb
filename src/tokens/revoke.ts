/**
 * Revoking a kept token at the provider that issued it (RFC 7009, or the provider's own endpoint
 * as its provider file describes it). Deleting the local copy is the caller's next step.
 */
import type { HttpClient } from '../oauth/http.js';
import { revokeToken, type RevokeEndpoint, type TokenTypeHint } from '../oauth/revoke.js';
import { clientOf } from '../registry/client.js';
import type { BrokerProvider } from '../registry/types.js';
import type { StoredToken } from './store.js';

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
  const client = await clientOf(provider);
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
