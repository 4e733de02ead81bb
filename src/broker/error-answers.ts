/**
 * What the broker answers when no route did: an error thrown by a route or by fastify itself, a
 * URL fastify cannot route, a CONNECT that node:http never routes, a request that stops arriving.
 *
 * The rule: never a 5xx for someone else's fault. A client error keeps its 4xx — fastify's own
 * (415 unsupported media type, 413 body too large, 400 malformed JSON or a failed schema), and
 * any error carrying a 4xx status. 500 is left for true bugs: logged, and said as "internal error"
 * only, never with the error's text or stack. An error that is no bug but no client's fault
 * either (a provider down, the secret store unreadable) answers 502/503/504. A flow's error (a
 * protocol error, a provider that cannot work as configured) answers by whose fault it is
 * (faultOf), here and in the routes that answer it themselves (upstream.ts).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RequestRefusedError } from '../oauth/errors.js';
import { ProviderConfigurationError } from '../providers/errors.js';
import { CliError } from '../util/errors.js';
import { isFlowError, type FlowError } from '../oauth/outcome.js';

/**
 * Longest time a client may take to send one whole request (head and body) before it is answered
 * 408 and the connection closed. OAuth requests are small: a client this slow is stalling (a
 * body shorter than its Content-Length, a slowloris), and would otherwise hold a socket forever.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Fastify options that make node:http enforce REQUEST_TIMEOUT_MS. Node counts a stalled *body*
 * only when the server is constructed with a request timeout (`http.requestTimeout`); fastify
 * then sets `server.requestTimeout` from its own option, so both carry the value. Connections are
 * checked every second (node's default is 30 s, which would let a stalled request wait 40 s).
 */
export const REQUEST_TIMEOUT_OPTIONS = {
  requestTimeout: REQUEST_TIMEOUT_MS,
  http: { requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 },
};

type AnyError = FastifyError & { status?: unknown };

/**
 * Whose fault a flow's error is, as the broker answers it:
 *   caller:   the request asks for what cannot be sent (a token to a foreign origin, a state too
 *             long for providers);
 *   broker:   its own configuration cannot serve it now (a provider that cannot work as described;
 *             a CliError, which reaches the broker only from the config layer: a secret reference
 *             it cannot read, src/config/secrets.ts);
 *   provider: the provider refused, answered what cannot be read, or could not be reached.
 */
export type Fault = 'caller' | 'broker' | 'provider';

export function faultOf(error: FlowError): Fault {
  if (error instanceof RequestRefusedError) return 'caller';
  if (error instanceof ProviderConfigurationError || error instanceof CliError) return 'broker';
  return 'provider';
}

/** What a flow's error that no route answered means for the caller. */
const FAULT_STATUS: Record<Fault, number> = {
  caller: 400,
  provider: 502,
  broker: 503,
};

/**
 * The status an error answers with: its own when it is a client error (4xx) or an upstream or
 * store fault it declares (502, 503, 504); a flow's error by whose fault it is; anything else is a
 * bug (500).
 */
export function errorStatus(error: AnyError): number {
  const thrown: unknown = error;
  if (isFlowError(thrown)) return FAULT_STATUS[faultOf(thrown)];
  for (const candidate of [error.statusCode, error.status]) {
    if (typeof candidate !== 'number' || !Number.isInteger(candidate)) continue;
    if ((candidate >= 400 && candidate < 500) || candidate === 502 || candidate === 503 || candidate === 504) return candidate;
  }
  return 500;
}

/** The message an error answers with: what was wrong, except for a bug, which says nothing more. */
export function errorMessage(error: AnyError, status: number): string {
  if (status === 500) return 'internal error';
  return error.validation ? `bad request: ${error.message}` : error.message;
}

/** The largest announced body read and thrown away after a 413 rather than cut off. */
const MAX_DRAINED_BODY = 16 * 1024 * 1024;

/**
 * A body over the limit (413) while the client is still sending it: fastify marks the connection
 * `close`, and closing a socket with unread data makes the kernel reset it, so a client still
 * writing a body of a few megabytes gets EPIPE or ECONNRESET, often before it can read the 413.
 * Without `close`, node reads the rest and throws it away (within REQUEST_TIMEOUT_MS), and the
 * client gets its answer. Only for a body whose announced length is bounded; a body that was read
 * to the end (malformed JSON) keeps fastify's `close`: nothing is left to read.
 */
export function keepReadingAfter(error: AnyError, reply: FastifyReply, request: FastifyRequest): void {
  if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE' || request.raw.complete) return;
  const announced = Number(request.headers['content-length']);
  if (!Number.isSafeInteger(announced) || announced > MAX_DRAINED_BODY) return;
  reply.removeHeader('connection');
  const socket = request.raw.socket;
  answeredWhileReading.add(socket);
  request.raw.once('end', () => answeredWhileReading.delete(socket));
}

/**
 * Sockets whose request has its answer (a 413) while its body is still being read: if that body
 * then stalls, the request timeout closes the socket without a second answer.
 */
const answeredWhileReading = new WeakSet<object>();

/** A whole HTTP/1.1 answer in the broker's envelope, for sockets no route holds. */
function socketAnswer(status: number, message: string, headers: Record<string, string>, extra: string[] = []): string {
  const body = JSON.stringify({ status: 'fail', message });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...extra,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * CONNECT asks for a tunnel, which the broker is not: node:http hands it to 'connect' listeners
 * and, with none, drops the connection without a word. It gets a 405 in the broker's envelope.
 */
export function connectRefusal(headers: Record<string, string>): string {
  return socketAnswer(405, 'CONNECT is not served: this is an OAuth broker, not a proxy', headers, ['Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS']);
}

/**
 * node:http's 'clientError': a request it cannot parse (400), headers over its size limit (431),
 * or one that did not arrive within REQUEST_TIMEOUT_MS (408). The answer is the broker's
 * envelope with its headers, written only when no answer has started on the socket (a keep-alive
 * socket may already carry one), and the connection is closed, as node does by default.
 */
export function clientErrorAnswer(headers: Record<string, string>) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, `the request did not arrive within ${REQUEST_TIMEOUT_MS / 1000} s`]
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'the request headers are too large']
          : [400, 'malformed HTTP request'];
    const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (socket.writable && !current?.headersSent && !answeredWhileReading.has(socket)) socket.write(socketAnswer(status, message, headers));
    socket.destroy(error);
  };
}
