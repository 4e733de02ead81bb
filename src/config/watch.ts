/**
 * Watching `oauthd.json` for `serve`: each save is read again and reported as a valid config,
 * a broken one (every problem), or a missing file. What to do with it is the caller's business
 * (src/cli/serve/config-reload.ts keeps the last good config serving).
 *
 * The folder is watched, not the file: editors save by writing a temporary file and renaming it
 * over the old one, which ends a watch on the file itself. Events come in bursts (a truncate and a
 * write, or a create and a rename), so the file is read once its events have been quiet for
 * `debounceMs`. Reads are serialized, so states are reported in the order the file had them.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Config } from './schema.js';
import type { SchemaProblem } from '../util/json-schema.js';
import { checkConfigText } from './load.js';

export type ConfigFileState =
  | { kind: 'valid'; config: Config }
  | { kind: 'broken'; problems: SchemaProblem[] }
  /** Removed or renamed away (an editor's save in progress ends as `valid` or `broken` instead). */
  | { kind: 'missing' };

export interface ConfigFileWatch {
  /** Stops watching; no callback runs after it returns. */
  close(): void;
}

export interface ConfigWatchOptions {
  /** Quiet time before the file is read again. Default 100 ms. */
  debounceMs?: number;
}

/**
 * Starts watching `path`, and reads it once right away: a save between the caller's own read and
 * the start of the watch is reported too (the caller ignores a state equal to the one it has).
 */
export function watchConfigFile(
  path: string,
  onState: (state: ConfigFileState) => void | Promise<void>,
  onError: (error: Error) => void,
  options: ConfigWatchOptions = {},
): ConfigFileWatch {
  const debounceMs = options.debounceMs ?? 100;
  const name = basename(path);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();

  const report = (error: unknown) => {
    if (!closed) onError(error instanceof Error ? error : new Error(String(error)));
  };

  async function read(): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!closed) await onState({ kind: 'missing' });
      return;
    }
    const checked = checkConfigText(text);
    if (closed) return;
    await onState(checked.ok ? { kind: 'valid', config: checked.config } : { kind: 'broken', problems: checked.problems });
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      queue = queue.then(() => (closed ? undefined : read())).catch(report);
    }, debounceMs);
  }

  let watcher: FSWatcher | undefined;
  try {
    // persistent: false, so the watch alone never keeps the process alive.
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed === null || changed.toString() === name) schedule();
    });
    watcher.on('error', report);
  } catch (error) {
    report(new Error(`cannot watch ${path} for changes: ${(error as Error).message}; restart serve to apply edits`));
  }
  queue = queue.then(read).catch(report);

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
