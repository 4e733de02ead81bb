/**
 * Errors a user sees, thrown from any layer (config, protocol, broker, commands). Each carries a one-line cause and a hint, and decides the exit code:
 *   2: usage or configuration (bad flag, bad file, unknown provider, port in use)
 *   1: the flow failed (state mismatch, provider error, timeout, token endpoint error)
 * Anything else is a bug: main() prints it as one line too, with the stack only under --debug.
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
