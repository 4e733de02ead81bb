// The parts every fake provider of test/contracts/fake-providers.ts is built from: a dispatching
// fake HttpClient (method + URL prefix → handler), answers in the shapes providers send,
// authorization codes with their PKCE challenge (RFC 7636 §4.6), an OpenID signing key set, and an
// OAuth 1.0a signature verifier written apart from the client's (RFC 5849 §3.4, ported from
// test/fixtures/oauth1-server.mjs), so a passing request is two implementations agreeing.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { HttpError, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/oauth/http.js';

// ---------------------------------------------------------------------------------------------
// Requests and answers

/** A request as a fake provider reads it. */
export interface FakeRequest extends HttpRequest {
  parsed: URL;
  /** Header value, case-insensitive. */
  header(name: string): string | undefined;
  /** The body as form fields (whatever the Content-Type says; empty when there is none). */
  form(): URLSearchParams;
  /** The body as JSON, or undefined when it is not JSON. */
  json(): unknown;
  /** HTTP Basic credentials (RFC 7617), decoded as RFC 6749 §2.3.1 encodes them. */
  basic(): { id: string; secret: string } | undefined;
}

/** What a handler answers; the dispatcher adds the URL and status text. */
export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  text: string;
}

export type FakeHandler = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, text: JSON.stringify(body) };
}

export function form(status: number, fields: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): FakeAnswer {
  return { status, headers: { 'content-type': contentType }, text: new URLSearchParams(fields).toString() };
}

export function html(status: number, title: string, body = `<h1>${title}</h1>`): FakeAnswer {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    text: `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body>${body}</body></html>`,
  };
}

export function text(status: number, body: string, contentType = 'text/plain; charset=utf-8'): FakeAnswer {
  return { status, headers: { 'content-type': contentType }, text: body };
}

/** RFC 6749 §5.1: token responses MUST NOT be cached. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

interface Route {
  method: HttpRequest['method'] | 'ANY';
  prefix: string;
  handler: FakeHandler;
}

export interface Exchange {
  request: HttpRequest;
  response: HttpResponse;
}

/**
 * The providers' side of the network: each fake provider registers its endpoints here, and the
 * broker is built with `net.http`. The longest matching prefix answers; a URL no fake serves fails
 * the way fetchClient fails on an unknown host.
 */
export class FakeNet {
  readonly exchanges: Exchange[] = [];
  private readonly routes: Route[] = [];

  on(method: Route['method'], prefix: string, handler: FakeHandler): this {
    this.routes.push({ method, prefix, handler });
    return this;
  }

  readonly http: HttpClient = async (request) => {
    const parsed = new URL(request.url);
    const target = `${parsed.origin}${parsed.pathname}`;
    const route = this.routes
      .filter((r) => (r.method === 'ANY' || r.method === request.method) && target.startsWith(r.prefix))
      .sort((a, b) => b.prefix.length - a.prefix.length)[0];
    if (!route) {
      throw new HttpError(`${request.purpose}: cannot reach ${parsed.host} (no fake serves ${request.method} ${target})`, request.url);
    }
    const answer = await route.handler(fakeRequest(request, parsed));
    const response: HttpResponse = { status: answer.status, statusText: '', headers: answer.headers ?? {}, text: answer.text, url: request.url };
    this.exchanges.push({ request, response });
    return response;
  };

  /** Requests sent to URLs starting with `prefix` (query excluded), oldest first. */
  sent(prefix: string, method?: HttpRequest['method']): HttpRequest[] {
    return this.exchanges
      .map((e) => e.request)
      .filter((r) => (method === undefined || r.method === method) && stripQuery(r.url).startsWith(prefix));
  }

  last(prefix: string, method?: HttpRequest['method']): HttpRequest {
    const found = this.sent(prefix, method).at(-1);
    if (!found) throw new Error(`no request was sent to ${prefix}`);
    return found;
  }
}

function stripQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function fakeRequest(request: HttpRequest, parsed: URL): FakeRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    ...request,
    parsed,
    header: (name) => headers[name.toLowerCase()],
    form: () => new URLSearchParams(request.body ?? ''),
    json: () => {
      try {
        return JSON.parse(request.body ?? '');
      } catch {
        return undefined;
      }
    },
    basic: () => {
      const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(headers.authorization ?? '');
      if (!match) return undefined;
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return undefined;
      // RFC 6749 §2.3.1: both halves are form-urlencoded before they are joined.
      const unform = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
      return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
    },
  };
}

/** The bearer token of `Authorization: <scheme> <token>`, for the schemes a provider accepts. */
export function bearer(request: FakeRequest, schemes: readonly string[] = ['Bearer']): string | undefined {
  const match = /^(\S+)\s+(\S+)$/.exec(request.header('authorization') ?? '');
  if (!match || !schemes.some((s) => s.toLowerCase() === match[1]!.toLowerCase())) return undefined;
  return match[2];
}

// ---------------------------------------------------------------------------------------------
// The authorization endpoint, played in the test

/**
 * What a provider shows in the browser instead of redirecting back (an unregistered redirect_uri,
 * an unknown client): RFC 6749 §4.1.2.1 forbids redirecting then. The test sees it as a throw.
 */
export class ProviderPage extends Error {
  constructor(readonly provider: string, message: string) {
    super(`${provider} shows an error page: ${message}`);
    this.name = 'ProviderPage';
  }
}

/** The app as registered at a provider. */
export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  /** The redirect URI registered in the app settings (the broker's callback). */
  redirectUri: string;
}

/** The query of an authorization URL, after checking that it goes to `endpoint` (origin + path). */
export function authorizeQuery(provider: string, authorizeUrl: string, endpoint: string): URLSearchParams {
  const url = new URL(authorizeUrl);
  if (`${url.origin}${url.pathname}` !== endpoint) {
    throw new ProviderPage(provider, `404: ${url.origin}${url.pathname} is not the authorization endpoint ${endpoint}`);
  }
  return url.searchParams;
}

/** The redirect back to the client: the parameters the broker's /auth receives. */
export type Redirect = Record<string, string>;

/** An authorization code and what it was issued for. */
export interface Grant<User> {
  clientId: string;
  /** The redirect_uri of the authorization request, when it carried one. */
  redirectUri: string | undefined;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  nonce?: string;
  /** Every parameter of the authorization request, for provider-specific checks. */
  query: URLSearchParams;
  user: User;
}

/** Single-use codes (RFC 6749 §4.1.2: "MUST NOT use the authorization code more than once"). */
export class CodeBook<User> {
  private readonly live = new Map<string, Grant<User>>();
  private readonly used = new Set<string>();

  constructor(private readonly prefix: string) {}

  issue(grant: Grant<User>): string {
    const code = `${this.prefix}${randomBytes(12).toString('hex')}`;
    this.live.set(code, grant);
    return code;
  }

  /** The grant of a live code (and the code is spent), or why there is none. */
  redeem(code: string | null | undefined): Grant<User> | 'used' | 'unknown' {
    if (!code) return 'unknown';
    const grant = this.live.get(code);
    if (!grant) return this.used.has(code) ? 'used' : 'unknown';
    this.live.delete(code);
    this.used.add(code);
    return grant;
  }
}

/** Bearer tokens a fake issued, and to whom. */
export class TokenBook<Data> {
  private readonly tokens = new Map<string, Data>();

  issue(prefix: string, data: Data): string {
    const token = `${prefix}${randomBytes(16).toString('hex')}`;
    this.tokens.set(token, data);
    return token;
  }

  get(token: string | null | undefined): Data | undefined {
    return token ? this.tokens.get(token) : undefined;
  }
}

/**
 * RFC 7636 §4.6: the server recomputes the challenge from the verifier. Written here with
 * node:crypto, apart from src/oauth/pkce.ts.
 */
export function pkceVerifies(verifier: string | null, challenge: string, method = 'plain'): boolean {
  if (verifier === null || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const computed = method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  return sameString(computed, challenge);
}

export function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The grant of an authorization request, read the RFC 6749 §4.1.1 way. */
export function grantFrom<User>(query: URLSearchParams, user: User, scopes: string[]): Grant<User> {
  const grant: Grant<User> = {
    clientId: query.get('client_id') ?? '',
    redirectUri: query.get('redirect_uri') ?? undefined,
    scopes,
    query,
    user,
  };
  const challenge = query.get('code_challenge');
  if (challenge !== null) {
    grant.codeChallenge = challenge;
    grant.codeChallengeMethod = query.get('code_challenge_method') ?? 'plain';
  }
  const nonce = query.get('nonce');
  if (nonce !== null) grant.nonce = nonce;
  return grant;
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect: a signing key and its JWKS

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export class SigningKey {
  private constructor(
    readonly kid: string,
    private readonly privateKey: PrivateKey,
    readonly publicJwk: JWK,
  ) {}

  static async create(kid: string): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    return new SigningKey(kid, privateKey, publicJwk);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** An id_token (OIDC Core §2) signed with this key, issued now and valid for an hour. */
  async idToken(claims: JWTPayload): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iat: now, exp: now + 3600, ...claims }).setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' }).sign(this.privateKey);
  }
}

/** OIDC Core §3.1.3.6: at_hash, the left half of SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

// ---------------------------------------------------------------------------------------------
// OAuth 1.0a (RFC 5849): the server's signature check, by hand (ported from
// test/fixtures/oauth1-server.mjs; deliberately without the oauth-1.0a package)

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** §3.6: UTF-8 octets; unreserved characters kept; everything else %XX, upper-case hex. */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function percentDecode(value: string, plusIsSpace: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '%' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (char === '+' && plusIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...new TextEncoder().encode(char));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** application/x-www-form-urlencoded → pairs, by hand. */
function formPairs(body: string): Array<[string, string]> {
  return body
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return [percentDecode(eq === -1 ? part : part.slice(0, eq), true), percentDecode(eq === -1 ? '' : part.slice(eq + 1), true)];
    });
}

/** §3.5.1: `OAuth name="value", ...` → pairs, §3.6-decoded. */
function authorizationPairs(value: string | undefined): Array<[string, string]> | undefined {
  const match = /^\s*OAuth\s+(.*)$/is.exec(value ?? '');
  if (!match) return undefined;
  const pairs: Array<[string, string]> = [];
  for (const param of match[1]!.matchAll(/\s*([^\s=,]+)\s*=\s*"([^"]*)"\s*(?:,|$)/g)) {
    pairs.push([percentDecode(param[1]!, false), percentDecode(param[2]!, false)]);
  }
  return pairs;
}

/** §3.4.1.1–§3.4.1.3: the signature base string, by hand. */
function baseString(method: string, url: URL, pairs: Array<[string, string]>): string {
  const uri = `${url.protocol}//${url.host}${url.pathname}`;
  const normalized = pairs
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return [percentEncode(method.toUpperCase()), percentEncode(uri), percentEncode(normalized)].join('&');
}

/** Why a request failed verification, in the provider's own words. */
export class OAuth1Failure extends Error {
  constructor(readonly reason: 'unknown_consumer' | 'bad_signature' | 'unknown_token' | 'stale' | 'replayed' | 'malformed', message: string) {
    super(message);
    this.name = 'OAuth1Failure';
  }
}

/**
 * §3.2: a server's check of a signed request (HMAC-SHA1, the method Twitter/X documents): the
 * consumer, the token (when `tokenSecret` finds one), the signature over query, form body and
 * header parameters, the timestamp window and nonce replay. Returns the protocol parameters.
 */
export class OAuth1Verifier {
  private readonly nonces = new Set<string>();

  constructor(
    private readonly consumerKey: string,
    private readonly consumerSecret: string,
  ) {}

  verify(request: FakeRequest, tokenSecret: (token: string) => string | undefined, expectToken: boolean): Record<string, string> {
    const header = authorizationPairs(request.header('authorization'));
    if (!header) throw new OAuth1Failure('malformed', 'no OAuth Authorization header');
    const params = Object.fromEntries(header);
    if (params.oauth_consumer_key !== this.consumerKey) throw new OAuth1Failure('unknown_consumer', 'unknown consumer key');
    if (params.oauth_signature_method !== 'HMAC-SHA1') throw new OAuth1Failure('bad_signature', `signature method ${params.oauth_signature_method}`);
    let secret = '';
    if (expectToken) {
      const found = params.oauth_token === undefined ? undefined : tokenSecret(params.oauth_token);
      if (found === undefined) throw new OAuth1Failure('unknown_token', 'unknown or expired token');
      secret = found;
    } else if (params.oauth_token) {
      throw new OAuth1Failure('malformed', 'no token belongs in this request');
    }
    const contentType = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const pairs = [
      ...formPairs(request.parsed.search.slice(1)),
      ...(contentType === 'application/x-www-form-urlencoded' ? formPairs(request.body ?? '') : []),
      ...header.filter(([name]) => name !== 'realm' && name !== 'oauth_signature'),
    ];
    const key = `${percentEncode(this.consumerSecret)}&${percentEncode(secret)}`;
    const expected = createHmac('sha1', key).update(baseString(request.method, request.parsed, pairs)).digest('base64');
    if (!sameString(expected, params.oauth_signature ?? '')) throw new OAuth1Failure('bad_signature', 'the signature does not match');
    const now = Math.floor(Date.now() / 1000);
    if (Math.abs(Number(params.oauth_timestamp) - now) > 300) throw new OAuth1Failure('stale', 'timestamp outside the window');
    const nonceKey = `${params.oauth_token ?? ''}&${params.oauth_timestamp}&${params.oauth_nonce}`;
    if (this.nonces.has(nonceKey)) throw new OAuth1Failure('replayed', 'nonce used before');
    this.nonces.add(nonceKey);
    return params;
  }
}
