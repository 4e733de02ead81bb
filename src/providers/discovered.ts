/**
 * A provider description built from authorization server metadata (OpenID Connect Discovery or
 * RFC 8414), for providers outside the catalog: `providers add myidp --issuer …` and the sandbox.
 */
import type { DiscoveredEndpoints } from '../config/schema.js';
import { MTLS_ALIASED_ENDPOINTS, type ClientAuthMethod, type MtlsEndpointAliases, type PkceSupport, type ProviderSpec } from './schema.js';

/** Metadata fields a provider description needs; DiscoveredEndpoints and ServerMetadata both fit. */
export type EndpointMetadata = Omit<DiscoveredEndpoints, 'fetchedAt'>;

const STANDARD_OIDC_SCOPES = ['openid', 'profile', 'email'];

export function specFromMetadata(id: string, name: string, metadata: EndpointMetadata): ProviderSpec {
  const supported = metadata.scopes_supported;
  // An OpenID provider publishes its keys (Discovery §3: jwks_uri REQUIRED); a plain OAuth server
  // (RFC 8414) need not, and gets neither an oidc block nor OpenID scopes by default.
  const openid = metadata.jwks_uri !== undefined;
  const defaults = !openid ? [] : supported ? STANDARD_OIDC_SCOPES.filter((scope) => supported.includes(scope)) : STANDARD_OIDC_SCOPES;
  const mtlsAliases = mtlsAliasesFrom(metadata.mtls_endpoint_aliases);
  const spec: ProviderSpec = {
    id,
    name,
    docs: metadata.issuer.startsWith('https://') ? metadata.issuer : 'https://openid.net/specs/openid-connect-discovery-1_0.html',
    ...(openid
      ? {
          oidc: {
            issuer: metadata.issuer,
            jwksUri: metadata.jwks_uri as string,
            ...(metadata.authorization_response_iss_parameter_supported === true ? { authorizationResponseIss: true } : {}),
          },
        }
      : {}),
    oauth2: {
      authorizeUrl: metadata.authorization_endpoint,
      tokenUrl: metadata.token_endpoint,
      clientAuth: clientAuthFrom(metadata.token_endpoint_auth_methods_supported),
      pkce: pkceFrom(metadata.code_challenge_methods_supported),
      scopes: { separator: ' ', default: defaults },
      ...(metadata.revocation_endpoint ? { revoke: { url: metadata.revocation_endpoint } } : {}),
      ...(metadata.introspection_endpoint ? { introspectUrl: metadata.introspection_endpoint } : {}),
      ...(metadata.device_authorization_endpoint ? { deviceAuthorizationUrl: metadata.device_authorization_endpoint } : {}),
      // RFC 9126 §5.
      ...(metadata.pushed_authorization_request_endpoint ? { parUrl: metadata.pushed_authorization_request_endpoint } : {}),
      ...(metadata.require_pushed_authorization_requests === true ? { requirePar: true } : {}),
      // RFC 9449 §5.1.
      ...(metadata.dpop_signing_alg_values_supported ? { dpopAlgs: metadata.dpop_signing_alg_values_supported } : {}),
      ...(metadata.authorization_details_types_supported ? { authorizationDetailsTypes: metadata.authorization_details_types_supported } : {}),
      // OpenID CIBA Core §4.
      ...(metadata.backchannel_authentication_endpoint ? { backchannelAuthenticationUrl: metadata.backchannel_authentication_endpoint } : {}),
      ...(metadata.backchannel_token_delivery_modes_supported ? { backchannelTokenDeliveryModes: metadata.backchannel_token_delivery_modes_supported } : {}),
      ...(metadata.backchannel_user_code_parameter_supported === true ? { backchannelUserCode: true } : {}),
      // RFC 8705 §5: where a client showing its certificate sends its calls.
      ...(mtlsAliases !== undefined ? { mtlsEndpointAliases: mtlsAliases } : {}),
    },
  };
  if (openid && metadata.userinfo_endpoint) {
    spec.profile = {
      url: metadata.userinfo_endpoint,
      map: { id: 'sub', name: 'name', firstname: 'given_name', lastname: 'family_name', alias: 'preferred_username', email: 'email', avatar: 'picture' },
    };
  }
  return spec;
}

/** RFC 8705 §5: the https aliases of the endpoints this client calls (others are ignored). */
export function mtlsAliasesFrom(value: unknown): MtlsEndpointAliases | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const aliases: MtlsEndpointAliases = {};
  for (const name of MTLS_ALIASED_ENDPOINTS) {
    const url = (value as Record<string, unknown>)[name];
    if (typeof url === 'string' && url.startsWith('https://')) aliases[name] = url;
  }
  return Object.keys(aliases).length > 0 ? aliases : undefined;
}

/** RFC 8414 §2: the default when the server says nothing is client_secret_basic. */
function clientAuthFrom(methods: string[] | undefined): ClientAuthMethod {
  if (!methods || methods.length === 0 || methods.includes('client_secret_basic')) return 'client_secret_basic';
  if (methods.includes('client_secret_post')) return 'client_secret_post';
  // RFC 7523: a server that takes only assertions; the keyset gives the key (clientKey).
  if (methods.includes('private_key_jwt')) return 'private_key_jwt';
  return methods.includes('none') ? 'none' : 'client_secret_basic';
}

function pkceFrom(methods: string[] | undefined): PkceSupport {
  if (!methods) return 'undocumented';
  return methods.includes('S256') ? 'supported' : 'unsupported';
}
