/** `token show`: its arguments, flags and help (commander only; ./token-show.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('show <provider>')
    .description('what a kept token is: scopes, expiry countdown, account, store, decoded JWT claims (the token itself is not printed)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--json', 'print the description as JSON (claims of JWT access tokens and id_tokens included)')
    .addHelpText(
      'after',
      '\nA JWT access token is decoded, not verified (only the API it is meant for checks it); the id_token\n' +
        'was verified when it was received, and show says when.\n' +
        examples(['oauthd-cli token show github', 'oauthd-cli token show myidp --profile work --json | jq .idToken.claims']),
    );
}

export type ShowFlags = FlagsOf<ReturnType<typeof declare>>;
