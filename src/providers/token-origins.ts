/**
 * Where a token field may send a request.
 *
 * Some providers name the API's host in the token response: Salesforce's `instance_url`, Zoho's
 * and Pipedrive's `api_domain`, Wrike's `host`. A provider file uses such a field to start a URL
 * (`{token.instance_url}/services/oauth2/userinfo`) or as its host (`https://{token.host}/api/v4`).
 * The broker's `/auth/:provider/me` and `/request/:provider/*` take token fields from whoever
 * calls them (oauthd's `oauthio` header), so an unchecked field would let any caller aim the broker,
 * a token attached, at any host it likes (SSRF). A provider file therefore declares, for each field
 * that decides an origin, the origins the field may name (`tokenOrigins`), and a value naming
 * another one is refused before anything is sent.
 *
 * Pattern grammar:   https://HOST[:PORT][/PATH]
 *   HOST  a DNS name, or `*.` and a DNS name of two labels or more: `*.salesforce.com` matches one
 *         or more labels in front (`na1.salesforce.com`, `acme--dev.sandbox.my.salesforce.com`),
 *         never `salesforce.com` itself, and nothing that merely ends in "salesforce.com"
 *   PORT  443 when absent
 *   PATH  a fixed path the value must carry as well (Bitrix24's client_endpoint ends in /rest/)
 * Only https: a token never travels in clear text.
 *
 * Value shapes:
 *   a field that starts a URL   exactly `https://HOST[:PORT][/PATH]`, one trailing `/` allowed
 *                               (Adobe Sign's api_access_point has one)
 *   a field inside the host     a DNS name (or part of one), nothing else
 * Letters, digits, `-`, `.`, `_`, `~` and the separators above are all a value may hold, so no
 * userinfo (`@`), query, fragment, percent-encoding, backslash, whitespace, IP-literal brackets
 * or dot segment can reach the URL parser and change what the URL says. Host names compare
 * case-insensitively, paths exactly.
 *
 * One origin needs no pattern: that of the provider's own token endpoint, when it is on loopback
 * (`http://127.0.0.1:6285`, a local stand-in such as `oauthd-cli sandbox --as salesforce`). The
 * broker already sends that server the client secret and every code, and it issued the token the
 * field came with, so a request carrying the token back to it tells it nothing new; any other
 * loopback origin (another port: a database, a dev server) stays refused. A provider whose token
 * endpoint is not on loopback (every real one) gets nothing beyond its patterns.
 */
import type { ProviderSpec } from './schema.js';
import { fillTemplate, TemplateError } from './template.js';

export interface OriginPattern {
  /** As written in the provider file. */
  source: string;
  /** `*.` was written: one or more labels in front of `host`. */
  wildcard: boolean;
  /** Lower case, without `*.`. */
  host: string;
  port: number;
  /** "" or `/segment/…` without a trailing slash. */
  path: string;
}

/** Where a `{token.*}` field sits in a URL template: it starts the URL, or it is (part of) the host. */
export type FieldPlace = 'start' | 'host';

export interface OriginField {
  /** The token response field, without "token.". */
  field: string;
  place: FieldPlace;
}

const HTTPS_PORT = 443;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = `${LABEL}(?:\\.${LABEL})*`;
/** A path segment: never "." or ".." (it cannot start with a dot), never encoded. */
const SEGMENT = '/[A-Za-z0-9_~-][A-Za-z0-9._~-]*';
const PATTERN = new RegExp(`^https://(\\*\\.)?(${DNS_NAME})(?::(\\d{1,5}))?((?:${SEGMENT})*)$`, 'i');
const START_VALUE = new RegExp(`^https://(${DNS_NAME})(?::(\\d{1,5}))?((?:${SEGMENT})*)/?$`, 'i');
const HOST_PART = /^[A-Za-z0-9.-]+$/;
/** A loopback origin (RFC 8252 §8.3's addresses and the name), then safe path segments, one trailing `/`. */
const LOOPBACK_VALUE = new RegExp(`^(https?://(?:127\\.0\\.0\\.1|localhost|\\[::1\\])(?::\\d{1,5})?)((?:${SEGMENT})*)/?$`, 'i');
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const TOKEN_PLACEHOLDER = /\{token\.([A-Za-z0-9_]+)\}/g;

/** The pattern, or undefined when `source` is not one (the reason is in the grammar above). */
export function parseOriginPattern(source: string): OriginPattern | undefined {
  const match = PATTERN.exec(source);
  if (!match) return undefined;
  const [, wildcard, host, port, path] = match as unknown as [string, string | undefined, string, string | undefined, string];
  const portNumber = port === undefined ? HTTPS_PORT : Number(port);
  if (portNumber < 1 || portNumber > 65535) return undefined;
  // `*.com` would match half the internet: a wildcard needs a registrable-looking suffix.
  if (wildcard !== undefined && !host.includes('.')) return undefined;
  return { source, wildcard: wildcard !== undefined, host: host.toLowerCase(), port: portNumber, path };
}

/**
 * The `{token.*}` fields that decide the origin of the URL `template` builds: one that starts it,
 * and any inside its authority (between `://` and the first `/`, `?` or `#`). Fields in the path or
 * the query are percent-encoded by fillTemplate and cannot move the request elsewhere.
 */
export function originFields(template: string): OriginField[] {
  const fields: OriginField[] = [];
  const start = /^\{token\.([A-Za-z0-9_]+)\}/.exec(template);
  if (start) fields.push({ field: start[1] as string, place: 'start' });
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(template);
  if (scheme) {
    const authority = /^[^/?#]*/.exec(template.slice(scheme[0].length))?.[0] ?? '';
    for (const match of authority.matchAll(TOKEN_PLACEHOLDER)) fields.push({ field: match[1] as string, place: 'host' });
  }
  return fields;
}

function hostMatches(pattern: OriginPattern, host: string): boolean {
  const name = host.toLowerCase();
  return pattern.wildcard ? name.endsWith(`.${pattern.host}`) && name.length > pattern.host.length + 1 : name === pattern.host;
}

function describePatterns(patterns: readonly OriginPattern[]): string {
  return patterns.length === 0 ? 'none is declared' : `allowed: ${patterns.map((p) => p.source).join(', ')}`;
}

/**
 * Why `value`, filling a field that starts a URL, is refused; undefined when it names an allowed
 * origin (and the pattern's path).
 */
export function startValueRefusal(value: string, patterns: readonly OriginPattern[], tokenEndpoint?: string): string | undefined {
  if (tokenEndpoint !== undefined && isTokenEndpointLoopbackOrigin(value, tokenEndpoint)) return undefined;
  const match = START_VALUE.exec(value);
  if (!match) {
    return /^https:\/\//i.test(value)
      ? 'it is not a bare https origin (only https://host[:port] and the declared path; no user@, ?, #, %, \\ or dot segments)'
      : 'it is not an https URL';
  }
  const [, host, port, path] = match as unknown as [string, string, string | undefined, string];
  const portNumber = port === undefined ? HTTPS_PORT : Number(port);
  const allowed = patterns.some((pattern) => hostMatches(pattern, host) && pattern.port === portNumber && pattern.path === path);
  return allowed ? undefined : `it is not an origin the provider file allows for this field (${describePatterns(patterns)})`;
}

/**
 * True when `value` is the origin of `tokenEndpoint` (scheme, host and port alike), plus safe path
 * segments, and that origin is on loopback: the local stand-in of the provider that issued the
 * token (see the top of this file). Real providers' token endpoints are never on loopback.
 */
export function isTokenEndpointLoopbackOrigin(value: string, tokenEndpoint: string): boolean {
  const match = LOOPBACK_VALUE.exec(value);
  if (!match) return false;
  let endpoint: URL;
  try {
    endpoint = new URL(tokenEndpoint);
  } catch {
    return false;
  }
  if (!LOOPBACK_HOSTS.has(endpoint.hostname.toLowerCase())) return false;
  try {
    return new URL(match[1]!).origin === endpoint.origin;
  } catch {
    return false; // a port past 65535
  }
}

/** Why `value`, filling (part of) a host, is refused before the URL is even built. */
export function hostValueRefusal(value: string): string | undefined {
  return HOST_PART.test(value) ? undefined : 'a host name holds only letters, digits, "-" and "."';
}

/** Why the origin of `url`, whose host a token field filled, is refused; undefined when allowed. */
export function filledOriginRefusal(url: string, patterns: readonly OriginPattern[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the URL it makes is not valid';
  }
  if (parsed.protocol !== 'https:') return 'the URL it makes is not https';
  if (parsed.username !== '' || parsed.password !== '') return 'the URL it makes carries credentials';
  const port = parsed.port === '' ? HTTPS_PORT : Number(parsed.port);
  // Host-place patterns carry no path (validation says so); a pattern with one never matches here.
  const allowed = patterns.some((pattern) => pattern.path === '' && hostMatches(pattern, parsed.hostname) && pattern.port === port);
  return allowed ? undefined : `${parsed.origin} is not an origin the provider file allows for this field (${describePatterns(patterns)})`;
}

export class OriginPatternError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'OriginPatternError';
  }
}

/**
 * The patterns a provider file declares for `field`, their `{param}` placeholders filled from the
 * keyset (Bitrix24: `https://{portal}/rest`). Keyset values are the developer's own configuration,
 * trusted like the rest of it; token fields never fill a pattern (validation refuses that).
 */
export function tokenOriginPatterns(spec: ProviderSpec, params: Readonly<Record<string, string>>, field: string): OriginPattern[] {
  return (spec.tokenOrigins?.[field] ?? []).map((source) => {
    let filled: string;
    try {
      filled = fillTemplate(source, params);
    } catch (error) {
      if (error instanceof TemplateError) throw new OriginPatternError(`tokenOrigins.${field}: ${error.message}`, field);
      throw error;
    }
    const pattern = parseOriginPattern(filled);
    if (!pattern) throw new OriginPatternError(`tokenOrigins.${field}: "${filled}" is not an https origin pattern`, field);
    return pattern;
  });
}
