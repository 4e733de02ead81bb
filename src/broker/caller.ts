/**
 * Who is asking: the page that opened the popup or started the redirect, checked against the app's
 * domains whitelist. oauthd looked, in order, at the Referer, the Origin, the SDK's `d` parameter and
 * `redirect_uri`; so do we, with exact matching (src/config/domains.ts) and a refusal that says
 * what was seen and what the whitelist holds (oauthd issue #110).
 */
import { findMatchingRule, type DomainRule } from '../config/domains.js';

export interface Caller {
  url: URL;
  /** url.origin, read once (the getter builds a new string on every read). */
  origin: string;
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

function callerFrom(value: string | undefined, hasPath: boolean, source: Caller['source'], brokerOrigin?: string): Caller | undefined {
  const url = parseUrl(value);
  if (!url) return undefined;
  const origin = url.origin;
  // A Referer or Origin from the broker itself (a page of ours) says nothing about the app.
  return origin === brokerOrigin ? undefined : { url, origin, hasPath, source };
}

export function findCaller(
  headers: { referer?: string | undefined; origin?: string | undefined },
  query: { d?: string | undefined; redirect_uri?: string | undefined },
  brokerOrigin: string,
): Caller | undefined {
  return (
    callerFrom(headers.referer, true, 'Referer', brokerOrigin) ??
    (headers.origin === 'null' ? undefined : callerFrom(headers.origin, false, 'Origin', brokerOrigin)) ??
    callerFrom(query.d, false, 'd') ??
    callerFrom(query.redirect_uri, true, 'redirect_uri')
  );
}

export type CallerCheck = { ok: true; rule: DomainRule } | { ok: false; message: string; hint: string };

export function checkCaller(rules: readonly DomainRule[], caller: Caller | undefined, appName: string): CallerCheck {
  const rule = caller && findMatchingRule(rules, caller.url, caller.hasPath);
  if (rule) return { ok: true, rule };
  const whitelist = rules.length > 0 ? rules.map((entry) => entry.source).join(', ') : '(empty)';
  const hint = `add the origin to app.domains in oauthd.json (now: ${whitelist})`;
  if (!caller) {
    return { ok: false, message: `cannot tell which page asks: no Referer, Origin, d or redirect_uri reached the broker`, hint };
  }
  const seen = caller.hasPath ? `${caller.origin}${caller.url.pathname}` : caller.origin;
  return { ok: false, message: `${seen} (from ${caller.source}) is not allowed to use the app "${appName}"`, hint };
}
