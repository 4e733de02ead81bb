/**
 * The sandbox as a mock identity provider: the faults of ./faults.ts made to happen around
 * oidc-provider, each where it belongs.
 *
 *   back channel     transport faults in front of oidc-provider (latency, an HTML 502, a 503 with
 *                    Retry-After, a dropped connection), before it sees the request
 *   token endpoint   the request read first (its grant type decides what acts: invalid_grant for a
 *                    code or a refresh, slow_down for a device poll, refresh rotation), then
 *                    oidc-provider's answer caught and rewritten (the id_token faults, error-in-200,
 *                    the shape faults) before it is sent
 *   authorization    the authorization response's Location rewritten (RFC 9207's iss left out or
 *                    replaced)
 *
 * Nothing here runs for a `serve --sandbox` or a `login sandbox`: server.ts calls it only when
 * the sandbox was opened with faults (the `sandbox` command).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultSet } from './faults.js';
import { ID_TOKEN_FAULTS, type IdTokenFault, type IdTokenForger, FORGED } from './id-token-faults.js';
import { catchAnswer, readBody, requestWithBody, sendAnswer, type CaughtAnswer } from './raw-exchange.js';

/** oidc-provider's routes, relative to the issuer. */
export type Endpoint =
  | 'discovery'
  | 'jwks'
  | 'authorization'
  | 'resume'
  | 'token'
  | 'userinfo'
  | 'introspection'
  | 'revocation'
  | 'device-authorization'
  | 'device-verification'
  | 'end-session'
  | 'other';

export function endpointOf(path: string): Endpoint {
  const route = path.split('?')[0] ?? '';
  if (route.startsWith('/.well-known/')) return 'discovery';
  switch (route) {
    case '/jwks':
      return 'jwks';
    case '/auth':
      return 'authorization';
    case '/token':
      return 'token';
    case '/me':
      return 'userinfo';
    case '/token/introspection':
      return 'introspection';
    case '/token/revocation':
      return 'revocation';
    case '/device/auth':
      return 'device-authorization';
    default:
      if (route.startsWith('/auth/')) return 'resume';
      if (route === '/device' || route.startsWith('/device/')) return 'device-verification';
      if (route.startsWith('/session/end')) return 'end-session';
      return 'other';
  }
}

/** Where a client calls with its credentials or a token: the transport faults' ground. */
const BACK_CHANNEL = new Set<Endpoint>(['token', 'userinfo', 'introspection', 'revocation', 'device-authorization']);

export function isBackChannel(endpoint: Endpoint): boolean {
  return BACK_CHANNEL.has(endpoint);
}

/** A JSON answer with the headers of RFC 6749 §5.1. */
function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): CaughtAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** Sends `answer` with the headers already on the response (the security headers) kept. */
export function answerOn(response: ServerResponse, answer: CaughtAnswer): void {
  sendAnswer(response, { ...answer, headers: { ...response.getHeaders(), ...answer.headers } });
}

const GATEWAY_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>' +
  '<hr><center>sandbox (fault html-502)</center></body></html>\n';

/**
 * The transport faults, for a back-channel request: a delay, then an answer that is not the
 * provider's (or none at all). True when the request was answered (or dropped) here.
 */
export async function transportFault(faults: FaultSet, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const latency = faults.take('latency');
  if (latency?.value) await sleep(latency.value);
  if (faults.take('drop-connection')) {
    // Closed without a byte: what a crashed upstream or a load balancer's idle cut looks like.
    request.socket.destroy();
    return true;
  }
  if (faults.take('html-502')) {
    answerOn(response, { status: 502, headers: { 'content-type': 'text/html; charset=utf-8' }, body: Buffer.from(GATEWAY_PAGE) });
    return true;
  }
  const unavailable = faults.take('unavailable');
  if (unavailable) {
    const seconds = unavailable.value ?? 30;
    // RFC 9110 §15.6.4 and §10.2.3: 503 with the time to wait.
    answerOn(response, jsonAnswer(503, { error: 'temporarily_unavailable', error_description: `the sandbox is unavailable (fault unavailable); retry after ${seconds} s` }, { 'retry-after': String(seconds) }));
    return true;
  }
  return false;
}

/** What the token endpoint needs beside the faults. */
export interface TokenEndpointContext {
  faults: FaultSet;
  forger: IdTokenForger;
  /** oidc-provider's request handler. */
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Marks a request whose refresh token rotates (refresh-reuse-revokes). */
  rotateRefresh: WeakSet<IncomingMessage>;
  /** The request's body in the form oidc-provider takes, when a look-alike sent it otherwise. */
  translateRequest?: (body: Buffer, headers: IncomingMessage['headers']) => { body: Buffer; headers: IncomingMessage['headers'] };
  /** The answer in the look-alike's shape. */
  shapeAnswer?: (answer: CaughtAnswer, request: { grantType: string | undefined; headers: IncomingMessage['headers'] }) => CaughtAnswer;
}

const TOKEN_BODY_LIMIT = 64 * 1024;

/** A token request: read, answered by a fault or by oidc-provider, rewritten, sent. */
export async function tokenEndpoint(context: TokenEndpointContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const read = await readBody(request, TOKEN_BODY_LIMIT);
  if (read === 'too-large') {
    answerOn(response, jsonAnswer(413, { error: 'invalid_request', error_description: `the request body is larger than ${TOKEN_BODY_LIMIT} bytes` }));
    return;
  }
  const translated = clientAuthAsBasic(context.translateRequest ? context.translateRequest(read, request.headers) : { body: read, headers: request.headers });
  const grantType = new URLSearchParams(translated.body.toString('utf8')).get('grant_type') ?? undefined;
  const { faults } = context;

  let answer: CaughtAnswer;
  const preAnswer = answerBeforeProvider(faults, grantType);
  if (preAnswer) {
    answer = { ...preAnswer, headers: { ...response.getHeaders(), ...preAnswer.headers } };
  } else {
    const forwarded = requestWithBody(request, translated.body, translated.headers);
    if (grantType === 'refresh_token' && faults.take('refresh-reuse-revokes')) context.rotateRefresh.add(forwarded);
    const caught = catchAnswer(response);
    context.handler(forwarded, response);
    answer = await caught;
  }
  answer = await rewriteTokenAnswer(context, answer);
  if (context.shapeAnswer) answer = context.shapeAnswer(answer, { grantType, headers: request.headers });
  answer = encodeTokenAnswer(faults, answer);
  sendAnswer(response, answer);
}

/**
 * RFC 6749 §2.3.1: a client may send its secret in the body (client_secret_post) or with HTTP
 * Basic. oidc-provider takes the one method the client registered (basic), so a secret in the
 * body is moved into the header, each half form-encoded first as §2.3.1 says.
 */
export function clientAuthAsBasic(request: { body: Buffer; headers: IncomingMessage['headers'] }, keepClientId = false): { body: Buffer; headers: IncomingMessage['headers'] } {
  const contentType = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded' || request.headers.authorization !== undefined) return request;
  const fields = new URLSearchParams(request.body.toString('utf8'));
  const id = fields.get('client_id');
  const secret = fields.get('client_secret');
  if (id === null || secret === null) return request;
  // A pushed authorization request keeps client_id: it is one of the request's parameters (RFC 9126 §2.1).
  if (!keepClientId) fields.delete('client_id');
  fields.delete('client_secret');
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  const basic = Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64');
  return { body: Buffer.from(fields.toString()), headers: { ...request.headers, authorization: `Basic ${basic}` } };
}

/** A back-channel request (introspection, revocation, device authorization, a look-alike's PAR) with its client authentication as oidc-provider takes it. */
export async function withClientAuthAsBasic(request: IncomingMessage, response: ServerResponse, keepClientId = false): Promise<IncomingMessage | undefined> {
  const read = await readBody(request, TOKEN_BODY_LIMIT);
  if (read === 'too-large') {
    answerOn(response, jsonAnswer(413, { error: 'invalid_request', error_description: `the request body is larger than ${TOKEN_BODY_LIMIT} bytes` }));
    return undefined;
  }
  const normalized = clientAuthAsBasic({ body: read, headers: request.headers }, keepClientId);
  return requestWithBody(request, normalized.body, normalized.headers);
}

const CODE_OR_REFRESH = new Set(['authorization_code', 'refresh_token']);
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

function answerBeforeProvider(faults: FaultSet, grantType: string | undefined): CaughtAnswer | undefined {
  if (grantType !== undefined && CODE_OR_REFRESH.has(grantType)) {
    if (faults.take('invalid-grant')) {
      return jsonAnswer(400, { error: 'invalid_grant', error_description: `the ${grantType === 'refresh_token' ? 'refresh token' : 'code'} was refused (sandbox fault invalid-grant)` });
    }
    if (faults.take('error-in-200')) {
      return jsonAnswer(200, { error: 'invalid_grant', error_description: 'the grant was refused, with HTTP 200 (sandbox fault error-in-200)' });
    }
  }
  if (grantType === DEVICE_CODE && faults.take('device-slow-down')) {
    // RFC 8628 §3.5: the client polls too often; it must wait 5 s more from now on.
    return jsonAnswer(400, { error: 'slow_down', error_description: 'polling too fast (sandbox fault device-slow-down)' });
  }
  return undefined;
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function withJsonBody(answer: CaughtAnswer, body: Record<string, unknown>): CaughtAnswer {
  return { ...answer, body: Buffer.from(JSON.stringify(body)) };
}

/** The id_token faults, error-in-200 on an error of oidc-provider's, and the field faults. */
async function rewriteTokenAnswer(context: TokenEndpointContext, answer: CaughtAnswer): Promise<CaughtAnswer> {
  const { faults, forger } = context;
  const body = parseJsonObject(answer.body);
  if (!body) return answer;
  if (answer.status >= 400) {
    // An error the provider itself gave (a reused code, a revoked grant) answered with 200.
    const polling = body.error === 'authorization_pending' || body.error === 'slow_down';
    if (typeof body.error === 'string' && !polling && faults.take('error-in-200')) return { ...answer, status: 200 };
    return answer;
  }
  if (answer.status !== 200 || typeof body.access_token !== 'string') return answer;
  if (typeof body.id_token === 'string') {
    const fault = faults.takeFirst(ID_TOKEN_FAULTS) as { fault: IdTokenFault } | undefined;
    const skew = faults.take('clock-skew')?.value ?? 0;
    if (fault || skew !== 0) body.id_token = await forger.alter(body.id_token, fault?.fault, skew);
  }
  if (faults.take('no-token-type')) delete body.token_type;
  if (body.expires_in !== undefined && faults.take('expires-renamed')) {
    body.expires = body.expires_in;
    delete body.expires_in;
  }
  return withJsonBody(answer, body);
}

/** form-encoded-token: the same fields, form-encoded, as GitHub answers without Accept: application/json. */
function encodeTokenAnswer(faults: FaultSet, answer: CaughtAnswer): CaughtAnswer {
  const contentType = String(answer.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/json')) return answer;
  const body = parseJsonObject(answer.body);
  if (!body || !faults.take('form-encoded-token')) return answer;
  const fields = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (value !== undefined && value !== null) fields.set(name, typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return { ...answer, headers: { ...answer.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(fields.toString()) };
}

/**
 * An authorization response (a redirect back to the client carrying code or error, RFC 6749
 * §4.1.2) with RFC 9207's iss left out or replaced. Other answers pass unchanged.
 */
export function rewriteAuthorizationResponse(faults: FaultSet, answer: CaughtAnswer, shape?: (location: URL) => URL): CaughtAnswer {
  const location = answer.headers.location;
  if (answer.status < 300 || answer.status >= 400 || typeof location !== 'string') return answer;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return answer;
  }
  if (!url.searchParams.has('code') && !url.searchParams.has('error')) return answer;
  if (url.searchParams.has('iss')) {
    if (faults.take('missing-iss')) url.searchParams.delete('iss');
    else if (faults.take('wrong-iss')) url.searchParams.set('iss', FORGED.issuer);
  }
  if (shape) url = shape(url);
  return { ...answer, headers: { ...answer.headers, location: url.toString() }, body: Buffer.from(`Redirecting to ${url.toString()}.`) };
}

/** Runs oidc-provider on a request and rewrites its answer with `rewrite` before it is sent. */
export async function throughProvider(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  request: IncomingMessage,
  response: ServerResponse,
  rewrite: (answer: CaughtAnswer) => CaughtAnswer,
): Promise<void> {
  const caught = catchAnswer(response);
  handler(request, response);
  sendAnswer(response, rewrite(await caught));
}
