/**
 * Opening the vault from a command: the OS keychain, or the 0600 file with one notice on stderr
 * saying so. `lazyVault` opens it on first use only, so a command that never touches a secret never
 * probes the keychain.
 */
import { openVault, type StoreChoice } from '../vault/open.js';
import type { SecretBackend } from '../vault/backend.js';
import type { Context } from './context.js';
import type { Ui } from './ui.js';

export function openUserVault(ctx: Context, ui: Ui, choice?: StoreChoice): Promise<SecretBackend> {
  return openVault({ env: ctx.env, platform: ctx.platform, ...(choice ? { choice } : {}), notice: (message) => ui.info(message) });
}

export function lazyVault(ctx: Context, ui: Ui, choice?: StoreChoice): () => Promise<SecretBackend> {
  let opening: Promise<SecretBackend> | undefined;
  return () => (opening ??= openUserVault(ctx, ui, choice));
}
