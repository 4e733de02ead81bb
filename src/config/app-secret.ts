/**
 * The app secret: what an app's back end presents, with the public key, to trade a server-flow
 * code (POST /auth/access_token) or refresh a token. It lives in the vault under the app's key, or
 * in OAUTHD_APP_SECRET; it never sits in oauthd.json. Compared in constant time.
 *
 * Its vault entry, `app-secret:<key>`, is outside the `ref:` namespace that `keychain:` references
 * reach (secrets.ts), so no keyset can hand it to a provider.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { SecretBackend } from '../vault/backend.js';

export const appSecretAccount = (appKey: string) => `app-secret:${appKey}`;

/**
 * Where earlier versions kept it: `secret:app:<key>`, the namespace client-secret references then
 * read, so "keychain:app:<key>" reached it. An entry found there is moved out on first read.
 */
export const legacyAppSecretAccount = (appKey: string) => `secret:app:${appKey}`;

export async function loadAppSecret(
  appKey: string,
  env: Readonly<Record<string, string | undefined>>,
  vault: () => Promise<SecretBackend>,
): Promise<string | undefined> {
  if (env.OAUTHD_APP_SECRET) return env.OAUTHD_APP_SECRET;
  return storedAppSecret(await vault(), appKey);
}

/** The app secret in the vault, moved from its old name first when that is where it is. */
export async function storedAppSecret(vault: SecretBackend, appKey: string): Promise<string | undefined> {
  const current = await vault.get(appSecretAccount(appKey));
  if (current !== undefined) return current;
  const legacy = await vault.get(legacyAppSecretAccount(appKey));
  if (legacy === undefined) return undefined;
  try {
    await vault.set(appSecretAccount(appKey), legacy);
    await vault.delete(legacyAppSecretAccount(appKey));
  } catch {
    // A vault that refuses the write keeps the old entry; this version reads it from here, and
    // no reference reaches it (secrets.ts reads old names only for names without a colon).
  }
  return legacy;
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function secretsEqual(candidate: string, expected: string): boolean {
  return secretMatcher(expected)(candidate);
}

/** secretsEqual against one secret, many times: the secret's own hash is computed once. */
export function secretMatcher(expected: string): (candidate: string) => boolean {
  const digest = hash('sha256', expected, 'buffer');
  return (candidate) => timingSafeEqual(hash('sha256', candidate, 'buffer'), digest);
}
