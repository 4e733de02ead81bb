/**
 * Finding a provider by id, the one way every command and the broker do it: a provider built into
 * oauthd-cli (the sandbox), else a provider file (user folders first, then the shipped catalog),
 * else a keyset added with `providers add <id> --issuer` (its cached discovery document). The
 * keyset of oauthd.json comes along when there is one; an unknown id gets "did you mean".
 */
import type { Keyset } from '../config/schema.js';
import { catalogIds, unknownNameHint, type CatalogEntry } from '../providers/catalog.js';
import { specFromMetadata } from '../providers/discovered.js';
import type { ProviderSpec } from '../providers/schema.js';
import { SANDBOX_CLIENT_ID, SANDBOX_ID, sandboxSpec } from '../sandbox/spec.js';
import { usageError, type CliError } from '../util/errors.js';

/** Where a description came from. */
export type ProviderSource = { kind: 'file'; file: string } | { kind: 'issuer'; issuer: string } | { kind: 'built-in' };

/** A provider's description, where it came from, and its keyset in oauthd.json (undefined: not configured). */
export interface FoundProvider {
  spec: ProviderSpec;
  source: ProviderSource;
  keyset: Keyset | undefined;
}

/** A provider that exists without a keyset in oauthd.json: its description and its own client. */
export interface BuiltinDescription {
  spec(): ProviderSpec;
  keyset: Keyset;
}

export interface ProviderLookup {
  keysets: Readonly<Record<string, Keyset>>;
  /** Reads a provider file: findCatalogEntry over the provider folders, or serve's watcher. */
  catalog: (id: string) => Promise<CatalogEntry | undefined>;
  builtins?: ReadonlyMap<string, BuiltinDescription>;
}

export async function findProvider(id: string, lookup: ProviderLookup): Promise<FoundProvider | undefined> {
  const builtin = lookup.builtins?.get(id);
  if (builtin) return { spec: builtin.spec(), source: { kind: 'built-in' }, keyset: builtin.keyset };
  const keyset = lookup.keysets[id];
  const entry = await lookup.catalog(id);
  if (entry) return { spec: entry.spec, source: { kind: 'file', file: entry.file }, keyset };
  if (keyset?.discovered) {
    return { spec: specFromMetadata(id, id, keyset.discovered), source: { kind: 'issuer', issuer: keyset.discovered.issuer }, keyset };
  }
  return undefined;
}

/** The sandbox as described when no sandbox runs: for a broker that would listen at `brokerOrigin`. */
export function sandboxDescription(brokerOrigin: string): BuiltinDescription {
  return { spec: () => sandboxSpec(brokerOrigin), keyset: { clientId: SANDBOX_CLIENT_ID } };
}

/** Every id a provider can be found by: the sandbox, the keysets, the provider files of `dirs`. */
export async function providerIds(keysets: Readonly<Record<string, Keyset>>, dirs: readonly string[]): Promise<string[]> {
  return [...new Set([SANDBOX_ID, ...Object.keys(keysets), ...(await catalogIds(dirs))])];
}

/** `unknown provider "<id>"`, with the names close to it, then where to look (`then`). */
export function unknownProvider(id: string, names: readonly string[], then: string): CliError {
  return usageError(`unknown provider "${id}"`, unknownNameHint(id, names, then));
}
