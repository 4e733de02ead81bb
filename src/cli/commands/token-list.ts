/**
 * `oauthd-cli token list`: every token kept, one line each: provider, profile, account, the store
 * it rests in, scopes and expiry. Never a token value: a listing is something people paste.
 */
import type { Context } from '../context.js';
import type { ListFlags } from './token-list.flags.js';
import { Ui } from '../ui.js';
import { shortExpiry, table, tokenScopes, tokenSummary, type TokenSummary } from '../render/stored-token.js';
import { secondsLeft } from '../../tokens/expiry.js';
import { listTokens, type StoredToken } from '../../tokens/store.js';
import { describeStore, openTokenStores } from '../../tokens/stores.js';
import type { SecretBackend } from '../../vault/backend.js';

/** What `token list` parses (./token-list.flags.ts). */
export type ListOptions = ListFlags;

/** One line of `--json`: what the token is, never the token. */
export interface TokenListEntry extends TokenSummary {
  /** Null when the lifetime is unknown. */
  expired: boolean | null;
  refreshable: boolean;
}

export async function run(ctx: Context, options: ListOptions): Promise<void> {
  const ui = new Ui(ctx);
  const now = ctx.factory.clock.now();
  const stores = await openTokenStores(ctx, options.store);
  const found: Array<{ stored: StoredToken; vault: SecretBackend }> = [];
  for (const vault of stores) {
    for (const stored of await listTokens(vault)) {
      if (options.profile === undefined || stored.profile === options.profile) found.push({ stored, vault });
    }
  }
  found.sort((a, b) => a.stored.provider.localeCompare(b.stored.provider) || a.stored.profile.localeCompare(b.stored.profile));

  if (options.json) {
    ui.json(found.map(({ stored, vault }) => entry(stored, vault, now)));
    return;
  }
  const where = stores.map(describeStore).join(' or ');
  if (found.length === 0) {
    const which = options.profile === undefined ? 'No tokens' : `No tokens for the profile ${options.profile}`;
    ui.info(`${which} in ${where}. Sign in with: oauthd-cli login <provider>`);
    return;
  }
  const body = found.map(({ stored, vault }) => {
    const { scopes, granted } = tokenScopes(stored);
    return [
      stored.provider,
      stored.profile,
      stored.subject ?? '-',
      vault.kind,
      scopes.length === 0 ? '-' : `${scopes.join(' ')}${granted ? '' : ' (asked)'}`,
      shortExpiry(stored, now),
    ];
  });
  const legend = [...new Set(found.map(({ vault }) => vault))].map((vault) =>
    vault.kind === 'keychain' ? `keychain: ${vault.location}` : `file:     ${vault.location} (mode 0600, plain text protected by file permissions)`,
  );
  ui.result(`${table(['PROVIDER', 'PROFILE', 'ACCOUNT', 'STORE', 'SCOPES', 'EXPIRES'], body, ui.out)}\n\n${legend.join('\n')}`);
}

function entry(stored: StoredToken, vault: SecretBackend, now: number): TokenListEntry {
  const summary = tokenSummary(stored, vault);
  const oauth1 = summary.protocol === 'oauth1';
  const left = secondsLeft(stored, now);
  return {
    ...summary,
    expired: oauth1 || left === undefined ? null : left <= 0,
    refreshable: !oauth1 && stored.token.refresh_token !== undefined,
  };
}
