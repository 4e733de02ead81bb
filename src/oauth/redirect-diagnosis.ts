/**
 * Why a provider refused the redirect URI, and the exact value to register instead.
 *
 * RFC 6749 §3.1.2.3: a registered redirect URI is compared with the one the request carries, and
 * RFC 9700 §2.1 (OAuth 2.0 Security BCP) requires *exact string matching*, with one exception:
 * the port of a loopback redirect URI of a native app (RFC 8252 §7.3). Most providers treat a
 * developer's loopback URI like any web URI, so a trailing slash, `localhost` for `127.0.0.1`, another
 * port or `https` for `http` is enough for `redirect_uri_mismatch`, and the provider's message rarely
 * says which. These pure functions compare the value sent with the registered ones, part by part, and
 * word the finding for the person who has to fix the provider's console.
 */

export type RedirectDifferenceKind =
  | 'whitespace'
  | 'encoding'
  | 'scheme'
  | 'loopback-host'
  | 'host'
  | 'port'
  | 'trailing-slash'
  | 'case'
  | 'path'
  | 'query'
  | 'fragment';

export interface RedirectDifference {
  kind: RedirectDifferenceKind;
  /** The part as sent, and as registered ("" when absent), for display. */
  sent: string;
  registered: string;
  /** One line for the user, e.g. `host: 127.0.0.1 sent, localhost registered — …`. */
  message: string;
}

export interface RedirectDiagnosis {
  sent: string;
  /** The registered value the differences are about: the closest one; undefined when none is known. */
  closest?: string;
  /** True when a registered value is the sent one, character for character. */
  exact: boolean;
  /** What differs between `sent` and `closest`; empty when exact or when nothing is known. */
  differences: RedirectDifference[];
}

/**
 * Compares the redirect URI sent with the registered values (when known) and names every
 * difference against the closest one (the one with the fewest differences; the first on a tie).
 */
export function diagnoseRedirectUri(sent: string, registered: readonly string[] = []): RedirectDiagnosis {
  if (registered.includes(sent)) return { sent, closest: sent, exact: true, differences: [] };
  let best: { value: string; differences: RedirectDifference[] } | undefined;
  for (const value of registered) {
    const differences = compare(sent, value);
    if (!best || differences.length < best.differences.length) best = { value, differences };
  }
  if (!best) return { sent, exact: false, differences: [] };
  return { sent, closest: best.value, exact: false, differences: best.differences };
}

/** The parts of a URI as written (RFC 3986 Appendix B), before any normalization. */
interface UriParts {
  scheme: string | undefined;
  host: string | undefined;
  port: string | undefined;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

// RFC 3986 Appendix B: the regular expression that splits any URI reference into its five parts.
const URI_REFERENCE = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

function split(uri: string): UriParts {
  const match = URI_REFERENCE.exec(uri) as RegExpExecArray;
  const authority = match[2];
  let host: string | undefined;
  let port: string | undefined;
  if (authority !== undefined) {
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    // An IPv6 literal is bracketed (RFC 3986 §3.2.2); its colons are not the port separator.
    const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
    host = portMatch?.[1] ?? hostPort;
    port = portMatch?.[2] || undefined;
  }
  return { scheme: match[1], host, port, path: match[3] ?? '', query: match[4], fragment: match[5] };
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

function effectivePort(parts: UriParts): string | undefined {
  return parts.port ?? DEFAULT_PORTS[parts.scheme?.toLowerCase() ?? ''];
}

/** The names a developer's machine goes by; RFC 8252 §7.3 (IPv4 and IPv6 loopback), §8.3 (localhost). */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

function compare(sent: string, registeredRaw: string): RedirectDifference[] {
  const differences: RedirectDifference[] = [];
  const add = (kind: RedirectDifferenceKind, sentPart: string, registeredPart: string, message: string) =>
    differences.push({ kind, sent: sentPart, registered: registeredPart, message });

  let registered = registeredRaw.trim();
  if (registered !== registeredRaw) {
    add('whitespace', '', registeredRaw, 'whitespace: the registered value has spaces or a line break around it; some consoles keep them');
  }
  // A value copied out of an authorization URL's query string is still percent-encoded.
  if (!registered.includes('://') && /%3A%2F%2F/i.test(registered)) {
    const decoded = safeDecode(registered);
    add('encoding', '', registered, `encoding: the registered value is percent-encoded (copied from a URL's query?); decoded it reads ${decoded}`);
    registered = decoded;
  }

  const a = split(sent);
  const b = split(registered);

  if ((a.scheme ?? '').toLowerCase() !== (b.scheme ?? '').toLowerCase()) {
    add(
      'scheme',
      a.scheme ?? '',
      b.scheme ?? '',
      `scheme: ${show(a.scheme)} sent, ${show(b.scheme)} registered` +
        (a.scheme === 'http' && a.host !== undefined && isLoopbackHost(a.host)
          ? ' — the broker listens on plain http on loopback, which RFC 8252 §7.3 allows; register the http URI'
          : ''),
    );
  }

  const hostA = a.host ?? '';
  const hostB = b.host ?? '';
  if (hostA.toLowerCase() !== hostB.toLowerCase()) {
    if (isLoopbackHost(hostA) && isLoopbackHost(hostB)) {
      add(
        'loopback-host',
        hostA,
        hostB,
        `host: ${hostA} sent, ${hostB} registered — the same machine, but providers compare the strings (RFC 9700 §2.1); ` +
          'RFC 8252 §8.3 recommends the IP literal over localhost',
      );
    } else {
      add('host', hostA, hostB, `host: ${show(hostA)} sent, ${show(hostB)} registered`);
    }
  } else if (hostA !== hostB) {
    add('case', hostA, hostB, `letter case of the host: ${hostA} sent, ${hostB} registered; some providers compare it as written`);
  }

  const portA = effectivePort(a);
  const portB = effectivePort(b);
  if (portA !== portB) {
    add(
      'port',
      portA ?? '',
      portB ?? '',
      `port: ${portLabel(a, portA)} sent, ${portLabel(b, portB)} registered` +
        (isLoopbackHost(hostA) ? ' — RFC 8252 §7.3 lets a loopback port vary, but most providers compare it: register this port, or choose the registered one (login --port, broker.port)' : ''),
    );
  } else if (a.port !== b.port) {
    add('port', a.port ?? '', b.port ?? '', `port: the default port is written out on one side only (${show(a.port)} sent, ${show(b.port)} registered); the strings differ`);
  }

  if (a.path !== b.path) {
    const trimmedA = a.path.replace(/\/+$/, '');
    const trimmedB = b.path.replace(/\/+$/, '');
    if (trimmedA.toLowerCase() !== trimmedB.toLowerCase()) {
      add('path', a.path, b.path, `path: ${show(a.path)} sent, ${show(b.path)} registered`);
    } else {
      if (a.path.length - trimmedA.length !== b.path.length - trimmedB.length) {
        add('trailing-slash', a.path, b.path, `trailing slash: path ${show(a.path)} sent, ${show(b.path)} registered`);
      }
      if (trimmedA !== trimmedB) {
        add('case', trimmedA, trimmedB, `letter case of the path: ${trimmedA} sent, ${trimmedB} registered — paths are case-sensitive (RFC 3986 §6.2.2.1)`);
      }
    }
  }

  if (a.query !== b.query) {
    add('query', a.query ?? '', b.query ?? '', `query: ${a.query === undefined ? 'none' : `?${a.query}`} sent, ${b.query === undefined ? 'none' : `?${b.query}`} registered`);
  }
  if (b.fragment !== undefined) {
    add('fragment', a.fragment ?? '', b.fragment, `fragment: the registered value ends in #${b.fragment}; a redirect URI must not have one (RFC 6749 §3.1.2)`);
  }
  return differences;
}

/** "6284", or "none (80 by default)" when the URI does not write its port. */
function portLabel(parts: UriParts, effective: string | undefined): string {
  if (parts.port !== undefined) return parts.port;
  return effective === undefined ? '(none)' : `none (${effective} by default)`;
}

function show(part: string | undefined): string {
  return part === undefined || part === '' ? '(none)' : part;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface RedirectMismatchInput {
  /** The redirect_uri of the authorization request, exactly. */
  sent: string;
  /** The values registered at the provider, when known (providers rarely say). */
  registered?: readonly string[];
  providerName: string;
  /** Where the app's settings live at the provider (the catalog's `register`). */
  registerUrl?: string;
  /** What raised the suspicion: the provider's error (default), or no callback before the timeout. */
  trigger?: 'provider-error' | 'no-callback';
}

/** The lines to show (no trailing newlines, no colors): sent, registered, what differs, what to paste. */
export function explainRedirectMismatch(input: RedirectMismatchInput): string[] {
  const { sent, providerName, registerUrl } = input;
  const registered = input.registered ?? [];
  const diagnosis = diagnoseRedirectUri(sent, registered);
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(12)}${value}`);
  const more = (value: string) => lines.push(`  ${''.padEnd(12)}${value}`);

  lines.push(
    input.trigger === 'no-callback'
      ? `No callback came back from ${providerName}. If the browser shows an error page there instead, the redirect URI is the usual cause:`
      : `${providerName} refused the redirect URI: it is not registered exactly, character for character.`,
  );
  row('sent', sent);
  if (registered.length === 0) {
    row('registered', `not visible to oauthd-cli; open ${registerUrl ?? `the app's settings at ${providerName}`} and compare`);
    more('look for a trailing slash, localhost instead of 127.0.0.1, another port, https instead of http');
  } else {
    registered.forEach((value, index) => (index === 0 ? row('registered', value) : more(value)));
    if (diagnosis.exact) {
      row('differs', 'nothing: this exact value is registered. Check that the client id belongs to this');
      more('app registration, and that the change was saved (some providers take minutes to apply it)');
    } else {
      diagnosis.differences.forEach((difference, index) =>
        index === 0 ? row('differs', difference.message) : more(difference.message),
      );
      if (registered.length > 1) more(`(compared with the closest: ${diagnosis.closest as string})`);
    }
  }
  if (!diagnosis.exact) {
    lines.push(`Paste this line into ${providerName}'s list of redirect URIs${registerUrl ? ` (${registerUrl})` : ''}:`);
    lines.push(`  ${sent}`);
  }
  return lines;
}

/** Error codes that name the redirect URI outright: RFC 6749's extension codes as providers spell them. */
const MISMATCH_CODES = new Set(['redirect_uri_mismatch', 'invalid_redirect_uri', 'bad_redirect_uri']);

// Where a message talks about the redirect URI: "redirect_uri" (GitHub, Okta, Keycloak, Facebook),
// "redirect URI" (Google, Microsoft), "reply URL"/"reply address" (older Azure AD), "callback URL"
// (GitHub, Auth0), and Microsoft's codes: AADSTS50011 (mismatch), AADSTS500113 (none registered).
const MENTIONS_REDIRECT = /redirect(?:ion)?[_ -]?ur[il]s?\b|redirecturi|callback[_ -]?ur[il]|reply[_ -]?(?:ur[il]|address)/i;
const MICROSOFT_CODES = /\bAADSTS(?:50011|500113)\b/;
// ...and says it is wrong, rather than, say, missing from the request.
const SAYS_WRONG = /match|identical|registered|whitelist|allow|configured|must be|invalid|not valid|incorrect|blocked|bad/i;

/**
 * True when a flow error is most likely a redirect URI the provider does not know: an explicit code,
 * or an `invalid_request`/`invalid_grant`/`unauthorized_client`/... whose description says so.
 */
export function looksLikeRedirectMismatch(error: { code?: string | undefined; message: string }): boolean {
  if (error.code !== undefined && MISMATCH_CODES.has(error.code.toLowerCase())) return true;
  if (MICROSOFT_CODES.test(error.message)) return true;
  // The codes themselves are no evidence: "invalid_request" says nothing about the redirect URI.
  const prose = error.message.replace(/\b[a-z0-9]+(?:_[a-z0-9]+)+\b/gi, ' ');
  return MENTIONS_REDIRECT.test(error.message) && SAYS_WRONG.test(prose);
}
