// The catalog's modern-OAuth declarations (docs/modern-oauth.md "Catalog providers and modern
// OAuth"): which entries declare a PAR endpoint, that each is the authorization server's own, and
// the rule that a provider requiring PAR names where to push. The declarations at work (login
// pushing there, a requirePar entry pushing every time) are in
// test/integration/catalog-par.test.ts, against the sandbox's look-alike of the entry.
import { describe, expect, it } from 'vitest';
import { findCatalogProvider, loadCatalog } from '../../src/providers/catalog.js';
import { validateProvider } from '../../src/providers/validate.js';

describe('the catalog\'s PAR declarations (RFC 9126)', () => {
  it('auth0 and pingone declare their documented PAR endpoint, on the token endpoint\'s origin; no entry requires PAR or DPoP', async () => {
    const catalog = await loadCatalog();
    expect(catalog.broken).toEqual([]);
    const declaring = [...catalog.providers.values()].filter((spec) => spec.oauth2?.parUrl !== undefined);
    expect(Object.fromEntries(declaring.map((spec) => [spec.id, spec.oauth2!.parUrl]))).toEqual({
      auth0: 'https://{domain}/oauth/par',
      pingone: 'https://auth.pingone.{region}/{environment_id}/as/par',
    });
    const origin = (url: string) => /^https:\/\/[^/]+/.exec(url)?.[0];
    for (const spec of declaring) expect(origin(spec.oauth2!.parUrl!), spec.id).toBe(origin(spec.oauth2!.tokenUrl));
    // Optional at both (an application or tenant setting): none is declared required.
    expect([...catalog.providers.values()].filter((spec) => spec.oauth2?.requirePar || spec.oauth2?.dpop).map((spec) => spec.id)).toEqual([]);
  });

  it('requirePar without parUrl is refused, naming the field and the fix', async () => {
    const spec = structuredClone((await findCatalogProvider('auth0'))!);
    delete spec.oauth2!.parUrl;
    spec.oauth2!.requirePar = true;
    expect(validateProvider(spec, 'auth0')).toEqual([
      { path: '/oauth2/requirePar', message: 'is true but no parUrl says where to push (RFC 9126 §5 pushed_authorization_request_endpoint); add parUrl from the provider\'s documentation' },
    ]);
    spec.oauth2!.parUrl = 'https://{domain}/oauth/par';
    expect(validateProvider(spec, 'auth0')).toEqual([]);
  });
});
