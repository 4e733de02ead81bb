/**
 * The fallback where no keychain answers: one JSON file, mode 0600, in a 0700 folder of the user's
 * data directory, rewritten atomically. It is plain text protected by file permissions only; the
 * CLI says so when it first falls back (an encryption key would have to sit beside the file).
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { properLockfile } from '../util/lockfile.js';
import type { SecretBackend } from './backend.js';
import { configError } from '../util/errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/fs.js';

interface FileContents {
  version: 1;
  entries: Record<string, string>;
}

/**
 * Writes to one file queue behind each other: two read-modify-write cycles never interleave, in
 * this process (a queue per file) nor across processes (a lock beside the file, proper-lockfile:
 * git, kubectl and scripts refreshing different tokens at once must not lose each other's entry).
 */
const queues = new Map<string, Promise<unknown>>();

/** A lock nobody touched for this long belongs to a process that died: taken over. */
const LOCK_STALE_MS = 10_000;

export class FileBackend implements SecretBackend {
  readonly kind = 'file' as const;

  constructor(readonly location: string) {}

  private exclusive<T>(change: () => Promise<T>): Promise<T> {
    const previous = queues.get(this.location) ?? Promise.resolve();
    const locked = () => this.acrossProcesses(change);
    const next = previous.then(locked, locked);
    queues.set(this.location, next.catch(() => undefined));
    return next;
  }

  private async acrossProcesses<T>(change: () => Promise<T>): Promise<T> {
    await ensurePrivateDir(dirname(this.location));
    let release: () => Promise<void>;
    try {
      release = await (await properLockfile()).lock(this.location, {
        realpath: false,
        lockfilePath: `${this.location}.lock`,
        stale: LOCK_STALE_MS,
        // About 15 s of waiting for a living writer (writes take milliseconds).
        retries: { retries: 150, factor: 1.2, minTimeout: 10, maxTimeout: 100, randomize: true },
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      throw configError(`another process keeps ${this.location} locked for writing`, `wait for it to finish; a lock (${this.location}.lock) nobody holds is taken over by itself`);
    }
    try {
      return await change();
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async read(): Promise<FileContents> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw error;
    }
    let parsed: Partial<FileContents> | null;
    try {
      parsed = JSON.parse(text) as Partial<FileContents> | null;
    } catch {
      parsed = null;
    }
    if (parsed === null || typeof parsed !== 'object' || typeof parsed.entries !== 'object' || parsed.entries === null) {
      throw configError(`${this.location} is not an oauthd-cli secrets file`, 'move it away and log in again');
    }
    return { version: 1, entries: parsed.entries };
  }

  private async write(contents: FileContents): Promise<void> {
    await ensurePrivateDir(dirname(this.location));
    await writeFileAtomic(this.location, `${JSON.stringify(contents, null, 2)}\n`, 0o600);
  }

  async get(account: string): Promise<string | undefined> {
    return (await this.read()).entries[account];
  }

  async set(account: string, value: string): Promise<void> {
    await this.exclusive(async () => {
      const contents = await this.read();
      contents.entries[account] = value;
      await this.write(contents);
    });
  }

  async delete(account: string): Promise<boolean> {
    // Nothing to delete: no lock, no folder made.
    if (!(account in (await this.read()).entries)) return false;
    return this.exclusive(async () => {
      const contents = await this.read();
      if (!(account in contents.entries)) return false;
      delete contents.entries[account];
      await this.write(contents);
      return true;
    });
  }

  async accounts(): Promise<string[]> {
    return Object.keys((await this.read()).entries);
  }
}
