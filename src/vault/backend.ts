/**
 * Where secrets rest: client secrets, the app secret and tokens. One interface, two backends:
 * the OS keychain (through the keytar API of @napi-rs/keyring) and a 0600 JSON file for machines
 * where no keychain answers. Every entry lives under the service name `oauthd-cli`; the account
 * name says what it is (`ref:<name>`, `app-secret:<key>`, `token:<provider>:<profile>`; config/secrets.ts).
 */
export const SERVICE = 'oauthd-cli';

export type BackendKind = 'keychain' | 'file';

/** Where a backend keeps things, for a sentence: "the Secret Service (…)" or "<path> (mode 0600)". */
export function describeBackend(vault: SecretBackend): string {
  return vault.kind === 'keychain' ? `the ${vault.location}` : `${vault.location} (mode 0600)`;
}

export interface SecretBackend {
  readonly kind: BackendKind;
  /** Human description: "Secret Service (GNOME Keyring, KWallet…)", or the file's path. */
  readonly location: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>;
  /** Every account name stored under the service. */
  accounts(): Promise<string[]>;
}
