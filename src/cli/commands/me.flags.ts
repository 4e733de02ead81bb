/** `me`: its arguments, flags and help (commander only; ./me.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('me <provider>')
    .description('the signed-in user as oauthd\'s unified profile (id, name, email, …), with the kept token')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--json', 'print the profile as JSON, with the provider\'s raw answer')
    .addHelpText('after', '\nAn expired token is refreshed first (and kept).\n' + examples(['oauthd-cli me github', 'oauthd-cli me myidp --profile work --json | jq .raw']));
}

export type MeFlags = FlagsOf<ReturnType<typeof declare>>;
