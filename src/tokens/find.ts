/**
 * Finding the kept token of a provider and profile, in the stores `--store` names (./stores.ts).
 * A miss says why: an unknown provider (with the names close to it), another profile that has a
 * token, or no token at all, and the command that gets one.
 */
import { configPathFor, readConfig, type ConfigLocation } from '../config/load.js';
import { catalogDirs } from '../providers/catalog.js';
import { providerIds, unknownProvider } from '../registry/find.js';
import { SANDBOX_ID } from '../sandbox/spec.js';
import type { SecretBackend } from '../vault/backend.js';
import type { StoreChoice, VaultOpener } from '../vault/open.js';
import { configError, type CliError } from '../util/errors.js';
import { loginCommand } from './hints.js';
import { implicitProfile, resolveProfile } from './profiles.js';
import { listTokens, loadToken, tokenAccount, type StoredToken } from './store.js';
import { describeStore, openTokenStores } from './stores.js';

/** Where a command runs: the config and provider folders it finds, the vault of its data folder. */
export interface TokenPlace extends ConfigLocation {
  platform: NodeJS.Platform;
  /** Opens the vault of this place: the CLI's (src/cli/factory.ts), or an in-memory one in tests. */
  factory: { vault: VaultOpener };
}

/** `--profile` and `--store`, which every token command takes. */
export interface TokenSelector {
  /** Absent: $OAUTHD_PROFILE, else the profile `token switch` chose, else "default" (profiles.ts). */
  profile?: string;
  store?: StoreChoice;
}

/** A token, and the store it was found in (where a refreshed one is saved back). */
export interface LocatedToken {
  stored: StoredToken;
  vault: SecretBackend;
  /** The profile a command without --profile picks for this provider: suggested commands name the token's when it differs (hints.ts). */
  implicitProfile: string | undefined;
}

export async function findStoredToken(place: TokenPlace, provider: string, options: TokenSelector): Promise<LocatedToken> {
  const { profile } = await resolveProfile(place, provider, options.profile);
  const implicit = options.profile === undefined ? profile : await implicitProfile(place, provider);
  const stores = await openTokenStores(place, options.store);
  for (const vault of stores) {
    let stored: StoredToken | undefined;
    try {
      stored = await loadToken(vault, provider, profile);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw configError(
        `the entry ${tokenAccount(provider, profile)} in ${describeStore(vault)} is not a readable token`,
        `log in again to replace it: ${loginCommand(provider, profile, implicit)}`,
      );
    }
    if (stored) return { stored, vault, implicitProfile: implicit };
  }
  throw await missingToken(place, provider, profile, implicit, stores);
}

async function missingToken(place: TokenPlace, provider: string, profile: string, implicit: string | undefined, stores: SecretBackend[]): Promise<CliError> {
  const kept = (await Promise.all(stores.map(listTokens))).flat();
  const profiles = [...new Set(kept.filter((token) => token.provider === provider).map((token) => token.profile))];
  if (profiles.length === 0) {
    const known = await knownProviders(place);
    if (!known.includes(provider)) {
      return unknownProvider(provider, [...known, ...kept.map((token) => token.provider)], 'oauthd-cli token list shows the tokens kept');
    }
  }
  const where = stores.map(describeStore).join(' or ');
  const hint =
    profiles.length > 0
      ? `${provider} has tokens for the profile${profiles.length > 1 ? 's' : ''} ${profiles.join(', ')} (--profile ${profiles[0]}); or run \`${loginCommand(provider, profile, implicit)}\``
      : `run \`${loginCommand(provider, profile, implicit)}\``;
  return configError(`no token for ${provider} (profile ${profile}) in ${where}`, hint);
}

/** Providers a token could come from: the sandbox, keysets in oauthd.json, provider files. */
async function knownProviders(place: TokenPlace): Promise<string[]> {
  // Only for "did you mean": a broken config or provider folder is reported by the commands that need them.
  const config = await readConfig(configPathFor(place)).catch(() => undefined);
  const keysets = config?.config.providers ?? {};
  return providerIds(keysets, catalogDirs(place)).catch(() => [SANDBOX_ID, ...Object.keys(keysets)]);
}
