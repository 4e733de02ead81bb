/**
 * What oauthd's SDKs read about a provider (`GET /api/providers/:id`, and `data.request` in a flow
 * result). The SDKs call APIs through the broker's /request proxy unless `request.cors` is set; we
 * never set it, so tokens stay off third-party origins and the broker applies each provider's way
 * of sending the token. `required` lists the token-response fields the proxy needs back (oauthd's
 * name for them), such as Salesforce's instance_url.
 */
import type { ResolvedProvider } from '../providers/resolve.js';

export interface SdkRequestDescription {
  url?: string;
  required?: string[];
}

export function sdkRequestDescription(provider: ResolvedProvider): SdkRequestDescription {
  const description: SdkRequestDescription = {};
  if (provider.spec.api) description.url = provider.spec.api.baseUrl;
  const keep = provider.spec.oauth2?.tokenResponse?.keep;
  if (keep && keep.length > 0) description.required = keep;
  return description;
}

export function sdkProviderDescription(provider: ResolvedProvider): Record<string, unknown> {
  const request = sdkRequestDescription(provider);
  return {
    id: provider.id,
    provider: provider.id,
    name: provider.name,
    ...(provider.oauth2 ? { oauth2: { request } } : {}),
    ...(provider.oauth1 ? { oauth1: { request } } : {}),
  };
}
