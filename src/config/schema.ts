/**
 * `oauthd.json`: the app, the broker and one keyset per provider.
 *
 * Secrets never sit in this file. Where a secret is needed the file holds a *reference*:
 * `env:VAR` (read from the environment) or `keychain:NAME` (read from the OS keychain, or from the
 * 0600 fallback file where no keychain answers). The JSON Schema shipped as
 * `schemas/oauthd.schema.json` is generated from these definitions.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SECRET_REF_PATTERN = '^(env:[A-Za-z_][A-Za-z0-9_]*|keychain:[A-Za-z0-9_.:@-]+)$';

export const SecretRef = Type.String({
  pattern: SECRET_REF_PATTERN,
  description: 'A reference to a secret: env:VAR or keychain:NAME. Never the secret itself.',
});

/**
 * Where a key or certificate is (clientKey, clientCert): a secret reference, or `file:PATH` (a PEM
 * file, relative to oauthd.json's folder). Never the key itself.
 */
export const KEY_REF_PATTERN = '^(env:[A-Za-z_][A-Za-z0-9_]*|keychain:[A-Za-z0-9_.:@-]+|file:.+)$';
export const KeyRef = Type.String({
  pattern: KEY_REF_PATTERN,
  description: 'Where a key or certificate is: env:VAR, keychain:NAME or file:PATH (relative to oauthd.json). Never the key itself.',
});

export const Flow = Type.Union([Type.Literal('client'), Type.Literal('server')], {
  description:
    '"client": the page receives the tokens (state made and checked by the front-end SDK). ' +
    '"server": the page receives a single-use code that the back end trades with the app secret.',
});
export type Flow = Static<typeof Flow>;

export const AppConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    key: Type.String({
      pattern: '^[A-Za-z0-9_-]{22,64}$',
      description: 'The public app key (oauthd "k"), random from a CSPRNG. Not a secret.',
    }),
    domains: Type.Array(Type.String({ minLength: 1 }), {
      description:
        'Origins allowed to use the app, with oauthd detail levels: "example.com", "https://example.com", ' +
        '"https://example.com:8443", "https://example.com:8443/app/cb". A leading "*." must be written to allow subdomains. ' +
        'A trailing "/" alone is dropped (the origin); a path needs a scheme and matches only full URLs (redirect_uri, a full Referer), never the Origin of API calls.',
    }),
    flow: Flow,
    refreshTokensToClient: Type.Optional(
      Type.Boolean({ description: 'Client flow only: also hand refresh tokens to the page (oauthd issue #109). Default false.' }),
    ),
    codeTtlSeconds: Type.Optional(
      Type.Integer({ minimum: 5, maximum: 600, description: 'Lifetime of a server-flow code. Default 60.' }),
    ),
  },
  { additionalProperties: false },
);
export type AppConfig = Static<typeof AppConfig>;

export const StoreConfig = Type.Union([
  Type.Object(
    {
      type: Type.Literal('memory'),
      maxEntries: Type.Optional(
        Type.Integer({ minimum: 100, description: 'Cap on entries: answered callbacks, server-flow codes, OAuth 1.0a flows. Default 200000.' }),
      ),
      maxBytes: Type.Optional(
        Type.Integer({ minimum: 65536, description: 'Cap on the bytes those entries hold. Default 33554432 (32 MiB).' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('redis'),
      url: Type.String({
        minLength: 1,
        description: 'redis://host:port/db, or a secret reference (env:REDIS_URL) when it holds a password.',
      }),
      prefix: Type.Optional(Type.String({ description: 'Key prefix. Default "oauthd:".' })),
    },
    { additionalProperties: false },
  ),
]);
export type StoreConfig = Static<typeof StoreConfig>;

export const BrokerConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'Interface to bind. Default 127.0.0.1 (loopback only).' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'Port to bind. Default 6284, oauthd\'s.' }),
    publicUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^/?#]+$',
        description: 'The origin providers and browsers reach the broker at, when not http://host:port.',
      }),
    ),
    store: Type.Optional(StoreConfig),
  },
  { additionalProperties: false },
);
export type BrokerConfig = Static<typeof BrokerConfig>;

/** Endpoints of an OpenID provider, read from its discovery document when the keyset was added. */
export const DiscoveredEndpoints = Type.Object(
  {
    issuer: Type.String({ minLength: 1 }),
    authorization_endpoint: Type.String({ minLength: 1 }),
    token_endpoint: Type.String({ minLength: 1 }),
    jwks_uri: Type.Optional(Type.String()),
    userinfo_endpoint: Type.Optional(Type.String()),
    revocation_endpoint: Type.Optional(Type.String()),
    introspection_endpoint: Type.Optional(Type.String()),
    device_authorization_endpoint: Type.Optional(Type.String()),
    end_session_endpoint: Type.Optional(Type.String()),
    scopes_supported: Type.Optional(Type.Array(Type.String())),
    code_challenge_methods_supported: Type.Optional(Type.Array(Type.String())),
    token_endpoint_auth_methods_supported: Type.Optional(Type.Array(Type.String())),
    response_modes_supported: Type.Optional(Type.Array(Type.String())),
    authorization_response_iss_parameter_supported: Type.Optional(Type.Boolean()),
    id_token_signing_alg_values_supported: Type.Optional(Type.Array(Type.String())),
    pushed_authorization_request_endpoint: Type.Optional(Type.String()),
    require_pushed_authorization_requests: Type.Optional(Type.Boolean()),
    dpop_signing_alg_values_supported: Type.Optional(Type.Array(Type.String())),
    authorization_details_types_supported: Type.Optional(Type.Array(Type.String())),
    request_object_signing_alg_values_supported: Type.Optional(Type.Array(Type.String())),
    token_endpoint_auth_signing_alg_values_supported: Type.Optional(Type.Array(Type.String())),
    backchannel_authentication_endpoint: Type.Optional(Type.String()),
    backchannel_token_delivery_modes_supported: Type.Optional(Type.Array(Type.String())),
    backchannel_user_code_parameter_supported: Type.Optional(Type.Boolean()),
    registration_endpoint: Type.Optional(Type.String()),
    // RFC 8705 §3.3, §5.
    tls_client_certificate_bound_access_tokens: Type.Optional(Type.Boolean()),
    mtls_endpoint_aliases: Type.Optional(Type.Record(Type.String(), Type.String())),
    fetchedAt: Type.String({ description: 'When the discovery document was read (ISO 8601).' }),
  },
  { additionalProperties: false },
);
export type DiscoveredEndpoints = Static<typeof DiscoveredEndpoints>;

export const Keyset = Type.Object(
  {
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.Optional(SecretRef),
    scope: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Scopes to ask; the provider default when absent.' })),
    params: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), Type.String(), {
        description: 'Values for the provider\'s URL templates: tenant, shop, subdomain, ...',
      }),
    ),
    issuer: Type.Optional(
      Type.String({ pattern: '^https?://', description: 'OpenID issuer of a provider that is not in the catalog.' }),
    ),
    discovered: Type.Optional(DiscoveredEndpoints),
    // How this client talks to the provider beyond RFC 6749 (docs/modern-oauth.md); each has a
    // `login` flag of the same meaning, which wins for that login.
    authMethod: Type.Optional(
      Type.Union(
        [
          Type.Literal('client_secret_basic'),
          Type.Literal('client_secret_post'),
          Type.Literal('client_secret_jwt'),
          Type.Literal('private_key_jwt'),
          Type.Literal('tls_client_auth'),
          Type.Literal('self_signed_tls_client_auth'),
          Type.Literal('none'),
        ],
        { description: "How this client authenticates (RFC 6749 §2.3, RFC 7523, RFC 8705); the provider's clientAuth when absent." },
      ),
    ),
    clientKey: Type.Optional({
      ...KeyRef,
      description:
        'The private key (PEM or JWK) for private_key_jwt and request objects, or the private key of clientCert (mTLS): env:VAR, keychain:NAME or file:PATH. Never the key itself.',
    }),
    clientCert: Type.Optional({
      ...KeyRef,
      description:
        'The client certificate (PEM) shown in the TLS handshake (RFC 8705: tls_client_auth, self_signed_tls_client_auth, certificate-bound tokens); its key is clientKey. env:VAR, keychain:NAME or file:PATH.',
    }),
    par: Type.Optional(Type.Boolean({ description: 'Push every authorization request (RFC 9126).' })),
    dpop: Type.Optional(Type.Boolean({ description: 'Bind tokens to a DPoP key made for each login (RFC 9449).' })),
    requestObject: Type.Optional(Type.Boolean({ description: 'Send the authorization request as a request object signed with clientKey (RFC 9101).' })),
    responseMode: Type.Optional(Type.Literal('jwt', { description: 'Ask for the authorization response as a signed JWT (JARM), verified before it is used.' })),
    resource: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9+.-]*:' }), { description: 'RFC 8707: the resources (absolute URIs) tokens are for.' }),
    ),
    authorizationDetails: Type.Optional(
      Type.Array(Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true }), {
        description: 'RFC 9396: authorization_details sent on every authorization request (each object has a "type").',
      }),
    ),
    registration: Type.Optional(
      Type.Object(
        {
          clientUri: Type.String({ pattern: '^https?://', description: 'RFC 7592 §3: registration_client_uri, where this client is read, updated and deleted.' }),
          accessToken: {
            ...SecretRef,
            description: 'RFC 7592 §3: the registration access token, as a secret reference (keychain:NAME). Never the token itself.',
          },
        },
        { additionalProperties: false, description: 'A client registered by `providers register` (RFC 7591): how to manage it later (`providers unregister`).' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Keyset = Static<typeof Keyset>;

export const Config = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    app: AppConfig,
    broker: BrokerConfig,
    providers: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }), Keyset),
  },
  { additionalProperties: false },
);
export type Config = Static<typeof Config>;
