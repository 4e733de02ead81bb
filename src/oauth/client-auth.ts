/**
 * Client authentication (RFC 6749 §2.3) at every endpoint that asks for it: the token endpoint,
 * and those that defer to it: pushed authorization requests (RFC 9126 §2), device authorization
 * (RFC 8628 §3.1), revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1).
 *
 *   client_secret_basic   HTTP Basic with the client id and secret (RFC 6749 §2.3.1)
 *   client_secret_post    client_id and client_secret in the body (RFC 6749 §2.3.1)
 *   client_secret_jwt     a JWT assertion signed with the secret, HMAC (RFC 7523 §2.2, OIDC Core §9)
 *   private_key_jwt       a JWT assertion signed with the client's private key (RFC 7523 §2.2)
 *   tls_client_auth       a client certificate from a CA the server trusts, in the TLS handshake (RFC 8705 §2.1)
 *   self_signed_tls_client_auth  a self-signed client certificate registered with the client (RFC 8705 §2.2)
 *   none                  client_id alone: a public client (RFC 6749 §2.1; PKCE carries the proof)
 */
import { createHash, X509Certificate } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientAuthMethod } from '../providers/schema.js';
import { randomToken } from '../util/random.js';
import { ProviderConfigurationError } from './errors.js';
import type { ClientKey } from './keys.js';
import type { ClientCertificate } from './mtls.js';
import type { ClientCredentials } from './oauth2.js';
import type { ProtocolCheck } from './outcome.js';

/**
 * A request's parameters. An array repeats its name on the wire, once per value: RFC 8693 §2.1
 * (several `audience` and `resource`), RFC 8707 §2 (one `resource` per target).
 */
export type RequestFields = Record<string, string | readonly string[]>;

/** RFC 7523 §2.2: the client_assertion_type of a JWT assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How long an assertion lives: short, since it is made for one request (RFC 7523 §3 item 4). */
const ASSERTION_LIFETIME_SECONDS = 60;

/** §2.3.1: client_id and client_secret are form-urlencoded before they are joined for Basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * Adds the client's credentials to a request being built. `audience` is the URL of the endpoint
 * called (RFC 7523 §3 item 3: the authorization server, identified by its token endpoint URL or
 * the endpoint the assertion is sent to). A client without a secret (or method "none")
 * identifies itself with client_id alone (RFC 6749 §3.2.1, RFC 8628 §3.1).
 */
export async function authenticateClient(
  method: ClientAuthMethod,
  client: ClientCredentials,
  headers: Record<string, string>,
  fields: RequestFields,
  audience: string,
): Promise<void> {
  switch (method) {
    case 'client_secret_basic':
      if (client.clientSecret !== undefined) {
        headers.authorization = basicAuthorization(client.clientId, client.clientSecret);
        return;
      }
      break;
    case 'client_secret_post':
      fields.client_id = client.clientId;
      if (client.clientSecret !== undefined) fields.client_secret = client.clientSecret;
      return;
    case 'client_secret_jwt':
    case 'private_key_jwt': {
      const assertion = await clientAssertion(method, client, audience);
      // RFC 7521 §4.2: client_id MAY be sent; it names the client when the assertion is not read yet.
      fields.client_id = client.clientId;
      fields.client_assertion_type = JWT_BEARER_ASSERTION;
      fields.client_assertion = assertion;
      return;
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      // RFC 8705 §2: the TLS handshake authenticates; the request names the client (client_id is
      // REQUIRED). The certificate rides on the request (its `tls`), set by the caller from client.certificate.
      if (client.certificate === undefined) {
        throw new ProviderConfigurationError(`${method} authenticates the client with its certificate, and none was given`, { kind: 'client-certificate-missing' });
      }
      break;
    case 'none':
      break;
  }
  fields.client_id = client.clientId;
}

/**
 * RFC 7523 §3: iss and sub are the client_id, aud the server, exp close, jti unique (the server
 * may refuse a replay, §3 item 7), iat when it was made.
 */
async function clientAssertion(method: 'client_secret_jwt' | 'private_key_jwt', client: ClientCredentials, audience: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jti = randomToken();
  const claims = { iss: client.clientId, sub: client.clientId, aud: audience, jti, iat: now, exp: now + ASSERTION_LIFETIME_SECONDS };
  let jwt: string;
  let alg: string;
  let headerNamesCertificate = false;
  if (method === 'private_key_jwt') {
    const key = client.key;
    if (!key) {
      throw new ProviderConfigurationError('private_key_jwt needs the client\'s private key, and none was given', { kind: 'client-key-missing' });
    }
    alg = key.alg;
    const thumbprints = client.certificate !== undefined ? certificateThumbprints(client.certificate, key) : undefined;
    headerNamesCertificate = thumbprints !== undefined;
    jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'JWT', ...(key.kid !== undefined ? { kid: key.kid } : {}), ...thumbprints })
      .sign(key.privateKey);
  } else {
    if (client.clientSecret === undefined) {
      throw new ProviderConfigurationError('client_secret_jwt needs the client secret, and this keyset has none', { kind: 'client-secret-missing', grant: 'client_secret_jwt' });
    }
    // OIDC Core §9: HMAC SHA-256 with the octets of the client secret as the key.
    alg = 'HS256';
    jwt = await new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(client.clientSecret));
  }
  client.report?.(assertionCheck(method, alg, claims, headerNamesCertificate));
  return jwt;
}

/**
 * RFC 7515 §4.1.7, §4.1.8: when the key signing the assertion is the private key of the client's
 * certificate, the header names that certificate by its SHA-1 (x5t) and SHA-256 (x5t#S256)
 * thumbprints. Servers that register certificates rather than JWKs find the key by them: Microsoft's
 * identity platform reads x5t#S256 (x5t from older clients) and has no kid to go by. A certificate
 * of another key is left out: its thumbprint would point the server at the wrong key.
 */
function certificateThumbprints(certificate: ClientCertificate, key: ClientKey): { x5t: string; 'x5t#S256': string } | undefined {
  const x509 = new X509Certificate(certificate.certPem);
  if (!x509.checkPrivateKey(key.privateKey)) return undefined;
  return { x5t: createHash('sha1').update(x509.raw).digest('base64url'), 'x5t#S256': certificate.thumbprint };
}

function assertionCheck(method: string, alg: string, claims: { iss: string; aud: string; jti: string; iat: number; exp: number }, headerNamesCertificate: boolean): ProtocolCheck {
  return {
    ok: true,
    name: 'client assertion',
    detail:
      `${method} ${alg}: iss = sub = ${claims.iss}, aud ${claims.aud}, jti ${claims.jti.length} characters, expires ${claims.exp - claims.iat} s after iat` +
      (headerNamesCertificate ? '; the header names the client certificate (x5t, x5t#S256)' : ''),
    source: 'RFC 7523 §2.2, §3',
  };
}

/** The body of a request to an OAuth endpoint: form-encoded (the RFCs' default) or JSON. */
export function encodeFields(
  fields: RequestFields,
  encoding: 'form' | 'json',
  headers: Record<string, string>,
): string {
  if (encoding === 'json') {
    // A repeated parameter is a JSON array.
    headers['content-type'] = 'application/json';
    return JSON.stringify(fields);
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  const form = new URLSearchParams();
  for (const name in fields) {
    const value = fields[name] as string | readonly string[];
    if (typeof value === 'string') form.append(name, value);
    else for (const each of value) form.append(name, each);
  }
  return form.toString();
}
