// Catching a thrown error to assert on every part a user reads (message, hint, kind, code).
import { expect } from 'vitest';
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

/** Like `caught`, and the error must be a CliError (the one-line, exit-coded kind). */
export async function caughtCliError(fn: () => unknown): Promise<CliError> {
  const error = await caught(fn);
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}
