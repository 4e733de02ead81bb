/**
 * The catalog: `providers/<id>.json`, one provider per file, validated on load. A command that
 * needs one provider reads one file; only `providers list`, `validate` and the broker read all.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest } from 'fastest-levenshtein';
import type { ProviderSpec } from './schema.js';
import { validateProvider, type ProviderProblem } from './validate.js';
import { JsonSyntaxError, parseJson } from '../util/json.js';
import { configError } from '../util/errors.js';

export const CATALOG_DIR = fileURLToPath(new URL('../../providers/', import.meta.url));

const SCHEMA_FILE = 'schema.json';

export interface CatalogEntryProblem {
  file: string;
  problems: ProviderProblem[];
}

export interface Catalog {
  providers: Map<string, ProviderSpec>;
  /** Files that did not load; the rest of the catalog still works. */
  broken: CatalogEntryProblem[];
}

export async function catalogIds(dir = CATALOG_DIR): Promise<string[]> {
  const names = await readdir(dir);
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

export async function loadCatalog(dir = CATALOG_DIR): Promise<Catalog> {
  const providers = new Map<string, ProviderSpec>();
  const broken: CatalogEntryProblem[] = [];
  const ids = await catalogIds(dir);
  const entries = await Promise.all(ids.map((id) => readProviderFile(join(dir, `${id}.json`), id)));
  for (const entry of entries) {
    if (isProblem(entry)) broken.push(entry);
    else providers.set(entry.id, entry);
  }
  return { providers, broken };
}

/** One catalog provider, or undefined when no such file exists. A broken file is an error. */
export async function findCatalogProvider(id: string, dir = CATALOG_DIR): Promise<ProviderSpec | undefined> {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) return undefined;
  const file = join(dir, `${id}.json`);
  const entry = await readProviderFile(file, id).catch(() => undefined);
  if (entry === undefined) return undefined;
  if (isProblem(entry)) {
    if (entry.problems[0]?.message.startsWith('cannot read')) return undefined;
    const first = entry.problems[0] as ProviderProblem;
    throw configError(`${file}: ${first.path || '/'} ${first.message}`, 'fix the provider file (oauthd-cli providers validate shows every problem)');
  }
  return entry;
}

/** Names close to `id`, for "did you mean". */
export function closestNames(id: string, names: readonly string[], count = 3): string[] {
  const pool = [...names];
  const picks: string[] = [];
  const byPrefix = pool.filter((name) => name.startsWith(id) || id.startsWith(name));
  for (const name of byPrefix.slice(0, count)) picks.push(name);
  while (picks.length < count && pool.length > 0) {
    const remaining = pool.filter((name) => !picks.includes(name));
    if (remaining.length === 0) break;
    picks.push(closest(id, remaining));
  }
  return picks;
}
