/**
 * Errors a user sees, raised by the CLI itself and by the files it reads (a bad flag, oauthd.json,
 * a secret reference, the vault, its own commands). Each carries a one-line cause and a hint, and
 * decides the exit code:
 *   2: usage or configuration (bad flag, bad file, unknown provider, port in use)
 *   1: the flow failed (a login that timed out, a failure on the way to the provider)
 * The protocol and the provider layer throw their own errors, as data (src/oauth/errors.ts,
 * src/providers/errors.ts); src/cli/errors.ts turns those into CliErrors at the edge. Anything else
 * is a bug: main() prints it as one line too, with the stack only under --debug.
 */
export type ErrorKind = 'usage' | 'config' | 'flow';

export class CliError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = options?.code;
  }

  /** A stable machine-readable reason (state_mismatch, timeout, ...), for --json and tests. */
  readonly code: string | undefined;

  get exitCode(): 1 | 2 {
    return this.kind === 'flow' ? 1 : 2;
  }
}

export const usageError = (message: string, hint?: string) => new CliError('usage', message, hint);
export const configError = (message: string, hint?: string) => new CliError('config', message, hint);
export const flowError = (message: string, hint?: string, code?: string, cause?: unknown) =>
  new CliError('flow', message, hint, { code, cause });

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}
