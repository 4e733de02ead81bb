/**
 * Where kept tokens are read: `--store` (or $OAUTHD_STORE) names one store; otherwise both the
 * keychain, when one answers, and the 0600 file.
 */
import { describeBackend, type SecretBackend } from '../vault/backend.js';
import type { StoreChoice, VaultOpener, VaultOptions } from '../vault/open.js';

/**
 * The stores to read. `--store` (or $OAUTHD_STORE) names one; otherwise both the keychain, when one
 * answers, and the 0600 file: a token kept in the file by `login --store file`, or while the keychain
 * was away, is still found.
 */
export async function openTokenStores(where: Pick<VaultOptions, 'env'> & { factory: { vault: VaultOpener } }, choice: StoreChoice | undefined): Promise<SecretBackend[]> {
  const fromEnv = where.env.OAUTHD_STORE;
  const pinned = choice ?? (fromEnv === 'keychain' || fromEnv === 'file' ? fromEnv : undefined);
  // No notice: reading needs no word about fallbacks; `token list` names each token's store.
  const primary = await where.factory.vault(pinned ? { choice: pinned } : {});
  if (pinned !== undefined || primary.kind === 'file') return [primary];
  return [primary, await where.factory.vault({ choice: 'file' })];
}

/** "the keychain (Secret Service …)", or the file's path with its mode. */
export function describeStore(vault: SecretBackend): string {
  return vault.kind === 'keychain' ? `the keychain (${vault.location})` : describeBackend(vault);
}
