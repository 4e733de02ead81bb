// src/config/domains.ts: the domains whitelist, every detail level, exact matching only.
import { describe, expect, it } from 'vitest';
import { findMatchingRule, normalizeDomain, originBlindRules, parseDomainRule, ruleMatches } from '../../src/config/domains.js';

/** Whether `rule` allows `url`; `hasPath` false models a bare Origin header. */
const allows = (rule: string, url: string, hasPath = true) => ruleMatches(parseDomainRule(rule), new URL(url), hasPath);

describe('parseDomainRule', () => {
  it('reads every detail level of the grammar', () => {
    expect(parseDomainRule('example.com')).toEqual({
      source: 'example.com',
      scheme: undefined,
      host: 'example.com',
      wildcard: false,
      port: undefined,
      path: undefined,
    });
    expect(parseDomainRule('*.example.com')).toEqual({
      source: '*.example.com',
      scheme: undefined,
      host: 'example.com',
      wildcard: true,
      port: undefined,
      path: undefined,
    });
    expect(parseDomainRule('https://example.com')).toMatchObject({ scheme: 'https', host: 'example.com', port: undefined, path: undefined });
    expect(parseDomainRule('http://example.com:8443')).toMatchObject({ scheme: 'http', host: 'example.com', port: 8443, path: undefined });
    expect(parseDomainRule('https://example.com:8443/app/cb')).toEqual({
      source: 'https://example.com:8443/app/cb',
      scheme: 'https',
      host: 'example.com',
      wildcard: false,
      port: 8443,
      path: '/app/cb',
    });
    expect(parseDomainRule('https://*.example.com')).toMatchObject({ scheme: 'https', wildcard: true, host: 'example.com' });
    expect(parseDomainRule('http://[::1]:3000')).toMatchObject({ host: '[::1]', port: 3000 });
  });

  it('lower-cases the host and keeps the entry as written for messages', () => {
    expect(parseDomainRule('https://Example.COM')).toMatchObject({
      source: 'https://Example.COM',
      host: 'example.com',
    });
    expect(parseDomainRule('  example.com ')).toMatchObject({ source: '  example.com ', host: 'example.com' });
  });

  it('rejects entries outside the grammar with a message naming the entry and the forms allowed', () => {
    const grammar = 'is not a domain entry; write host, scheme://host, scheme://host:port or scheme://host:port/path';
    for (const entry of ['*example.com', 'example.*', 'https://', 'exa mple.com', 'bücher.example', 'javascript:alert(1)', '']) {
      expect(() => parseDomainRule(entry), entry).toThrow(new Error(`"${entry}" ${grammar}`));
    }
  });

  it('names the precise reason where the entry shows it', () => {
    expect(() => parseDomainRule('ftp://example.com')).toThrow(new Error('"ftp://example.com" has the scheme ftp: only http and https pages use the broker'));
    expect(() => parseDomainRule('https://user@example.com')).toThrow(
      new Error('"https://user@example.com" has a user name: an origin has none; write the URL without "user@"'),
    );
    expect(() => parseDomainRule('https://example.com/cb?x=1')).toThrow(
      new Error('"https://example.com/cb?x=1" has a query: entries match an origin or a path only; drop "?x=1"'),
    );
    expect(() => parseDomainRule('https://example.com/#frag')).toThrow(
      new Error('"https://example.com/#frag" has a fragment: entries match an origin or a path only; drop "#frag"'),
    );
  });

  it('a path is the last detail level: it needs a scheme, and a bare "/" is no path', () => {
    expect(() => parseDomainRule('example.com/app')).toThrow(
      new Error(
        '"example.com/app" has a path but no scheme: a path is the most detailed level and needs the full URL; write https://example.com/app, or drop the path to allow the whole host',
      ),
    );
    expect(() => parseDomainRule('*.example.com/cb')).toThrow(/has a path but no scheme/);
    expect(parseDomainRule('http://localhost:3000/')).toEqual({
      source: 'http://localhost:3000/',
      scheme: 'http',
      host: 'localhost',
      wildcard: false,
      port: 3000,
      path: undefined,
    });
    expect(parseDomainRule('localhost:3000/')).toMatchObject({ host: 'localhost', port: 3000, path: undefined });
    expect(parseDomainRule('HTTPS://Example.com/')).toMatchObject({ scheme: 'https', host: 'example.com', path: undefined });
    // A deeper path keeps its trailing slash: /app/ and /app are different pages.
    expect(parseDomainRule('https://example.com/app/').path).toBe('/app/');
    expect(parseDomainRule('https://*.example.com/cb')).toMatchObject({ wildcard: true, path: '/cb' });
  });

  it('rejects empty labels and ports outside 1-65535', () => {
    expect(() => parseDomainRule('.example.com')).toThrow(new Error('".example.com" has an empty label in its host name'));
    expect(() => parseDomainRule('example..com')).toThrow(new Error('"example..com" has an empty label in its host name'));
    expect(() => parseDomainRule('example.com.')).toThrow(new Error('"example.com." has an empty label in its host name'));
    expect(() => parseDomainRule('https://example.com:0')).toThrow(new Error('"https://example.com:0" has a port outside 1-65535'));
    expect(() => parseDomainRule('https://example.com:65536')).toThrow(
      new Error('"https://example.com:65536" has a port outside 1-65535'),
    );
    expect(parseDomainRule('https://example.com:65535').port).toBe(65535);
  });
});

describe('ruleMatches', () => {
  it('host: that host, any scheme, port and path', () => {
    expect(allows('example.com', 'https://example.com')).toBe(true);
    expect(allows('example.com', 'http://example.com:8080/any/path?q=1')).toBe(true);
    expect(allows('example.com', 'https://EXAMPLE.com/')).toBe(true);
    expect(allows('Example.Com', 'https://example.com/')).toBe(true);
    expect(allows('example.com', 'https://example.com', false)).toBe(true);
  });

  it('host: no prefix, suffix, substring or subdomain match', () => {
    for (const url of [
      'https://example.com.evil.com',
      'https://evilexample.com',
      'https://example.com@evil.com/',
      'https://evil.com/example.com',
      'https://evil.com/?next=https://example.com',
      'https://sub.example.com',
      'https://example.co',
      'https://example.com.',
    ]) {
      expect(allows('example.com', url), url).toBe(false);
    }
  });

  it('only http and https URLs ever match', () => {
    expect(allows('example.com', 'ftp://example.com/')).toBe(false);
    expect(allows('example.com', 'ws://example.com/')).toBe(false);
    expect(allows('*.example.com', 'file://a.example.com/x')).toBe(false);
  });

  it('*.host: any subdomain, at any depth, but not the host itself', () => {
    expect(allows('*.example.com', 'https://a.example.com')).toBe(true);
    expect(allows('*.example.com', 'http://a.b.example.com:8080/x')).toBe(true);
    expect(allows('*.example.com', 'https://example.com')).toBe(false);
    expect(allows('*.example.com', 'https://evilexample.com')).toBe(false);
    expect(allows('*.example.com', 'https://a.example.com.evil.com')).toBe(false);
    expect(allows('https://*.example.com', 'http://a.example.com')).toBe(false);
  });

  it('scheme://host: that scheme only, any port', () => {
    expect(allows('https://example.com', 'https://example.com:8443/x')).toBe(true);
    expect(allows('https://example.com', 'http://example.com')).toBe(false);
    expect(allows('http://example.com', 'https://example.com')).toBe(false);
  });

  it('scheme://host:port: that port, with default ports taken into account', () => {
    expect(allows('https://example.com:8443', 'https://example.com:8443')).toBe(true);
    expect(allows('https://example.com:8443', 'https://example.com')).toBe(false);
    expect(allows('https://example.com:8443', 'https://example.com:9443')).toBe(false);
    // The URL parser drops a default port: https://example.com:443 is https://example.com.
    expect(allows('https://example.com:443', 'https://example.com')).toBe(true);
    expect(allows('https://example.com:443', 'https://example.com:443')).toBe(true);
    expect(allows('http://example.com:80', 'http://example.com/')).toBe(true);
    expect(allows('https://example.com:80', 'https://example.com')).toBe(false);
    expect(allows('example.com:443', 'https://example.com')).toBe(true);
    expect(allows('example.com:443', 'http://example.com')).toBe(false);
  });

  it('scheme://host:port/path: exactly that path, query ignored, only when the path is known', () => {
    const rule = 'https://example.com:8443/app/cb';
    expect(allows(rule, 'https://example.com:8443/app/cb')).toBe(true);
    expect(allows(rule, 'https://example.com:8443/app/cb?code=1&state=2')).toBe(true);
    expect(allows(rule, 'https://example.com:8443/app/cb/')).toBe(false);
    expect(allows(rule, 'https://example.com:8443/app/cbx')).toBe(false);
    expect(allows(rule, 'https://example.com:8443/app')).toBe(false);
    expect(allows(rule, 'https://example.com:8443/')).toBe(false);
    expect(allows(rule, 'https://example.com:8443/APP/CB')).toBe(false);
    expect(allows(rule, 'https://example.com/app/cb')).toBe(false);
    // An Origin header carries no path: a path rule never matches it, even at the root.
    expect(allows(rule, 'https://example.com:8443', false)).toBe(false);
    expect(allows(rule, 'https://example.com:8443/app/cb', false)).toBe(false);
  });

  it('an entry with a trailing "/" is the origin: it matches the Origin header of API calls too', () => {
    // Before, "http://localhost:3000/" matched the popup's Referer but no Origin: sign-in worked, /me failed.
    expect(allows('http://localhost:3000/', 'http://localhost:3000', false)).toBe(true);
    expect(allows('http://localhost:3000/', 'http://localhost:3000/any/page', true)).toBe(true);
    expect(allows('http://localhost:3000/', 'http://localhost:3001', false)).toBe(false);
  });

  it('IPv6 literals compare with their brackets', () => {
    expect(allows('http://[::1]:3000', 'http://[::1]:3000/')).toBe(true);
    expect(allows('http://[::1]:3000', 'http://127.0.0.1:3000/')).toBe(false);
  });
});

describe('findMatchingRule', () => {
  it('returns the first rule that allows the URL, or undefined', () => {
    const rules = ['https://app.example.com:8443/cb', '*.example.com', 'localhost'].map(parseDomainRule);
    expect(findMatchingRule(rules, new URL('https://app.example.com:8443/cb'), true)?.source).toBe('https://app.example.com:8443/cb');
    expect(findMatchingRule(rules, new URL('https://app.example.com:8443'), false)?.source).toBe('*.example.com');
    expect(findMatchingRule(rules, new URL('http://localhost:3000'), false)?.source).toBe('localhost');
    expect(findMatchingRule(rules, new URL('https://example.com'), false)).toBeUndefined();
    expect(findMatchingRule([], new URL('https://example.com'), true)).toBeUndefined();
  });
});

describe('normalizeDomain', () => {
  it('drops a bare trailing "/" and the spaces around, keeps everything else as written', () => {
    expect(normalizeDomain('http://localhost:3000/')).toBe('http://localhost:3000');
    expect(normalizeDomain(' https://app.example.com/ ')).toBe('https://app.example.com');
    expect(normalizeDomain('example.com/')).toBe('example.com');
    expect(normalizeDomain('http://localhost:3000')).toBe('http://localhost:3000');
    expect(normalizeDomain('https://example.com:8443/app/cb')).toBe('https://example.com:8443/app/cb');
    expect(normalizeDomain('https://example.com/app/')).toBe('https://example.com/app/');
    expect(normalizeDomain('*.Example.com')).toBe('*.Example.com');
  });

  it('refuses what parseDomainRule refuses, with the same reason', () => {
    expect(() => normalizeDomain('example.com/app')).toThrow(/has a path but no scheme/);
    expect(() => normalizeDomain('http://localhost:3000/?x')).toThrow(/has a query/);
  });
});

describe('originBlindRules', () => {
  const blind = (...entries: string[]) => originBlindRules(entries.map(parseDomainRule)).map((rule) => rule.source);

  it('a path entry alone can never match an Origin header', () => {
    expect(blind('https://example.com:8443/app/cb')).toEqual(['https://example.com:8443/app/cb']);
    expect(blind('http://localhost:3000/index.html', 'https://b.example/cb')).toEqual(['http://localhost:3000/index.html', 'https://b.example/cb']);
  });

  it('is covered by a path-less entry that allows every origin the path entry names', () => {
    expect(blind('https://example.com:8443/app/cb', 'https://example.com:8443')).toEqual([]);
    expect(blind('https://example.com:8443/app/cb', 'https://example.com')).toEqual([]);
    expect(blind('https://example.com:8443/app/cb', 'example.com')).toEqual([]);
    expect(blind('https://a.example.com/cb', '*.example.com')).toEqual([]);
    expect(blind('https://*.example.com/cb', '*.example.com')).toEqual([]);
    // Not covered: another scheme, another port, another host, the parent of a wildcard.
    expect(blind('https://example.com/cb', 'http://example.com')).toEqual(['https://example.com/cb']);
    expect(blind('https://example.com:8443/cb', 'https://example.com:9443')).toEqual(['https://example.com:8443/cb']);
    expect(blind('https://example.com/cb', 'example.org')).toEqual(['https://example.com/cb']);
    expect(blind('https://*.example.com/cb', 'example.com')).toEqual(['https://*.example.com/cb']);
  });

  it('says nothing about entries without a path, nor about a bare trailing "/"', () => {
    expect(blind('http://localhost:3000/', 'example.com', '*.example.com')).toEqual([]);
  });
});
