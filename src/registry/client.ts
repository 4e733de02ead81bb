/**
 * The client, as the protocol's requests take it (ClientCredentials, src/oauth/oauth2.ts), from a
 * provider at run time: its id, its secret and key (read lazily, from their secret references), the
 * DPoP key of this login, and where its checks are told.
 */
import type { ClientCredentials } from '../oauth/oauth2.js';
import type { BrokerProvider } from './types.js';

export async function clientOf(provider: BrokerProvider): Promise<ClientCredentials> {
  const clientSecret = await provider.clientSecret();
  const key = await provider.clientKey?.();
  const certificate = await provider.clientCertificate?.();
  return {
    clientId: provider.resolved.clientId,
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(certificate !== undefined ? { certificate } : {}),
    ...(provider.dpop ? { dpop: provider.dpop } : {}),
    ...(provider.report ? { report: provider.report } : {}),
  };
}
