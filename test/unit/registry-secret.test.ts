// A keyset's client secret is read from the vault once per provider, not once per flow; a failed
// read is not remembered. Providers are built once, however many flows ask at the same time.
import { describe, expect, it } from 'vitest';
import { configRegistry } from '../../src/registry/registry.js';
import { findCatalogEntry } from '../../src/providers/catalog.js';
import type { SecretBackend } from '../../src/vault/backend.js';

function countingVault(values: Record<string, string>) {
  let reads = 0;
  const vault: SecretBackend = {
    kind: 'file',
    location: '/tmp/none',
    get: async (account) => {
      reads += 1;
      return values[account];
    },
    set: async () => undefined,
    delete: async () => false,
    accounts: async () => Object.keys(values),
  };
  return { vault: async () => vault, reads: () => reads, values };
}

describe('client secret of a configured provider', () => {
  it('is read from the keychain once, however many flows need it', async () => {
    const store = countingVault({ 'ref:github': 's3cret' });
    const registry = configRegistry({ keysets: { github: { clientId: 'id', clientSecret: 'keychain:github' } }, env: {}, http: async () => { throw new Error('no network'); }, vault: store.vault });
    const provider = await registry.get('github');
    expect(await provider?.clientSecret()).toBe('s3cret');
    expect(await provider?.clientSecret()).toBe('s3cret');
    expect(store.reads()).toBe(1);
  });

  it('a failed read is tried again next time', async () => {
    const store = countingVault({});
    const registry = configRegistry({ keysets: { github: { clientId: 'id', clientSecret: 'keychain:github' } }, env: {}, http: async () => { throw new Error('no network'); }, vault: store.vault });
    const provider = await registry.get('github');
    await expect(provider?.clientSecret()).rejects.toThrow(/should be in the file/);
    store.values['ref:github'] = 'now-here';
    expect(await provider?.clientSecret()).toBe('now-here');
    // The miss looked under the current name and the old one (config/secrets.ts), the retry found it.
    expect(store.reads()).toBe(3);
  });
});

describe('provider lookups', () => {
  const noNetwork = async () => {
    throw new Error('no network');
  };

  it('concurrent first lookups share one build, and later ones get the same provider', async () => {
    let reads = 0;
    const registry = configRegistry({
      keysets: { github: { clientId: 'id' } },
      env: {},
      http: noNetwork,
      vault: countingVault({}).vault,
      catalog: async (id) => {
        reads += 1;
        return findCatalogEntry(id);
      },
    });
    const [a, b] = await Promise.all([registry.get('github'), registry.get('github')]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(await registry.get('github')).toBe(a);
    expect(reads).toBe(1);
  });

  it('an unknown provider or a failed build is not remembered: the next lookup tries again', async () => {
    const keysets: Record<string, { clientId: string }> = {};
    let failNext = true;
    const registry = configRegistry({
      keysets,
      env: {},
      http: noNetwork,
      vault: countingVault({}).vault,
      catalog: async (id) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk hiccup');
        }
        return findCatalogEntry(id);
      },
    });
    expect(await registry.get('github')).toBeUndefined();
    keysets.github = { clientId: 'id' };
    await expect(registry.get('github')).rejects.toThrow('disk hiccup');
    expect((await registry.get('github'))?.resolved.id).toBe('github');
  });
});
