/**
 * Dynamic client registration: RFC 7591 (register a client at the registration_endpoint of the
 * server's metadata) and RFC 7592 (manage it later at its registration_client_uri with its
 * registration access token).
 *
 *   RFC 7591 §2    client metadata: redirect_uris, token_endpoint_auth_method, grant_types, ...
 *   RFC 7591 §3    the registration request: a JSON POST, with an initial access token as a
 *                  bearer token where the server asks for one
 *   RFC 7591 §3.2.1 the answer: client_id (REQUIRED), client_secret, the metadata registered
 *   RFC 7591 §3.2.2 its errors: invalid_redirect_uri, invalid_client_metadata, ...
 *   RFC 7592 §2.1  GET the client's configuration; the answer is §3's, and may carry a new
 *                  client_secret or registration access token (the old one then no longer works)
 *   RFC 7592 §2.2  PUT the client's whole metadata (client_id included; never the
 *                  registration_access_token, registration_client_uri, client_secret_expires_at
 *                  or client_id_issued_at) to replace what is registered
 *   RFC 7592 §2.3  DELETE the client: 204 No Content
 */
import { parseBody, readObject, refusal, reportsFailure } from './endpoint-response.js';
import { InvalidResponseError } from './errors.js';
import type { HttpClient, HttpResponse } from './http.js';

/** RFC 7591 §2 (and OpenID Connect Registration §2's application_type): what is asked for. */
export interface ClientMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  grant_types: string[];
  response_types: string[];
  client_name?: string;
  scope?: string;
  /** OIDC Registration §2: "native" for a client on the user's machine (loopback redirect URIs). */
  application_type?: 'native' | 'web';
  /** OpenID CIBA Core §4: the delivery mode of a client that uses the CIBA grant. */
  backchannel_token_delivery_mode?: string;
  /** RFC 7591 §2: the client's public keys by value (private_key_jwt, RFC 7523; public parts only). */
  jwks?: { keys: Array<Record<string, unknown>> };
  /** OIDC Registration §2: the JWS algorithm of the client's assertions (RFC 7523). */
  token_endpoint_auth_signing_alg?: string;
  /** RFC 8705 §2.1.2: the subject DN of the certificate a tls_client_auth client shows. */
  tls_client_auth_subject_dn?: string;
}

/** RFC 7591 §3.2.1 and RFC 7592 §3: what the server registered. */
export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  client_id_issued_at?: number;
  /** 0: the secret does not expire. */
  client_secret_expires_at?: number;
  registration_access_token?: string;
  registration_client_uri?: string;
  /** The metadata as registered (the server may have changed or added some, §3.2.1). */
  metadata: Record<string, unknown>;
}

const ENDPOINT_NAME = 'registration endpoint';

/** RFC 7591 §3.1: register a client; `initialAccessToken` as a bearer token when the server requires one (§3). */
export async function registerClient(http: HttpClient, registrationEndpoint: string, metadata: ClientMetadata, initialAccessToken?: string): Promise<RegisteredClient> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (initialAccessToken !== undefined) headers.authorization = `Bearer ${initialAccessToken}`;
  const response = await http({ method: 'POST', url: registrationEndpoint, headers, body: JSON.stringify(metadata), purpose: 'client registration request' });
  const parsed = parseBody(response);
  // §3.2.1: 201 Created; some servers answer 200.
  if (response.status < 200 || response.status >= 300 || reportsFailure(parsed)) {
    throw refusal(response, parsed, 'registration', ENDPOINT_NAME, 'http_error');
  }
  return readRegisteredClient(readObject(response, 'registration', ENDPOINT_NAME));
}

/** §3.2.1: client_id is REQUIRED; the rest is read when it has the RFC's type. */
export function readRegisteredClient(body: Record<string, unknown>): RegisteredClient {
  const { client_id: clientId, client_secret: secret, client_id_issued_at: issuedAt, client_secret_expires_at: secretExpiresAt, registration_access_token: accessToken, registration_client_uri: clientUri, ...metadata } = body;
  if (typeof clientId !== 'string' || clientId === '') {
    throw new InvalidResponseError(`the ${ENDPOINT_NAME} answered without client_id (RFC 7591 §3.2.1 requires it)`, {
      endpoint: 'registration',
      code: 'invalid_registration_response',
      received: Object.keys(body).join(', ') || 'none',
    });
  }
  const registered: RegisteredClient = { client_id: clientId, metadata };
  if (typeof secret === 'string' && secret !== '') registered.client_secret = secret;
  if (typeof issuedAt === 'number') registered.client_id_issued_at = issuedAt;
  if (typeof secretExpiresAt === 'number') registered.client_secret_expires_at = secretExpiresAt;
  if (typeof accessToken === 'string' && accessToken !== '') registered.registration_access_token = accessToken;
  // RFC 7592 §3: the client configuration endpoint; only a web URL is ever called with the token.
  if (typeof clientUri === 'string' && /^https?:\/\//.test(clientUri)) registered.registration_client_uri = clientUri;
  return registered;
}

/** RFC 7592 §2.3: delete the client. 204 is done; anything else is the server's refusal. */
export async function deleteClient(http: HttpClient, registrationClientUri: string, registrationAccessToken: string): Promise<void> {
  const response = await http({
    method: 'DELETE',
    url: registrationClientUri,
    headers: { accept: 'application/json', authorization: `Bearer ${registrationAccessToken}` },
    purpose: 'client delete request',
  });
  if (response.status === 204 || response.status === 200) return;
  throw refusal(response, parseBody(response), 'registration', 'client configuration endpoint', 'http_error');
}

const CONFIGURATION_ENDPOINT_NAME = 'client configuration endpoint';

/** RFC 7592 §2.1: read the client's configuration with its registration access token. */
export async function readClient(http: HttpClient, registrationClientUri: string, registrationAccessToken: string): Promise<RegisteredClient> {
  const response = await http({
    method: 'GET',
    url: registrationClientUri,
    headers: { accept: 'application/json', authorization: `Bearer ${registrationAccessToken}` },
    purpose: 'client read request',
  });
  return readConfigurationAnswer(response);
}

/** RFC 7592 §2.2: the fields a client MUST NOT send in an update (the server's to issue). */
const SERVER_ISSUED = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'] as const;

/**
 * RFC 7592 §2.2: replace the client's metadata. `metadata` is the whole of it (what a read
 * answered, changed): fields left out are deleted at the server. The client_secret is not sent
 * (§2.2: it MAY be, and then only to prove the same value), so it never travels but to log in.
 */
export async function updateClient(
  http: HttpClient,
  registrationClientUri: string,
  registrationAccessToken: string,
  clientId: string,
  metadata: Record<string, unknown>,
): Promise<RegisteredClient> {
  const body: Record<string, unknown> = { ...metadata, client_id: clientId };
  for (const field of [...SERVER_ISSUED, 'client_secret']) delete body[field];
  const response = await http({
    method: 'PUT',
    url: registrationClientUri,
    headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `Bearer ${registrationAccessToken}` },
    body: JSON.stringify(body),
    purpose: 'client update request',
  });
  return readConfigurationAnswer(response);
}

/** §2.1, §2.2: 200 with §3's client information response; anything else is the server's refusal (§2.4 errors, 401 for a token it refuses). */
function readConfigurationAnswer(response: HttpResponse): RegisteredClient {
  const parsed = parseBody(response);
  if (response.status < 200 || response.status >= 300 || reportsFailure(parsed)) {
    throw refusal(response, parsed, 'registration', CONFIGURATION_ENDPOINT_NAME, 'http_error');
  }
  return readRegisteredClient(readObject(response, 'registration', CONFIGURATION_ENDPOINT_NAME));
}
