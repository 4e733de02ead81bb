/**
 * Who is asking: the page that opened the popup or started the redirect, checked against the app's
 * domains whitelist. oauthd looked, in order, at the Referer, the Origin, the SDK's `d` parameter and
 * `redirect_uri`; so do we, with exact matching (src/config/domains.ts) and a refusal that says
 * what was seen and what the whitelist holds (oauthd issue #110).
 */
import { findMatchingRule, type DomainRule } from '../config/domains.js';

export interface Caller {
  url: URL;
  /** Whether the URL's path is really the caller's (a bare Origin, or `d`, carries none). */
  hasPath: boolean;
  source: 'Referer' | 'Origin' | 'd' | 'redirect_uri';
}

export function parseUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export function findCaller(
  headers: { referer?: string | undefined; origin?: string | undefined },
  query: { d?: string | undefined; redirect_uri?: string | undefined },
  brokerOrigin: string,
): Caller | undefined {
  const referer = parseUrl(headers.referer);
  // A Referer from the broker itself (a page of ours) says nothing about the app.
  if (referer && referer.origin !== brokerOrigin) return { url: referer, hasPath: true, source: 'Referer' };
  const origin = headers.origin && headers.origin !== 'null' ? parseUrl(headers.origin) : undefined;
  if (origin && origin.origin !== brokerOrigin) return { url: origin, hasPath: false, source: 'Origin' };
  const d = parseUrl(query.d);
  if (d) return { url: d, hasPath: false, source: 'd' };
  const redirect = parseUrl(query.redirect_uri);
  if (redirect) return { url: redirect, hasPath: true, source: 'redirect_uri' };
  return undefined;
}

export type CallerCheck = { ok: true; rule: DomainRule } | { ok: false; message: string; hint: string };

export function checkCaller(rules: readonly DomainRule[], caller: Caller | undefined, appName: string): CallerCheck {
  const whitelist = rules.length > 0 ? rules.map((rule) => rule.source).join(', ') : '(empty)';
  const hint = `add the origin to app.domains in oauthd.json (now: ${whitelist})`;
  if (!caller) {
    return { ok: false, message: `cannot tell which page asks: no Referer, Origin, d or redirect_uri reached the broker`, hint };
  }
  const rule = findMatchingRule(rules, caller.url, caller.hasPath);
  if (rule) return { ok: true, rule };
  const seen = caller.hasPath ? `${caller.url.origin}${caller.url.pathname}` : caller.url.origin;
  return { ok: false, message: `${seen} (from ${caller.source}) is not allowed to use the app "${appName}"`, hint };
}
