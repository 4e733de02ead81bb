/**
 * OAuth 1.0a client requests (RFC 5849): temporary credentials (§2.1), the resource-owner
 * authorization URL (§2.2) and its callback, token credentials (§2.3), and signed API requests
 * (§3.1, §3.4, §3.5.1).
 *
 * Signatures come from the `oauth-1.0a` package (base string §3.4.1.1, parameter normalization
 * §3.4.1.3.2, percent-encoding §3.6, the Authorization header §3.5.1). This module feeds it what
 * the package gets wrong on its own:
 *   - the parameters, decoded per §3.4.1.3.1: the package reads query strings without turning "+"
 *     into a space and loses values that contain "=", so the query and the form body are decoded
 *     here (URLSearchParams, the application/x-www-form-urlencoded rules) and handed over as data;
 *   - the base string URI (§3.4.1.2: lower-case scheme and host, default port dropped, no query or
 *     fragment), which the package would take verbatim from the URL;
 *   - the nonce: the package draws it from Math.random; ours comes from the CSPRNG (util/random.ts);
 *   - the signing functions (node:crypto): HMAC-SHA1 (§3.4.2), HMAC-SHA256 (the same construction
 *     with SHA-256, as providers that moved off SHA-1 document it), RSA-SHA1 (§3.4.3) and
 *     PLAINTEXT (§3.4.4).
 */
import { createHmac, createPrivateKey, createSign, timingSafeEqual, type KeyObject } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { OAuth1Spec } from '../providers/schema.js';
import { CallbackRejectedError, InvalidResponseError, ProviderConfigurationError, ProviderError, type Endpoint } from './errors.js';
import { header, type HttpClient, type HttpRequest, type HttpResponse } from './http.js';
import { randomToken } from '../util/random.js';
import type { Deviation } from './token-response.js';

export type SignatureMethod = OAuth1Spec['signatureMethod'];

/**
 * The client credentials (§1.1 "Consumer Key and Secret"), from the keyset: `key` is its client
 * id, `secret` the value of its client-secret reference (env:/keychain:).
 */
export interface ConsumerCredentials {
  key: string;
  /** The shared secret for HMAC-SHA1, HMAC-SHA256 and PLAINTEXT; unused by RSA-SHA1 (§4.1), may be "". */
  secret: string;
  /**
   * RSA-SHA1 only (§3.4.3): the client's RSA private key as PEM (PKCS#1 "RSA PRIVATE KEY" or
   * PKCS#8 "PRIVATE KEY"). It is a secret like the client secret and comes the same way: the
   * keyset's client-secret reference (env:/keychain:) holds the PEM, and the caller passes the
   * resolved value here. The provider holds the matching public key (Jira: the Application Link).
   */
  privateKeyPem?: string;
}

/** An identifier and its shared secret: temporary credentials (§2.1) or token credentials (§2.3). */
export interface Credentials {
  token: string;
  tokenSecret: string;
}

export interface TemporaryCredentials extends Credentials {
  /**
   * §2.1: oauth_callback_confirmed=true, which tells an OAuth 1.0a server from an OAuth 1.0 one.
   * False when the provider left the field out (tolerated, with a deviation); any value other
   * than "true" is refused before this is returned.
   */
  callbackConfirmed: boolean;
  deviations: Deviation[];
}

export interface TokenCredentials extends Credentials {
  /** Every other field of the response, as sent (Twitter: user_id, screen_name; Flickr: user_nsid). */
  extra: Record<string, string>;
  deviations: Deviation[];
}

/** The request to sign, as it will be sent. */
export interface SignableRequest {
  method: string;
  /** Absolute URL, query included: query parameters are signed (§3.4.1.3.1). */
  url: string;
  /** Content-Type decides whether the body is signed; names are case-insensitive. */
  headers?: Record<string, string>;
  /** Signed when Content-Type is application/x-www-form-urlencoded (§3.4.1.3.1). */
  body?: string;
}

export interface SignOptions {
  /**
   * More protocol parameters to sign and send in the header: oauth_callback (§2.1), oauth_verifier
   * (§2.3). Names start with "oauth_" (§3.5: only those travel in the Authorization header).
   */
  protocolParams?: Record<string, string>;
  /** A fixed nonce, to reproduce published examples; a fresh CSPRNG value otherwise (§3.3). */
  nonce?: string;
  /** A fixed timestamp in seconds, to reproduce published examples; the current time otherwise (§3.3). */
  timestamp?: number;
  /** The Authorization header's realm (§3.5.1); never part of the signature. */
  realm?: string;
  /** Send oauth_version="1.0" (OPTIONAL per §3.1; most providers document it). Default true. */
  includeVersion?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Signing (§3.1, §3.4, §3.5.1)

/**
 * §3.4.1.1: the signature base string of a request, for the given protocol parameters (realm and
 * oauth_signature are left out, §3.4.1.3.1). What HMAC and RSA signatures sign; for traces and
 * for comparing with a provider's own when it answers signature_invalid.
 */
export function signatureBaseString(request: SignableRequest, protocolParams: Record<string, string>): string {
  const { realm: _realm, oauth_signature: _signature, ...signed } = protocolParams;
  // The base string does not depend on the signing method or the secrets: any signer builds it.
  const signer = packageSigner('PLAINTEXT', { key: signed.oauth_consumer_key ?? '', secret: '' });
  // The package writes the request parameters into the object it is given: hand it a copy.
  return signer.getBaseString(packageRequest(request), { ...signed } as unknown as OAuth.Data);
}

/**
 * §3.1 + §3.5.1: the value of the `Authorization: OAuth ...` header for `request`, signed with the
 * client credentials and, when given, the token (or temporary) credentials.
 */
export function signRequest(
  method: SignatureMethod,
  consumer: ConsumerCredentials,
  token: Credentials | undefined,
  request: SignableRequest,
  options: SignOptions = {},
): string {
  const protocolParams: Record<string, string> = {
    oauth_consumer_key: consumer.key,
    oauth_signature_method: method,
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_nonce: options.nonce ?? newNonce(),
  };
  if (options.includeVersion !== false) protocolParams.oauth_version = '1.0';
  // §2.1: the temporary-credentials request has no token; "MAY omit the empty oauth_token".
  if (token !== undefined) protocolParams.oauth_token = token.token;
  Object.assign(protocolParams, options.protocolParams);

  const signer = packageSigner(method, consumer, options.realm);
  // The package writes the request parameters into the object it is given: hand it copies.
  const signature = signer.getSignature(
    packageRequest(request),
    token?.tokenSecret ?? '',
    { ...protocolParams } as unknown as OAuth.Data,
  );
  return signer.toHeader({ ...protocolParams, oauth_signature: signature } as unknown as OAuth.Authorization).Authorization;
}

/**
 * §3.3: unique per timestamp, from the CSPRNG. Alphanumeric, as Twitter's guide builds it (random
 * bytes, base64, non-word characters stripped), so no provider has to decode anything in it; well
 * over 200 bits remain.
 */
function newNonce(): string {
  return randomToken().replace(/[^A-Za-z0-9]/g, '');
}

function packageSigner(method: SignatureMethod, consumer: ConsumerCredentials, realm?: string): OAuth {
  return new OAuth({
    consumer: { key: consumer.key, secret: consumer.secret },
    signature_method: method,
    hash_function: signingFunction(method, consumer),
    ...(realm !== undefined ? { realm } : {}),
  });
}

/** The package calls this with the base string and the key "secret&tokenSecret" (§3.4.2, §3.4.4). */
function signingFunction(method: SignatureMethod, consumer: ConsumerCredentials): OAuth.HashFunction {
  switch (method) {
    case 'HMAC-SHA1':
      return (baseString, key) => createHmac('sha1', key).update(baseString).digest('base64');
    case 'HMAC-SHA256':
      return (baseString, key) => createHmac('sha256', key).update(baseString).digest('base64');
    case 'PLAINTEXT':
      // §3.4.4: the signature is the key itself; no base string, no hash.
      return (_baseString, key) => key;
    case 'RSA-SHA1': {
      // §3.4.3: RSASSA-PKCS1-v1_5 with SHA-1 over the base string; the shared secrets are unused.
      const privateKey = rsaPrivateKey(consumer.privateKeyPem);
      return (baseString) => createSign('RSA-SHA1').update(baseString).sign(privateKey, 'base64');
    }
  }
}

function rsaPrivateKey(pem: string | undefined): KeyObject {
  const unusable = (message: string) => new ProviderConfigurationError(message, { kind: 'rsa-key' });
  if (pem === undefined || pem.trim() === '') {
    throw unusable('RSA-SHA1 signing needs the consumer RSA private key, and none was given');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // Never echo the key, nor the parser's message (it may quote it).
    throw unusable('the RSA-SHA1 consumer private key is not a readable PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw unusable(`the RSA-SHA1 consumer private key is a ${key.asymmetricKeyType ?? 'non-RSA'} key, not an RSA key`);
  }
  return key;
}

/**
 * The request as the package should see it: the base string URI (§3.4.1.2) and every request
 * parameter from the query and a form body (§3.4.1.3.1), already decoded.
 */
function packageRequest(request: SignableRequest): OAuth.RequestOptions {
  const url = new URL(request.url);
  // WHATWG URL lower-cases scheme and host and drops the default port: exactly §3.4.1.2.
  const baseStringUri = `${url.protocol}//${url.host}${url.pathname}`;
  const pairs = [...url.searchParams];
  if (request.body !== undefined && isFormEncoded(request.headers ?? {})) {
    pairs.push(...new URLSearchParams(request.body));
  }
  const data: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const seen = data[name];
    data[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return { method: request.method.toUpperCase(), url: baseStringUri, data };
}

function isFormEncoded(headers: Record<string, string>): boolean {
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

// ---------------------------------------------------------------------------------------------
// The redirection-based authorization (§2)

export type OAuth1Endpoints = Pick<OAuth1Spec, 'requestTokenUrl' | 'accessTokenUrl' | 'signatureMethod' | 'requestTokenParams'>;

/**
 * §2.1: temporary credentials. POST, signed with the client credentials only (empty token
 * secret), `oauth_callback` signed into the Authorization header; the provider's
 * requestTokenParams (Hatena's scope, ...) go in the form body, which is signed too.
 *
 * `oauth_callback_confirmed`: §2.1 says it MUST be "true". A value other than "true" is refused
 * (the provider says it did not register the callback, so the login cannot come back); a missing
 * field is tolerated with a deviation, because some servers omit it. The callback must then still
 * carry an oauth_verifier (readAuthorizationCallback refuses one without), which is the 1.0a fix
 * the confirmation announces (the session-fixation attack on OAuth 1.0).
 */
export async function requestTemporaryCredentials(
  http: HttpClient,
  spec: OAuth1Endpoints,
  consumer: ConsumerCredentials,
  callbackUrl: string,
): Promise<TemporaryCredentials> {
  const response = await signedFormPost(
    http,
    spec.signatureMethod,
    consumer,
    undefined,
    spec.requestTokenUrl,
    spec.requestTokenParams ?? {},
    { oauth_callback: callbackUrl },
    'request-token request (RFC 5849 §2.1)',
  );
  const { fields, deviations } = readCredentialsResponse(response, 'temporary_credentials', 'request-token endpoint', spec.signatureMethod);
  const confirmed = fields.oauth_callback_confirmed;
  if (confirmed === undefined) {
    deviations.push({
      code: 'callback-not-confirmed',
      message: 'no oauth_callback_confirmed in the answer: the provider may speak OAuth 1.0, not 1.0a',
      source: 'RFC 5849 §2.1 (MUST)',
      expected: false,
    });
  } else if (confirmed !== 'true') {
    throw new InvalidResponseError(
      `the request-token endpoint answered oauth_callback_confirmed=${JSON.stringify(confirmed.slice(0, 40))}: it did not accept the callback URL`,
      { endpoint: 'temporary_credentials', code: 'callback_not_confirmed', status: response.status, response, expected: callbackUrl },
    );
  }
  return { token: fields.oauth_token!, tokenSecret: fields.oauth_token_secret!, callbackConfirmed: confirmed === 'true', deviations };
}

/**
 * §2.2: the URL the browser is sent to. Query parameters already in the endpoint are kept; the
 * provider's authorizeParams (Flickr's perms, ...) are added. OAuth 1.0a has no scope parameter:
 * when the provider file declares `scopes` (Trello), the scopes ride on this request, joined by
 * the file's separator, under its `param` (default "scope"); providers that want a scope at the
 * request-token step put it in requestTokenParams instead.
 */
export function authorizationUrl(
  spec: Pick<OAuth1Spec, 'authorizeUrl' | 'authorizeParams' | 'scopes'>,
  temporaryToken: string,
  scopes: readonly string[] = [],
): string {
  const url = new URL(spec.authorizeUrl);
  url.searchParams.set('oauth_token', temporaryToken);
  if (spec.scopes !== undefined && scopes.length > 0) {
    url.searchParams.set(spec.scopes.param ?? 'scope', scopes.join(spec.scopes.separator));
  }
  for (const [name, value] of Object.entries(spec.authorizeParams ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * §2.2: what the provider's redirect to the callback says. Returns the verifier. Throws when the
 * user denied access (`denied=<token>`, as Twitter sends it), when the callback belongs to another
 * temporary token, or when the verifier is missing (an OAuth 1.0 provider, not 1.0a).
 */
export function readAuthorizationCallback(params: URLSearchParams, temporaryToken: string): string {
  const denied = params.get('denied');
  if (denied !== null) {
    throw new ProviderError('the user denied access at the provider', { endpoint: 'resource_owner_authorization', code: 'access_denied', error: 'access_denied' });
  }
  const token = params.get('oauth_token');
  if (token === null || !sameString(token, temporaryToken)) {
    throw new CallbackRejectedError(
      token === null ? 'the callback carries no oauth_token' : 'the callback carries the oauth_token of another login',
      'token_mismatch',
    );
  }
  const verifier = params.get('oauth_verifier');
  if (verifier === null || verifier === '') {
    throw new CallbackRejectedError(
      'the callback carries no oauth_verifier (RFC 5849 §2.2 makes it REQUIRED; OAuth 1.0 providers omit it)',
      'no_verifier',
    );
  }
  return verifier;
}

/**
 * §2.3: token credentials for the verifier. POST, signed with the client credentials and the
 * temporary credentials, `oauth_verifier` signed into the header.
 */
export async function requestTokenCredentials(
  http: HttpClient,
  spec: OAuth1Endpoints,
  consumer: ConsumerCredentials,
  temporary: Credentials,
  verifier: string,
): Promise<TokenCredentials> {
  const response = await signedFormPost(
    http,
    spec.signatureMethod,
    consumer,
    temporary,
    spec.accessTokenUrl,
    {},
    { oauth_verifier: verifier },
    'access-token request (RFC 5849 §2.3)',
  );
  const { fields, deviations } = readCredentialsResponse(response, 'token_credentials', 'access-token endpoint', spec.signatureMethod);
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'oauth_token' && name !== 'oauth_token_secret') extra[name] = value;
  }
  return { token: fields.oauth_token!, tokenSecret: fields.oauth_token_secret!, extra, deviations };
}

async function signedFormPost(
  http: HttpClient,
  method: SignatureMethod,
  consumer: ConsumerCredentials,
  token: Credentials | undefined,
  url: string,
  bodyParams: Record<string, string>,
  protocolParams: Record<string, string>,
  purpose: string,
): Promise<HttpResponse> {
  const request: HttpRequest = {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(bodyParams).toString(),
    purpose,
  };
  request.headers.authorization = signRequest(method, consumer, token, request, { protocolParams });
  return http(request);
}

// ---------------------------------------------------------------------------------------------
// Reading the answers (§2.1, §2.3; errors per the OAuth Problem Reporting extension)

/** Problem Reporting details worth showing next to oauth_problem. */
const PROBLEM_DETAILS = ['oauth_parameters_absent', 'oauth_parameters_rejected', 'oauth_acceptable_timestamps', 'oauth_acceptable_versions'];

interface CredentialsAnswer {
  /** The form fields, oauth_token and oauth_token_secret guaranteed present. */
  fields: Record<string, string>;
  deviations: Deviation[];
}

type CredentialsEndpoint = Extract<Endpoint, 'temporary_credentials' | 'token_credentials'>;

function readCredentialsResponse(response: HttpResponse, endpoint: CredentialsEndpoint, endpointName: string, method: SignatureMethod): CredentialsAnswer {
  const deviations: Deviation[] = [];
  const fields = parseCredentialsBody(response, endpoint, endpointName, deviations);
  const problem = fields.oauth_problem ?? problemFromWwwAuthenticate(response);
  const success = response.status >= 200 && response.status < 300;
  if (problem !== undefined) throw problemError(response, endpoint, endpointName, problem, fields);
  if (!success) throw httpError(response, endpoint, endpointName, fields);

  if (fields.oauth_token === undefined || fields.oauth_token === '') {
    throw new InvalidResponseError(`the ${endpointName} answered HTTP ${response.status} without an oauth_token`, {
      endpoint,
      code: 'no_oauth_token',
      status: response.status,
      response,
      // Names only: the values may hold a token secret.
      received: Object.keys(fields).join(', ') || 'none',
    });
  }
  if (fields.oauth_token_secret === undefined) {
    // §4.1: RSA-SHA1 never uses the token secret, so a provider may well leave it out.
    if (method !== 'RSA-SHA1') {
      throw new InvalidResponseError(`the ${endpointName} answered without an oauth_token_secret (RFC 5849 §2.1/§2.3: REQUIRED)`, {
        endpoint,
        code: 'no_token_secret',
        status: response.status,
        response,
      });
    }
    deviations.push({
      code: 'missing-token-secret',
      message: 'no oauth_token_secret (RSA-SHA1 does not use it)',
      source: 'RFC 5849 §2.1/§2.3 (REQUIRED)',
      expected: true,
    });
    fields.oauth_token_secret = '';
  }
  return { fields, deviations };
}

/** Form-encoded per §2.1/§2.3, whatever the Content-Type claims; JSON tolerated with a deviation. */
function parseCredentialsBody(response: HttpResponse, endpoint: CredentialsEndpoint, endpointName: string, deviations: Deviation[]): Record<string, string> {
  const contentType = (header(response, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = response.text.trim();
  const success = response.status >= 200 && response.status < 300;
  if (text === '') return {};
  if (text.startsWith('<')) {
    if (!success) return {};
    throw new InvalidResponseError(`the ${endpointName} answered HTTP ${response.status} with an HTML page, not credentials: "${htmlSnippet(text)}"`, {
      endpoint,
      code: 'html_response',
      status: response.status,
      response,
    });
  }
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return {};
    }
    if (success) {
      deviations.push({
        code: 'json-body',
        message: 'the credentials came as JSON, not application/x-www-form-urlencoded',
        source: 'RFC 5849 §2.1/§2.3',
        expected: false,
      });
    }
    return jsonFields(parsed);
  }
  if (success && contentType !== 'application/x-www-form-urlencoded') {
    deviations.push({
      code: 'content-type',
      message: `the credentials are form-encoded but Content-Type is "${contentType || 'missing'}"`,
      source: 'RFC 5849 §2.1/§2.3',
      expected: false,
    });
  }
  if (!/^[^\s&=]+=/.test(text)) return success ? {} : { message: text.replace(/\s+/g, ' ').slice(0, 160) };
  return Object.fromEntries(new URLSearchParams(text));
}

/** Top-level strings of a JSON answer, plus the first message of Twitter-style `errors: [...]`. */
function jsonFields(parsed: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (typeof parsed !== 'object' || parsed === null) return fields;
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[name] = String(value);
  }
  const errors = (parsed as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    const first = errors[0] as { message?: unknown; code?: unknown } | undefined;
    if (typeof first?.message === 'string') fields.message ??= first.message;
    if (typeof first?.code === 'number' || typeof first?.code === 'string') fields.error ??= String(first.code);
  }
  return fields;
}

/** Problem Reporting also allows `WWW-Authenticate: OAuth ..., oauth_problem="..."`. */
function problemFromWwwAuthenticate(response: HttpResponse): string | undefined {
  const challenge = header(response, 'www-authenticate');
  const match = challenge === undefined ? null : /oauth_problem="([^"]*)"/i.exec(challenge);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return match[1];
  }
}

function problemError(response: HttpResponse, endpoint: CredentialsEndpoint, endpointName: string, problem: string, fields: Record<string, string>): ProviderError {
  const advice = fields.oauth_problem_advice;
  const details = PROBLEM_DETAILS.filter((name) => fields[name] !== undefined).map((name) => `${name}=${fields[name]!.slice(0, 80)}`);
  const extra = [advice ? ` — ${advice.slice(0, 160)}` : '', details.length > 0 ? ` (${details.join(', ')})` : ''].join('');
  return new ProviderError(`the ${endpointName} refused: oauth_problem=${problem.slice(0, 60)}${extra} [HTTP ${response.status}]`, {
    endpoint,
    code: problem,
    error: problem,
    error_description: advice,
    status: response.status,
    response,
  });
}

/** A failure status without oauth_problem: no `error` of the Problem Reporting kind to name. */
function httpError(response: HttpResponse, endpoint: CredentialsEndpoint, endpointName: string, fields: Record<string, string>): ProviderError {
  const message = fields.error_description ?? fields.message ?? fields.error;
  const summary =
    message !== undefined
      ? message.slice(0, 160)
      : Object.keys(fields).length > 0
        ? `fields ${Object.keys(fields).join(', ')}`
        : response.text.trim().startsWith('<')
          ? `an HTML page "${htmlSnippet(response.text)}"`
          : response.statusText || 'no details';
  return new ProviderError(`the ${endpointName} answered HTTP ${response.status}: ${summary}`, {
    endpoint,
    code: 'http_error',
    error_description: message,
    status: response.status,
    response,
  });
}

function htmlSnippet(html: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  return (title ?? html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 100);
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
