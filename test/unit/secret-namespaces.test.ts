// Vault namespaces (issue 9 §4): provider secrets, the app secret and tokens live under separate
// fixed prefixes, and no secret reference of oauthd.json (env:/keychain:) reaches the app secret —
// neither at its current name, nor at the name earlier versions used (`secret:app:<key>`).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { legacyAccountForSecret, resolveSecret, vaultAccountForSecret } from '../../src/config/secrets.js';
import { appSecretAccount, legacyAppSecretAccount, loadAppSecret, storedAppSecret } from '../../src/config/app-secret.js';
import { tokenAccount } from '../../src/tokens/store.js';
import { FileBackend } from '../../src/vault/file.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

const APP_KEY = 'vM-SHe1ShjFefwKe3Mj9kIAmSKyml_xp';
const APP_SECRET = 'the-app-secret-E25gezrUiCf5KTDVTy';
const WHAT = 'the client secret of acme';

async function fileVault(): Promise<FileBackend> {
  const dir = await makeTempDir();
  return new FileBackend(path.join(dir.path, 'data', 'secrets.json'));
}

/** Every reference that, by its spelling, could aim at the app secret or a token. */
function hostileReferences(): string[] {
  const names = [
    `app:${APP_KEY}`,
    `APP:${APP_KEY}`,
    `App:${APP_KEY}`,
    `app-secret:${APP_KEY}`,
    `secret:app:${APP_KEY}`,
    `:app:${APP_KEY}`,
    `.app:${APP_KEY}`,
    'token:acme:default',
    'acme:default',
  ];
  return [...names.map((name) => `keychain:${name}`), 'env:OAUTHD_APP_SECRET', 'env:oauthd_app_secret', 'env:Oauthd_App_Secret'];
}

describe('the namespaces', () => {
  it('give each kind of entry its own fixed prefix', () => {
    expect(vaultAccountForSecret('github')).toBe('ref:github');
    expect(appSecretAccount(APP_KEY)).toBe(`app-secret:${APP_KEY}`);
    expect(tokenAccount('github', 'work')).toBe('token:github:work');
    // No reference name, in any case, turns a ref: account into another kind's account.
    for (const name of [`app:${APP_KEY}`, `-secret:${APP_KEY}`, 'token:github:work']) {
      const account = vaultAccountForSecret(name).toLowerCase();
      expect(account.startsWith('app-secret:') || account.startsWith('token:')).toBe(false);
    }
  });

  it('read an old provider secret only under a provider id, never anything with a colon', () => {
    expect(legacyAccountForSecret('github')).toBe('secret:github');
    expect(legacyAccountForSecret('my_idp-2')).toBe('secret:my_idp-2');
    for (const name of [`app:${APP_KEY}`, `APP:${APP_KEY}`, 'a:b', 'GitHub', '.x', '-x']) {
      expect(legacyAccountForSecret(name), name).toBeUndefined();
    }
  });
});

describe('a reference aimed at the app secret', () => {
  for (const where of ['current', 'legacy'] as const) {
    it(`never resolves to it (app secret at its ${where} name, and in $OAUTHD_APP_SECRET)`, async () => {
      const vault = await fileVault();
      await vault.set(where === 'current' ? appSecretAccount(APP_KEY) : legacyAppSecretAccount(APP_KEY), APP_SECRET);
      await vault.set(tokenAccount('acme'), JSON.stringify({ access_token: 'stored-token' }));
      const env = { OAUTHD_APP_SECRET: APP_SECRET, oauthd_app_secret: APP_SECRET, Oauthd_App_Secret: APP_SECRET };
      for (const reference of hostileReferences()) {
        const error = await caughtCliError(() => resolveSecret(reference, WHAT, env, async () => vault));
        expect(error.kind, reference).toBe('config');
        expect(error.message, reference).not.toContain(APP_SECRET);
      }
    });
  }

  it('env:OAUTHD_APP_SECRET is refused by name, with the fix', async () => {
    const error = await caughtCliError(() => resolveSecret('env:OAUTHD_APP_SECRET', WHAT, { OAUTHD_APP_SECRET: APP_SECRET }, async () => fileVault()));
    expect(error.message).toBe("env:OAUTHD_APP_SECRET names the app secret, which is only for your back end's calls to the broker");
    expect(error.hint).toContain('give the provider its own variable');
  });
});

describe('entries written by earlier versions', () => {
  it('a provider secret stored at secret:<id> is still read; the current name wins when both exist', async () => {
    const vault = await fileVault();
    await vault.set('secret:acme', 'old-acme-secret');
    expect(await resolveSecret('keychain:acme', WHAT, {}, async () => vault)).toBe('old-acme-secret');
    await vault.set(vaultAccountForSecret('acme'), 'new-acme-secret');
    expect(await resolveSecret('keychain:acme', WHAT, {}, async () => vault)).toBe('new-acme-secret');
  });

  it('the app secret at secret:app:<key> is moved to app-secret:<key> on first read', async () => {
    const vault = await fileVault();
    await vault.set(legacyAppSecretAccount(APP_KEY), APP_SECRET);
    expect(await loadAppSecret(APP_KEY, {}, async () => vault)).toBe(APP_SECRET);
    expect(await vault.get(legacyAppSecretAccount(APP_KEY))).toBeUndefined();
    expect(await vault.get(appSecretAccount(APP_KEY))).toBe(APP_SECRET);
    expect(await storedAppSecret(vault, APP_KEY)).toBe(APP_SECRET);
    // $OAUTHD_APP_SECRET still overrides the stored one.
    expect(await loadAppSecret(APP_KEY, { OAUTHD_APP_SECRET: 'from-env' }, async () => vault)).toBe('from-env');
  });

  it('a vault that refuses the move still yields the app secret (read where it is)', async () => {
    const vault = await fileVault();
    await vault.set(legacyAppSecretAccount(APP_KEY), APP_SECRET);
    const readOnly = Object.assign(Object.create(vault) as FileBackend, {
      set: async () => {
        throw new Error('read-only keychain');
      },
    });
    expect(await storedAppSecret(readOnly, APP_KEY)).toBe(APP_SECRET);
    expect(await vault.get(legacyAppSecretAccount(APP_KEY))).toBe(APP_SECRET);
  });
});
