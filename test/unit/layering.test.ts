// The layering of src/ (docs/architecture.md), as .dependency-cruiser.cjs writes it down: checked
// on the real source, and shown to catch an upward import, a type-only import between neighbours
// and a folder that has no layer.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/run-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
// The package exports no path to its command; this is the file its "bin" names.
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function depcruise(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'err', 'src'], { cwd, timeout: 50_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('layering', () => {
  it('src/ imports only downward, as .dependency-cruiser.cjs says', async () => {
    const { code, output } = await depcruise(ROOT);
    expect(output).toContain('no dependency violations found');
    expect(code, output).toBe(0);
  });

  it('the rules catch an upward import, a type import between neighbours, and a folder with no layer', async () => {
    const dir = (await makeTempDir()).path;
    const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
        'src/cli/main.ts': "export const main = 1;\n",
        'src/util/html.ts': "import { main } from '../cli/main.js';\nexport const page = main;\n",
        'src/sandbox/server.ts': "export interface Grant { sub: string }\n",
        'src/oauth/oauth2.ts': "import type { Grant } from '../sandbox/server.js';\nexport type Token = Grant;\n",
        'src/newlayer/thing.ts': "import { page } from '../util/html.js';\nexport const thing = page;\n",
      };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const { code, output } = await depcruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/layer-util: src\/util\/html\.ts → .*src\/cli\/main\.ts/);
    expect(output).toMatch(/layer-oauth: src\/oauth\/oauth2\.ts → .*src\/sandbox\/server\.ts/);
    expect(output).toMatch(/layer-unknown-folder: src\/newlayer\/thing\.ts/);
  });
});
