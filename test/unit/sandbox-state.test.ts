// The sandbox's keys (src/sandbox/state.ts): made once per data folder, private, and the same for
// processes that start together.
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSandboxKeys } from '../../src/sandbox/state.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

describe('the sandbox keys', () => {
  it('are created once in a 0700 folder as a 0600 file, and read back unchanged', async () => {
    const dir = join((await makeTempDir()).path, 'sandbox');
    const keys = await loadSandboxKeys(dir);
    expect(keys.signingKey).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), d: expect.any(String) });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'records'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'keys.json'))).mode & 0o777).toBe(0o600);
    expect(await loadSandboxKeys(dir)).toEqual(keys);
  });

  it('four opens at once (processes starting together) end up with the same keys, and no draft is left behind', async () => {
    const dir = join((await makeTempDir()).path, 'sandbox');
    const all = await Promise.all([loadSandboxKeys(dir), loadSandboxKeys(dir), loadSandboxKeys(dir), loadSandboxKeys(dir)]);
    for (const keys of all) expect(keys).toEqual(all[0]);
    expect((await readdir(dir)).sort()).toEqual(['keys.json', 'records']);
  });

  it('a damaged key file is named, with the fix', async () => {
    const dir = join((await makeTempDir()).path, 'sandbox');
    await loadSandboxKeys(dir);
    await writeFile(join(dir, 'keys.json'), '{"version":1}');
    const error = await caughtCliError(() => loadSandboxKeys(dir));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(`${join(dir, 'keys.json')} is not the sandbox's key file`);
    expect(error.hint).toContain(`delete the folder ${dir}`);
  });
});
