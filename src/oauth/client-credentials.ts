/**
 * The client credentials grant (RFC 6749 §4.4): a token for the client itself, no user involved.
 */
import { ProviderConfigurationError } from './errors.js';
import type { HttpClient } from './http.js';
import { requestToken, type ClientCredentials, type TokenEndpoint } from './oauth2.js';
import type { ReadTokenResult } from './token-response.js';

/** §4.4.2: the access token request. The answer is a §5.1 token response without refresh token (§4.4.3). */
export function clientCredentialsGrant(
  http: HttpClient,
  tokenEndpoint: TokenEndpoint & { scopeSeparator?: string },
  client: ClientCredentials,
  scopes: readonly string[],
): Promise<ReadTokenResult> {
  // §4.4: "The client credentials grant type MUST only be used by confidential clients."
  if (client.clientSecret === undefined && client.key === undefined) {
    return Promise.reject(
      new ProviderConfigurationError('the client_credentials grant needs a client secret, and this keyset has none', {
        kind: 'client-secret-missing',
        grant: 'client_credentials',
      }),
    );
  }
  const grant: Record<string, string> = { grant_type: 'client_credentials' };
  if (scopes.length > 0) grant.scope = scopes.join(tokenEndpoint.scopeSeparator ?? ' ');
  return requestToken(http, tokenEndpoint, client, grant, 'token request (client_credentials)');
}
