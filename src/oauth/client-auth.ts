/**
 * Client authentication (RFC 6749 §2.3.1) at the endpoints beside the token endpoint, which all
 * defer to it: device authorization (RFC 8628 §3.1), revocation (RFC 7009 §2.1) and introspection
 * (RFC 7662 §2.1).
 */
import type { ClientAuthMethod } from '../providers/schema.js';
import { basicAuthorization, type ClientCredentials } from './oauth2.js';

/**
 * Adds the client's credentials to a request being built: HTTP Basic for client_secret_basic,
 * client_id/client_secret in the body for client_secret_post. A public client (no secret, or
 * method "none") identifies itself with client_id alone (RFC 6749 §3.2.1, RFC 8628 §3.1).
 */
export function authenticateClient(
  method: ClientAuthMethod,
  client: ClientCredentials,
  headers: Record<string, string>,
  fields: Record<string, string>,
): void {
  if (method === 'client_secret_basic' && client.clientSecret !== undefined) {
    headers.authorization = basicAuthorization(client.clientId, client.clientSecret);
    return;
  }
  fields.client_id = client.clientId;
  if (method === 'client_secret_post' && client.clientSecret !== undefined) fields.client_secret = client.clientSecret;
}

/** The body of a request to an OAuth endpoint: form-encoded (the RFCs' default) or JSON. */
export function encodeFields(
  fields: Record<string, string>,
  encoding: 'form' | 'json',
  headers: Record<string, string>,
): string {
  if (encoding === 'json') {
    headers['content-type'] = 'application/json';
    return JSON.stringify(fields);
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return new URLSearchParams(fields).toString();
}
