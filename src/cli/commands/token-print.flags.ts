/** `token print`: its arguments, flags and help (commander only; ./token-print.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, parseSeconds, profileOption, storeOption, type FlagsOf } from '../flags.js';

export const PRINT_FORMATS = ['raw', 'header', 'env', 'json', 'exec-credential'] as const;
export type PrintFormat = (typeof PRINT_FORMATS)[number];

export function declare(token: CommandUnknownOpts) {
  return token
    .command('print <provider>')
    .description('print the kept token on stdout, and nothing else')
    .addOption(profileOption())
    .addOption(storeOption())
    .addOption(
      new Option(
        '--format <format>',
        'raw: the access token; header: "Authorization: Bearer …"; env: shell exports; json: the token response; exec-credential: kubectl\'s ExecCredential',
      )
        .choices(PRINT_FORMATS)
        .default('raw'),
    )
    .option('--min-ttl <seconds>', 'refresh first when the token is valid for fewer seconds than this (an expired token is always refreshed)', parseSeconds)
    .addHelpText(
      'after',
      examples([
        'curl -H "$(oauthd-cli token print github --format header)" https://api.github.com/user',
        'eval "$(oauthd-cli token print myidp --format env)"   # sets ACCESS_TOKEN and REFRESH_TOKEN',
        'oauthd-cli token print google --format json | jq .scope',
        'oauthd-cli token print myidp --min-ttl 600      # valid for at least ten more minutes',
        'oauthd-cli token print myidp --format exec-credential   # for kubectl (see token kubeconfig)',
      ]),
    );
}

export type PrintFlags = FlagsOf<ReturnType<typeof declare>>;
