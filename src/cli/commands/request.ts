/**
 * `oauthd-cli request <provider> <path|URL>`: one API call with the kept token, output like
 * `gh api`: the body on stdout; with -i the status line and headers first. A status outside 2xx
 * still prints the body, then exits 1.
 *
 * The token goes only under the provider's API base URL (api.baseUrl in its provider file): a path
 * is joined to the base URL and may not climb out of it (`../`), a full URL must be on that origin
 * and under that path (apiRequestTarget), an origin taken from the token must be one the provider
 * file allows (tokenOrigins), and redirects are not followed. The token rides as the provider says (RFC 6750 §2.1 Authorization header, §2.3
 * query parameter, or its own header); OAuth 1.0a requests are signed one by one (RFC 5849 §3).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import type { RequestFlags } from './request.flags.js';
import { Ui } from '../ui.js';
import { readAll } from '../stdin.js';
import { boundTokenHttp, issuingProvider, tokenHttp, usableToken } from '../stored-token.js';
import { oauth1Signer } from '../../oauth/oauth1-signer.js';
import { apiRequestTarget, authorizeApiRequest } from '../../oauth/api.js';
import { header as responseHeader, type HttpRequest, type HttpResponse } from '../../oauth/http.js';
import { findStoredToken } from '../../tokens/find.js';
import { flowError, usageError } from '../../util/errors.js';

/** What `request` parses (./request.flags.ts): -X method, -d data (a body, @file, or - for stdin), -H header (repeatable), -i include. */
export type RequestOptions = RequestFlags;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const satisfies ReadonlyArray<HttpRequest['method']>;
/** RFC 9110 §5.1: a field name is a token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export async function run(ctx: Context, provider: string, pathOrUrl: string, options: RequestOptions): Promise<void> {
  const ui = new Ui(ctx);
  // Everything the command line can get wrong is refused before the vault or the network is touched.
  const method = requestMethod(options);
  const headers = parseHeaders(options.header ?? []);
  if (options.data !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw usageError(`a ${method} request carries no body`, 'drop -X (a body makes the request a POST), or put the parameters in the path: "search?q=…"');
  }
  const body = options.data === undefined ? undefined : await readBody(ctx, options.data);

  const located = await findStoredToken(ctx, provider, options);
  const http = tokenHttp(ctx);
  const issuer = await issuingProvider(ctx, ui, http, located, 'used');
  const resolved = issuer.resolved;
  const stored = await usableToken(ctx, ui, http, located, issuer);
  // Under the API's base URL only; an origin taken from the token ({token.instance_url}) must be one
  // the provider file allows (tokenOrigins), checked before anything is sent.
  const target = apiRequestTarget(resolved, stored.token, pathOrUrl);
  if (body !== undefined && !('content-type' in headers)) headers['content-type'] = contentTypeOf(body);

  const signed = authorizeApiRequest(resolved, stored.token, headers, target);
  const sign = await oauth1Signer(issuer, stored.token);
  if (sign) signed.headers.authorization = sign({ method, url: signed.url, headers: signed.headers, ...(body !== undefined ? { body } : {}) });
  const send = await boundTokenHttp(http, issuer, stored.token.access_token);
  const response = await send({
    method,
    url: signed.url,
    headers: signed.headers,
    purpose: `API request (${resolved.id})`,
    ...(body !== undefined ? { body } : {}),
  });

  if (options.include) ctx.stdout.write(statusAndHeaders(response));
  ctx.stdout.write(response.text);
  if (ctx.stdout.isTTY && response.text !== '' && !response.text.endsWith('\n')) ctx.stdout.write('\n');
  if (response.status < 200 || response.status >= 300) {
    // `target` carries no token (a query-parameter token is added after it).
    throw flowError(`${method} ${target} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, statusHint(response, provider, target), 'http_status');
  }
}

function requestMethod(options: RequestOptions): HttpRequest['method'] {
  const method = (options.method ?? (options.data !== undefined ? 'POST' : 'GET')).toUpperCase();
  const known = METHODS.find((candidate) => candidate === method);
  if (!known) throw usageError(`-X ${JSON.stringify(options.method)} is not a method oauthd-cli sends`, `use one of ${METHODS.join(', ')}`);
  return known;
}

/** "-H 'Name: value'", as curl and gh take them; names are case-insensitive (RFC 9110 §5.1). */
export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    if (!FIELD_NAME.test(name)) {
      const shown = JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
      throw usageError(`-H ${shown} is not a header`, 'write it as -H "Name: value"');
    }
    const value = line.slice(colon + 1).trim();
    if (/[\r\n\0]/.test(value)) throw usageError(`the value of -H ${name} holds a line break`, 'a header value is one line');
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** -d VALUE, -d @FILE (relative to the working folder), -d - (stdin). */
async function readBody(ctx: Context, data: string): Promise<string> {
  if (data === '-') return readAll(ctx.stdin);
  if (!data.startsWith('@')) return data;
  const file = resolve(ctx.cwd, data.slice(1));
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read the body from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'give an existing file after @, or - to read stdin');
  }
}

/** JSON when the body parses as a JSON object or array (as gh sends), else a form like curl -d. */
function contentTypeOf(body: string): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      JSON.parse(trimmed);
      return 'application/json';
    } catch {
      // not JSON after all
    }
  }
  return 'application/x-www-form-urlencoded';
}

function statusAndHeaders(response: HttpResponse): string {
  // fetch speaks HTTP/1.1 to the API (undici without allowH2).
  const lines = [`HTTP/1.1 ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`];
  for (const [name, value] of Object.entries(response.headers)) {
    // Several Set-Cookie fields arrive joined by newlines; each is its own line again.
    for (const part of value.split('\n')) lines.push(`${name}: ${part}`);
  }
  return `${lines.join('\n')}\n\n`;
}

function statusHint(response: HttpResponse, provider: string, target: string): string {
  const status = response.status;
  if (status >= 300 && status < 400) {
    const location = responseHeader(response, 'location');
    return `redirects are not followed (the token would go along)${location ? `; it points to ${location}` : ''}`;
  }
  if (status === 401) return `the token was refused: \`oauthd-cli token refresh ${provider} --force\`, or log in again`;
  if (status === 403) return 'the token lacks a scope or permission this call needs; log in again with --scope';
  if (status === 404) return `check the path (relative to the API base, here ${new URL(target).origin})`;
  return 'the body above is the API\'s answer';
}
