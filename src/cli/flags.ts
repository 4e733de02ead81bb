/**
 * What the commands' declarations share: the typed commander (@commander-js/extra-typings: each
 * command's flags are typed from their declaration), option parsers, the options several commands
 * take, the examples block of `--help`, and `Wire`, which joins a declaration to its command module.
 * Commander only: program.ts and every `*.flags.ts` import this, and `--help`/`--version` must stay
 * light.
 */
import { InvalidArgumentError, Option, type Command, type CommandUnknownOpts, type OptionValues } from '@commander-js/extra-typings';
import type { Context } from './context.js';

/** Parsers shared by several options; they throw commander's error so usage errors look alike. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks any free port).');
  }
  return port;
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > 86_400) {
    throw new InvalidArgumentError('give a number of seconds greater than 0 (at most 86400).');
  }
  return seconds;
}

/** Account names under a provider (login --profile, token commands). */
export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseProfileName(value: string): string {
  if (!PROFILE_NAME.test(value)) throw new InvalidArgumentError('a profile name is 1 to 64 letters, digits, ".", "-" or "_".');
  return value;
}

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

export const STORES = ['keychain', 'file'] as const;

/** --profile of the token commands: which account of the provider. */
export function profileOption() {
  return new Option('--profile <name>', 'which account of the provider (default: $OAUTHD_PROFILE, else the one token switch chose, else "default")').argParser(
    parseProfileName,
  );
}

/** --store of the token commands: read one store only; by default the keychain and the file. */
export function storeOption() {
  return new Option('--store <store>', 'look only in the OS keychain or only in the 0600 file (default: both; $OAUTHD_STORE)').choices(STORES);
}

/** What commander parsed for a declared command: its options object, typed from the declaration. */
export type FlagsOf<Declared> = Declared extends Command<unknown[], infer Opts, OptionValues> ? Opts : never;

/** What a declared command's run takes after the context: its arguments, then its options. */
export type RunArgs<Declared> = Declared extends Command<infer Args, infer Opts, OptionValues> ? [...Args, Opts] : never;

/**
 * Joins a declared command to its module, imported when the command runs. The compiler checks
 * that the module's run takes the declared arguments and flags.
 */
export type Wire = <Declared extends CommandUnknownOpts>(
  command: Declared,
  load: () => Promise<{ run: (ctx: Context, ...args: RunArgs<Declared>) => Promise<void> }>,
) => void;
