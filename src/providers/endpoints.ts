/**
 * The endpoints of a provider as the protocol's requests take them (src/oauth/oauth2.ts), filled
 * from a provider file and a keyset by ./resolve.ts; and the authorization request's own
 * parameters, which neither a provider file's authorizeParams (./validate.ts) nor a page may set.
 */
import type { Static } from '@sinclair/typebox';
import type { ClientAuthMethod, TokenResponseSpec } from './schema.js';

export interface AuthorizationEndpoint {
  authorizeUrl: string;
  scopeSeparator: string;
  /** Parameter carrying the scopes ("scope" unless the provider says otherwise). */
  scopeParam: string;
  authorizeParams: Record<string, string>;
  responseMode?: 'query' | 'form_post';
}

export interface TokenEndpoint {
  tokenUrl: string;
  clientAuth: ClientAuthMethod;
  tokenParams: Record<string, string>;
  tokenHeaders: Record<string, string>;
  tokenRequestBody: 'form' | 'json';
  tokenResponse: Static<typeof TokenResponseSpec>;
}

/**
 * The authorization request's own parameters (§4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1,
 * OAuth 2.0 Form Post Response Mode), plus the provider's scope parameter. The client sets them;
 * extras (the provider file's authorizeParams, a page's opts.authorize) may not: an extra `state`
 * or `redirect_uri` would silently replace the one the flow is checked against. (`scope` is
 * reserved only where it carries the scopes: Slack's scopes go in user_scope, and `scope` is an
 * extra there.)
 */
export const PROTOCOL_PARAMETERS: ReadonlySet<string> = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'response_mode',
  // RFC 9126 §4 and RFC 9101 §5: they replace the parameters above; RFC 8707, RFC 9396: set by the flow.
  'request_uri',
  'request',
  'resource',
  'authorization_details',
]);

/**
 * Names compare case-insensitively, without surrounding whitespace or control characters: servers
 * differ in how they read `STATE`, `Redirect_URI` or `response_type ` (trailing space), and one
 * that folds case or trims would take such an extra for the parameter the flow is checked against.
 */
function parameterKey(name: string): string {
  return name.replace(/^[\s\x00-\x1f\x7f]+|[\s\x00-\x1f\x7f]+$/g, '').toLowerCase();
}

export function isReservedParameter(endpoint: Pick<AuthorizationEndpoint, 'scopeParam'>, name: string): boolean {
  const key = parameterKey(name);
  return PROTOCOL_PARAMETERS.has(key) || key === parameterKey(endpoint.scopeParam);
}

/** The extras that would override a protocol parameter (or the provider's scope parameter), as written. */
export function reservedExtras(endpoint: Pick<AuthorizationEndpoint, 'scopeParam'>, extra: Record<string, string>): string[] {
  return Object.keys(extra).filter((name) => isReservedParameter(endpoint, name));
}
