/**
 * The app's domains whitelist, with oauthd's detail levels (the seed: "the more detailed the URL
 * is, the smaller the attack surface"). Each level adds one constraint to the one above it:
 *
 *   example.com                         that host, any scheme, any port, any path
 *   *.example.com                       any subdomain of example.com (not example.com itself);
 *                                       a wildcard exists only where it is written
 *   https://example.com                 that scheme and host, any port
 *   https://example.com:8443            that scheme, host and port
 *   https://example.com:8443/app/cb     exactly that URL path (query ignored): matches only
 *                                       callers whose full URL is known (redirect_uri, a full Referer)
 *
 * A path is the last level, so it needs a scheme: `example.com/app` is refused. A bare trailing
 * `/` is no path: `http://localhost:3000/` is the origin `http://localhost:3000` (what a browser
 * address bar shows, and what people paste). Kept as a path, it would match a Referer of the root
 * page but never the Origin header of the page's API calls (/request, /me), so sign-in would work
 * and every call after it fail.
 *
 * Hosts compare case-insensitively and exactly: no prefix, suffix or substring matching.
 */
export interface DomainRule {
  /** The entry as written, for messages. */
  source: string;
  scheme: 'http' | 'https' | undefined;
  host: string;
  wildcard: boolean;
  port: number | undefined;
  path: string | undefined;
}

const RULE = /^(?:(https?):\/\/)?(\*\.)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(\/[^?#\s]*)?$/i;
const GRAMMAR = 'write host, scheme://host, scheme://host:port or scheme://host:port/path';

export function parseDomainRule(source: string): DomainRule {
  const entry = source.trim();
  const match = RULE.exec(entry);
  if (!match) throw new Error(`"${source}" ${whyNotAnEntry(entry)}`);
  const [, scheme, wildcard, host, port, written] = match;
  const hostname = (host as string).toLowerCase();
  if (hostname.startsWith('.') || hostname.endsWith('.') || hostname.includes('..')) {
    throw new Error(`"${source}" has an empty label in its host name`);
  }
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && (portNumber < 1 || portNumber > 65535)) {
    throw new Error(`"${source}" has a port outside 1-65535`);
  }
  // A bare "/" is the origin (see above); any other path is the path level.
  const path = written === '/' ? undefined : written;
  if (path !== undefined && scheme === undefined) {
    throw new Error(
      `"${source}" has a path but no scheme: a path is the most detailed level and needs the full URL; write https://${entry}, or drop the path to allow the whole host`,
    );
  }
  return {
    source,
    scheme: scheme?.toLowerCase() as DomainRule['scheme'],
    host: hostname,
    wildcard: wildcard !== undefined,
    port: portNumber,
    path,
  };
}

/** The reason an entry is outside the grammar, as precise as the entry allows. */
function whyNotAnEntry(entry: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(entry)?.[1];
  if (scheme !== undefined && !/^https?$/i.test(scheme)) return `has the scheme ${scheme}: only http and https pages use the broker`;
  const rest = scheme === undefined ? entry : entry.slice(scheme.length + 3);
  if (/^[^/?#]*@/.test(rest)) return 'has a user name: an origin has none; write the URL without "user@"';
  const extra = /[?#].*$/.exec(rest)?.[0];
  if (extra !== undefined && RULE.test(entry.slice(0, entry.length - extra.length))) {
    return `has a ${extra.startsWith('?') ? 'query' : 'fragment'}: entries match an origin or a path only; drop "${extra}"`;
  }
  return `is not a domain entry; ${GRAMMAR}`;
}

/**
 * The entry as `init` writes it: trimmed, a bare trailing "/" dropped. Throws (with the reason)
 * for an entry outside the grammar.
 */
export function normalizeDomain(source: string): string {
  const rule = parseDomainRule(source);
  const entry = source.trim();
  return rule.path === undefined && entry.endsWith('/') ? entry.slice(0, -1) : entry;
}

/**
 * Path-level entries that no path-less entry covers: they allow a page to sign in (its full
 * Referer or redirect_uri is known) but never the Origin header its API calls carry (/request,
 * /me, CORS), so those calls are refused. `doctor` warns about each.
 */
export function originBlindRules(rules: readonly DomainRule[]): DomainRule[] {
  const originRules = rules.filter((rule) => rule.path === undefined);
  return rules.filter((rule) => rule.path !== undefined && !originRules.some((general) => covers(general, rule)));
}

/** Whether every origin `specific` allows is allowed by `general` (paths aside). */
function covers(general: DomainRule, specific: DomainRule): boolean {
  if (general.scheme !== undefined && general.scheme !== specific.scheme) return false;
  if (general.port !== undefined && general.port !== specific.port) return false;
  if (general.wildcard) return specific.host.endsWith(`.${general.host}`) || (specific.wildcard && specific.host === general.host);
  return !specific.wildcard && specific.host === general.host;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

function effectivePort(url: URL): number {
  return url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port);
}

/**
 * Whether `url` is allowed by `rule`. `hasPath` says whether the URL's path is really known (a
 * bare Origin header has none); a path-level rule never matches a URL whose path is unknown.
 */
export function ruleMatches(rule: DomainRule, url: URL, hasPath: boolean): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (rule.scheme !== undefined && `${rule.scheme}:` !== url.protocol) return false;
  const host = url.hostname.toLowerCase();
  if (rule.wildcard) {
    if (!host.endsWith(`.${rule.host}`)) return false;
  } else if (host !== rule.host) {
    return false;
  }
  if (rule.port !== undefined && rule.port !== effectivePort(url)) return false;
  if (rule.path !== undefined) {
    if (!hasPath || url.pathname !== rule.path) return false;
  }
  return true;
}

export function findMatchingRule(rules: readonly DomainRule[], url: URL, hasPath: boolean): DomainRule | undefined {
  return rules.find((rule) => ruleMatches(rule, url, hasPath));
}
