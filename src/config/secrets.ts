/**
 * Secret references. The config never holds a secret; it holds where to find one:
 *   env:VAR        the environment variable VAR, read at run time
 *   keychain:NAME  the entry `ref:NAME` in the vault (OS keychain, or the 0600 file fallback)
 *
 * Namespaces. The vault holds three kinds of entry, each under its own fixed prefix:
 *   ref:<NAME>                  what a `keychain:` reference names (client secrets, a Redis URL)
 *   app-secret:<app key>        the app secret (app-secret.ts)
 *   token:<provider>:<profile>  tokens (src/tokens/store.ts)
 * A reference only ever picks the part after `ref:`, so no NAME reaches the app secret or a token:
 * a keyset saying "keychain:app:<key>" must not send the app secret to a provider's token URL.
 * Likewise `env:OAUTHD_APP_SECRET`, the app secret's variable, is no reference's to read.
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { SecretBackend } from '../vault/backend.js';
import { configError } from '../util/errors.js';
import { SECRET_REF_PATTERN } from './schema.js';

export type SecretRef = { kind: 'env'; name: string } | { kind: 'keychain'; name: string };

const REF = new RegExp(SECRET_REF_PATTERN);

/** The app secret's variable (app-secret.ts). Case-blind: Windows reads environment names so. */
const APP_SECRET_VARIABLE = /^OAUTHD_APP_SECRET$/i;

export function parseSecretRef(reference: string): SecretRef {
  if (!REF.test(reference)) {
    throw configError(
      `"${reference.slice(0, 12)}…" is not a secret reference`,
      'write env:VAR or keychain:NAME; the secret itself never goes into oauthd.json',
    );
  }
  const colon = reference.indexOf(':');
  const ref = { kind: reference.slice(0, colon) as SecretRef['kind'], name: reference.slice(colon + 1) };
  if (ref.kind === 'env' && APP_SECRET_VARIABLE.test(ref.name)) {
    throw configError(
      `${reference} names the app secret, which is only for your back end's calls to the broker`,
      'give the provider its own variable (env:MYPROVIDER_CLIENT_SECRET) or store its secret with `providers add <id> --client-secret-stdin`',
    );
  }
  return ref;
}

export const vaultAccountForSecret = (name: string) => `ref:${name}`;

/**
 * Before the namespaces above, `providers add --client-secret-stdin` stored a secret at
 * `secret:<provider id>`, beside the app secret at `secret:app:<key>`. Such entries are still read,
 * but only for a NAME of the provider-id grammar (oauthd.json's provider keys): it has no colon,
 * so the old name can never be `secret:app:…`, in any letter case.
 */
const LEGACY_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const legacyAccountForSecret = (name: string): string | undefined => (LEGACY_NAME.test(name) ? `secret:${name}` : undefined);

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
  const legacy = legacyAccountForSecret(ref.name);
  const value = (await vault.get(vaultAccountForSecret(ref.name))) ?? (legacy !== undefined ? await vault.get(legacy) : undefined);
  if (value === undefined) {
    throw configError(
      `${what} should be in the ${vault.kind === 'keychain' ? 'OS keychain' : `file ${vault.location}`} as "${ref.name}", but it is not there`,
      `store it again: printf %s "$SECRET" | oauthd-cli providers add ${ref.name} --client-secret-stdin`,
    );
  }
  return value;
}

/**
 * A key or certificate (clientKey, clientCert): `file:PATH` is read from that file (relative to
 * `baseDir`, oauthd.json's folder), anything else is a secret reference (resolveSecret).
 */
export async function resolveKeyReference(
  reference: string,
  what: string,
  env: Readonly<Record<string, string | undefined>>,
  openVault: () => Promise<SecretBackend>,
  baseDir: string,
): Promise<string> {
  if (!reference.startsWith('file:')) return resolveSecret(reference, what, env, openVault);
  const path = resolvePath(baseDir, reference.slice('file:'.length));
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw configError(
      `${what} (${reference}): ${error.code === 'ENOENT' ? 'no such file' : `cannot read it (${error.code ?? error.message})`}`,
      'give the PEM file\'s path, absolute or relative to oauthd.json',
    );
  });
}
