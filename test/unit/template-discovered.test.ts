import { describe, expect, it } from 'vitest';
import { fillTemplate, TemplateError } from '../../src/providers/template.js';
import { specFromMetadata } from '../../src/providers/discovered.js';

describe('template values that would walk the path', () => {
  for (const value of ['.', '..']) {
    it(`refuses {tenant} = "${value}"`, () => {
      expect(() => fillTemplate('https://login.example/{tenant}/oauth2/token', { tenant: value })).toThrow(TemplateError);
    });
  }
  it('still accepts a dotted domain', () => {
    expect(fillTemplate('https://login.example/{tenant}/token', { tenant: 'contoso.onmicrosoft.com' })).toBe('https://login.example/contoso.onmicrosoft.com/token');
  });
});

describe('a description from discovery metadata', () => {
  const base = { issuer: 'https://as.example', authorization_endpoint: 'https://as.example/authorize', token_endpoint: 'https://as.example/token' };
  it('an RFC 8414 server without jwks_uri is plain OAuth: no oidc block, no OpenID scopes', () => {
    const spec = specFromMetadata('plain', 'Plain', base);
    expect(spec.oidc).toBeUndefined();
    expect(spec.oauth2?.scopes.default).toEqual([]);
    expect(spec.profile).toBeUndefined();
  });
  it('an OpenID provider gets its issuer, keys and the standard scopes it supports', () => {
    const spec = specFromMetadata('idp', 'IdP', { ...base, jwks_uri: 'https://as.example/jwks', scopes_supported: ['openid', 'email'], userinfo_endpoint: 'https://as.example/me' });
    expect(spec.oidc).toEqual({ issuer: 'https://as.example', jwksUri: 'https://as.example/jwks' });
    expect(spec.oauth2?.scopes.default).toEqual(['openid', 'email']);
    expect(spec.profile?.map.id).toBe('sub');
  });
});

describe('{id_token.*} templates', () => {
  it('are allowed in oidc.acceptIssuers only', async () => {
    const { validateProvider } = await import('../../src/providers/validate.js');
    const base = {
      id: 'ms',
      name: 'MS',
      docs: 'https://ms.example/docs',
      oauth2: { authorizeUrl: 'https://ms.example/a', tokenUrl: 'https://ms.example/t', clientAuth: 'client_secret_post', pkce: 'supported', scopes: { separator: ' ', default: [] } },
    };
    expect(validateProvider({ ...base, oidc: { issuer: 'https://ms.example', acceptIssuers: ['https://ms.example/{id_token.tid}/v2.0'] } })).toEqual([]);
    const misplaced = validateProvider({ ...base, oidc: { issuer: 'https://ms.example/{id_token.tid}' } });
    expect(misplaced).toEqual([{ path: '/oidc/issuer', message: 'uses {id_token.tid}, which only oidc.acceptIssuers may use (an id_token exists only there)' }]);
  });
});
