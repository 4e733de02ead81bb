/** A file a command-line flag names, read whole; a file that cannot be read is one usage error line. */
import { readFile } from 'node:fs/promises';
import { usageError } from '../util/errors.js';

/** `file`'s text, or one line naming `flag` and why it cannot be read, with `hint` as the fix. */
export function readFlagFile(file: string, flag: string, hint: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw usageError(`${flag}: ${error.code === 'ENOENT' ? 'no such file' : error.code === 'EISDIR' ? 'a folder, not a file' : `cannot read it (${error.code ?? error.message})`}`, hint);
  });
}
