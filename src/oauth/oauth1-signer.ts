/**
 * OAuth 1.0a for a provider at run time: its client credentials, and a signer for API calls made
 * with token credentials (RFC 5849 §3). The broker's flows and proxy, `me` and `request` use it.
 */
import type { ResolvedProvider } from '../providers/resolve.js';
import { ProviderConfigurationError } from '../providers/errors.js';
import { signRequest, type ConsumerCredentials, type SignableRequest } from './oauth1.js';

/** What signing needs of a provider (a registry's provider is one): its ids, its OAuth 1.0a description, its secret. */
export interface OAuth1Client {
  resolved: Pick<ResolvedProvider, 'id' | 'clientId' | 'oauth1'>;
  clientSecret(): Promise<string | undefined>;
}

/** The client credentials of an OAuth 1.0a provider (RSA-SHA1: the secret reference holds the PEM). */
export async function oauth1Consumer(provider: OAuth1Client): Promise<ConsumerCredentials> {
  const secret = await provider.clientSecret();
  if (secret === undefined) {
    throw new ProviderConfigurationError(
      `${provider.resolved.id} needs a client secret for OAuth 1.0a`,
      { kind: 'client-secret-missing', grant: 'oauth1' },
      provider.resolved.id,
    );
  }
  return provider.resolved.oauth1?.signatureMethod === 'RSA-SHA1'
    ? { key: provider.resolved.clientId, secret: '', privateKeyPem: secret }
    : { key: provider.resolved.clientId, secret };
}

/** A signer for API calls made with OAuth 1.0a token credentials (RFC 5849 §3). */
export async function oauth1Signer(provider: OAuth1Client, token: { access_token: string; token_secret?: string }) {
  const spec = provider.resolved.oauth1;
  if (!spec || token.token_secret === undefined) return undefined;
  const consumer = await oauth1Consumer(provider);
  const credentials = { token: token.access_token, tokenSecret: token.token_secret };
  return (request: SignableRequest) => signRequest(spec.signatureMethod, consumer, credentials, request);
}
