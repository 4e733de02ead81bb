/**
 * A provider ready to use: its description (catalog file, discovery document or the sandbox) joined
 * with the developer's keyset (client id, secret reference, scopes, template parameters), every URL
 * template filled.
 */
import type { Keyset } from '../config/schema.js';
import type { AuthorizationEndpoint, TokenEndpoint } from './endpoints.js';
import { ProviderConfigurationError } from './errors.js';
import type { EndpointAuth, MtlsEndpointAliases, OAuth1Spec, PkceSupport, ProviderSpec } from './schema.js';
import { fillTemplate, TemplateError } from './template.js';

export type ProviderOrigin = 'catalog' | 'issuer' | 'sandbox';

export interface ResolvedOAuth2 extends AuthorizationEndpoint, TokenEndpoint {
  refreshUrl: string;
  pkce: PkceSupport;
  revoke?: { url: string; method: 'POST' | 'DELETE' | 'GET'; auth: EndpointAuth; tokenParam: string; body: 'form' | 'json' };
  introspectUrl?: string;
  deviceAuthorizationUrl?: string;
  /** RFC 9126: where requests are pushed, and whether this client pushes every one. */
  parUrl?: string;
  par: boolean;
  /** RFC 9449: tokens are bound to a DPoP key; the proof algorithms the server takes, when it says. */
  dpop: boolean;
  dpopAlgs?: string[];
  /** RFC 9101: the authorization request goes as a request object signed with the client key. */
  requestObject: boolean;
  /** JARM: the authorization response comes back as a signed JWT (response_mode=jwt). */
  jarm: boolean;
  /** RFC 9396 §10: the authorization_details types the provider takes, when it says. */
  authorizationDetailsTypes?: string[];
  /** OpenID CIBA Core §4: the backchannel authentication endpoint and the delivery modes it offers. */
  backchannelAuthenticationUrl?: string;
  backchannelTokenDeliveryModes?: string[];
  /** OpenID CIBA Core §4 backchannel_user_code_parameter_supported (false when absent). */
  backchannelUserCode?: boolean;
  /** RFC 8707 §2: the resources every authorization and token request names. */
  resource: string[];
  /** RFC 9396 §2: authorization_details (JSON) sent on every authorization request. */
  authorizationDetails?: string;
  /** RFC 8705 §5: the endpoints' mTLS aliases, filled; used once the client shows a certificate (withMtlsEndpoints). */
  mtlsEndpointAliases?: MtlsEndpointAliases;
}

export interface ResolvedProvider {
  id: string;
  name: string;
  origin: ProviderOrigin;
  spec: ProviderSpec;
  clientId: string;
  clientSecretRef: string | undefined;
  /** The keyset's private key (private_key_jwt, request objects, the certificate's key), as a reference. */
  clientKeyRef: string | undefined;
  /** The keyset's client certificate (RFC 8705), as a reference (env:, keychain:, file:). */
  clientCertRef?: string;
  /** Scopes to ask: the keyset's, else the provider's defaults. */
  scopes: string[];
  /** Values for URL templates, the provider's defaults overlaid with the keyset's. */
  params: Record<string, string>;
  oauth2?: ResolvedOAuth2;
  oauth1?: OAuth1Spec;
  /** OpenID issuer, filled, when the provider is an OpenID provider. */
  issuer?: string;
  /** The issuer's key set, filled, when the provider file names it (else discovery finds it). */
  jwksUri?: string;
  /** Where the provider's git host is, filled, and the user name it wants with a token (`token setup-git`). */
  git?: { origin: string; username?: string };
}

export function resolveProvider(spec: ProviderSpec, keyset: Keyset, origin: ProviderOrigin): ResolvedProvider {
  const params = templateValues(spec, keyset);
  const fill = (template: string) => {
    try {
      return fillTemplate(template, params);
    } catch (error) {
      if (error instanceof TemplateError) {
        throw new ProviderConfigurationError(`${spec.id}: ${error.message}`, { kind: 'missing-param', param: error.missing }, spec.id);
      }
      throw error;
    }
  };
  const resolved: ResolvedProvider = {
    id: spec.id,
    name: spec.name,
    origin,
    spec,
    clientId: keyset.clientId,
    clientSecretRef: keyset.clientSecret,
    clientKeyRef: keyset.clientKey,
    ...(keyset.clientCert !== undefined ? { clientCertRef: keyset.clientCert } : {}),
    scopes: keyset.scope ?? spec.oauth2?.scopes.default ?? spec.oauth1?.scopes?.default ?? [],
    params,
  };
  if (spec.oidc) {
    resolved.issuer = fill(spec.oidc.issuer);
    if (spec.oidc.jwksUri) resolved.jwksUri = fill(spec.oidc.jwksUri);
  }
  const o2 = spec.oauth2;
  if (o2) {
    const tokenUrl = fill(o2.tokenUrl);
    resolved.oauth2 = {
      authorizeUrl: fill(o2.authorizeUrl),
      tokenUrl,
      refreshUrl: o2.refreshUrl ? fill(o2.refreshUrl) : tokenUrl,
      // The keyset says how this client authenticates when it differs from the provider's default.
      clientAuth: keyset.authMethod ?? o2.clientAuth,
      pkce: o2.pkce,
      ...(o2.parUrl ? { parUrl: fill(o2.parUrl) } : {}),
      par: o2.requirePar === true || keyset.par === true,
      dpop: o2.dpop === true || keyset.dpop === true,
      ...(o2.dpopAlgs ? { dpopAlgs: o2.dpopAlgs } : {}),
      ...(o2.authorizationDetailsTypes ? { authorizationDetailsTypes: o2.authorizationDetailsTypes } : {}),
      ...(o2.backchannelAuthenticationUrl ? { backchannelAuthenticationUrl: fill(o2.backchannelAuthenticationUrl) } : {}),
      ...(o2.backchannelTokenDeliveryModes ? { backchannelTokenDeliveryModes: o2.backchannelTokenDeliveryModes } : {}),
      ...(o2.backchannelUserCode === true ? { backchannelUserCode: true } : {}),
      resource: keyset.resource ?? [],
      requestObject: keyset.requestObject === true,
      jarm: keyset.responseMode === 'jwt',
      ...(keyset.authorizationDetails ? { authorizationDetails: JSON.stringify(keyset.authorizationDetails) } : {}),
      scopeSeparator: o2.scopes.separator,
      scopeParam: o2.scopes.param ?? 'scope',
      authorizeParams: o2.authorizeParams ?? {},
      tokenParams: o2.tokenParams ?? {},
      tokenHeaders: o2.tokenHeaders ?? {},
      tokenRequestBody: o2.tokenRequestBody ?? 'form',
      tokenResponse: o2.tokenResponse ?? {},
      ...(o2.responseMode ? { responseMode: o2.responseMode } : {}),
      ...(o2.introspectUrl ? { introspectUrl: fill(o2.introspectUrl) } : {}),
      ...(o2.mtlsEndpointAliases
        ? { mtlsEndpointAliases: Object.fromEntries(Object.entries(o2.mtlsEndpointAliases).map(([name, url]) => [name, fill(url as string)])) as MtlsEndpointAliases }
        : {}),
      ...(o2.deviceAuthorizationUrl ? { deviceAuthorizationUrl: fill(o2.deviceAuthorizationUrl) } : {}),
      ...(o2.revoke
        ? {
            revoke: {
              url: fill(o2.revoke.url),
              method: o2.revoke.method ?? 'POST',
              auth: o2.revoke.auth ?? o2.clientAuth,
              tokenParam: o2.revoke.tokenParam ?? 'token',
              body: o2.revoke.body ?? 'form',
            },
          }
        : {}),
    };
  }
  if (spec.git) {
    resolved.git = { origin: fill(spec.git.origin), ...(spec.git.username !== undefined ? { username: spec.git.username } : {}) };
  }
  if (spec.oauth1) {
    resolved.oauth1 = {
      ...spec.oauth1,
      requestTokenUrl: fill(spec.oauth1.requestTokenUrl),
      authorizeUrl: fill(spec.oauth1.authorizeUrl),
      accessTokenUrl: fill(spec.oauth1.accessTokenUrl),
    };
  }
  return resolved;
}

/**
 * Only the `git` block, filled with the keyset's parameters (or the provider's defaults when there
 * is no keyset yet): what `token setup-git` needs, without the endpoints a keyset would fill.
 */
export function resolveGitHost(spec: ProviderSpec, keyset: Keyset | undefined): ResolvedProvider['git'] {
  if (!spec.git) return undefined;
  try {
    const origin = fillTemplate(spec.git.origin, templateValues(spec, keyset ?? { clientId: '' }));
    return { origin, ...(spec.git.username !== undefined ? { username: spec.git.username } : {}) };
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new ProviderConfigurationError(`${spec.id}: ${error.message}`, { kind: 'missing-param', param: error.missing }, spec.id);
    }
    throw error;
  }
}

function templateValues(spec: ProviderSpec, keyset: Keyset): Record<string, string> {
  const values: Record<string, string> = { client_id: keyset.clientId };
  for (const [name, param] of Object.entries(spec.params ?? {})) {
    const value = keyset.params?.[name] ?? param.default;
    if (value === undefined) continue;
    if (param.pattern !== undefined && !new RegExp(param.pattern).test(value)) {
      throw new ProviderConfigurationError(
        `${spec.id}: the parameter ${name}="${value}" does not match ${param.pattern} (${param.description})`,
        { kind: 'param-mismatch', param: name },
        spec.id,
      );
    }
    values[name] = value;
  }
  for (const name of Object.keys(keyset.params ?? {})) {
    if (!(name in (spec.params ?? {}))) {
      throw new ProviderConfigurationError(`${spec.id} has no parameter "${name}"`, { kind: 'unknown-param', known: Object.keys(spec.params ?? {}) }, spec.id);
    }
  }
  return values;
}

/**
 * RFC 8705 §5: a client that shows a certificate sends its calls to the server's mTLS aliases
 * (token, refresh, revocation, introspection, PAR, device authorization, userinfo), where the
 * server asks for one; the plain endpoints stay for the others (the browser's authorization endpoint
 * has no alias). A provider without aliases is returned as it is.
 */
export function withMtlsEndpoints(resolved: ResolvedProvider): ResolvedProvider {
  const o2 = resolved.oauth2;
  const aliases = o2?.mtlsEndpointAliases;
  if (!o2 || aliases === undefined) return resolved;
  const token = aliases.token_endpoint;
  const profile = resolved.spec.profile;
  const userinfo = aliases.userinfo_endpoint;
  const api = apiAtAlias(resolved, userinfo);
  return {
    ...resolved,
    ...(userinfo !== undefined && profile ? { spec: { ...resolved.spec, profile: { ...profile, url: userinfo }, ...(api !== undefined ? { api } : {}) } } : {}),
    oauth2: {
      ...o2,
      ...(token !== undefined ? { tokenUrl: token, refreshUrl: o2.refreshUrl === o2.tokenUrl ? token : o2.refreshUrl } : {}),
      ...(aliases.revocation_endpoint !== undefined && o2.revoke ? { revoke: { ...o2.revoke, url: aliases.revocation_endpoint } } : {}),
      ...(aliases.introspection_endpoint !== undefined ? { introspectUrl: aliases.introspection_endpoint } : {}),
      ...(aliases.pushed_authorization_request_endpoint !== undefined && o2.parUrl !== undefined ? { parUrl: aliases.pushed_authorization_request_endpoint } : {}),
      ...(aliases.device_authorization_endpoint !== undefined && o2.deviceAuthorizationUrl !== undefined
        ? { deviceAuthorizationUrl: aliases.device_authorization_endpoint }
        : {}),
    },
  };
}

/**
 * An API that is the issuer itself (api.baseUrl = the issuer, whose userinfo endpoint is under it:
 * the sandbox) is reached where the userinfo endpoint's alias is, so a certificate-bound token goes
 * to the listener that sees the certificate. Any other API is left where its provider file says.
 */
function apiAtAlias(resolved: ResolvedProvider, userinfoAlias: string | undefined): ProviderSpec['api'] | undefined {
  const api = resolved.spec.api;
  const issuer = resolved.issuer;
  const userinfo = resolved.spec.profile?.url;
  if (api === undefined || issuer === undefined || userinfoAlias === undefined || userinfo === undefined) return undefined;
  if (api.baseUrl.replace(/\/+$/, '') !== issuer || !userinfo.startsWith(`${issuer}/`)) return undefined;
  const path = userinfo.slice(issuer.length);
  return userinfoAlias.endsWith(path) ? { ...api, baseUrl: userinfoAlias.slice(0, -path.length) } : undefined;
}
