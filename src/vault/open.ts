/**
 * Chooses where secrets rest: the OS keychain when one answers, else the 0600 file. The caller
 * hears of the fallback with the keychain's own reason (src/cli/vault.ts says it once per data
 * folder, in plain words; `doctor` shows the reason). `OAUTHD_STORE=keychain|file` (or a
 * command's --store) forces a choice; a forced keychain that does not answer is an error, not a
 * silent fallback.
 */
import { join } from 'node:path';
import type { SecretBackend } from './backend.js';
import { FileBackend } from './file.js';
import { KeychainBackend } from './keychain.js';
import { dataDir } from './paths.js';
import { configError } from '../util/errors.js';

export type StoreChoice = 'auto' | 'keychain' | 'file';

export interface VaultOptions {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  choice?: StoreChoice;
  /**
   * Told when no keychain answers and the file is used instead: the keychain library's reason
   * (raw, e.g. a D-Bus error) and the file's path. Not called when the file was chosen.
   */
  onFallback?: (fallback: { reason: string; location: string }) => void;
  /** Told when the keychain answered (so a later fallback is news again). */
  onKeychain?: () => void;
}

/** openVault with the place (env, platform) already given: what commands receive (src/cli/factory.ts). */
export type VaultOpener = (options?: Omit<VaultOptions, 'env' | 'platform'>) => Promise<SecretBackend>;

export function secretsFilePath(env: VaultOptions['env'], platform: NodeJS.Platform): string {
  return join(dataDir(env, platform), 'secrets.json');
}

export async function openVault(options: VaultOptions): Promise<SecretBackend> {
  const choice = options.choice ?? parseChoice(options.env.OAUTHD_STORE);
  const file = () => new FileBackend(secretsFilePath(options.env, options.platform));
  if (choice === 'file') return file();
  const keychain = await KeychainBackend.open(options.platform);
  if (keychain instanceof KeychainBackend) {
    options.onKeychain?.();
    return keychain;
  }
  if (choice === 'keychain') {
    throw configError(
      `the OS keychain is not available: ${keychain.unavailable}`,
      'start a Secret Service (gnome-keyring) in this session, or use --store file / OAUTHD_STORE=file',
    );
  }
  const fallback = file();
  options.onFallback?.({ reason: keychain.unavailable.split('\n')[0] ?? keychain.unavailable, location: fallback.location });
  return fallback;
}

function parseChoice(value: string | undefined): StoreChoice {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'keychain' || value === 'file') return value;
  throw configError(`OAUTHD_STORE="${value}" is not a store`, 'use OAUTHD_STORE=keychain, file or auto');
}
