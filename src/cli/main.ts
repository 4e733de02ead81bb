/**
 * Entry point: parses argv with the command table, runs the command, and turns every failure into
 * one line on stderr and an exit code (0 ok, 1 the flow failed, 2 usage or configuration).
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { processContext, type Context } from './context.js';
import { packageVersion } from './version.js';
import { isCliError } from '../util/errors.js';

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
  const program = buildProgram(packageVersion(), base, async (load, ctx, args) => {
    debug = ctx.debug;
    const command = await load();
    await (command.run as (ctx: Context, ...rest: unknown[]) => Promise<void>)(ctx, ...args);
  });

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message; --help and --version end here with code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    return report(error, base, debug);
  }
}

export function report(error: unknown, ctx: Pick<Context, 'stderr'>, debug: boolean): number {
  if (isCliError(error)) {
    ctx.stderr.write(`error: ${error.message}\n`);
    if (error.hint) ctx.stderr.write(`hint: ${error.hint}\n`);
    if (debug && error.cause) ctx.stderr.write(`${describeCause(error.cause)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.stderr.write(`error: ${message.split('\n')[0]}\n`);
  if (debug) {
    ctx.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  } else {
    ctx.stderr.write('hint: this is a bug in oauthd-cli; run again with --debug and report the output\n');
  }
  return 1;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}
