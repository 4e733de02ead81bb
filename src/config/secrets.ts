/**
 * Secret references. The config never holds a secret; it holds where to find one:
 *   env:VAR        the environment variable VAR, read at run time
 *   keychain:NAME  the entry `secret:NAME` in the vault (OS keychain, or the 0600 file fallback)
 */
import type { SecretBackend } from '../vault/backend.js';
import { configError } from '../util/errors.js';
import { SECRET_REF_PATTERN } from './schema.js';

export type SecretRef = { kind: 'env'; name: string } | { kind: 'keychain'; name: string };

const REF = new RegExp(SECRET_REF_PATTERN);

export function parseSecretRef(reference: string): SecretRef {
  if (!REF.test(reference)) {
    throw configError(
      `"${reference.slice(0, 12)}…" is not a secret reference`,
      'write env:VAR or keychain:NAME; the secret itself never goes into oauthd.json',
    );
  }
  const colon = reference.indexOf(':');
  return { kind: reference.slice(0, colon) as SecretRef['kind'], name: reference.slice(colon + 1) };
}

export const vaultAccountForSecret = (name: string) => `secret:${name}`;

/** Resolves a reference; `what` names the secret in errors ("the client secret of github"). */
export async function resolveSecret(
  reference: string,
  what: string,
  env: Readonly<Record<string, string | undefined>>,
  openVault: () => Promise<SecretBackend>,
): Promise<string> {
  const ref = parseSecretRef(reference);
  if (ref.kind === 'env') {
    const value = env[ref.name];
    if (value === undefined || value === '') {
      throw configError(`${what} comes from $${ref.name}, which is not set`, `export ${ref.name}=… before running`);
    }
    return value;
  }
  const vault = await openVault();
  const value = await vault.get(vaultAccountForSecret(ref.name));
  if (value === undefined) {
    throw configError(
      `${what} should be in the ${vault.kind === 'keychain' ? 'OS keychain' : `file ${vault.location}`} as "${ref.name}", but it is not there`,
      `store it again: printf %s "$SECRET" | oauthd-cli providers add ${ref.name} --client-secret-stdin`,
    );
  }
  return value;
}
