/** `token switch`: its arguments, flags and help (commander only; ./token-switch.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('switch <provider> [profile]')
    .description('choose which profile (account) of a provider the commands use when they name none; without a profile: the one in use')
    .addOption(storeOption())
    .addHelpText(
      'after',
      '\nThe choice is kept in profiles.json in the data folder. --profile, then $OAUTHD_PROFILE, override it\n' +
        'for one command; `token switch <provider> default` goes back to the profile "default".\n' +
        examples([
          'oauthd-cli login github --profile work && oauthd-cli token switch github work',
          'oauthd-cli token switch github            # prints the profile in use',
          'OAUTHD_PROFILE=default oauthd-cli token print github',
        ]),
    );
}

export type SwitchFlags = FlagsOf<ReturnType<typeof declare>>;
