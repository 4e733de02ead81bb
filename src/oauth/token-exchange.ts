/**
 * OAuth 2.0 Token Exchange (RFC 8693): a token for another token. The client sends the subject
 * token (whose identity the new token carries), optionally an actor token (who acts for it, §4.1),
 * and where the new token is for (audience, resource), at the token endpoint with its usual client
 * authentication (§2.1); the server answers a token response with `issued_token_type` (§2.2.1).
 */
import type { HttpClient } from './http.js';
import { requestToken, type ClientCredentials, type RequestFields, type TokenEndpoint } from './oauth2.js';
import type { ProtocolCheck } from './outcome.js';
import type { ReadTokenResult } from './token-response.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** §3: the token type identifiers, by their short names. */
export const TOKEN_TYPES = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  saml1: 'urn:ietf:params:oauth:token-type:saml1',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const;

/** A short name (access_token) or the full URI; anything else is the caller's mistake. */
export function tokenTypeUri(value: string): string | undefined {
  if (Object.hasOwn(TOKEN_TYPES, value)) return TOKEN_TYPES[value as keyof typeof TOKEN_TYPES];
  return /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(value) || /^https?:\/\/\S+$/.test(value) ? value : undefined;
}

export interface TokenExchangeRequest {
  subjectToken: string;
  subjectTokenType: string;
  actorToken?: string;
  actorTokenType?: string;
  /** §2.1: the logical names of the target services; each is its own `audience` parameter. */
  audience?: readonly string[];
  /** §2.1 (RFC 8707 §2): the target services' absolute URIs; each is its own `resource` parameter. */
  resource?: readonly string[];
  requestedTokenType?: string;
  scope?: string;
}

/** §2.1: the request; §2.2.1: the answer, with issued_token_type checked. */
export async function exchangeToken(
  http: HttpClient,
  endpoint: TokenEndpoint,
  client: ClientCredentials,
  request: TokenExchangeRequest,
): Promise<ReadTokenResult & { issuedTokenType: string | undefined; check: ProtocolCheck }> {
  const grant: RequestFields = {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: request.subjectToken,
    subject_token_type: request.subjectTokenType,
  };
  if (request.actorToken !== undefined) {
    grant.actor_token = request.actorToken;
    // §2.1: actor_token_type is REQUIRED when actor_token is present.
    grant.actor_token_type = request.actorTokenType ?? TOKEN_TYPES.access_token;
  }
  // §2.1: "multiple audience parameter values", and "multiple resource parameters", are the
  // parameter repeated, never one value joined.
  if (request.audience !== undefined && request.audience.length > 0) grant.audience = request.audience;
  if (request.resource !== undefined && request.resource.length > 0) grant.resource = request.resource;
  if (request.requestedTokenType !== undefined) grant.requested_token_type = request.requestedTokenType;
  if (request.scope !== undefined) grant.scope = request.scope;
  const result = await requestToken(http, endpoint, client, grant, 'token request (token exchange)');
  const issued = result.raw.issued_token_type;
  const issuedTokenType = typeof issued === 'string' ? issued : undefined;
  if (issuedTokenType === undefined) {
    result.deviations.push({ code: 'no-issued-token-type', message: 'no issued_token_type', source: 'RFC 8693 §2.2.1 (REQUIRED)', expected: false });
  }
  return {
    ...result,
    issuedTokenType,
    check: {
      ok: issuedTokenType !== undefined && (request.requestedTokenType === undefined || issuedTokenType === request.requestedTokenType),
      name: 'token exchange',
      detail: `issued ${issuedTokenType ?? '(no issued_token_type)'}${request.requestedTokenType !== undefined ? `, requested ${request.requestedTokenType}` : ''}, token_type ${result.token.token_type}`,
      source: 'RFC 8693 §2.2.1',
    },
  };
}
