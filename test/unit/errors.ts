// Catching a thrown error to assert on every part a user reads (message, hint, kind, code): the
// protocol throws data (src/oauth/errors.ts), and the terminal shows it as the CLI's edge words it
// (src/cli/errors.ts), so assertions on hints and exit codes go through that translation.
import { expect } from 'vitest';
import { asCliError } from '../../src/cli/errors.js';
import { CliError } from '../../src/util/errors.js';

/** Runs `fn` and returns what it threw; fails the test when nothing was thrown. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  expect.fail('expected an error, but nothing was thrown');
}

/** `error` as the terminal shows it (one line, a hint, an exit code); fails the test when the CLI cannot explain it. */
export function explained(error: unknown): CliError {
  const shown = asCliError(error);
  expect(shown, `not an error the CLI explains: ${String(error)}`).toBeInstanceOf(CliError);
  return shown as CliError;
}

/** Like `caught`, and the error must be one the CLI explains (the one-line, exit-coded kind): returned as shown. */
export async function caughtCliError(fn: () => unknown): Promise<CliError> {
  return explained(await caught(fn));
}
