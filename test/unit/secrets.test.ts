// src/config/secrets.ts: env: and keychain: references, resolved at run time.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseSecretRef, resolveSecret, vaultAccountForSecret } from '../../src/config/secrets.js';
import type { SecretBackend } from '../../src/vault/backend.js';
import { FileBackend } from '../../src/vault/file.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

const WHAT = 'the client secret of github';

async function fileVault(): Promise<FileBackend> {
  const dir = await makeTempDir();
  return new FileBackend(path.join(dir.path, 'data', 'secrets.json'));
}

describe('parseSecretRef', () => {
  it('reads env:VAR and keychain:NAME', () => {
    expect(parseSecretRef('env:GITHUB_CLIENT_SECRET')).toEqual({ kind: 'env', name: 'GITHUB_CLIENT_SECRET' });
    expect(parseSecretRef('env:_x1')).toEqual({ kind: 'env', name: '_x1' });
    expect(parseSecretRef('keychain:github.client-secret@work:2')).toEqual({ kind: 'keychain', name: 'github.client-secret@work:2' });
  });

  it('refuses anything else, without echoing a secret pasted in its place', async () => {
    const secret = 'ghs_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
    for (const value of [secret, 'env:', 'env:1VAR', 'env:MY-VAR', 'keychain:', 'keychain:a b', 'vault:x', 'ENV:VAR', ' env:VAR']) {
      const error = await caughtCliError(() => parseSecretRef(value));
      expect(error.kind, value).toBe('config');
      expect(error.message, value).toMatch(/^".*…" is not a secret reference$/);
      expect(error.hint, value).toBe('write env:VAR or keychain:NAME; the secret itself never goes into oauthd.json');
    }
    const error = await caughtCliError(() => parseSecretRef(secret));
    expect(error.message).not.toContain(secret);
  });
});

describe('resolveSecret', () => {
  const noVault = () => Promise.reject(new Error('the vault must not be opened for env: references'));

  it('env: returns the variable, without opening the vault', async () => {
    const openVault = vi.fn(noVault);
    expect(await resolveSecret('env:GH_SECRET', WHAT, { GH_SECRET: 's3cr3t' }, openVault)).toBe('s3cr3t');
    expect(openVault).not.toHaveBeenCalled();
  });

  it('env: an unset or empty variable is a config error naming it and the fix', async () => {
    for (const env of [{}, { GH_SECRET: '' }]) {
      const error = await caughtCliError(() => resolveSecret('env:GH_SECRET', WHAT, env, noVault));
      expect(error.kind).toBe('config');
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe('the client secret of github comes from $GH_SECRET, which is not set');
      expect(error.hint).toBe('export GH_SECRET=… before running');
    }
  });

  it('keychain: reads the entry ref:NAME from the vault (0600 file backend)', async () => {
    const vault = await fileVault();
    await vault.set(vaultAccountForSecret('github'), 'from-the-vault');
    expect(vaultAccountForSecret('github')).toBe('ref:github');
    expect(await resolveSecret('keychain:github', WHAT, {}, async () => vault)).toBe('from-the-vault');
  });

  it('keychain: a missing entry is a config error naming the entry and where it was looked for', async () => {
    const vault = await fileVault();
    await vault.set(vaultAccountForSecret('gitlab'), 'other');
    const error = await caughtCliError(() => resolveSecret('keychain:github', WHAT, {}, async () => vault));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(`the client secret of github should be in the file ${vault.location} as "github", but it is not there`);
    expect(error.hint).toBe('store it again: printf %s "$SECRET" | oauthd-cli providers add github --client-secret-stdin');
  });

  it('keychain: with the OS keychain, the message says so', async () => {
    const keychain: SecretBackend = {
      kind: 'keychain',
      location: 'Secret Service',
      get: async () => undefined,
      set: async () => undefined,
      delete: async () => false,
      accounts: async () => [],
    };
    const error = await caughtCliError(() => resolveSecret('keychain:github', WHAT, {}, async () => keychain));
    expect(error.message).toBe('the client secret of github should be in the OS keychain as "github", but it is not there');
  });

  it('a value that is not a reference is refused before anything is read', async () => {
    const openVault = vi.fn(noVault);
    const error = await caughtCliError(() => resolveSecret('plain-secret-value', WHAT, {}, openVault));
    expect(error.message).toMatch(/is not a secret reference$/);
    expect(openVault).not.toHaveBeenCalled();
  });
});
