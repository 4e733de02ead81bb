/**
 * The sandbox as a provider: a real OpenID provider (node-oidc-provider) mounted on the broker at
 * /sandbox, so `login sandbox` works offline on a fresh clone with no config. This module only
 * describes it; ./server.ts runs it.
 */
import type { ClientAuthMethod, ProviderSpec } from '../providers/schema.js';
import { specFromMetadata } from '../providers/discovered.js';

export const SANDBOX_ID = 'sandbox';
export const SANDBOX_PATH = '/sandbox';
export const SANDBOX_CLIENT_ID = 'oauthd-cli-sandbox';
export const SANDBOX_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/**
 * The sandbox's clients, one per client authentication method (RFC 6749 §2.3, RFC 7523): a client
 * registers one method, so `login sandbox --auth-method X` signs in as the client registered for X.
 * The first is the default. Their redirect URIs, grants and scopes are the same.
 */
/** RFC 9396: the authorization_details types the sandbox grants (any fields; RFC 9396 §A's examples). */
export const SANDBOX_RAR_TYPES = ['account_information', 'payment_initiation', 'openid_credential'];
/** RFC 8707: every absolute URI is a resource of the sandbox's; its tokens carry these scopes for it. */
export const SANDBOX_RESOURCE_SCOPES = ['api:read', 'api:write'];

export const SANDBOX_CLIENTS = {
  client_secret_basic: SANDBOX_CLIENT_ID,
  client_secret_post: `${SANDBOX_CLIENT_ID}-post`,
  client_secret_jwt: `${SANDBOX_CLIENT_ID}-secret-jwt`,
  private_key_jwt: `${SANDBOX_CLIENT_ID}-key-jwt`,
  none: `${SANDBOX_CLIENT_ID}-public`,
  // RFC 8705 §2: over the sandbox's mTLS listener (./certificates.ts), with its client certificates.
  tls_client_auth: `${SANDBOX_CLIENT_ID}-tls`,
  self_signed_tls_client_auth: `${SANDBOX_CLIENT_ID}-self-signed-tls`,
} as const satisfies Partial<Record<ClientAuthMethod, string>>;

export function sandboxIssuer(brokerOrigin: string): string {
  return `${brokerOrigin}${SANDBOX_PATH}`;
}

/**
 * RFC 8705 §5: the endpoints on the sandbox's mTLS listener (https://127.0.0.1:PORT, a port of its
 * own beside the broker, ./server.ts), under the same /sandbox path.
 */
export function sandboxMtlsAliases(mtlsOrigin: string): Record<string, string> {
  const base = `${mtlsOrigin}${SANDBOX_PATH}`;
  return {
    token_endpoint: `${base}/token`,
    userinfo_endpoint: `${base}/me`,
    introspection_endpoint: `${base}/token/introspection`,
    revocation_endpoint: `${base}/token/revocation`,
    pushed_authorization_request_endpoint: `${base}/request`,
    device_authorization_endpoint: `${base}/device/auth`,
  };
}

/** The sandbox's description; `mtlsOrigin` is its mTLS listener, once started. */
export function sandboxSpec(brokerOrigin: string, mtlsOrigin?: string): ProviderSpec {
  const issuer = sandboxIssuer(brokerOrigin);
  const spec = specFromMetadata(SANDBOX_ID, 'oauthd-cli sandbox (embedded OpenID provider)', {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    userinfo_endpoint: `${issuer}/me`,
    revocation_endpoint: `${issuer}/token/revocation`,
    introspection_endpoint: `${issuer}/token/introspection`,
    device_authorization_endpoint: `${issuer}/device/auth`,
    scopes_supported: SANDBOX_SCOPES,
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: Object.keys(SANDBOX_CLIENTS),
    // node-oidc-provider sends iss on every authorization response (RFC 9207).
    authorization_response_iss_parameter_supported: true,
    // Modern OAuth, switched on in ./server.ts: PAR (RFC 9126), DPoP (RFC 9449).
    pushed_authorization_request_endpoint: `${issuer}/request`,
    dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'PS256', 'RS256'],
    authorization_details_types_supported: SANDBOX_RAR_TYPES,
    // RFC 9101, JARM.
    request_object_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    response_modes_supported: ['query', 'form_post', 'jwt', 'query.jwt', 'form_post.jwt'],
    // OpenID CIBA Core, poll mode (./ciba.ts approves on the sandbox's own page).
    backchannel_authentication_endpoint: `${issuer}/backchannel`,
    backchannel_token_delivery_modes_supported: ['poll'],
    // RFC 7591: open registration.
    registration_endpoint: `${issuer}/reg`,
    // RFC 8705: certificate-bound tokens, and where a client showing a certificate calls.
    ...(mtlsOrigin !== undefined ? { tls_client_certificate_bound_access_tokens: true, mtls_endpoint_aliases: sandboxMtlsAliases(mtlsOrigin) } : {}),
  });
  spec.docs = 'https://github.com/panva/node-oidc-provider';
  spec.notes =
    'Runs inside oauthd-cli on loopback. Any user name signs in; tokens are real and signed. Its keys and grants stay in the data folder, so every token command can use its tokens later.';
  // Its API is itself: `oauthd-cli request sandbox /me` calls the userinfo endpoint.
  spec.api = { baseUrl: issuer };
  spec.oauth2!.pkce = 'required';
  spec.oauth2!.refresh = true;
  spec.oauth2!.clientCredentials = true;
  spec.oauth2!.scopes = {
    separator: ' ',
    default: SANDBOX_SCOPES,
    values: {
      openid: 'Sign in (id_token)',
      profile: 'Name and user name',
      email: 'Email address',
      offline_access: 'A refresh token',
    },
  };
  return spec;
}
