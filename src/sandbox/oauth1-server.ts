/**
 * The provider's side of OAuth 1.0a (RFC 5849), for the look-alike of an OAuth 1.0a catalog
 * provider (`sandbox --as twitter`): temporary credentials (§2.1), the verifier once the user has
 * approved (§2.2), token credentials (§2.3), and the check of every signed request (§3.2).
 *
 * The signature is computed by the `oauth-1.0a` package from what arrived (the package builds the
 * base string, §3.4.1, and the signing key, §3.4.2), and compared in constant time. This module
 * reads what the package cannot: the Authorization header (§3.5.1), the request's parameters from
 * the query and a form body, decoded (§3.4.1.3.1), and the base string URI (§3.4.1.2). Beside the
 * signature, §3.2 asks for a fresh timestamp and a nonce never seen with it (a replay is refused).
 *
 * Refusals use the OAuth Problem Reporting extension (`oauth_problem=signature_invalid`,
 * form-encoded), which clients that read it (ours among them) turn into words.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import OAuth from 'oauth-1.0a';
import { randomToken } from '../util/random.js';

/** The methods a server can check with a shared secret (RSA-SHA1 would need the client's public key). */
export type SharedSecretMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT';

export function isSharedSecretMethod(method: string): method is SharedSecretMethod {
  return method === 'HMAC-SHA1' || method === 'HMAC-SHA256' || method === 'PLAINTEXT';
}

/** A request as it arrived, with the URLs its signature may have been made for. */
export interface ArrivedRequest {
  method: string;
  /**
   * The URL as received (the sandbox's), and the provider's own for the same path: an app that
   * points its base URLs at the sandbox signs the former, one whose HTTP layer swaps the origin
   * after signing (a proxy, a test's client) the latter. Either signature is the client's.
   */
  urls: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A refusal in the Problem Reporting extension's words. */
export class OAuth1Problem extends Error {
  constructor(
    readonly problem: string,
    readonly advice: string,
    readonly status: 400 | 401 = 401,
    readonly extra: Record<string, string> = {},
  ) {
    super(`${problem}: ${advice}`);
    this.name = 'OAuth1Problem';
  }

  /** The form-encoded body: oauth_problem, oauth_problem_advice and the details. */
  body(): string {
    return new URLSearchParams({ oauth_problem: this.problem, oauth_problem_advice: this.advice, ...this.extra }).toString();
  }
}

interface Temporary {
  secret: string;
  callback: string;
  created: number;
  verifier?: string;
  accountId?: string;
  /** The PKCE verifier of the sandbox's own authorization request behind the sign-in page. */
  codeVerifier: string;
}

interface TokenCredentials {
  secret: string;
  accountId: string;
}

/** §3.3: the timestamp window a server accepts, either way. */
const WINDOW_SECONDS = 300;
const TEMPORARY_TTL_MS = 10 * 60 * 1000;
/** Bounds, so that a client in a loop cannot grow the sandbox without end. */
const MAX_ENTRIES = 10_000;

export class OAuth1Server {
  private readonly temporary = new Map<string, Temporary>();
  private readonly tokens = new Map<string, TokenCredentials>();
  /** "token&timestamp&nonce" → timestamp in seconds (§3.3). */
  private readonly nonces = new Map<string, number>();
  private readonly signer: OAuth;

  constructor(
    private readonly consumer: { key: string; secret: string },
    private readonly method: SharedSecretMethod,
    private readonly now: () => number = Date.now,
  ) {
    this.signer = new OAuth({ consumer: { key: consumer.key, secret: consumer.secret }, signature_method: method, hash_function: hashFunction(method) });
  }

  /** §2.1: temporary credentials for a client whose request checked out, its callback kept. */
  issueTemporary(callback: string): { token: string; secret: string } {
    const token = randomToken(24);
    const secret = randomToken(24);
    bounded(this.temporary).set(token, { secret, callback, created: this.now(), codeVerifier: randomToken() });
    return { token, secret };
  }

  /** The pending authorization of a temporary token, while it is fresh. */
  pending(token: string): Readonly<Temporary> | undefined {
    return this.fresh(token);
  }

  private fresh(token: string): Temporary | undefined {
    const entry = this.temporary.get(token);
    if (!entry) return undefined;
    if (this.now() - entry.created > TEMPORARY_TTL_MS) {
      this.temporary.delete(token);
      return undefined;
    }
    return entry;
  }

  /** S256 of the PKCE verifier of the sandbox's own authorization request for this token (RFC 7636 §4.2). */
  codeChallenge(token: string): string | undefined {
    const entry = this.pending(token);
    return entry ? createHash('sha256').update(entry.codeVerifier).digest('base64url') : undefined;
  }

  /** §2.2: the user approved as `accountId`; the verifier the callback carries. */
  approve(token: string, accountId: string): string | undefined {
    const entry = this.fresh(token);
    if (!entry) return undefined;
    entry.verifier = randomToken(16);
    entry.accountId = accountId;
    return entry.verifier;
  }

  /** The user declined: the temporary credentials are gone. */
  deny(token: string): void {
    this.temporary.delete(token);
  }

  /** §2.3: token credentials for a temporary token whose verifier matches; the temporary token is spent. */
  exchange(token: string, verifier: string | undefined): { token: string; secret: string; accountId: string } {
    const entry = this.pending(token);
    if (!entry?.verifier || !entry.accountId || verifier === undefined || !sameString(verifier, entry.verifier)) {
      throw new OAuth1Problem('verifier_invalid', 'the oauth_verifier does not belong to this request token, or the user has not approved it yet');
    }
    this.temporary.delete(token);
    const issued = { token: randomToken(24), secret: randomToken(32), accountId: entry.accountId };
    bounded(this.tokens).set(issued.token, { secret: issued.secret, accountId: issued.accountId });
    return issued;
  }

  /** The user behind token credentials. */
  accountOf(token: string): string | undefined {
    return this.tokens.get(token)?.accountId;
  }

  /**
   * §3.2: the request's signature, timestamp and nonce checked, with the client credentials and,
   * for `temporary` or `token`, the secret of the oauth_token it names. Returns the protocol
   * parameters; throws OAuth1Problem.
   */
  verify(request: ArrivedRequest, kind: 'client' | 'temporary' | 'token'): Record<string, string> {
    const url = new URL(request.urls[0]!);
    const formBody = isFormEncoded(request.headers) ? [...new URLSearchParams(request.body.toString('utf8'))] : [];
    const protocol = protocolParams(request.headers, [...url.searchParams, ...formBody]);

    const missing = ['oauth_consumer_key', 'oauth_signature_method', 'oauth_signature', ...(this.method === 'PLAINTEXT' ? [] : ['oauth_timestamp', 'oauth_nonce']), ...(kind === 'client' ? [] : ['oauth_token'])].filter(
      (name) => protocol[name] === undefined,
    );
    if (missing.length > 0) throw new OAuth1Problem('parameter_absent', 'the request lacks OAuth parameters', 400, { oauth_parameters_absent: missing.join('&') });
    if (protocol.oauth_version !== undefined && protocol.oauth_version !== '1.0') {
      throw new OAuth1Problem('version_rejected', 'only oauth_version 1.0 is spoken here', 400, { oauth_acceptable_versions: '1.0-1.0' });
    }
    if (!sameString(protocol.oauth_consumer_key!, this.consumer.key)) throw new OAuth1Problem('consumer_key_unknown', 'use the sandbox\'s client id as the consumer key');
    if (protocol.oauth_signature_method !== this.method) {
      throw new OAuth1Problem('signature_method_rejected', `this provider signs with ${this.method}`, 400);
    }
    const tokenSecret = kind === 'client' ? '' : this.secretOf(protocol.oauth_token!, kind);
    if (tokenSecret === undefined) throw new OAuth1Problem('token_rejected', kind === 'temporary' ? 'unknown or expired request token' : 'unknown token credentials');

    if (this.method !== 'PLAINTEXT') {
      const timestamp = Number(protocol.oauth_timestamp);
      const nowSeconds = Math.floor(this.now() / 1000);
      if (!/^\d{1,12}$/.test(protocol.oauth_timestamp!) || Math.abs(nowSeconds - timestamp) > WINDOW_SECONDS) {
        throw new OAuth1Problem('timestamp_refused', 'the timestamp is too far from the sandbox\'s clock', 401, {
          oauth_acceptable_timestamps: `${nowSeconds - WINDOW_SECONDS}-${nowSeconds + WINDOW_SECONDS}`,
        });
      }
    }

    // §3.4.1.3.1: every parameter of the query and the form body, and the header's protocol
    // parameters, except realm and oauth_signature.
    const { realm: _realm, oauth_signature: signature, ...signed } = protocol;
    const data: Record<string, string | string[]> = {};
    for (const [name, value] of [...url.searchParams, ...formBody]) {
      if (name === 'oauth_signature') continue;
      const seen = data[name];
      data[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    const matches = request.urls.some((candidate) => {
      const expected = this.signer.getSignature({ method: request.method.toUpperCase(), url: baseStringUri(candidate), data }, tokenSecret, { ...signed } as unknown as OAuth.Data);
      return sameString(expected, signature!);
    });
    if (!matches) throw new OAuth1Problem('signature_invalid', 'the signature does not match the request, the consumer secret and the token secret');

    if (this.method !== 'PLAINTEXT') this.checkNonce(`${protocol.oauth_token ?? ''}&${protocol.oauth_timestamp}&${protocol.oauth_nonce}`, Number(protocol.oauth_timestamp));
    return protocol;
  }

  private secretOf(token: string, kind: 'temporary' | 'token'): string | undefined {
    return kind === 'temporary' ? this.pending(token)?.secret : this.tokens.get(token)?.secret;
  }

  /** §3.3: a nonce is used once per timestamp; those past the window are forgotten (the timestamp check refuses them). */
  private checkNonce(key: string, timestamp: number): void {
    if (this.nonces.has(key)) throw new OAuth1Problem('nonce_used', 'this request was seen before (a replay)');
    if (this.nonces.size >= MAX_ENTRIES) {
      const oldest = Math.floor(this.now() / 1000) - WINDOW_SECONDS;
      for (const [seen, at] of this.nonces) if (at < oldest) this.nonces.delete(seen);
    }
    bounded(this.nonces).set(key, timestamp);
  }
}

/** §3.5.1: `Authorization: OAuth name="value", …` (values percent-encoded); else the oauth_ parameters of the query or body (§3.5.2, §3.5.3). */
function protocolParams(headers: IncomingHttpHeaders, pairs: Array<[string, string]>): Record<string, string> {
  const params: Record<string, string> = {};
  const header = headers.authorization;
  if (typeof header === 'string' && /^OAuth\s/i.test(header)) {
    for (const part of header.replace(/^OAuth\s+/i, '').split(',')) {
      const match = /^\s*([A-Za-z0-9_.~%-]+)="([^"]*)"\s*$/.exec(part);
      if (!match) continue;
      try {
        params[decodeURIComponent(match[1]!)] = decodeURIComponent(match[2]!);
      } catch {
        throw new OAuth1Problem('parameter_rejected', 'the Authorization header holds a value that is not percent-encoded', 400);
      }
    }
    return params;
  }
  for (const [name, value] of pairs) if (name.startsWith('oauth_')) params[name] = value;
  return params;
}

/** §3.4.1.2: lower-case scheme and host, the default port dropped, no query: what WHATWG URL gives. */
function baseStringUri(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

function isFormEncoded(headers: IncomingHttpHeaders): boolean {
  return String(headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** The package calls this with the base string and the key "secret&tokenSecret" (§3.4.2, §3.4.4). */
function hashFunction(method: SharedSecretMethod): OAuth.HashFunction {
  switch (method) {
    case 'HMAC-SHA1':
      return (base, key) => createHmac('sha1', key).update(base).digest('base64');
    case 'HMAC-SHA256':
      return (base, key) => createHmac('sha256', key).update(base).digest('base64');
    case 'PLAINTEXT':
      return (_base, key) => key;
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The map with its oldest entry dropped once it holds MAX_ENTRIES. */
function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as K);
  return map;
}
