/**
 * Opening the vault from a command: the OS keychain, or the 0600 file. The fallback to the file is
 * said once per data folder, in plain words, and a marker file there remembers that it was said
 * (the keychain's own reason, often a raw D-Bus error, stays in the marker, `--debug` and
 * `doctor`). When a keychain answers again the marker goes, so a later fallback is news again.
 * `lazyVault` opens the vault on first use only, so a command that never touches a secret never
 * probes the keychain.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreChoice } from '../vault/open.js';
import { dataDir } from '../vault/paths.js';
import type { SecretBackend } from '../vault/backend.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/fs.js';
import type { Context } from './context.js';
import type { Ui } from './ui.js';

/** In the data folder: present once the fallback notice was shown. */
export const FALLBACK_NOTICE_MARKER = 'no-keychain-notice';

export async function openUserVault(ctx: Context, ui: Ui, choice?: StoreChoice): Promise<SecretBackend> {
  let fallback: { reason: string; location: string } | undefined;
  let keychain = false;
  const vault = await ctx.factory.vault({
    ...(choice ? { choice } : {}),
    onFallback: (found) => (fallback = found),
    onKeychain: () => (keychain = true),
  });
  const folder = dataDir(ctx.env, ctx.platform);
  const marker = join(folder, FALLBACK_NOTICE_MARKER);
  if (fallback) await sayOnce(ctx, ui, folder, marker, fallback);
  else if (keychain) await rm(marker, { force: true }).catch(() => undefined);
  return vault;
}

export function lazyVault(ctx: Context, ui: Ui, choice?: StoreChoice): () => Promise<SecretBackend> {
  let opening: Promise<SecretBackend> | undefined;
  return () => (opening ??= openUserVault(ctx, ui, choice));
}

async function sayOnce(ctx: Context, ui: Ui, folder: string, marker: string, fallback: { reason: string; location: string }): Promise<void> {
  const said = await readFile(marker, 'utf8').then(
    () => true,
    () => false,
  );
  if (ctx.debug) ui.info(`debug: no OS keychain answered: ${fallback.reason}`);
  if (said) return;
  ui.info(
    `No OS keychain here, so oauthd-cli keeps your secrets and tokens in ${fallback.location}, readable only by you (mode 0600). ` +
      'This is said once; `oauthd-cli doctor` shows why no keychain answered.',
  );
  try {
    await ensurePrivateDir(folder);
    await writeFileAtomic(
      marker,
      `oauthd-cli said on ${new Date(ctx.factory.clock.now()).toISOString()} that no OS keychain answered (${fallback.reason}) ` +
        `and that secrets go to ${fallback.location}. Delete this file to hear it again.\n`,
      0o600,
    );
  } catch {
    // Not remembered: the notice comes again next time, which is the lesser harm.
  }
}
