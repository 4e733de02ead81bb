/** `init`: its arguments, flags and help (commander only; ./init.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('init')
    .description('create oauthd.json: the app (key, domains, flow) and the broker settings')
    .option('-y, --yes', 'accept defaults for everything not given by flags; never prompt')
    .option('--name <name>', 'app name (default: the folder name)')
    .addOption(new Option('--flow <flow>', 'client: tokens reach the page; server: the page gets a code for your back end').choices(['client', 'server']))
    .option('--domain <url>', 'an origin allowed to use the app (repeatable)', collect)
    .option('--force', 'overwrite an existing config file')
    .option('--json', 'print {"config", "key", "secret"} as JSON (the secret is shown this once)')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli init                                      # interactive wizard',
        'oauthd-cli init --yes --flow server --domain https://app.example.com',
        'oauthd-cli init --yes --json > app.json',
      ]),
    );
}

export type InitFlags = FlagsOf<ReturnType<typeof declare>>;
