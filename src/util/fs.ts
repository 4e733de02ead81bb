/**
 * File writes that never leave a half-written file: write a temporary file beside the target with
 * the final mode, then rename over it (rename is atomic within a folder on POSIX).
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { configError } from './errors.js';

export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // open() applies the umask; a secret file must end up exactly at `mode`.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Publishes `text` at `path` (0600) unless another process already has: written whole beside it,
 * then link(2)ed into place, which fails when the file exists, so processes starting at the same
 * moment never end up with two different files. True when ours is the one published; false when
 * another's was there first (the caller then reads that one).
 */
export async function publishOnce(path: string, text: string): Promise<boolean> {
  const draft = `${path}.${randomBytes(6).toString('hex')}.new`;
  await writeFileAtomic(draft, text, 0o600);
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await rm(draft, { force: true });
  }
}

/** A private folder (0700) for files that hold secrets. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}

/** A file's text, or undefined when there is no such file (any other failure is thrown). */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The object under `field` of one of our small JSON files in the data folder
 * (`{"version": 1, "<field>": {…}}`); {} when there is no such file. A file that cannot be read, or
 * is not shaped so, is a config error with the advice given.
 */
export async function readJsonMap<T>(path: string, field: string, advice: { unreadable: string; shape: string; malformed: string }): Promise<Record<string, T>> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (error) {
    throw configError(`cannot read ${path}: ${(error as Error).message}`, advice.unreadable);
  }
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const map = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[field] : undefined;
  if (map === null || typeof map !== 'object') throw configError(`${path} is not ${advice.shape}`, advice.malformed);
  return map as Record<string, T>;
}
