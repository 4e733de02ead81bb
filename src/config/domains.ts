/**
 * The app's domains whitelist, with oauthd's detail levels (the seed: "the more detailed the URL
 * is, the smaller the attack surface"). Each level adds one constraint:
 *
 *   example.com                         that host, any scheme, any port, any path
 *   *.example.com                       any subdomain of example.com (not example.com itself);
 *                                       a wildcard exists only where it is written
 *   https://example.com                 that scheme and host, any port
 *   https://example.com:8443            that scheme, host and port
 *   https://example.com:8443/app/cb     exactly that URL path (query ignored): matches only
 *                                       callers whose full URL is known (redirect_uri, a full Referer)
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

const RULE = /^(?:(https?):\/\/)?(\*\.)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(\/[^?#\s]*)?$/;

export function parseDomainRule(source: string): DomainRule {
  const match = RULE.exec(source.trim());
  if (!match) {
    throw new Error(
      `"${source}" is not a domain entry; write host, scheme://host, scheme://host:port or scheme://host:port/path`,
    );
  }
  const [, scheme, wildcard, host, port, path] = match;
  const hostname = (host as string).toLowerCase();
  if (hostname.startsWith('.') || hostname.endsWith('.') || hostname.includes('..')) {
    throw new Error(`"${source}" has an empty label in its host name`);
  }
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && (portNumber < 1 || portNumber > 65535)) {
    throw new Error(`"${source}" has a port outside 1-65535`);
  }
  return {
    source,
    scheme: scheme as DomainRule['scheme'],
    host: hostname,
    wildcard: wildcard !== undefined,
    port: portNumber,
    path,
  };
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
