/**
 * The catalog: `providers/<id>.json`, one provider per file, validated on load. A command that
 * needs one provider reads one file; only `providers list`, `validate` and the broker read all.
 *
 * Besides the shipped folder (read-only once the package is installed) a project keeps its own
 * provider files in a user folder (`catalogDirs`): `providers discover --save` writes there, and a
 * file there overrides the shipped one of the same id.
 */
import { readdir, readFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distance } from 'fastest-levenshtein';
import type { ProviderSpec } from './schema.js';
import { validateProvider, type ProviderProblem } from './validate.js';
import { JsonSyntaxError, parseJson } from '../util/json.js';
import { ProviderConfigurationError } from './errors.js';
import { configPathFor, type ConfigLocation } from '../config/load.js';

export const CATALOG_DIR = fileURLToPath(new URL('../../providers/', import.meta.url));

/** The user folder's name, beside oauthd.json, when $OAUTHD_PROVIDERS_DIR does not name one. */
export const USER_CATALOG_FOLDER = 'oauthd-providers';

/**
 * Where provider files are read from, first match wins: the folders of $OAUTHD_PROVIDERS_DIR
 * (a path list, like PATH), else `oauthd-providers/` beside the config file; then the shipped
 * catalog. The first folder is the one `providers discover --save` writes to.
 */
export function catalogDirs(location: ConfigLocation): string[] {
  const listed = (location.env.OAUTHD_PROVIDERS_DIR ?? '').split(delimiter).filter(Boolean);
  const user = listed.length > 0
    ? listed.map((dir) => resolve(location.cwd, dir))
    : [join(dirname(configPathFor(location)), USER_CATALOG_FOLDER)];
  return [...user, CATALOG_DIR];
}

function asList(dirs: string | readonly string[]): readonly string[] {
  return typeof dirs === 'string' ? [dirs] : dirs;
}

const SCHEMA_FILE = 'schema.json';

export interface CatalogEntryProblem {
  file: string;
  problems: ProviderProblem[];
}

export interface Catalog {
  providers: Map<string, ProviderSpec>;
  /** The file each provider was read from. */
  files: Map<string, string>;
  /** Files that did not load; the rest of the catalog still works. */
  broken: CatalogEntryProblem[];
}

/** The provider ids of one or more folders (a folder that does not exist holds none). */
export async function catalogIds(dirs: string | readonly string[] = CATALOG_DIR): Promise<string[]> {
  const ids = new Set<string>();
  for (const dir of asList(dirs)) {
    for (const id of await folderIds(dir)) ids.add(id);
  }
  return [...ids].sort();
}

async function folderIds(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith('.json') && name !== SCHEMA_FILE)
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** Reads and validates one provider file; problems are returned, not thrown. */
export async function readProviderFile(file: string, expectedId?: string): Promise<ProviderSpec | CatalogEntryProblem> {
  let value: unknown;
  try {
    value = parseJson(await readFile(file, 'utf8'));
  } catch (error) {
    const message = error instanceof JsonSyntaxError ? error.message : `cannot read: ${(error as Error).message}`;
    return { file, problems: [{ path: '', message }] };
  }
  const problems = validateProvider(value, expectedId);
  return problems.length > 0 ? { file, problems } : (value as ProviderSpec);
}

export function isProblem(value: ProviderSpec | CatalogEntryProblem): value is CatalogEntryProblem {
  return 'problems' in value;
}

/** Every provider of the folders; for an id in several folders, the first folder's file counts. */
export async function loadCatalog(dirs: string | readonly string[] = CATALOG_DIR): Promise<Catalog> {
  const providers = new Map<string, ProviderSpec>();
  const files = new Map<string, string>();
  const broken: CatalogEntryProblem[] = [];
  const claimed = new Set<string>();
  for (const dir of asList(dirs)) {
    const ids = (await folderIds(dir)).filter((id) => !claimed.has(id));
    const entries = await Promise.all(ids.map((id) => readProviderFile(join(dir, `${id}.json`), id)));
    for (const [index, entry] of entries.entries()) {
      claimed.add(ids[index] as string);
      if (isProblem(entry)) {
        broken.push(entry);
      } else {
        providers.set(entry.id, entry);
        files.set(entry.id, join(dir, `${entry.id}.json`));
      }
    }
  }
  return { providers, files, broken };
}

/** A provider file that loaded: the description and where it was read. */
export interface CatalogEntry {
  spec: ProviderSpec;
  file: string;
}

/** One catalog provider, or undefined when no folder has its file. A broken file is an error. */
export async function findCatalogProvider(id: string, dirs: string | readonly string[] = CATALOG_DIR): Promise<ProviderSpec | undefined> {
  return (await findCatalogEntry(id, dirs))?.spec;
}

/** One catalog provider and the file it was read from (the first folder that has it). */
export async function findCatalogEntry(id: string, dirs: string | readonly string[] = CATALOG_DIR): Promise<CatalogEntry | undefined> {
  // providers/schema.json sits beside the providers but is not one.
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(id) || `${id}.json` === SCHEMA_FILE) return undefined;
  for (const dir of asList(dirs)) {
    const file = join(dir, `${id}.json`);
    const entry = await readProviderFile(file, id).catch(() => undefined);
    if (entry === undefined) continue;
    if (isProblem(entry)) {
      if (entry.problems[0]?.message.startsWith('cannot read')) continue;
      const first = entry.problems[0] as ProviderProblem;
      throw new ProviderConfigurationError(`${file}: ${first.path || '/'} ${first.message}`, { kind: 'provider-file' }, id);
    }
    return { spec: entry, file };
  }
  return undefined;
}

/**
 * Names close enough to `id` to be what was meant, best first, at most `count`; none when nothing
 * is close (a guess that is merely the least far, "nope" → "box", helps nobody). Case is ignored.
 *
 *   1. the same name in another case;
 *   2. a prefix either way (`micro` → microsoft, `githubx` → github), of 2 characters or more;
 *   3. a substring either way (`nest` → google_nest), of 3 characters or more;
 *   4. a Levenshtein distance of at most 40% of the longer name's length (`gihtub` → github at 2,
 *      `slak` → slack at 1), as TypeScript's and git's spelling suggestions bound theirs.
 *
 * Within a rank, the nearer by edit distance first, then alphabetically.
 */
export function closestNames(id: string, names: readonly string[], count = 3): string[] {
  const wanted = id.toLowerCase();
  if (wanted === '') return [];
  const ranked: Array<{ name: string; rank: number; distance: number }> = [];
  for (const name of new Set(names)) {
    const candidate = name.toLowerCase();
    const rank = closeness(wanted, candidate);
    if (rank !== undefined) ranked.push({ name, rank, distance: distance(wanted, candidate) });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.distance - b.distance || a.name.localeCompare(b.name));
  return ranked.slice(0, count).map((entry) => entry.name);
}

/** The rank of `candidate` as a correction of `wanted` (lower is closer), or undefined when it is not close. */
function closeness(wanted: string, candidate: string): number | undefined {
  if (wanted === candidate) return 0;
  const [shorter, longer] = wanted.length <= candidate.length ? [wanted, candidate] : [candidate, wanted];
  if (shorter.length >= 2 && longer.startsWith(shorter)) return 1;
  if (shorter.length >= 3 && longer.includes(shorter)) return 2;
  if (distance(wanted, candidate) <= Math.floor(longer.length * 0.4)) return 3;
  return undefined;
}

/** "did you mean a, b?" for a hint, or undefined when no name is close. */
export function didYouMean(id: string, names: readonly string[], count = 3): string | undefined {
  const close = closestNames(id, names, count);
  return close.length > 0 ? `did you mean ${close.join(', ')}?` : undefined;
}

/** The hint for an unknown name: "did you mean a? (then)" when something is close, else `then` alone. */
export function unknownNameHint(id: string, names: readonly string[], then: string): string {
  const suggestion = didYouMean(id, names);
  return suggestion ? `${suggestion} (${then})` : then;
}
