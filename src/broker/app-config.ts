/** The app of oauthd.json as the broker sees it: parsed domain rules, TTLs, the secret check. */
import type { AppConfig } from '../config/schema.js';
import { parseDomainRule } from '../config/domains.js';
import { loadAppSecret, secretMatcher } from '../config/app-secret.js';
import type { SecretBackend } from '../vault/backend.js';
import type { BrokerApp } from './types.js';

export const DEFAULT_CODE_TTL_SECONDS = 60;

export async function appFromConfig(
  app: AppConfig,
  env: Readonly<Record<string, string | undefined>>,
  vault: () => Promise<SecretBackend>,
): Promise<BrokerApp> {
  let matches: Promise<((candidate: string) => boolean) | undefined> | undefined;
  return {
    key: app.key,
    name: app.name,
    flow: app.flow,
    domains: app.domains.map(parseDomainRule),
    refreshTokensToClient: app.refreshTokensToClient ?? false,
    codeTtlMs: (app.codeTtlSeconds ?? DEFAULT_CODE_TTL_SECONDS) * 1000,
    async verifySecret(candidate) {
      // A failed read (a locked keychain) is not kept: the next request tries again.
      matches ??= loadAppSecret(app.key, env, vault).then(
        (secret) => (secret === undefined ? undefined : secretMatcher(secret)),
        (error: unknown) => {
          matches = undefined;
          throw error;
        },
      );
      return (await matches)?.(candidate) ?? false;
    },
  };
}
