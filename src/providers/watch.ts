/**
 * Hot reload of the catalog for `serve`: watches the provider folders (user folder first, shipped
 * catalog last, as `catalogDirs` orders them) and reports each provider whose effective
 * description changed, so an edited or added file takes effect without a restart (oauthd issues
 * #108, #156).
 *
 * A file that no longer validates is reported with every problem, and the previous good version
 * stays the one served (`get`): one typo never takes a working provider away. A deleted file is a
 * removal, unless a later folder still has the id (deleting a user override brings the shipped
 * description back).
 *
 * Events of `fs.watch` come in bursts (an editor's save is a truncate and a write, or a temp file
 * and a rename), so each id is re-read once its events have been quiet for `debounceMs`, and a
 * change is reported only when the effective state really differs from the last one reported.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { catalogIds, isProblem, readProviderFile, type CatalogEntry } from './catalog.js';
import type { ProviderProblem } from './validate.js';
import type { ProviderSpec } from './schema.js';

export type CatalogChange =
  /** Added or edited, and valid: `spec` is served from now on. */
  | { kind: 'updated'; file: string; spec: ProviderSpec }
  /** The file does not validate; `serving` is the previous good version, still served (if any). */
  | { kind: 'broken'; file: string; problems: ProviderProblem[]; serving: ProviderSpec | undefined }
  /** No folder has the provider any more. */
  | { kind: 'removed'; file: string };

export interface CatalogWatcher {
  /** The description served for `id`: the last good version read. */
  get(id: string): ProviderSpec | undefined;
  /** The same, with the file it was read from. */
  entry(id: string): CatalogEntry | undefined;
  /** Every id with a good version. */
  ids(): string[];
  /** Files that do not validate right now (each also reported as it broke). */
  problems(): Array<{ id: string; file: string; problems: ProviderProblem[] }>;
  /** Stops watching; no callback runs after it returns. */
  close(): void;
}

export interface WatchOptions {
  /** Quiet time before a changed file is re-read. Default 100 ms. */
  debounceMs?: number;
}

const SCHEMA_FILE = 'schema.json';

type Served = CatalogEntry;

/**
 * Starts watching `dirs` (first folder wins for an id) and resolves once the watches are in place
 * and the current files are read. A folder that does not exist yet is watched for from its parent,
 * so `providers discover --save` creating the user folder is seen too.
 */
export async function watchCatalog(
  dirs: readonly string[],
  onChange: (id: string, change: CatalogChange) => void,
  onError: (error: Error) => void,
  options: WatchOptions = {},
): Promise<CatalogWatcher> {
  const debounceMs = options.debounceMs ?? 100;
  const served = new Map<string, Served>();
  const broken = new Map<string, { file: string; problems: ProviderProblem[] }>();
  const lastReported = new Map<string, string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const folders: FolderWatch[] = [];
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  const report = (error: unknown) => {
    if (!closed) onError(error instanceof Error ? error : new Error(String(error)));
  };

  /** The first folder holding `<id>.json`, read and validated; undefined when none has it. */
  async function locate(id: string): Promise<{ file: string; entry: Awaited<ReturnType<typeof readProviderFile>> } | undefined> {
    for (const dir of dirs) {
      const file = join(dir, `${id}.json`);
      const exists = await stat(file).then((info) => info.isFile(), () => false);
      if (exists) return { file, entry: await readProviderFile(file, id) };
    }
    return undefined;
  }

  /** Re-reads one id and reports what changed; `quiet` records the state without reporting. */
  async function evaluate(id: string, quiet = false): Promise<void> {
    const found = await locate(id);
    let change: CatalogChange;
    if (!found) {
      const previous = served.get(id)?.file ?? broken.get(id)?.file;
      if (previous === undefined) return;
      served.delete(id);
      broken.delete(id);
      change = { kind: 'removed', file: previous };
    } else if (isProblem(found.entry)) {
      broken.set(id, { file: found.file, problems: found.entry.problems });
      change = { kind: 'broken', file: found.file, problems: found.entry.problems, serving: served.get(id)?.spec };
    } else {
      served.set(id, { spec: found.entry, file: found.file });
      broken.delete(id);
      change = { kind: 'updated', file: found.file, spec: found.entry };
    }
    const fingerprint = JSON.stringify(change);
    if (lastReported.get(id) === fingerprint) return;
    lastReported.set(id, fingerprint);
    if (quiet || closed) return;
    try {
      onChange(id, change);
    } catch (error) {
      report(error);
    }
  }

  function enqueue(work: () => Promise<void>): void {
    queue = queue.then(() => (closed ? undefined : work())).catch(report);
  }

  /** Debounces the events of one file name. */
  function touched(name: string): void {
    if (closed || !name.endsWith('.json') || name === SCHEMA_FILE) return;
    const id = name.slice(0, -'.json'.length);
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        enqueue(() => evaluate(id));
      }, debounceMs),
    );
  }

  /** Re-reads every id a folder has, or had (used when a folder appears, vanishes or an event has no name). */
  function rescan(dir: string): void {
    enqueue(async () => {
      const known = [...served.entries(), ...broken.entries()].filter(([, entry]) => entry.file.startsWith(join(dir, '/'))).map(([id]) => id);
      const ids = new Set([...known, ...(await catalogIds(dir))]);
      for (const id of ids) await evaluate(id);
    });
  }

  for (const dir of dirs) folders.push(new FolderWatch(dir, touched, () => rescan(dir), report));
  // Watch first, then read: a file changed in between is re-read after the initial state.
  const initial = Promise.all(folders.map((folder) => folder.start())).then(async () => {
    for (const id of await catalogIds(dirs)) await evaluate(id, true);
  });
  queue = initial.catch(() => undefined);
  try {
    await initial;
  } catch (error) {
    for (const folder of folders) folder.close();
    throw error;
  }

  return {
    get: (id) => served.get(id)?.spec,
    entry: (id) => served.get(id),
    ids: () => [...served.keys()].sort(),
    problems: () => [...broken.entries()].map(([id, entry]) => ({ id, ...entry })),
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      for (const folder of folders) folder.close();
    },
  };
}

/**
 * One watched folder. When the folder does not exist (or disappears) it watches the parent for
 * the folder's name instead, and switches back once the folder is there.
 */
class FolderWatch {
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly onFile: (name: string) => void,
    private readonly onFolderChanged: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    if (await isFolder(this.dir)) this.watchFolder();
    else this.watchParent();
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private replace(next: FSWatcher | undefined): void {
    this.watcher?.close();
    this.watcher = next;
  }

  private watchFolder(): void {
    try {
      // persistent: false, so a watcher alone never keeps the process alive.
      const watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null) this.onFolderChanged();
        else this.onFile(name.toString());
        // The folder itself was removed or renamed: fall back to waiting for it.
        void isFolder(this.dir).then((exists) => {
          if (!exists && !this.closed && this.watcher === watcher) {
            this.watchParent();
            this.onFolderChanged();
          }
        });
      });
      watcher.on('error', (error) => this.fallBack(error));
      this.replace(watcher);
    } catch (error) {
      this.fallBack(error);
    }
  }

  private watchParent(): void {
    if (this.closed) return;
    const parent = dirname(this.dir);
    const name = basename(this.dir);
    try {
      const watcher = watch(parent, { persistent: false }, (_event, changed) => {
        if (changed !== null && changed.toString() !== name) return;
        void isFolder(this.dir).then((exists) => {
          if (exists && !this.closed && this.watcher === watcher) {
            this.watchFolder();
            this.onFolderChanged();
          }
        });
      });
      watcher.on('error', (error) => this.onError(error));
      this.replace(watcher);
    } catch (error) {
      this.replace(undefined);
      this.onError(new Error(`cannot watch ${this.dir} nor its parent folder: ${(error as Error).message}`));
    }
  }

  private fallBack(error: unknown): void {
    if (this.closed) return;
    void isFolder(this.dir).then((exists) => {
      if (this.closed) return;
      if (exists) {
        this.replace(undefined);
        this.onError(error);
      } else {
        this.watchParent();
        this.onFolderChanged();
      }
    });
  }
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isDirectory(), () => false);
}
