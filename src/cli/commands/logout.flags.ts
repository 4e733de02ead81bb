/** `logout`: its arguments, flags and help (commander only; ./logout.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('logout <provider>')
    .description('revoke the kept token at the provider where possible, then delete it here')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--no-revoke', 'only delete the local copy (the token stays valid at the provider until it expires)')
    .addHelpText('after', examples(['oauthd-cli logout github', 'oauthd-cli logout myidp --profile work', 'oauthd-cli logout sandbox']));
}

export type LogoutFlags = FlagsOf<ReturnType<typeof declare>>;
