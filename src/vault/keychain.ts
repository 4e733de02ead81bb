/**
 * The OS keychain through @napi-rs/keyring: macOS Keychain, Windows Credential Manager, the
 * Secret Service on Linux (GNOME Keyring, KWallet). It keeps keytar's model (service, account,
 * password; keytar itself is archived and needs a native build) but uses the package's Entry API
 * rather than its `keytar` module, for one reason: on Linux the keytar module silently falls back
 * to the kernel keyring (keyutils) when no Secret Service answers, where writes fail half-way and
 * values outlive the session. Entries here are pinned to the Secret Service: no silent fallback,
 * the CLI says out loud when it uses its 0600 file instead.
 */
import { SERVICE, type SecretBackend } from './backend.js';

type Keyring = typeof import('@napi-rs/keyring');

const LOCATIONS: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'macOS Keychain',
  win32: 'Windows Credential Manager',
  linux: 'Secret Service (GNOME Keyring / KWallet)',
};

const PINNED = { linux: { store: 'secret-service' as const } };

export class KeychainBackend implements SecretBackend {
  readonly kind = 'keychain' as const;
  readonly location: string;

  private constructor(
    private readonly keyring: Keyring,
    platform: NodeJS.Platform,
  ) {
    this.location = LOCATIONS[platform] ?? 'OS keychain';
  }

  /** Opens the keychain if one answers: listing the service's entries is the probe. */
  static async open(platform: NodeJS.Platform): Promise<KeychainBackend | { unavailable: string }> {
    let keyring: Keyring;
    try {
      keyring = await import('@napi-rs/keyring');
    } catch (error) {
      return { unavailable: `the keychain module did not load (${(error as Error).message})` };
    }
    try {
      await keyring.findCredentialsAsync(SERVICE);
      // Constructing a pinned entry fails at once where the pinned store does not exist.
      new keyring.AsyncEntry(SERVICE, 'probe', PINNED);
    } catch (error) {
      return { unavailable: (error as Error).message };
    }
    return new KeychainBackend(keyring, platform);
  }

  private entry(account: string) {
    return new this.keyring.AsyncEntry(SERVICE, account, PINNED);
  }

  async get(account: string): Promise<string | undefined> {
    return (await this.entry(account).getPassword()) ?? undefined;
  }

  async set(account: string, value: string): Promise<void> {
    await this.entry(account).setPassword(value);
  }

  async delete(account: string): Promise<boolean> {
    return this.entry(account).deleteCredential();
  }

  async accounts(): Promise<string[]> {
    return (await this.keyring.findCredentialsAsync(SERVICE)).map((entry) => entry.account);
  }
}
