/**
 * Reading a token endpoint's answer, whatever it looks like, and saying how it differs from
 * RFC 6749 §5.1 (successful response) and §5.2 (error response).
 *
 * Providers answer form-encoded bodies under a JSON content type, errors with HTTP 200, nested
 * tokens (Slack's authed_user.access_token), renamed fields (Facebook's old `expires`), numbers as
 * strings. The normalizer copes with all of them, but never silently: every deviation becomes a
 * warning, and an error answer becomes one readable line, never "Unexpected token < in JSON": a
 * ProviderError for a refusal, an InvalidResponseError for an answer that cannot be read (errors.ts).
 */
import type { Static } from '@sinclair/typebox';
import type { TokenResponseSpec } from '../providers/schema.js';
import { getPath } from '../util/json.js';
import { header, type HttpResponse } from './http.js';
import { providerError } from './endpoint-response.js';
import { InvalidResponseError, ProviderError } from './errors.js';

export type TokenResponseRules = Static<typeof TokenResponseSpec>;

/** The standard fields of RFC 6749 §5.1 (and OpenID Connect's id_token), normalized. */
export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  id_token?: string;
  /**
   * OAuth 1.0a token credentials (RFC 5849 §2.3) ride in the same shape: access_token holds
   * oauth_token, token_secret holds oauth_token_secret, token_type is "OAuth1".
   */
  token_secret?: string;
  /** Every other field of the response, kept as the provider sent it (instance_url, team, ...). */
  extra: Record<string, unknown>;
}

export const OAUTH1_TOKEN_TYPE = 'OAuth1';

/**
 * The token as a JSON object: the standard fields, then the provider's extra fields. Copied field
 * by field: the server flow's exchange answers with this under load, and a rest pattern and two
 * spreads (`{ ...standard, ...extra }`) measured three times the cost of the loops.
 */
export function tokenToJson(token: TokenSet): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (token.token_secret !== undefined) {
    // OAuth 1.0a under its own names (RFC 5849 §2.3), as oauthd and its SDKs spell them.
    json.oauth_token = token.access_token;
    json.oauth_token_secret = token.token_secret;
  } else {
    for (const field of Object.keys(token) as (keyof TokenSet)[]) if (field !== 'extra') json[field] = token[field];
  }
  for (const field of Object.keys(token.extra)) json[field] = token.extra[field];
  return json;
}

export interface Deviation {
  /** Stable identifier, e.g. "content-type", "missing-token-type". */
  code: string;
  message: string;
  /** The rule broken, e.g. "RFC 6749 §5.1". */
  source: string;
  /** True when the provider file documents this behaviour (a known quirk, not a surprise). */
  expected: boolean;
}

export interface ReadTokenResult {
  token: TokenSet;
  deviations: Deviation[];
  /** The parsed body as received, before normalizing. */
  raw: Record<string, unknown>;
}

const STANDARD_FIELDS = ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope', 'id_token'] as const;
type StandardField = (typeof STANDARD_FIELDS)[number];

export function readTokenResponse(
  response: HttpResponse,
  rules: TokenResponseRules = {},
  endpointName = 'token endpoint',
): ReadTokenResult {
  const deviations: Deviation[] = [];
  const note = (code: string, message: string, source: string, expected = false) =>
    deviations.push({ code, message, source, expected });

  const body = parseBody(response, rules, note, endpointName);
  const errorCode = typeof body.error === 'string' ? body.error : undefined;
  const success = response.status >= 200 && response.status < 300;

  if (errorCode !== undefined || (success && body.ok === false)) {
    if (success) {
      note('error-with-200', `an error came back with HTTP ${response.status}; §5.2 says 400 (or 401)`, 'RFC 6749 §5.2');
    }
    throw endpointError(response, body, endpointName, rules);
  }
  if (!success) throw endpointError(response, body, endpointName, rules);

  const field = (name: StandardField): unknown => {
    const path = rules.paths?.[name];
    if (path !== undefined) {
      const value = getPath(body, path);
      if (value !== undefined) return value;
    }
    return body[name];
  };

  const accessToken = field('access_token');
  if (typeof accessToken !== 'string' || accessToken === '') {
    const where = rules.paths?.access_token ? ` (looked at "${rules.paths.access_token}" and "access_token")` : '';
    throw new InvalidResponseError(`the ${endpointName} answered HTTP ${response.status} without an access_token${where}`, {
      endpoint: 'token',
      code: 'no_access_token',
      status: response.status,
      response,
      received: Object.keys(body).join(', ') || 'none',
    });
  }

  let tokenType = field('token_type');
  if (typeof tokenType !== 'string' || tokenType === '') {
    tokenType = rules.tokenType ?? 'Bearer';
    note('missing-token-type', `no token_type; assuming "${tokenType as string}"`, 'RFC 6749 §5.1 (REQUIRED)', rules.tokenType !== undefined);
  }

  let expiresIn = field('expires_in');
  if (expiresIn === undefined && body.expires !== undefined && rules.paths?.expires_in === undefined) {
    expiresIn = body.expires;
    note('expires-renamed', 'uses "expires" instead of "expires_in"', 'RFC 6749 §5.1');
  }
  const expires = toSeconds(expiresIn, note);
  if (expiresIn === undefined) {
    note('no-expires-in', 'no expires_in: the token lifetime is unknown', 'RFC 6749 §5.1 (RECOMMENDED)', true);
  }

  const token: TokenSet = { access_token: accessToken, token_type: tokenType as string, extra: {} };
  if (expires !== undefined) token.expires_in = expires;
  const refreshToken = field('refresh_token');
  if (typeof refreshToken === 'string' && refreshToken !== '') token.refresh_token = refreshToken;
  const idToken = field('id_token');
  if (typeof idToken === 'string' && idToken !== '') token.id_token = idToken;
  const scope = normalizeScope(field('scope'), note);
  if (scope !== undefined) token.scope = scope;

  const used = new Set<string>([...STANDARD_FIELDS, 'expires']);
  for (const [key, value] of Object.entries(body)) {
    if (!used.has(key)) token.extra[key] = value;
  }
  if (header(response, 'cache-control')?.toLowerCase().includes('no-store') !== true) {
    note('no-cache-control', 'the response lacks "Cache-Control: no-store"', 'RFC 6749 §5.1 (MUST)', true);
  }
  return { token, deviations, raw: body };
}

type Note = (code: string, message: string, source: string, expected?: boolean) => void;

function parseBody(response: HttpResponse, rules: TokenResponseRules, note: Note, endpointName: string): Record<string, unknown> {
  const contentType = (header(response, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = response.text.trim();
  const declaredJson = contentType === 'application/json' || contentType.endsWith('+json');
  const expectForm = rules.format === 'form';

  const unreadable = (message: string, code: 'empty_response' | 'html_response' | 'broken_json' | 'unreadable_response') =>
    new InvalidResponseError(message, { endpoint: 'token', code, status: response.status, response });

  if (text === '') throw unreadable(`the ${endpointName} answered HTTP ${response.status} with an empty body`, 'empty_response');
  if (text.startsWith('<')) {
    throw unreadable(`the ${endpointName} answered HTTP ${response.status} with an HTML page, not a token response: "${htmlSnippet(text)}"`, 'html_response');
  }
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw unreadable(`the ${endpointName} answered HTTP ${response.status} with broken JSON (${brokenJsonReason(error as Error)})`, 'broken_json');
    }
    if (!declaredJson) {
      note('content-type', `the body is JSON but Content-Type is "${contentType || 'missing'}"`, 'RFC 6749 §5.1');
    }
    return parsed as Record<string, unknown>;
  }
  if (/^[\w.%+-]+=[^\s]*(&[\w.%+-]+=[^\s]*)*$/.test(text)) {
    note(
      'form-encoded',
      `the body is form-encoded${declaredJson ? ' although Content-Type says JSON' : ` (Content-Type "${contentType || 'missing'}")`}; §5.1 requires application/json`,
      'RFC 6749 §5.1',
      expectForm,
    );
    return Object.fromEntries(new URLSearchParams(text));
  }
  throw unreadable(
    `the ${endpointName} answered HTTP ${response.status} with a body that is neither JSON nor form-encoded: "${text.slice(0, 120)}"`,
    'unreadable_response',
  );
}

/** V8's reason, without the position and without its excerpt of the body (which may hold a token). */
function brokenJsonReason(error: Error): string {
  return error.message.replace(/ in JSON.*/s, '').replace(/, (?:\.\.\.)?"[^]*"(?:\.\.\.)? is not valid JSON$/, '');
}

function toSeconds(value: unknown, note: Note): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    note('expires-in-string', `expires_in is the string "${value}", not a number`, 'RFC 6749 §5.1', false);
    return Number(value);
  }
  note('expires-in-invalid', `expires_in is ${JSON.stringify(value)}, not a number of seconds; ignored`, 'RFC 6749 §5.1');
  return undefined;
}

/** §3.3: scopes are space-delimited; some providers answer with commas. */
function normalizeScope(value: unknown, note: Note): string | undefined {
  if (Array.isArray(value)) {
    note('scope-array', 'scope is a JSON array, not a space-delimited string', 'RFC 6749 §3.3');
    return value.map(String).join(' ');
  }
  if (typeof value !== 'string') return undefined;
  if (value.includes(',') && !value.includes(' ')) {
    note('scope-commas', `scope "${value}" is comma-delimited; §3.3 says space-delimited`, 'RFC 6749 §3.3');
    return value.split(',').filter(Boolean).join(' ');
  }
  return value;
}

/**
 * A refusal: §5.2's error/error_description/error_uri, or the shapes providers use instead ({"error": {"message"}}, {"errors": [...]}).
 * `code` is the §5.2 code the provider file maps the provider's own to (tokenResponse.error.codes:
 * GitHub's bad_verification_code is invalid_grant), so what follows a refusal (a refresh token
 * marked as spent, the hint) does not depend on each provider's words; `error` and the message
 * keep the provider's own.
 */
function endpointError(response: HttpResponse, body: Record<string, unknown>, endpointName: string, rules: TokenResponseRules): ProviderError {
  const { code: sent, description } = providerError(body);
  const codes = rules.error?.codes;
  const code = sent !== undefined && codes !== undefined && Object.hasOwn(codes, sent) ? codes[sent] : sent;
  const fields = { endpoint: 'token' as const, status: response.status, response, error_description: description };
  if (code === undefined) {
    const summary = description ?? JSON.stringify(body).slice(0, 160);
    return new ProviderError(`the ${endpointName} answered HTTP ${response.status}: ${summary}`, { ...fields, code: 'http_error' });
  }
  const errorUri = typeof body.error_uri === 'string' ? body.error_uri : undefined;
  return new ProviderError(
    `the ${endpointName} refused: ${sent}${description ? ` — ${description}` : ''}${errorUri !== undefined ? ` (see ${errorUri})` : ''} [HTTP ${response.status}]`,
    { ...fields, code, error: sent, error_uri: errorUri },
  );
}

function htmlSnippet(html: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  const text = (title ?? html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
  return text.slice(0, 100);
}
