/**
 * The one way the protocol code talks HTTP. Every request and response passes through here, so a
 * trace or a HAR transcript sees all of them, and tests can answer with a fake.
 */
import { lowerCaseKeys } from '../util/headers.js';
import type { ClientCertificate } from './mtls.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** What the request is for, in a few words ("token request", "discovery"). */
  purpose: string;
  /**
   * RFC 8705: the client certificate this request shows in the TLS handshake (mTLS client
   * authentication, or a certificate-bound token). Never recorded: traces see the request only.
   */
  tls?: ClientCertificate;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  /** Raw body as text; bodies the protocol reads are small. */
  text: string;
  url: string;
}

export interface HttpObserver {
  (exchange: { request: HttpRequest; response?: HttpResponse; error?: Error; startedAt: number; durationMs: number }): void;
}

export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

export interface FetchClientOptions {
  timeoutMs?: number;
  observe?: HttpObserver;
  userAgent?: string;
}

export const DEFAULT_USER_AGENT = 'oauthd-cli';

/** An HttpClient on fetch: no redirects followed (a token endpoint that redirects is a finding). */
export function fetchClient(options: FetchClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async (request) => {
    const startedAt = Date.now();
    const headers = { 'user-agent': options.userAgent ?? DEFAULT_USER_AGENT, ...lowerCaseKeys(request.headers) };
    let result: HttpResponse;
    try {
      const init = { method: request.method, headers, body: request.body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) } as const;
      const response = request.tls === undefined ? await fetch(request.url, init) : await fetchWithCertificate(request.url, init, request.tls);
      result = {
        status: response.status,
        statusText: response.statusText,
        headers: headerMap(response.headers),
        text: await response.text(),
        url: request.url,
      };
    } catch (error) {
      const failure = describeFetchError(error, request, timeoutMs);
      options.observe?.({ request: { ...request, headers }, error: failure, startedAt, durationMs: Date.now() - startedAt });
      throw failure;
    }
    // Outside the try: an observer's own trouble must not turn a good answer into a failed request.
    options.observe?.({ request: { ...request, headers }, response: result, startedAt, durationMs: Date.now() - startedAt });
    return result;
  };
}

/**
 * fetch over a connection that shows `certificate` (RFC 8705 §2): undici's own fetch with an agent
 * whose TLS options carry the certificate and key (Node's global fetch takes no TLS options). One
 * agent per certificate, so its connections are reused; undici is loaded only when mTLS is used.
 */
const agents = new WeakMap<ClientCertificate, Promise<import('undici').Agent>>();

async function fetchWithCertificate(url: string, init: RequestInit & { redirect: 'manual' }, certificate: ClientCertificate): Promise<Response> {
  const undici = await import('undici');
  let agent = agents.get(certificate);
  if (agent === undefined) {
    agent = Promise.resolve(
      new undici.Agent({ connect: { cert: certificate.certPem, key: certificate.keyPem, ...(certificate.ca !== undefined ? { ca: certificate.ca } : {}) } }),
    );
    agents.set(certificate, agent);
  }
  const response = await undici.fetch(url, { ...(init as object), dispatcher: await agent } as Parameters<typeof undici.fetch>[1]);
  return response as unknown as Response;
}

/** Headers as a map; several Set-Cookie fields (which cannot be comma-joined safely) are joined by newlines. */
function headerMap(headers: Headers): Record<string, string> {
  const map = Object.fromEntries(headers);
  const cookies = headers.getSetCookie();
  if (cookies.length > 1) map['set-cookie'] = cookies.join('\n');
  return map;
}


/**
 * Why a request got no HTTP answer: no answer in time, no connection (refused, unknown host,
 * reset), a TLS handshake that failed (certificate refused, not TLS at all), or bytes that are not
 * HTTP. The edges map these to statuses (the broker: 504 for a timeout, 502 otherwise).
 */
export type HttpFailure = 'timeout' | 'unreachable' | 'tls' | 'protocol';

/**
 * A request without an answer. The message is in our words only (purpose, host, the failure):
 * the library's own text (a TLS alert, a parser position) stays in `cause`, for --debug, because
 * it can describe a host the caller should learn nothing about.
 */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly failure: HttpFailure = 'unreachable',
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
  }
}

/** Certificate problems Node reports by code, in words a developer can act on. */
const CERTIFICATE_PROBLEMS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in a self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is not from a trusted authority',
  UNABLE_TO_GET_ISSUER_CERT: 'its certificate is not from a trusted authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is not from a trusted authority',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet',
  CERT_REVOKED: 'its certificate is revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is for another host name',
};

const CONNECTION_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the host',
};

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** fetch's "fetch failed" says nothing; name the host and the cause, in our words. */
function describeFetchError(error: unknown, request: HttpRequest, timeoutMs: number): HttpError {
  const err = error as Error & { cause?: { code?: string } };
  const host = safeHost(request.url);
  const code = err.cause?.code ?? (err as { code?: string }).code ?? '';
  const fail = (failure: HttpFailure, what: string) => new HttpError(`${request.purpose}: ${what}`, request.url, failure, { cause: error });
  if (err.name === 'TimeoutError' || TIMEOUT_CODES.has(code)) return fail('timeout', `${host} did not answer within ${timeoutMs / 1000} s`);
  const certificate = CERTIFICATE_PROBLEMS[code];
  if (certificate !== undefined) return fail('tls', `cannot reach ${host} (TLS: ${certificate})`);
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') return fail('tls', `cannot reach ${host} (the TLS handshake failed)`);
  // llhttp's codes: the server answered with bytes that are not HTTP.
  if (code.startsWith('HPE_') || code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return fail('protocol', `${host} answered with something that is not HTTP`);
  }
  return fail('unreachable', `cannot reach ${host} (${CONNECTION_PROBLEMS[code] ?? 'network error'})`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function header(response: HttpResponse, name: string): string | undefined {
  return response.headers[name.toLowerCase()];
}
