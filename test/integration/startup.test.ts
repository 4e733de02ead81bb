// `--version` and `--help` load only commander and the command table: fastify, inquirer, the
// sandbox, jose and the catalog are imported by the commands that need them, when they run.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, makeTempDir } from '../helpers/run-cli.js';

/** Runs the CLI with a module hook that records every module it imports. */
async function importedModules(args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const dir = (await makeTempDir()).path;
  const log = join(dir, 'modules.log');
  const hooks = join(dir, 'hooks.mjs');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`,
  );
  const register = join(dir, 'register.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const child = spawn(process.execPath, ['--import', pathToFileURL(register).href, CLI_BIN, ...args], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const { readFile } = await import('node:fs/promises');
  const modules = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { code, modules };
}

const HEAVY = ['/node_modules/fastify/', '/node_modules/@inquirer/', '/node_modules/oidc-provider/', '/node_modules/jose/', '/node_modules/ajv/', '/dist/broker/', '/dist/sandbox/', '/dist/providers/catalog'];

describe('startup', () => {
  for (const args of [['--version'], ['--help'], ['login', '--help'], ['sandbox', '--help']]) {
    it(`oauthd-cli ${args.join(' ')} loads none of the heavy modules`, async () => {
      const { code, modules } = await importedModules(args);
      expect(code).toBe(0);
      // The fault catalogue is data with no import of its own: `sandbox --help` lists it.
      const loaded = modules.filter((url) => !url.endsWith('/dist/sandbox/fault-catalog.js'));
      for (const heavy of HEAVY) expect(loaded.filter((url) => url.includes(heavy)), heavy).toEqual([]);
    });
  }

  it('a command does load what it needs (the hook sees imports)', async () => {
    const { modules } = await importedModules(['providers', 'list', '--json']);
    expect(modules.some((url) => url.includes('/dist/providers/catalog'))).toBe(true);
  });
});
