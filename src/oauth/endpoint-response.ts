/**
 * Reading the answers of the endpoints beside the token endpoint: device authorization
 * (RFC 8628 §3.2), revocation (RFC 7009 §2.2), introspection (RFC 7662 §2.2) and the provider's
 * profile (userinfo) endpoint. Errors come as RFC 6749 §5.2 objects where the RFCs say so and in
 * each API's own shape elsewhere; either way they become one readable line, never "Unexpected
 * token < in JSON". (The token endpoint has its own, stricter reader: token-response.ts.)
 */
import { InvalidResponseError, ProviderError, type Endpoint } from './errors.js';
import type { HttpResponse } from './http.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const FORM_ENCODED = /^[\w.%+-]+=[^\s]*(&[\w.%+-]+=[^\s]*)*$/;

/**
 * The body as parsed JSON, or as fields when it is form-encoded (GitHub's endpoints answer that
 * way unless asked for JSON); undefined when it is empty or neither.
 */
export function parseBody(response: HttpResponse): unknown {
  const text = response.text.trim();
  if (text === '') return undefined;
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return FORM_ENCODED.test(text) ? Object.fromEntries(new URLSearchParams(text)) : undefined;
}

/** A successful answer that must be a JSON object (or form fields); anything else is a clear error. */
export function readObject(response: HttpResponse, endpoint: Endpoint, endpointName: string): JsonObject {
  const body = parseBody(response);
  if (isJsonObject(body)) return body;
  throw new InvalidResponseError(`the ${endpointName} answered HTTP ${response.status} with ${describeText(response.text)}, not a JSON object`, {
    endpoint,
    code: 'unreadable_response',
    status: response.status,
    response,
  });
}

export interface ReportedError {
  /** The RFC 6749 §5.2 `error` code, when there is one. */
  code?: string;
  /** What the provider says in words: error_description, or an API's own message field. */
  description?: string;
  /** §5.2 `error_uri`: a page about the error. */
  uri?: string;
}

/** The error a provider reports, in RFC 6749 §5.2 form or the common API shapes. */
export function providerError(body: unknown): ReportedError {
  if (!isJsonObject(body)) return {};
  const result: ReportedError = {};
  if (typeof body.error === 'string' && body.error !== '') result.code = body.error;
  const nested = isJsonObject(body.error) ? body.error : undefined; // {"error": {"message": ...}} (Graph API, Google APIs)
  const first = Array.isArray(body.errors) && isJsonObject(body.errors[0]) ? body.errors[0] : undefined;
  const description = [body.error_description, nested?.message, body.message, first?.message, first?.detail].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  if (description !== undefined) result.description = description;
  if (typeof body.error_uri === 'string' && body.error_uri !== '') result.uri = body.error_uri;
  return result;
}

/**
 * "the revocation endpoint refused: invalid_client — Bad secret [HTTP 401]": a refusal as a
 * ProviderError, with the server's error when it named one and `fallbackCode` when it did not.
 */
export function refusal(response: HttpResponse, body: unknown, endpoint: Endpoint, endpointName: string, fallbackCode: string): ProviderError {
  const { code, description, uri } = providerError(body);
  return new ProviderError(`the ${endpointName} refused: ${failureSummary(response, body)}`, {
    endpoint,
    code: code ?? fallbackCode,
    error: code,
    error_description: description,
    error_uri: uri,
    status: response.status,
    response,
  });
}

/**
 * True when a 2xx answer still reports a failure, as APIs that always answer HTTP 200 do
 * (Slack's `{"ok": false, "error": "invalid_auth"}`).
 */
export function reportsFailure(body: unknown): boolean {
  return isJsonObject(body) && (body.ok === false || typeof body.error === 'string');
}

/** "invalid_token — The access token expired [HTTP 401]", or the status line when the body says nothing. */
export function failureSummary(response: HttpResponse, body: unknown): string {
  const { code, description } = providerError(body);
  const words = [code, description].filter((part) => part !== undefined).join(' — ');
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (words !== '') return `${words} [${status}]`;
  return body === undefined && response.text.trim() !== '' ? `${status}, ${describeText(response.text)}` : status;
}

function describeText(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  if (trimmed.startsWith('<')) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.replace(/\s+/g, ' ').trim();
    return title ? `an HTML page ("${title.slice(0, 80)}")` : 'an HTML page';
  }
  return `"${trimmed.replace(/\s+/g, ' ').slice(0, 80)}"`;
}
