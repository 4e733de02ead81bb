// src/providers/token-origins.ts: the patterns a provider file declares for token fields that
// decide where a request goes, and the exact value shapes that may fill them.
import { describe, expect, it } from 'vitest';
import {
  filledOriginRefusal,
  hostValueRefusal,
  originFields,
  parseOriginPattern,
  startValueRefusal,
  tokenOriginPatterns,
  type OriginPattern,
} from '../../src/providers/token-origins.js';
import type { ProviderSpec } from '../../src/providers/schema.js';

function patterns(...sources: string[]): OriginPattern[] {
  return sources.map((source) => {
    const pattern = parseOriginPattern(source);
    if (!pattern) throw new Error(`not a pattern: ${source}`);
    return pattern;
  });
}

const SALESFORCE = patterns('https://*.my.salesforce.com', 'https://*.salesforce.com');

describe('parseOriginPattern', () => {
  it('reads host, wildcard, port and path', () => {
    expect(parseOriginPattern('https://*.Salesforce.com')).toEqual({ source: 'https://*.Salesforce.com', wildcard: true, host: 'salesforce.com', port: 443, path: '' });
    expect(parseOriginPattern('https://portal.example.com:8443/rest')).toEqual({ source: 'https://portal.example.com:8443/rest', wildcard: false, host: 'portal.example.com', port: 8443, path: '/rest' });
  });

  it.each([
    ['http, not https', 'http://*.salesforce.com'],
    ['a bare wildcard suffix', 'https://*.com'],
    ['a wildcard in the middle', 'https://api.*.adobesign.com'],
    ['a trailing slash', 'https://www.zohoapis.com/'],
    ['a dot segment', 'https://example.com/a/../b'],
    ['userinfo', 'https://user@example.com'],
    ['a query', 'https://example.com?x=1'],
    ['a fragment', 'https://example.com#x'],
    ['a port out of range', 'https://example.com:70000'],
    ['an unfilled template', 'https://{portal}/rest'],
  ])('refuses %s', (_name, source) => {
    expect(parseOriginPattern(source)).toBeUndefined();
  });
});

describe('originFields', () => {
  it('finds the token fields that start a URL or sit in its host, not those in its path or query', () => {
    expect(originFields('{token.instance_url}/services/oauth2/userinfo')).toEqual([{ field: 'instance_url', place: 'start' }]);
    expect(originFields('https://{token.host}/api/v4')).toEqual([{ field: 'host', place: 'host' }]);
    expect(originFields('https://api-{token.region}.example.com:{token.port}/x')).toEqual([
      { field: 'region', place: 'host' },
      { field: 'port', place: 'host' },
    ]);
    expect(originFields('https://www.polaraccesslink.com/v3/users/{token.x_user_id}')).toEqual([]);
    expect(originFields('https://api.epicgames.dev/epic/id/v2/accounts?accountId={token.account_id}')).toEqual([]);
    // A keyset parameter starting the URL is the developer's own configuration: not a token field.
    expect(originFields('{base_url}/api/v4')).toEqual([]);
  });
});

describe('startValueRefusal: a token field that starts a URL', () => {
  it.each([
    'https://acme.my.salesforce.com',
    'https://acme--dev.sandbox.my.salesforce.com',
    'https://na1.salesforce.com/',
    'https://NA1.Salesforce.com',
    'https://na1.salesforce.com:443',
  ])('accepts %s', (value) => {
    expect(startValueRefusal(value, SALESFORCE)).toBeUndefined();
  });

  it.each([
    ['plain http', 'http://acme.my.salesforce.com', 'not an https URL'],
    ['loopback', 'https://127.0.0.1:7001', 'not an origin the provider file allows'],
    ['loopback with a fragment', 'http://127.0.0.1:7001/secret#', 'not an https URL'],
    ['the bare suffix', 'https://salesforce.com', 'not an origin the provider file allows'],
    ['a look-alike suffix', 'https://evilsalesforce.com', 'not an origin the provider file allows'],
    ['a suffix used as a label', 'https://acme.salesforce.com.evil.example', 'not an origin the provider file allows'],
    ['userinfo', 'https://acme.my.salesforce.com@127.0.0.1', 'not a bare https origin'],
    ['a fragment hiding the host', 'https://127.0.0.1#.salesforce.com', 'not a bare https origin'],
    ['a query hiding the host', 'https://evil.example?.salesforce.com', 'not a bare https origin'],
    ['a path', 'https://acme.my.salesforce.com/services', 'not an origin the provider file allows'],
    ['a dot segment', 'https://acme.my.salesforce.com/..', 'not a bare https origin'],
    ['percent-encoding', 'https://acme%2emy.salesforce.com', 'not a bare https origin'],
    ['a backslash', 'https://evil.example\\.salesforce.com', 'not a bare https origin'],
    ['a trailing dot', 'https://acme.my.salesforce.com.', 'not a bare https origin'],
    ['another port', 'https://acme.my.salesforce.com:8443', 'not an origin the provider file allows'],
    ['an IPv6 literal', 'https://[::1]', 'not a bare https origin'],
    ['whitespace', 'https://acme.my.salesforce.com ', 'not a bare https origin'],
  ])('refuses %s', (_name, value, reason) => {
    expect(startValueRefusal(value, SALESFORCE)).toContain(reason);
  });

  it('a pattern with a path needs exactly that path (one trailing slash allowed)', () => {
    const bitrix = patterns('https://acme.bitrix24.com/rest');
    expect(startValueRefusal('https://acme.bitrix24.com/rest/', bitrix)).toBeUndefined();
    expect(startValueRefusal('https://acme.bitrix24.com/rest', bitrix)).toBeUndefined();
    expect(startValueRefusal('https://acme.bitrix24.com', bitrix)).toContain('not an origin the provider file allows');
    expect(startValueRefusal('https://acme.bitrix24.com/rest/x', bitrix)).toContain('not an origin the provider file allows');
    expect(startValueRefusal('https://acme.bitrix24.com/REST', bitrix)).toContain('not an origin the provider file allows');
  });

  it('no pattern: nothing passes', () => {
    expect(startValueRefusal('https://acme.my.salesforce.com', [])).toContain('none is declared');
  });
});

describe('a token field inside the host', () => {
  const wrike = patterns('https://*.wrike.com');

  it('the value is host characters only', () => {
    expect(hostValueRefusal('app-eu.wrike.com')).toBeUndefined();
    for (const value of ['evil.example/x', 'evil.example:8443', 'user@evil.example', 'evil.example#', 'evil.example?', '%65vil']) {
      expect(hostValueRefusal(value), value).toBeDefined();
    }
  });

  it('the URL it makes must have an allowed origin', () => {
    expect(filledOriginRefusal('https://app-eu.wrike.com/api/v4', wrike)).toBeUndefined();
    expect(filledOriginRefusal('https://127.0.0.1/api/v4', wrike)).toContain('https://127.0.0.1 is not an origin');
    expect(filledOriginRefusal('https://wrike.com.evil.example/api/v4', wrike)).toContain('is not an origin');
    expect(filledOriginRefusal('http://app-eu.wrike.com/api/v4', wrike)).toContain('not https');
  });
});

describe('tokenOriginPatterns', () => {
  const spec = {
    id: 'bitrix24',
    tokenOrigins: { client_endpoint: ['https://{portal}/rest'] },
  } as unknown as ProviderSpec;

  it('fills keyset parameters into the patterns', () => {
    expect(tokenOriginPatterns(spec, { portal: 'acme.bitrix24.com' }, 'client_endpoint')).toEqual([
      { source: 'https://acme.bitrix24.com/rest', wildcard: false, host: 'acme.bitrix24.com', port: 443, path: '/rest' },
    ]);
    expect(tokenOriginPatterns(spec, { portal: 'acme.bitrix24.com' }, 'other')).toEqual([]);
  });

  it('a parameter that does not make a pattern is refused, not widened', () => {
    expect(() => tokenOriginPatterns(spec, {}, 'client_endpoint')).toThrow(/needs a value for \{portal\}/);
    expect(() => tokenOriginPatterns(spec, { portal: 'evil.example/x' }, 'client_endpoint')).toThrow(/is not an https origin pattern/);
  });
});

describe('the origin of a token endpoint on loopback (a local stand-in of the provider)', () => {
  const SANDBOX_TOKEN_URL = 'http://127.0.0.1:6285/sandbox/login.salesforce.com/services/oauth2/token';

  it('is accepted without a pattern, over http, with a path of plain segments', () => {
    expect(startValueRefusal('http://127.0.0.1:6285/sandbox/token.instance_url', SALESFORCE, SANDBOX_TOKEN_URL)).toBeUndefined();
    expect(startValueRefusal('http://127.0.0.1:6285', SALESFORCE, SANDBOX_TOKEN_URL)).toBeUndefined();
    expect(startValueRefusal('http://localhost:6285/x/', SALESFORCE, 'http://LOCALHOST:6285/token')).toBeUndefined();
  });

  it.each([
    ['another port on the same address', 'http://127.0.0.1:6379'],
    ['another loopback name', 'http://localhost:6285/sandbox'],
    ['https where the endpoint is http', 'https://127.0.0.1:6285'],
    ['the default port', 'http://127.0.0.1/sandbox'],
    ['a dot segment', 'http://127.0.0.1:6285/sandbox/../admin'],
    ['userinfo', 'http://a@127.0.0.1:6285'],
    ['a query', 'http://127.0.0.1:6285/?x=1'],
    ['percent-encoding', 'http://127.0.0.1:6285/%2e%2e'],
    ['a port past 65535', 'http://127.0.0.1:99999'],
  ])('%s is still refused', (_name, value) => {
    expect(startValueRefusal(value, SALESFORCE, SANDBOX_TOKEN_URL)).toBeDefined();
  });

  it('a token endpoint that is not on loopback (every real provider) allows nothing beyond its patterns', () => {
    expect(startValueRefusal('https://login.salesforce.com', patterns('https://*.my.salesforce.com'), 'https://login.salesforce.com/services/oauth2/token')).toMatch(/not an origin the provider file allows/);
    expect(startValueRefusal('http://127.0.0.1:6285', SALESFORCE, 'https://login.salesforce.com/services/oauth2/token')).toMatch(/not an https URL/);
    expect(startValueRefusal('http://10.0.0.5:8080', SALESFORCE, 'http://10.0.0.5:8080/token')).toMatch(/not an https URL/);
  });
});
