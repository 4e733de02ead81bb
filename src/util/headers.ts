/** HTTP header names are case-insensitive (RFC 9110 §5.1); we keep them lower-case. */
export function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

/**
 * The headers of every answer of the broker and of the standalone sandbox: not cached (RFC 9111
 * §5.2.2.5), no Referer leaving a page (codes and states must not travel in one), no MIME
 * sniffing. Pages add their CSP and X-Frame-Options (src/util/html.ts sendPage).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};
