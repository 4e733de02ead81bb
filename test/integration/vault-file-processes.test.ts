// The 0600 secrets file written by several processes at once (git, kubectl and scripts refreshing
// different tokens together): every entry written survives, none is lost to another process's
// read-modify-write. Child processes run the built FileBackend (dist/), as the CLI does.
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT } from '../helpers/run-cli.js';

function writer(location: string, name: string, count: number): Promise<number | null> {
  const module = pathToFileURL(join(REPO_ROOT, 'dist', 'vault', 'file.js')).href;
  const script = `const { FileBackend } = await import(${JSON.stringify(module)});
const vault = new FileBackend(${JSON.stringify(location)});
for (let i = 0; i < ${count}; i++) await vault.set(${JSON.stringify(name)} + ':' + i, 'value-' + i);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

describe('FileBackend across processes', () => {
  it('eight processes writing five entries each at once: all forty are in the file, mode 0600', async () => {
    const location = join((await makeTempDir()).path, 'data', 'secrets.json');
    const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => writer(location, `token:p${i}`, 5)));
    expect(codes).toEqual(Array(8).fill(0));
    const file = JSON.parse(await readFile(location, 'utf8')) as { entries: Record<string, string> };
    expect(Object.keys(file.entries)).toHaveLength(40);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 5; j++) expect(file.entries[`token:p${i}:${j}`]).toBe(`value-${j}`);
    expect((await stat(location)).mode & 0o777).toBe(0o600);
  });
});
