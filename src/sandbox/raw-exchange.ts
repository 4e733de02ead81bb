/**
 * Standing between a request and oidc-provider, which reads and writes node's raw request and
 * response itself (a Koa app): reading a body first and handing oidc-provider a copy of the
 * request with that body (or another one), and catching its answer before it is sent so that it
 * can be rewritten (a fault, a look-alike's shape).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';

/** A request body, read whole, refused past `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > limit) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A copy of `request` whose body is `body`: what oidc-provider reads instead of the original
 * (already consumed) stream. It carries the original's socket, so the peer's address and the
 * connection's state are the real ones.
 */
export function requestWithBody(request: IncomingMessage & { originalUrl?: string }, body: Buffer, headers: IncomingMessage['headers'] = request.headers): IncomingMessage {
  const copy = new PassThrough() as unknown as IncomingMessage & { originalUrl?: string };
  Object.assign(copy, {
    headers: { ...headers, 'content-length': String(body.length) },
    rawHeaders: [],
    method: request.method,
    url: request.url,
    originalUrl: request.originalUrl,
    httpVersion: request.httpVersion,
    httpVersionMajor: request.httpVersionMajor,
    httpVersionMinor: request.httpVersionMinor,
    socket: request.socket,
    connection: request.socket,
    complete: true,
  });
  (copy as unknown as PassThrough).end(body);
  return copy;
}

/** An answer as oidc-provider meant to send it. */
export interface CaughtAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/**
 * Catches what is written to `response` until it ends, without sending anything; the caller then
 * sends the (rewritten) answer with `send`. The response's own methods are restored first, so
 * the caller writes for real.
 */
export function catchAnswer(response: ServerResponse): Promise<CaughtAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const original = { write: response.write, end: response.end, writeHead: response.writeHead };
    const toBuffer = (chunk: unknown, encoding?: unknown) =>
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');

    response.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      response.statusCode = status;
      const headers = rest.find((item) => item !== null && typeof item === 'object') as OutgoingHttpHeaders | undefined;
      for (const [name, value] of Object.entries(headers ?? {})) {
        if (value !== undefined) response.setHeader(name, value);
      }
      return response;
    } as ServerResponse['writeHead'];
    response.write = function (chunk: unknown, encoding?: unknown, callback?: unknown) {
      chunks.push(toBuffer(chunk, encoding));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    } as ServerResponse['write'];
    response.end = function (chunk?: unknown, encoding?: unknown, callback?: unknown) {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBuffer(chunk, encoding));
      response.write = original.write;
      response.end = original.end;
      response.writeHead = original.writeHead;
      const done = [chunk, encoding, callback].find((item) => typeof item === 'function');
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      resolve({ status: response.statusCode, headers: response.getHeaders(), body: Buffer.concat(chunks) });
      return response;
    } as ServerResponse['end'];
  });
}

/** Sends an answer on a response whose headers have not gone yet (Content-Length recomputed). */
export function sendAnswer(response: ServerResponse, answer: CaughtAnswer): void {
  if (response.headersSent || response.destroyed) return;
  response.statusCode = answer.status;
  for (const name of response.getHeaderNames()) {
    if (!(name in answer.headers)) response.removeHeader(name);
  }
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined) response.setHeader(name, value);
  }
  response.setHeader('content-length', String(answer.body.length));
  response.end(answer.body);
}
