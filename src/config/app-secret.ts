/**
 * The app secret: what an app's back end presents, with the public key, to trade a server-flow
 * code (POST /auth/access_token) or refresh a token. It lives in the vault under the app's key, or
 * in OAUTHD_APP_SECRET; it never sits in oauthd.json. Compared in constant time.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { SecretBackend } from '../vault/backend.js';

export const appSecretAccount = (appKey: string) => `secret:app:${appKey}`;

export async function loadAppSecret(
  appKey: string,
  env: Readonly<Record<string, string | undefined>>,
  vault: () => Promise<SecretBackend>,
): Promise<string | undefined> {
  if (env.OAUTHD_APP_SECRET) return env.OAUTHD_APP_SECRET;
  return (await vault()).get(appSecretAccount(appKey));
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function secretsEqual(candidate: string, expected: string): boolean {
  const a = hash('sha256', candidate, 'buffer');
  const b = hash('sha256', expected, 'buffer');
  return timingSafeEqual(a, b);
}
