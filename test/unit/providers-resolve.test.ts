// src/providers/template.ts + src/providers/resolve.ts, with real catalog files.
import { describe, expect, it } from 'vitest';
import { findCatalogProvider } from '../../src/providers/catalog.js';
import { resolveProvider } from '../../src/providers/resolve.js';
import type { ProviderSpec } from '../../src/providers/schema.js';
import { fillTemplate, TemplateError, templateNames } from '../../src/providers/template.js';
import { caught, caughtCliError } from './errors.js';

async function catalog(id: string): Promise<ProviderSpec> {
  const spec = await findCatalogProvider(id);
  if (spec === undefined) throw new Error(`providers/${id}.json is missing`);
  return spec;
}

describe('templateNames', () => {
  it('lists parameters, {client_id} and {token.<field>} in order', () => {
    expect(templateNames('{token.instance_url}/services/{tenant}/x?c={client_id}')).toEqual(['token.instance_url', 'tenant', 'client_id']);
    expect(templateNames('https://example.com/no/template')).toEqual([]);
    expect(templateNames('https://example.com/{Tenant}/{1x}')).toEqual([]);
  });
});

describe('fillTemplate', () => {
  it('percent-encodes a value inside the URL', () => {
    expect(fillTemplate('https://login.example.com/{tenant}/token', { tenant: 'a b/c?d#e&f=%' })).toBe(
      'https://login.example.com/a%20b%2Fc%3Fd%23e%26f%3D%25/token',
    );
    expect(fillTemplate('https://{shop}.example.com/x', { shop: 'ünïcode' })).toBe('https://%C3%BCn%C3%AFcode.example.com/x');
  });

  it('a value at position 0 is a base URL: must be http(s), a trailing slash dropped, not encoded', async () => {
    const salesforce = await catalog('salesforce');
    const profileUrl = salesforce.profile?.url as string;
    expect(profileUrl).toBe('{token.instance_url}/services/oauth2/userinfo');
    expect(fillTemplate(profileUrl, { 'token.instance_url': 'https://na1.my.salesforce.com/' })).toBe(
      'https://na1.my.salesforce.com/services/oauth2/userinfo',
    );
    expect(fillTemplate(salesforce.api?.baseUrl as string, { 'token.instance_url': 'https://na1.my.salesforce.com' })).toBe(
      'https://na1.my.salesforce.com',
    );
    for (const value of ['javascript:alert(1)', 'na1.my.salesforce.com', '//evil.example', 'https://a b.example', 'ftp://x']) {
      const error = await caught(() => fillTemplate(profileUrl, { 'token.instance_url': value }));
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).message).toBe(
        `{token.instance_url} must be an http(s) URL to start {token.instance_url}/services/oauth2/userinfo, got "${value}"`,
      );
      expect((error as TemplateError).missing).toBe('token.instance_url');
    }
  });

  it('a missing or empty value names the placeholder', async () => {
    for (const values of [{}, { tenant: '' }]) {
      const error = await caught(() => fillTemplate('https://x.example/{tenant}/t', values));
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).message).toBe('the URL https://x.example/{tenant}/t needs a value for {tenant}');
      expect((error as TemplateError).missing).toBe('tenant');
    }
  });
});

describe('resolveProvider', () => {
  it('microsoft: the default tenant fills every URL; client_id, scopes and endpoint settings come through', async () => {
    const spec = await catalog('microsoft');
    const resolved = resolveProvider(spec, { clientId: 'cid-1', clientSecret: 'env:MS_SECRET' }, 'catalog');
    expect(resolved).toMatchObject({
      id: 'microsoft',
      origin: 'catalog',
      clientId: 'cid-1',
      clientSecretRef: 'env:MS_SECRET',
      scopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read'],
      params: { client_id: 'cid-1', tenant: 'common' },
    });
    expect(resolved.oauth2).toEqual({
      authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      refreshUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      deviceAuthorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/devicecode',
      clientAuth: 'client_secret_post',
      pkce: 'supported',
      scopeSeparator: ' ',
      scopeParam: 'scope',
      authorizeParams: {},
      tokenParams: {},
      tokenHeaders: {},
      tokenRequestBody: 'form',
      tokenResponse: {},
      // Modern OAuth, off unless the provider or the keyset asks.
      par: false,
      dpop: false,
      resource: [],
      requestObject: false,
      jarm: false,
    });
    expect(resolved.issuer).toBe('https://login.microsoftonline.com/common/v2.0');
  });

  it('a keyset asks for PAR, DPoP, a client key, resources and authorization details (docs/modern-oauth.md)', async () => {
    const spec = await catalog('microsoft');
    const resolved = resolveProvider(
      spec,
      {
        clientId: 'c',
        authMethod: 'private_key_jwt',
        clientKey: 'keychain:ms-key',
        par: true,
        dpop: true,
        resource: ['https://graph.microsoft.com/'],
        authorizationDetails: [{ type: 'account_information' }],
      },
      'catalog',
    );
    expect(resolved.clientKeyRef).toBe('keychain:ms-key');
    expect(resolved.oauth2).toMatchObject({
      clientAuth: 'private_key_jwt',
      par: true,
      dpop: true,
      resource: ['https://graph.microsoft.com/'],
      authorizationDetails: '[{"type":"account_information"}]',
    });
  });

  it('microsoft: the keyset tenant and scopes win over the defaults', async () => {
    const spec = await catalog('microsoft');
    const resolved = resolveProvider(spec, { clientId: 'c', params: { tenant: 'contoso.onmicrosoft.com' }, scope: ['User.Read'] }, 'catalog');
    expect(resolved.oauth2?.tokenUrl).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(resolved.scopes).toEqual(['User.Read']);
    expect(resolved.params.tenant).toBe('contoso.onmicrosoft.com');
  });

  it('a parameter that does not match its pattern is refused with the pattern, the description and the fix', async () => {
    const spec = await catalog('microsoft');
    for (const tenant of ['evil.example/x', 'a b', 'x?y=1']) {
      const error = await caughtCliError(() => resolveProvider(spec, { clientId: 'c', params: { tenant } }, 'catalog'));
      expect(error.kind).toBe('config');
      expect(error.message).toBe(
        `microsoft: the parameter tenant="${tenant}" does not match ^[A-Za-z0-9.-]+$ (Directory (tenant) id or domain, or common / organizations / consumers)`,
      );
      expect(error.hint).toBe('fix it with: oauthd-cli providers add microsoft --param tenant=…');
    }
  });

  it('an unknown --param is refused, listing the parameters there are', async () => {
    const microsoft = await catalog('microsoft');
    const error = await caughtCliError(() => resolveProvider(microsoft, { clientId: 'c', params: { region: 'eu' } }, 'catalog'));
    expect(error.kind).toBe('config');
    expect(error.message).toBe('microsoft has no parameter "region"');
    expect(error.hint).toBe('its parameters are: tenant');

    const github = await catalog('github');
    const none = await caughtCliError(() => resolveProvider(github, { clientId: 'c', params: { tenant: 'x' } }, 'catalog'));
    expect(none.message).toBe('github has no parameter "tenant"');
    expect(none.hint).toBe('github takes no --param');
  });

  it('a parameter without a value and without a default names it and the providers add --param fix', async () => {
    const keycloak = await catalog('keycloak');
    const error = await caughtCliError(() => resolveProvider(keycloak, { clientId: 'c' }, 'catalog'));
    expect(error.kind).toBe('config');
    expect(error.message).toBe('keycloak: the URL {base_url}/realms/{realm} needs a value for {base_url}');
    expect(error.hint).toBe('set it with: oauthd-cli providers add keycloak --param base_url=…');

    const realm = await caughtCliError(() =>
      resolveProvider(keycloak, { clientId: 'c', params: { base_url: 'https://sso.example.com' } }, 'catalog'),
    );
    expect(realm.message).toBe('keycloak: the URL {base_url}/realms/{realm} needs a value for {realm}');
    expect(realm.hint).toBe('set it with: oauthd-cli providers add keycloak --param realm=…');
  });

  it('keycloak: a base URL parameter starts the templates; the issuer is filled too', async () => {
    const keycloak = await catalog('keycloak');
    const resolved = resolveProvider(
      keycloak,
      { clientId: 'c', params: { base_url: 'https://sso.example.com:8443/auth', realm: 'my.realm' } },
      'catalog',
    );
    expect(resolved.issuer).toBe('https://sso.example.com:8443/auth/realms/my.realm');
    expect(resolved.oauth2?.authorizeUrl).toBe('https://sso.example.com:8443/auth/realms/my.realm/protocol/openid-connect/auth');
    expect(resolved.oauth2?.revoke).toEqual({
      url: 'https://sso.example.com:8443/auth/realms/my.realm/protocol/openid-connect/revoke',
      method: 'POST',
      auth: 'client_secret_basic',
      tokenParam: 'token',
      body: 'form',
    });
  });

  it('salesforce: login_host default, revoke defaults, introspection, kept token fields', async () => {
    const salesforce = await catalog('salesforce');
    const resolved = resolveProvider(salesforce, { clientId: 'c' }, 'catalog');
    expect(resolved.params).toEqual({ client_id: 'c', login_host: 'login.salesforce.com' });
    expect(resolved.oauth2?.authorizeUrl).toBe('https://login.salesforce.com/services/oauth2/authorize');
    expect(resolved.oauth2?.introspectUrl).toBe('https://login.salesforce.com/services/oauth2/introspect');
    expect(resolved.oauth2?.revoke).toEqual({
      url: 'https://login.salesforce.com/services/oauth2/revoke',
      method: 'POST',
      auth: 'none',
      tokenParam: 'token',
      body: 'form',
    });
    expect(resolved.oauth2?.tokenResponse).toEqual({ keep: ['instance_url', 'id', 'signature', 'issued_at'] });
    const sandbox = resolveProvider(salesforce, { clientId: 'c', params: { login_host: 'test.salesforce.com' } }, 'catalog');
    expect(sandbox.oauth2?.tokenUrl).toBe('https://test.salesforce.com/services/oauth2/token');
  });

  it('{client_id} is a built-in template value, percent-encoded like any other', async () => {
    const microsoft = await catalog('microsoft');
    const spec: ProviderSpec = {
      ...microsoft,
      oauth2: { ...(microsoft.oauth2 as NonNullable<ProviderSpec['oauth2']>), tokenUrl: 'https://login.example.com/{tenant}/{client_id}/token' },
    };
    const resolved = resolveProvider(spec, { clientId: 'app id/1' }, 'catalog');
    expect(resolved.oauth2?.tokenUrl).toBe('https://login.example.com/common/app%20id%2F1/token');
    expect(resolved.oauth2?.refreshUrl).toBe(resolved.oauth2?.tokenUrl);
  });
});
