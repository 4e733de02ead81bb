/**
 * Token introspection (RFC 7662): ask the authorization server whether a token is active, and what
 * it grants.
 */
import type { ClientAuthMethod } from '../providers/schema.js';
import { authenticateClient, encodeFields } from './client-auth.js';
import { parseBody, readObject, refusal } from './endpoint-response.js';
import { InvalidResponseError } from './errors.js';
import type { HttpClient } from './http.js';
import { withCertificate, type ClientCredentials } from './oauth2.js';
import type { TokenTypeHint } from './revoke.js';

const ENDPOINT_NAME = 'introspection endpoint';

/** §2.2: the introspection response. Only `active` is required; the rest is there when the server says. */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  /** Extensions (§2.2: "Specific implementations MAY extend this structure"). */
  [field: string]: unknown;
}

/**
 * §2.1: POST the token, form-encoded, with the client's credentials (the endpoint "MUST require
 * some form of authorization"; here, the client authentication of the token endpoint).
 */
export async function introspectToken(
  http: HttpClient,
  url: string,
  client: ClientCredentials,
  token: string,
  hint?: TokenTypeHint,
  clientAuth: ClientAuthMethod = 'client_secret_basic',
): Promise<IntrospectionResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const fields: Record<string, string> = { token };
  if (hint !== undefined) fields.token_type_hint = hint;
  await authenticateClient(clientAuth, client, headers, fields, url);
  const body = encodeFields(fields, 'form', headers);
  const response = await http({ method: 'POST', url, headers, body, purpose: 'token introspection', ...withCertificate(client) });
  if (response.status !== 200) throw refusal(response, parseBody(response), 'introspection', ENDPOINT_NAME, 'introspection_failed');
  return readIntrospection(readObject(response, 'introspection', ENDPOINT_NAME));
}

/** §2.2: `active` is REQUIRED and a boolean; without it the answer says nothing. */
export function readIntrospection(body: Record<string, unknown>): IntrospectionResponse {
  if (typeof body.active !== 'boolean') {
    const received = body.active === undefined ? 'no "active" field' : `"active": ${JSON.stringify(body.active).slice(0, 40)}`;
    throw new InvalidResponseError(`the ${ENDPOINT_NAME} answered with ${received}; RFC 7662 §2.2 requires a boolean`, {
      endpoint: 'introspection',
      code: 'invalid_introspection_response',
      received: Object.keys(body).join(', ') || 'none',
    });
  }
  return { ...body, active: body.active };
}
