/** `status`: its arguments, flags and help (commander only; ./status.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, storeOption, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('status')
    .description('every kept token: account, scopes granted vs asked, expiry, store, refresh token, and whether it can be used')
    .addOption(storeOption())
    .option('--json', 'print {stores, tokens, exitCode} as JSON (never a token value)')
    .addHelpText(
      'after',
      '\nNothing is sent: an expired token with a refresh token is "refreshable" (the next command refreshes it).\n' +
        'Exit codes: 0 every token usable, or none kept; 1 a token expired that cannot be refreshed (no refresh\n' +
        'token, or the provider refused it: log in again); 2 a store that cannot be read (the secrets file, or\n' +
        'the keychain --store names). "*" marks the profile commands use when they name none (token switch).\n' +
        examples([
          'oauthd-cli status',
          'oauthd-cli status --json | jq -r \'.tokens[] | select(.state == "login-needed") | .fix\'',
          'oauthd-cli status >/dev/null || echo "some token needs attention"',
        ]),
    );
}

export type StatusFlags = FlagsOf<ReturnType<typeof declare>>;
