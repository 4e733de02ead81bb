/**
 * `oauthd-cli providers validate [FILE...]`: checks provider files against providers/schema.json
 * and the rules a schema cannot say (src/providers/validate.ts). Every problem is printed as
 * `file: /json/path message` on stderr — all of them, not the first — then a summary; the exit
 * code is 2 when any file has a problem.
 *
 * Without FILE it checks every folder the CLI reads providers from (the user folder and the shipped
 * catalog) and the ids across files. A FILE may also be a folder: every provider file in it.
 *
 * An app config given as a FILE (`oauthd.json`, or any file shaped like one: `app` and `broker`,
 * no provider `id`) is said to be one and checked as one, against oauthd.schema.json and the
 * domain grammar, instead of drowning in provider-schema errors.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { catalogDirs, isProblem, readProviderFile } from '../../providers/catalog.js';
import { checkConfigText, DEFAULT_CONFIG_FILE, formatProblem, serveProblems } from '../../config/load.js';
import type { ProviderProblem } from '../../providers/validate.js';
import { configError, usageError } from '../../util/errors.js';

interface Checked {
  file: string;
  /** The id the file declares, when it is JSON with a string id. */
  id: string | undefined;
  problems: ProviderProblem[];
}

export async function run(ctx: Context, files: string[]): Promise<void> {
  const ui = new Ui(ctx);
  const shown = (file: string) => {
    const path = relative(ctx.cwd, file);
    return path.startsWith('..') || isAbsolute(path) ? file : path;
  };

  const given = files.length > 0 ? await givenFiles(ctx.cwd, files) : await catalogFiles(catalogDirs(ctx));
  // App configs given among the files are checked as what they are.
  const configs: string[] = [];
  const groups: string[][] = [];
  for (const group of given) {
    const providers: string[] = [];
    for (const file of group) (files.length > 0 && (await isAppConfig(file)) ? configs : providers).push(file);
    if (providers.length > 0) groups.push(providers);
  }
  let configProblems = 0;
  for (const file of configs) configProblems += await checkAppConfig(ctx, ui, shown, file);

  const checked: Checked[][] = [];
  for (const group of groups) checked.push(await Promise.all(group.map(check)));

  // Ids within one folder must be unique; a user-folder file overriding a shipped one is allowed.
  const overrides: string[] = [];
  const served = new Map<string, string>();
  for (const group of checked) {
    const inFolder = new Map<string, string>();
    for (const entry of group) {
      if (entry.id === undefined) continue;
      const twin = inFolder.get(entry.id);
      if (twin !== undefined) entry.problems.push({ path: '/id', message: `"${entry.id}" is also the id of ${shown(twin)}` });
      else inFolder.set(entry.id, entry.file);
    }
    for (const [id, file] of inFolder) {
      const earlier = served.get(id);
      if (earlier !== undefined) overrides.push(`${shown(earlier)} overrides ${shown(file)}`);
      else served.set(id, file);
    }
  }

  const all = checked.flat();
  const bad = all.filter((entry) => entry.problems.length > 0);
  for (const entry of bad) {
    for (const problem of entry.problems) ctx.stderr.write(`${shown(entry.file)}: ${problem.path || '/'} ${problem.message}\n`);
  }
  for (const note of overrides) ui.info(`note: ${note}`);

  const count = bad.reduce((sum, entry) => sum + entry.problems.length, 0);
  if (bad.length > 0) {
    throw configError(
      `${bad.length} of ${all.length} provider file(s) have problems (${count} in all)${configProblems > 0 ? `, and the app config ${configProblems}` : ''}`,
      'fix each path above; providers/schema.json describes every field',
    );
  }
  if (configProblems > 0) {
    throw configError(
      `the app config${configs.length > 1 ? 's have' : ' has'} ${configProblems} problem${configProblems > 1 ? 's' : ''}${all.length > 0 ? `; the ${all.length} provider file(s) are valid` : ''}`,
      'fix each path above; schemas/oauthd.schema.json and docs/config.md describe every field',
    );
  }
  if (all.length > 0) ui.success(`${all.length} provider file(s) valid`);
}

/**
 * An app config rather than a provider file: named oauthd.json, or an object with `app` or
 * `broker` and no provider `id`. A file that is not JSON is left to the provider check (its
 * syntax error reads the same).
 */
async function isAppConfig(file: string): Promise<boolean> {
  if (basename(file) === DEFAULT_CONFIG_FILE) return true;
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    return ('app' in value || 'broker' in value) && !('id' in value);
  } catch {
    return false;
  }
}

/** Checks one app config as `serve` reads it; prints every problem and returns their count. */
async function checkAppConfig(ctx: Context, ui: Ui, shown: (file: string) => string, file: string): Promise<number> {
  ui.info(`note: ${shown(file)} is an app config (oauthd.json), not a provider file: checked as an app config`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw configError(`cannot read ${shown(file)}: ${(error as Error).message}`);
  }
  const parsed = checkConfigText(text);
  // What serve cannot do with it (a DPoP keyset with the client flow) is a problem of the app config too.
  const unservable = parsed.ok ? serveProblems(parsed.config) : [];
  const checked: typeof parsed = unservable.length > 0 ? { ok: false, problems: unservable } : parsed;
  if (checked.ok) {
    ui.success(`${shown(file)}: valid app config`);
    return 0;
  }
  for (const problem of checked.problems) ctx.stderr.write(`${shown(file)}: ${formatProblem(problem)}\n`);
  return checked.problems.length;
}

async function check(file: string): Promise<Checked> {
  const entry = await readProviderFile(file, basename(file, '.json'));
  if (!isProblem(entry)) return { file, id: entry.id, problems: [] };
  return { file, id: await declaredId(file, entry.problems), problems: [...entry.problems] };
}

/** The id a broken file declares, for the duplicate check (undefined when it is not even JSON). */
async function declaredId(file: string, problems: ProviderProblem[]): Promise<string | undefined> {
  if (problems.some((problem) => problem.path === '')) return undefined;
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as { id?: unknown };
    return typeof value.id === 'string' ? value.id : undefined;
  } catch {
    return undefined;
  }
}

/** The files named on the command line (a folder stands for its provider files), grouped by folder. */
async function givenFiles(cwd: string, names: string[]): Promise<string[][]> {
  const byFolder = new Map<string, string[]>();
  const add = (file: string) => {
    const group = byFolder.get(dirname(file)) ?? [];
    if (!group.includes(file)) group.push(file);
    byFolder.set(dirname(file), group);
  };
  for (const name of names) {
    const path = resolve(cwd, name);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw usageError(`no such file: ${name}`, 'give the path of a provider file, e.g. providers/github.json, or a folder of them');
    if (info.isDirectory()) {
      const files = await folderFiles(path);
      if (files.length === 0) throw usageError(`${name} holds no provider file (*.json)`, 'give a provider file or a folder of them');
      files.forEach(add);
    } else {
      add(path);
    }
  }
  return [...byFolder.values()];
}

/** Every provider file of the folders the CLI reads (a user folder that does not exist holds none). */
async function catalogFiles(dirs: readonly string[]): Promise<string[][]> {
  return Promise.all(dirs.map((dir) => folderFiles(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  })));
}

async function folderFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((name) => name.endsWith('.json') && name !== 'schema.json')
    .sort()
    .map((name) => join(dir, name));
}
