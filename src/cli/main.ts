/**
 * Entry point: parses argv with the command table, runs the command, and turns every failure into
 * one line on stderr and an exit code (0 ok, 1 the flow failed, 2 usage or configuration, 130
 * Ctrl-C). Only an error nobody anticipated is called a bug.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { processContext, type Context, type OutputStream } from './context.js';
import { packageVersion } from './version.js';
import { asCancelled, INTERRUPTED } from './stdin.js';
import { asCliError } from './errors.js';

export async function main(argv: string[], base: Context = processContext()): Promise<number> {
  let debug = argv.includes('--debug');
  // Last line of defence: an error thrown outside any await (a library's timer, a stray promise)
  // still ends as one line and exit 1, not a stack trace.
  const crash = (error: unknown) => {
    process.exitCode = report(error, base, debug);
    process.exit();
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const output = watchOutput(base);
  process.on('SIGINT', () => interrupted(base));
  const program = buildProgram(packageVersion(), base, async (load, ctx, args) => {
    debug = ctx.debug;
    const command = await load();
    await (command.run as (ctx: Context, ...rest: unknown[]) => Promise<void>)(ctx, ...args);
  });

  let code: number;
  try {
    await program.parseAsync(argv);
    code = 0;
  } catch (error) {
    // commander already printed its message; --help and --version end here with code 0.
    if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
    else code = report(error, base, debug);
  }
  return output.failed && code === 0 ? 1 : code;
}

export function report(error: unknown, ctx: Pick<Context, 'stderr'>, debug: boolean): number {
  const cancelled = asCancelled(error);
  if (cancelled) {
    // The person left a prompt on purpose: nothing to explain, nothing was written.
    ctx.stderr.write('cancelled\n');
    return cancelled.status;
  }
  // A CliError, or a protocol error in the CLI's words (./errors.ts).
  const explained = asCliError(error);
  if (explained) {
    ctx.stderr.write(`error: ${explained.message}\n`);
    if (explained.hint) ctx.stderr.write(`hint: ${explained.hint}\n`);
    if (debug && explained.cause) ctx.stderr.write(`${describeCause(explained.cause)}\n`);
    return explained.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.stderr.write(`error: ${message.split('\n')[0]}\n`);
  if (debug) {
    ctx.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  } else if (!isSystemError(error)) {
    ctx.stderr.write('hint: this is a bug in oauthd-cli; run again with --debug and report the output\n');
  }
  return 1;
}

/**
 * The operating system refused something (a full disk, a read-only folder, a file without
 * permission): its message names the call and the path, and it is the machine's state, not a bug.
 */
function isSystemError(error: unknown): boolean {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return error instanceof Error && typeof syscall === 'string' && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/**
 * A reader that stops early (`| head`, a pager quit) closes the pipe, and the next write fails with
 * EPIPE as an 'error' event that would otherwise end as an uncaught exception. As git does, that
 * is the reader's choice, not a failure: the rest of the output is dropped (a closed stream drops
 * later writes) and the command finishes with its own status, 0 for help. Any other write error on
 * stdout (a full disk behind `>`) is one line on stderr, and exit 1.
 */
function watchOutput(ctx: Pick<Context, 'stdout' | 'stderr'>): { failed: boolean } {
  const state = { failed: false };
  const watch = (stream: OutputStream, onOtherError: (error: NodeJS.ErrnoException) => void) => {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') onOtherError(error);
    });
  };
  watch(ctx.stdout, (error) => {
    state.failed = true;
    process.exitCode = 1; // when it comes after main() returned
    ctx.stderr.write(`error: cannot write the output: ${error.message}\n`);
  });
  // Where stderr itself fails, there is nowhere left to say so.
  watch(ctx.stderr, () => undefined);
  return state;
}

/**
 * Ctrl-C outside a prompt (a login waiting for the browser, a device code being polled): "cancelled"
 * and 130, as a shell reports an interrupted command; nothing half-written, since files are
 * replaced atomically. A command with its own way to stop (serve drains its connections) has
 * registered its own listener and is left to it.
 */
function interrupted(ctx: Pick<Context, 'stderr'>): void {
  if (process.listenerCount('SIGINT') > 1) return;
  // On a terminal a spinner may be running: it clears its line (and the echoed ^C) before this
  // write and redraws itself after a complete line only, so ending on the show-cursor sequence
  // rather than a newline leaves it cleared, and gives back the cursor it hid.
  ctx.stderr.write(ctx.stderr.isTTY ? 'cancelled\n\x1b[?25h' : 'cancelled\n');
  process.exit(INTERRUPTED);
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}
