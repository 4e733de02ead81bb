/**
 * JWT-Secured Authorization Requests (RFC 9101): the authorization request's parameters as the
 * claims of a JWT the client signs (§4), sent by value as `request` (§5.1) or pushed (RFC 9126 §3),
 * so the server knows the parameters came from the client and were not changed on the way.
 */
import { SignJWT } from 'jose';
import { randomToken } from '../util/random.js';
import { formEncode } from '../util/form-encoding.js';
import type { ClientKey } from './keys.js';
import type { ProtocolCheck } from './outcome.js';

/** How long a request object is valid: long enough for the browser to get there (§10.2: short). */
const LIFETIME_SECONDS = 300;

/**
 * §4: the request object for the parameters of `query` (form-encoded, as the browser would carry
 * them): each becomes a claim (resource, repeated, an array; authorization_details its JSON, RFC
 * 9396 §3), with iss (the client), aud (the server's issuer, §4), iat, nbf, exp and a jti.
 */
export async function requestObject(key: ClientKey, clientId: string, audience: string, query: string): Promise<{ jwt: string; check: ProtocolCheck }> {
  const claims: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'resource') claims.resource = [...((claims.resource as string[] | undefined) ?? []), value];
    else if (name === 'authorization_details') claims.authorization_details = JSON.parse(value) as unknown;
    else claims[name] = value;
  }
  const now = Math.floor(Date.now() / 1000);
  const jti = randomToken();
  const jwt = await new SignJWT({ ...claims, client_id: clientId, jti })
    .setProtectedHeader({ alg: key.alg, typ: 'oauth-authz-req+jwt', ...(key.kid !== undefined ? { kid: key.kid } : {}) })
    .setIssuer(clientId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + LIFETIME_SECONDS)
    .sign(key.privateKey);
  return {
    jwt,
    check: {
      ok: true,
      name: 'request object',
      detail: `${key.alg}, typ oauth-authz-req+jwt: iss ${clientId}, aud ${audience}, ${Object.keys(claims).length} parameters as claims, valid ${LIFETIME_SECONDS} s`,
      source: 'RFC 9101 §4, §10.8',
    },
  };
}

/** §5: what goes beside the request object: client_id (and nothing the object could contradict). */
export function requestObjectQuery(clientId: string, jwt: string): string {
  return `client_id=${formEncode(clientId)}&request=${formEncode(jwt)}`;
}
