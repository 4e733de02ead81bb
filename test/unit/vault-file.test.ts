// src/vault/file.ts: the 0600 JSON file where no keychain answers.
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBackend } from '../../src/vault/file.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

async function backendIn(...parts: string[]) {
  const dir = await makeTempDir();
  const location = path.join(dir.path, ...parts, 'secrets.json');
  return { dir: dir.path, location, backend: new FileBackend(location) };
}

describe('FileBackend', () => {
  it('is empty before the file exists, and creates nothing by reading', async () => {
    const { dir, backend } = await backendIn('data');
    expect(backend.kind).toBe('file');
    expect(await backend.get('secret:x')).toBeUndefined();
    expect(await backend.accounts()).toEqual([]);
    expect(await backend.delete('secret:x')).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('set / get / accounts / delete round trip, persisted across instances', async () => {
    const { location, backend } = await backendIn('data');
    await backend.set('secret:github', 'gh-value');
    await backend.set('token:github:default', '{"access_token":"at"}');
    await backend.set('secret:github', 'gh-value-2');
    expect(await backend.get('secret:github')).toBe('gh-value-2');
    expect((await backend.accounts()).sort()).toEqual(['secret:github', 'token:github:default']);

    const again = new FileBackend(location);
    expect(await again.get('token:github:default')).toBe('{"access_token":"at"}');
    expect(await again.delete('secret:github')).toBe(true);
    expect(await again.delete('secret:github')).toBe(false);
    expect(await backend.get('secret:github')).toBeUndefined();
    expect(await backend.accounts()).toEqual(['token:github:default']);
    expect(JSON.parse(await readFile(location, 'utf8'))).toEqual({
      version: 1,
      entries: { 'token:github:default': '{"access_token":"at"}' },
    });
  });

  it('the file is exactly 0600 and its folder exactly 0700', async () => {
    const { location, backend } = await backendIn('deep', 'data');
    await backend.set('secret:a', 'value');
    expect((await stat(location)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(location))).mode & 0o777).toBe(0o700);
  });

  it('tightens a folder and a file that were too open', async () => {
    const { location, backend } = await backendIn('data');
    await mkdir(path.dirname(location), { recursive: true });
    await chmod(path.dirname(location), 0o755);
    await writeFile(location, JSON.stringify({ version: 1, entries: {} }), { mode: 0o644 });
    await backend.set('secret:a', 'value');
    expect((await stat(location)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(location))).mode & 0o777).toBe(0o700);
  });

  it('rewrites atomically: no temporary file is left beside it', async () => {
    const { location, backend } = await backendIn('data');
    for (let i = 0; i < 10; i += 1) await backend.set(`secret:${i}`, `value ${i}`);
    await backend.delete('secret:3');
    expect(await readdir(path.dirname(location))).toEqual(['secrets.json']);
    expect((await backend.accounts()).length).toBe(9);
  });

  it('a corrupt file is a clear error naming the file, for every operation', async () => {
    for (const text of ['{"version": 1, "entries": {', 'not json', 'null', '[]', '{"version":1}']) {
      const { location, backend } = await backendIn('data');
      await mkdir(path.dirname(location), { recursive: true });
      await writeFile(location, text);
      for (const operation of [() => backend.get('a'), () => backend.set('a', 'b'), () => backend.accounts()]) {
        const error = await caughtCliError(operation);
        expect(error.kind, text).toBe('config');
        expect(error.message, text).toBe(`${location} is not an oauthd-cli secrets file`);
        expect(error.hint, text).toBe('move it away and log in again');
      }
      // Nothing was overwritten.
      expect(await readFile(location, 'utf8')).toBe(text);
    }
  });
});

describe('concurrent writes', () => {
  it('five sets at once keep all five entries (no lost update)', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'vault-race-'));
    const backend = new FileBackend(join(dir, 'secrets.json'));
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => backend.set(name, `value-${name}`)));
    expect((await backend.accounts()).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
