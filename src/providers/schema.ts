/**
 * The provider description format: one `providers/<id>.json` file per provider.
 *
 * Every difference between providers is a field here, used by all providers alike; the code never
 * asks "which provider is this?". The JSON Schema shipped as `providers/schema.json` is generated
 * from these same definitions (`npm run build:schemas`), so the files, the validator and the types
 * cannot drift apart.
 *
 * Templates: URL strings may hold `{name}` placeholders. A name is a keyset parameter declared
 * under `params` (a tenant, a shop, a region: `{tenant}`), the keyset's `{client_id}`, or a field of
 * the token response (`{token.instance_url}`), usable only where a token exists (API base URL,
 * profile URL). A token field that decides where a request goes (one that starts a URL, or sits in
 * its host) must have its allowed origins under `tokenOrigins` (see ./token-origins.ts).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Url = Type.String({
  minLength: 1,
  pattern: '^(https?://|\\{)',
  description: 'An absolute http(s) URL, optionally starting with a template such as {token.instance_url}.',
});

const StringMap = (description: string) =>
  Type.Record(Type.String({ minLength: 1 }), Type.String(), { description });

const Optional = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** RFC 8705 §5: the endpoints a server may give an mTLS alias for (its mtls_endpoint_aliases). */
export const MTLS_ALIASED_ENDPOINTS = [
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
  'pushed_authorization_request_endpoint',
  'device_authorization_endpoint',
] as const;
export type MtlsEndpointAliases = Partial<Record<(typeof MTLS_ALIASED_ENDPOINTS)[number], string>>;

export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
] as const;

export const ClientAuthMethod = Type.Union(
  CLIENT_AUTH_METHODS.map((method) => Type.Literal(method)),
  {
    description:
      'How the client authenticates at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, ' +
      'client_id/client_secret in the form body, a JWT assertion signed with the secret or with the ' +
      'client\'s private key (RFC 7523: client_secret_jwt, private_key_jwt; the key is the keyset\'s clientKey), ' +
      'a client certificate in the TLS handshake (RFC 8705: tls_client_auth, self_signed_tls_client_auth; the keyset\'s clientCert and clientKey), ' +
      'or not at all (public client; PKCE carries the proof).',
  },
);
export type ClientAuthMethod = Static<typeof ClientAuthMethod>;

export const PkceSupport = Type.Union(
  [Type.Literal('required'), Type.Literal('supported'), Type.Literal('undocumented'), Type.Literal('unsupported')],
  {
    description:
      'PKCE (RFC 7636) at this provider, as its documentation says. "required", "supported" and ' +
      '"undocumented" all get S256 on every flow (RFC 6749 §3.1: unknown parameters are ignored); ' +
      '"unsupported" sends no code_challenge because the provider is known to reject or mishandle it.',
  },
);
export type PkceSupport = Static<typeof PkceSupport>;

export const ParamSpec = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    example: Optional(Type.String()),
    default: Optional(Type.String()),
    pattern: Optional(
      Type.String({ description: 'A regular expression the value must match (it ends up inside a URL).' }),
    ),
  },
  { additionalProperties: false },
);

export const ScopeSpec = Type.Object(
  {
    separator: Type.String({
      minLength: 1,
      maxLength: 3,
      description: 'What joins scopes in the authorize request: " " per RFC 6749 §3.3, "," for some providers.',
    }),
    default: Type.Array(Type.String({ minLength: 1 }), {
      description: 'Scopes asked when the keyset names none.',
    }),
    values: Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: 'Common scopes and what they grant, as the provider documents them.',
      }),
    ),
    param: Optional(
      Type.String({ minLength: 1, description: 'Authorize parameter carrying the scopes, when not "scope".' }),
    ),
  },
  { additionalProperties: false },
);

/** RFC 6749 §5.2's error codes, and RFC 8628 §3.5's for the device grant's polls. */
export const TOKEN_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
] as const;

/**
 * How the token endpoint says no, where the provider departs from RFC 6749 §5.2 (a 400 with
 * `{"error": "invalid_grant"}`): the status, fields every error carries, and its own codes. The
 * reader takes a provider code for the RFC code it stands for (so a refused refresh token is
 * `invalid_grant` whatever the provider calls it); the sandbox's look-alike answers the other way.
 */
export const TokenErrorSpec = Type.Object(
  {
    status: Optional(
      Type.Integer({
        minimum: 200,
        maximum: 599,
        description: 'The HTTP status of every error answer, when not §5.2\'s 400/401: Slack and GitHub answer errors with 200.',
      }),
    ),
    fields: Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
        description: 'Fields every error answer carries beside "error": Slack\'s {"ok": false}.',
      }),
    ),
    codes: Optional(
      Type.Record(
        Type.String({ minLength: 1, pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]+$' }),
        Type.Union(TOKEN_ERROR_CODES.map((code) => Type.Literal(code))),
        {
          description:
            'The provider\'s own error codes, each with the RFC 6749 §5.2 (or RFC 8628 §3.5) code it stands for: ' +
            '{"bad_verification_code": "invalid_grant"}. The first code listed for an RFC code is the one the sandbox\'s look-alike sends.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const TokenResponseSpec = Type.Object(
  {
    format: Optional(
      Type.Union([Type.Literal('json'), Type.Literal('form'), Type.Literal('auto')], {
        description:
          'How the token endpoint answers. "auto" (default) reads JSON or form-encoded bodies whatever ' +
          'the Content-Type claims, and reports a mismatch.',
      }),
    ),
    paths: Optional(
      Type.Object(
        {
          access_token: Optional(Type.String({ minLength: 1 })),
          token_type: Optional(Type.String({ minLength: 1 })),
          expires_in: Optional(Type.String({ minLength: 1 })),
          refresh_token: Optional(Type.String({ minLength: 1 })),
          scope: Optional(Type.String({ minLength: 1 })),
          id_token: Optional(Type.String({ minLength: 1 })),
        },
        {
          additionalProperties: false,
          description:
            'Where a standard field really lives, as a dotted path into the response: ' +
            '"authed_user.access_token" (Slack user tokens), "expires" (Facebook\'s old name for expires_in).',
        },
      ),
    ),
    tokenType: Optional(
      Type.String({
        minLength: 1,
        description: 'token_type to assume when the provider omits it (RFC 6749 §5.1 makes it REQUIRED).',
      }),
    ),
    keep: Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Extra response fields the provider documents and the API needs (Salesforce instance_url); ' +
          'usable in templates as {token.<field>}. Other extra fields are still kept in the raw response.',
      }),
    ),
    error: Optional(TokenErrorSpec),
  },
  { additionalProperties: false },
);

export const EndpointAuth = Type.Union(
  [...CLIENT_AUTH_METHODS.map((method) => Type.Literal(method)), Type.Literal('bearer')],
  { description: 'How the client authenticates at a revoke/introspect endpoint; "bearer" sends the token itself.' },
);
export type EndpointAuth = Static<typeof EndpointAuth>;

export const RevokeSpec = Type.Object(
  {
    url: Url,
    method: Optional(Type.Union([Type.Literal('POST'), Type.Literal('DELETE'), Type.Literal('GET')])),
    auth: Optional(EndpointAuth),
    tokenParam: Optional(
      Type.String({ minLength: 1, description: 'Form field carrying the token; "token" per RFC 7009.' }),
    ),
    body: Optional(Type.Union([Type.Literal('form'), Type.Literal('json')], { description: 'Default form (RFC 7009).' })),
  },
  { additionalProperties: false },
);

export const OAuth2Spec = Type.Object(
  {
    authorizeUrl: Url,
    tokenUrl: Url,
    refreshUrl: Optional(Url),
    revoke: Optional(RevokeSpec),
    introspectUrl: Optional(Url),
    deviceAuthorizationUrl: Optional(Url),
    clientAuth: ClientAuthMethod,
    pkce: PkceSupport,
    scopes: ScopeSpec,
    refresh: Optional(
      Type.Boolean({ description: 'Whether the provider issues refresh tokens at all (with the right scope/params).' }),
    ),
    clientCredentials: Optional(Type.Boolean({ description: 'Supports the client_credentials grant (RFC 6749 §4.4).' })),
    responseMode: Optional(
      Type.Union([Type.Literal('query'), Type.Literal('form_post')], {
        description: 'How the authorization response comes back: query (default) or an HTML form POST (Apple).',
      }),
    ),
    authorizeParams: Optional(StringMap('Extra authorize parameters always sent (access_type=offline, ...).')),
    tokenParams: Optional(StringMap('Extra token request parameters always sent.')),
    tokenHeaders: Optional(StringMap('Extra token request headers (GitHub needs Accept: application/json).')),
    tokenRequestBody: Optional(
      Type.Union([Type.Literal('form'), Type.Literal('json')], {
        description: 'Token request body encoding: form (RFC 6749 default) or JSON for the few that want it.',
      }),
    ),
    tokenResponse: Optional(TokenResponseSpec),
    parUrl: Optional({
      ...Url,
      description: 'The pushed authorization request endpoint (RFC 9126 §5: pushed_authorization_request_endpoint).',
    }),
    requirePar: Optional(
      Type.Boolean({
        description:
          'The provider accepts authorization requests only when pushed (RFC 9126 §5: require_pushed_authorization_requests); every flow then pushes.',
      }),
    ),
    dpop: Optional(
      Type.Boolean({
        description:
          'The provider binds tokens to a DPoP key (RFC 9449) and expects proofs: login makes a fresh key per sign-in and keeps it beside the token.',
      }),
    ),
    dpopAlgs: Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'RFC 9449 §5.1 dpop_signing_alg_values_supported: the proof algorithms the provider takes.' }),
    ),
    authorizationDetailsTypes: Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'RFC 9396 §10: authorization_details_types_supported.' }),
    ),
    backchannelAuthenticationUrl: Optional({
      ...Url,
      description: 'The backchannel authentication endpoint (OpenID CIBA Core §4: backchannel_authentication_endpoint), for login --ciba.',
    }),
    backchannelTokenDeliveryModes: Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'OpenID CIBA Core §4 backchannel_token_delivery_modes_supported: poll, ping, push.' }),
    ),
    backchannelUserCode: Optional(
      Type.Boolean({ description: 'OpenID CIBA Core §4 backchannel_user_code_parameter_supported: the provider takes a user_code (login --ciba --user-code).' }),
    ),
    mtlsEndpointAliases: Optional(
      Type.Object(
        Object.fromEntries(MTLS_ALIASED_ENDPOINTS.map((name) => [name, Optional(Url)])),
        {
          additionalProperties: false,
          description:
            'RFC 8705 §5 mtls_endpoint_aliases: where a client that shows a certificate sends its calls (token_endpoint, revocation_endpoint, introspection_endpoint, userinfo_endpoint, pushed_authorization_request_endpoint, device_authorization_endpoint).',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type OAuth2Spec = Static<typeof OAuth2Spec>;

export const OAuth1Spec = Type.Object(
  {
    requestTokenUrl: Url,
    authorizeUrl: Url,
    accessTokenUrl: Url,
    signatureMethod: Type.Union([Type.Literal('HMAC-SHA1'), Type.Literal('HMAC-SHA256'), Type.Literal('PLAINTEXT'), Type.Literal('RSA-SHA1')]),
    requestTokenParams: Optional(StringMap('Extra parameters for the temporary-credentials request (RFC 5849 §2.1).')),
    authorizeParams: Optional(StringMap('Extra parameters for the resource-owner authorization (RFC 5849 §2.2).')),
    scopes: Optional(ScopeSpec),
  },
  { additionalProperties: false },
);
export type OAuth1Spec = Static<typeof OAuth1Spec>;

export const ApiSpec = Type.Object(
  {
    baseUrl: Url,
    tokenIn: Optional(
      Type.Union([Type.Literal('header'), Type.Literal('query')], { description: 'Default header (RFC 6750 §2.1).' }),
    ),
    scheme: Optional(
      Type.String({ minLength: 1, description: 'Authorization scheme when tokenIn is header; default "Bearer".' }),
    ),
    queryParam: Optional(Type.String({ minLength: 1, description: 'Query parameter when tokenIn is query.' })),
    headers: Optional(StringMap('Headers every API call needs (API version, User-Agent, ...).')),
  },
  { additionalProperties: false },
);

/**
 * The provider's tokens as git passwords (`token setup-git`): where its git host is, and the user
 * name it wants beside a token over HTTPS (GitLab "oauth2", Bitbucket "x-token-auth", GitHub
 * "x-access-token" or any).
 */
export const GitSpec = Type.Object(
  {
    origin: Type.String({
      minLength: 1,
      description: 'The git host\'s origin, a template like the URLs ("https://github.com", "{base_url}").',
    }),
    username: Optional(Type.String({ minLength: 1, description: 'The user name sent with the token (git\'s credential helper answer).' })),
  },
  { additionalProperties: false },
);

export const ProfileField = Type.Union(
  [
    Type.Literal('id'),
    Type.Literal('name'),
    Type.Literal('firstname'),
    Type.Literal('lastname'),
    Type.Literal('alias'),
    Type.Literal('email'),
    Type.Literal('avatar'),
    Type.Literal('location'),
    Type.Literal('url'),
  ],
);
export type ProfileField = Static<typeof ProfileField>;

export const ProfileSpec = Type.Object(
  {
    url: Url,
    method: Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
    query: Optional(StringMap('Query parameters for the profile call (fields=..., ...).')),
    headers: Optional(StringMap('Headers for the profile call.')),
    root: Optional(
      Type.String({ minLength: 1, description: 'Dotted path to the user object inside the response ("data", "users.0").' }),
    ),
    map: Type.Object(
      {
        id: Type.String({ minLength: 1 }),
        name: Optional(Type.String({ minLength: 1 })),
        firstname: Optional(Type.String({ minLength: 1 })),
        lastname: Optional(Type.String({ minLength: 1 })),
        alias: Optional(Type.String({ minLength: 1 })),
        email: Optional(Type.String({ minLength: 1 })),
        avatar: Optional(Type.String({ minLength: 1 })),
        location: Optional(Type.String({ minLength: 1 })),
        url: Optional(Type.String({ minLength: 1 })),
      },
      {
        additionalProperties: false,
        description: 'Unified profile field → dotted path in the user object. OpenID userinfo: id ← "sub".',
      },
    ),
  },
  { additionalProperties: false },
);
export type ProfileSpec = Static<typeof ProfileSpec>;

/**
 * A URL template whose origin a token field decides: `{token.x}…` or `https://…{token.x}…/…`.
 * Callers of the broker supply token fields, so such a template needs `tokenOrigins`.
 */
const ORIGIN_FROM_TOKEN = '^(\\{token\\.|[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*\\{token\\.)';

/** "when `block.field` is a URL whose origin a token field decides, tokenOrigins is required". */
function tokenOriginsRequiredBy(block: 'api' | 'profile', field: 'baseUrl' | 'url') {
  return {
    if: {
      required: [block],
      properties: { [block]: { required: [field], properties: { [field]: { type: 'string', pattern: ORIGIN_FROM_TOKEN } } } },
    },
    then: { required: ['tokenOrigins'] },
  };
}

export const TokenOrigins = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_]+$' }),
  Type.Array(
    Type.String({
      pattern: '^https://',
      description: 'https://host[:port][/path]; "*." in front of the host stands for one or more labels; {param} allowed.',
    }),
    { minItems: 1 },
  ),
  {
    description:
      'For each token response field that decides where a request goes ({token.instance_url} starting a URL, ' +
      '{token.host} as its host): the origins its value may name, from the provider\'s documentation ' +
      '("https://*.my.salesforce.com"). A value naming any other origin is refused before anything is sent. ' +
      'Required for every such field.',
  },
);

export const ProviderSpec = Type.Object(
  {
    $schema: Optional(Type.String()),
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      maxLength: 64,
      description: 'Lower-case id, equal to the file name without .json.',
    }),
    name: Type.String({ minLength: 1, description: 'Display name.' }),
    docs: Type.String({
      pattern: '^https://',
      description: "The provider's own OAuth documentation page, where these endpoints come from.",
    }),
    register: Optional(
      Type.String({ pattern: '^https://', description: 'Where a developer registers an app and its redirect URI.' }),
    ),
    notes: Optional(Type.String({ description: 'What a developer should know (quirks, review requirements).' })),
    params: Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), ParamSpec, {
        description: 'Keyset values that fill URL templates: {tenant}, {shop}, {subdomain}, {region}.',
      }),
    ),
    oidc: Optional(
      Type.Object(
        {
          issuer: Type.String({ pattern: '^(https?://|\\{)', description: 'OpenID issuer; discovery and id_token iss.' }),
          jwksUri: Optional(Url),
          authorizationResponseIss: Optional(
            Type.Boolean({
              description:
                'The provider sends iss on every authorization response (RFC 9207; its metadata says ' +
                'authorization_response_iss_parameter_supported). A callback without it is then refused, ' +
                'even when the discovery document is never read because jwksUri is known.',
            }),
          ),
          acceptIssuers: Optional(
            Type.Array(Type.String({ minLength: 1 }), {
              description:
                'Other id_token iss values the provider documents: an alias ("accounts.google.com"), or a template ' +
                'filled from the id_token\'s own claims for multi-tenant sign-in ' +
                '("https://login.microsoftonline.com/{id_token.tid}/v2.0"). The signature is still checked against jwksUri.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    oauth2: Optional(OAuth2Spec),
    oauth1: Optional(OAuth1Spec),
    api: Optional(ApiSpec),
    profile: Optional(ProfileSpec),
    git: Optional(GitSpec),
    tokenOrigins: Optional(TokenOrigins),
  },
  {
    additionalProperties: false,
    // A provider speaks OAuth 2, OAuth 1.0a or both; one of the two blocks must be there.
    anyOf: [{ required: ['oauth2'] }, { required: ['oauth1'] }],
    // What a schema can say of token origins: a URL they decide needs the block. That it names
    // every such field, with valid patterns, is checked by validate.ts.
    allOf: [tokenOriginsRequiredBy('api', 'baseUrl'), tokenOriginsRequiredBy('profile', 'url')],
  },
);
export type ProviderSpec = Static<typeof ProviderSpec>;
