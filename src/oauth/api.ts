/**
 * Calling a provider's API with a token: where a request may go (the API's origin, never another:
 * the broker's `/request` proxy and the CLI's `request` command take paths from callers, and an
 * open proxy that attaches tokens is SSRF plus token theft) and how the token rides along
 * (RFC 6750 §2.1 Authorization header, §2.3 query parameter, or a header of the provider's own).
 *
 * Templates here may use `{token.<field>}`: the access token, and any other scalar field of the
 * token response (Salesforce's `{token.instance_url}`). A field that decides a URL's origin must
 * name one the provider file allows (tokenOrigins, ../providers/token-origins.ts): the broker takes
 * token fields from its callers, and a token must never be sent where a caller points it.
 */
import type { ResolvedProvider } from '../providers/resolve.js';
import { fillTemplate, TemplateError, type TemplateKind } from '../providers/template.js';
import {
  filledOriginRefusal,
  hostValueRefusal,
  originFields,
  OriginPatternError,
  startValueRefusal,
  tokenOriginPatterns,
  type OriginPattern,
} from '../providers/token-origins.js';
import { lowerCaseKeys } from '../util/headers.js';
import { ProviderConfigurationError, RequestRefusedError } from './errors.js';
import type { TokenSet } from './token-response.js';

/** RFC 6750 §2.3: the query parameter is access_token unless the provider says otherwise. */
const DEFAULT_QUERY_PARAM = 'access_token';
/** RFC 6750 §2.1. */
const DEFAULT_SCHEME = 'Bearer';
/** The placeholder that makes a header template a credential. */
const ACCESS_TOKEN_PLACEHOLDER = '{token.access_token}';

export type TemplateValues = Record<string, string>;

/**
 * Values for templates used once a token exists: the provider's params, `client_id`, and
 * `token.<field>` for each string or number field of the token response. The refresh token is left
 * out on purpose: no API call needs it, and it must reach nobody but the token endpoint.
 */
export function tokenTemplateValues(provider: ResolvedProvider, token: TokenSet): TemplateValues {
  const values: TemplateValues = { ...provider.params, client_id: provider.clientId };
  const fields: Record<string, unknown> = {
    ...token.extra,
    access_token: token.access_token,
    token_type: token.token_type,
    expires_in: token.expires_in,
    scope: token.scope,
    id_token: token.id_token,
  };
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') values[`token.${name}`] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) values[`token.${name}`] = String(value);
  }
  return values;
}

/**
 * fillTemplate with errors that say whose they are: a missing parameter is the provider's
 * configuration, a missing token field the token's (the request is refused). A URL whose origin a token field decides is built only when the field names
 * an origin the provider file allows: a refused value is never put in a URL, let alone sent.
 */
export function fillProviderTemplate(
  provider: ResolvedProvider,
  template: string,
  values: TemplateValues,
  kind: TemplateKind = 'url',
): string {
  const deciding = kind === 'url' ? originFields(template) : [];
  try {
    for (const { field, place } of deciding) {
      const value = values[`token.${field}`];
      if (value === undefined || value === '') continue; // fillTemplate says it is missing
      const refusal = place === 'start' ? startValueRefusal(value, originPatterns(provider, field), tokenEndpointOf(provider)) : hostValueRefusal(value);
      if (refusal !== undefined) throw tokenOriginRefused(provider, field, value, refusal);
    }
    const filled = fillTemplate(template, values, kind);
    for (const { field, place } of deciding) {
      if (place !== 'host') continue;
      const refusal = filledOriginRefusal(filled, originPatterns(provider, field));
      if (refusal !== undefined) throw tokenOriginRefused(provider, field, values[`token.${field}`] ?? '', refusal);
    }
    return filled;
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    if (error.missing.startsWith('token.')) {
      throw new RequestRefusedError(`${provider.id}: ${error.message}`, { code: 'template_value_missing', field: error.missing });
    }
    throw new ProviderConfigurationError(`${provider.id}: ${error.message}`, { kind: 'missing-param', param: error.missing }, provider.id);
  }
}

/** The endpoint that issued the provider's tokens (its origin may come back in a token field, ../providers/token-origins.ts). */
function tokenEndpointOf(provider: ResolvedProvider): string | undefined {
  return provider.oauth2?.tokenUrl ?? provider.oauth1?.accessTokenUrl;
}

function originPatterns(provider: ResolvedProvider, field: string): OriginPattern[] {
  try {
    return tokenOriginPatterns(provider.spec, provider.params, field);
  } catch (error) {
    if (!(error instanceof OriginPatternError)) throw error;
    throw new ProviderConfigurationError(`${provider.id}: ${error.message}`, { kind: 'token-origins' }, provider.id);
  }
}

/** A token field naming an origin the provider file does not allow (the value may be anyone's: shown, never followed). */
function tokenOriginRefused(provider: ResolvedProvider, field: string, value: string, reason: string): RequestRefusedError {
  const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  return new RequestRefusedError(`refusing to send a ${provider.name} token to ${shown} from {token.${field}}: ${reason}`, {
    code: 'token_origin_refused',
    field,
    providerName: provider.name,
  });
}

/** The API's base URL, filled (`{token.instance_url}`), without a trailing slash. */
export function apiBaseUrl(provider: ResolvedProvider, token: TokenSet): string {
  const api = provider.spec.api;
  if (!api) {
    throw new ProviderConfigurationError(`${provider.id} describes no API (its provider file has no "api" block)`, { kind: 'no-api' }, provider.id);
  }
  return fillProviderTemplate(provider, api.baseUrl, tokenTemplateValues(provider, token)).replace(/\/+$/, '');
}

/**
 * Where an API request goes: under the API's base URL, never elsewhere. A relative path is appended
 * to the base URL ("user" and "/user" alike: `https://slack.com/api` + `/users.identity`); an
 * absolute URL is accepted only on the API's own origin (scheme, host and port). Either way the
 * resolved path stays under the base path: `../` and its encoded forms (`%2e%2e/`, which the WHATWG
 * parser resolves too, and segments that decode to a dot segment for a server that decodes once
 * more) cannot climb out of `/api/v1` to another application on the same host. Protocol-relative
 * (`//evil.com`), userinfo (`https://api.example.com@evil.com`) and backslash tricks are refused, as
 * are control characters (the WHATWG URL parser drops tabs and newlines silently, which hides what
 * a URL says).
 */
export function apiRequestTarget(provider: ResolvedProvider, token: TokenSet, pathOrUrl: string): string {
  const base = apiBaseUrl(provider, token);
  const baseUrl = new URL(base);
  const origin = baseUrl.origin;
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const shown = JSON.stringify(pathOrUrl.length > 200 ? `${pathOrUrl.slice(0, 200)}…` : pathOrUrl);
  const refuse = (why: string) =>
    new RequestRefusedError(`refusing to send a ${provider.name} token to ${shown}: ${why}`, { code: 'foreign_origin', apiBase: base });

  if (/[\x00-\x1f\x7f]/.test(pathOrUrl)) throw refuse('it contains control characters');
  if (/^\s*[\\/]{2}/.test(pathOrUrl) || /^\s*\/\\/.test(pathOrUrl)) throw refuse('a URL without a scheme can point to any host');
  let target: URL;
  if (/^\s*[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
    try {
      target = new URL(pathOrUrl.trim());
    } catch {
      throw refuse('it is not a valid URL');
    }
  } else {
    target = new URL(`${base}/${pathOrUrl.replace(/^\//, '')}`);
  }
  if (target.username !== '' || target.password !== '') throw refuse('it carries credentials (user@host)');
  if (target.origin !== origin) throw refuse(`its origin ${target.origin === 'null' ? target.protocol : target.origin} is not the API origin ${origin}`);
  if (basePath !== '' && target.pathname !== basePath && !target.pathname.startsWith(`${basePath}/`)) {
    throw refuse(`its path ${target.pathname} is outside the API's base path ${basePath}`);
  }
  if (hasEncodedDotSegment(target.pathname)) throw refuse('a path segment decodes to "." or ".."');
  return target.href;
}

/**
 * True when a segment, percent-decoded once more, is or holds a dot segment (`%2e%2e`, `..%2f..`):
 * the URL parser has resolved the plain ones already, but a server that decodes before it
 * normalizes would climb on these.
 */
function hasEncodedDotSegment(pathname: string): boolean {
  return pathname.split('/').some((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false;
    }
    return decoded.split(/[\\/]/).some((part) => part === '.' || part === '..');
  });
}

export interface ApiRequest {
  url: string;
  headers: Record<string, string>;
}

/**
 * Adds the token to an API request the provider's way: the provider's API headers (filled; a header
 * template holding `{token.access_token}` is the credential, as Shopify's X-Shopify-Access-Token),
 * else `Authorization: <scheme> <token>` (RFC 6750 §2.1), or the query parameter when
 * `api.tokenIn` is "query" (§2.3). The caller's headers override the provider's defaults, never the
 * credential. Header names come back lower-case.
 */
export function authorizeApiRequest(
  provider: ResolvedProvider,
  token: TokenSet,
  headers: Readonly<Record<string, string>>,
  url: string,
): ApiRequest {
  return withToken(provider, token, url, provider.spec.api?.headers ?? {}, headers);
}

/** The shared core: `headerTemplates` are the provider's headers for this call (API or profile). */
export function withToken(
  provider: ResolvedProvider,
  token: TokenSet,
  url: string,
  headerTemplates: Readonly<Record<string, string>>,
  callerHeaders: Readonly<Record<string, string>> = {},
): ApiRequest {
  const api = provider.spec.api;
  const values = tokenTemplateValues(provider, token);
  const defaults: Record<string, string> = {};
  const credentials: Record<string, string> = {};
  for (const [name, template] of Object.entries(lowerCaseKeys(headerTemplates))) {
    const target = template.includes(ACCESS_TOKEN_PLACEHOLDER) ? credentials : defaults;
    target[name] = fillProviderTemplate(provider, template, values, 'text');
  }
  const result: ApiRequest = { url, headers: { ...defaults, ...lowerCaseKeys(callerHeaders), ...credentials } };
  if (Object.keys(credentials).length > 0) return result;
  if (api?.tokenIn === 'query') {
    const withParam = new URL(url);
    withParam.searchParams.set(api.queryParam ?? DEFAULT_QUERY_PARAM, token.access_token);
    result.url = withParam.href;
  } else {
    result.headers.authorization = `${api?.scheme ?? DEFAULT_SCHEME} ${token.access_token}`;
  }
  return result;
}
