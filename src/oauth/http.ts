/**
 * The one way the protocol code talks HTTP. Every request and response passes through here, so a
 * trace or a HAR transcript sees all of them, and tests can answer with a fake.
 */
import { lowerCaseKeys } from '../util/headers.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** What the request is for, in a few words ("token request", "discovery"). */
  purpose: string;
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
      const response = await fetch(request.url, {
        method: request.method,
        headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
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

/** Headers as a map; several Set-Cookie fields (which cannot be comma-joined safely) are joined by newlines. */
function headerMap(headers: Headers): Record<string, string> {
  const map = Object.fromEntries(headers);
  const cookies = headers.getSetCookie();
  if (cookies.length > 1) map['set-cookie'] = cookies.join('\n');
  return map;
}


export class HttpError extends Error {
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** fetch's "fetch failed" says nothing; name the host and the real cause. */
function describeFetchError(error: unknown, request: HttpRequest, timeoutMs: number): HttpError {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const host = safeHost(request.url);
  if (err.name === 'TimeoutError') {
    return new HttpError(`${request.purpose}: ${host} did not answer within ${timeoutMs / 1000} s`, request.url);
  }
  const code = err.cause?.code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host not found'
        : (err.cause?.message ?? err.message);
  return new HttpError(`${request.purpose}: cannot reach ${host} (${reason})`, request.url);
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
