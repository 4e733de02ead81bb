/**
 * A client `providers register --save <id>` made, opened for its client configuration endpoint
 * (RFC 7592 §2): its keyset in oauthd.json, the vault, and the registration access token that
 * endpoint wants. `providers registration` reads and updates it, `providers unregister` deletes it.
 */
import type { Context } from './context.js';
import type { Ui } from './ui.js';
import { openUserVault } from './vault.js';
import { locateConfig, missingConfigError, readConfig, type LoadedConfig } from '../config/load.js';
import type { Keyset } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import type { SecretBackend } from '../vault/backend.js';
import { usageError } from '../util/errors.js';

export interface RegisteredClientAccess {
  loaded: LoadedConfig;
  keyset: Keyset;
  registration: NonNullable<Keyset['registration']>;
  vault: SecretBackend;
  /** The registration access token (RFC 7592 §3), read from where the keyset's reference points. */
  token: string;
}

/**
 * `unregistered` says what a keyset without a registration block cannot do here and what to do
 * instead (the error's message tail and its hint).
 */
export async function openRegisteredClient(ctx: Context, ui: Ui, id: string, unregistered: { cannot: string; hint: (configPath: string) => string }): Promise<RegisteredClientAccess> {
  const target = locateConfig(ctx);
  const loaded = await readConfig(target.path);
  if (!loaded) throw missingConfigError(target, ctx.cwd);
  const keyset = loaded.config.providers[id];
  if (!keyset) throw usageError(`${id} has no keyset in ${loaded.path}`, 'oauthd-cli providers list shows the configured ones');
  const registration = keyset.registration;
  if (!registration) throw usageError(`${id} was not registered by oauthd-cli (its keyset has no registration block), so ${unregistered.cannot}`, unregistered.hint(loaded.path));
  const vault = await openUserVault(ctx, ui);
  const token = await resolveSecret(registration.accessToken, `the registration access token of ${id}`, ctx.env, async () => vault);
  return { loaded, keyset, registration, vault, token };
}
