/** `providers validate`: its arguments, flags and help (commander only; ./providers-validate.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('validate [files...]')
    .description('check provider files against providers/schema.json; every problem with its JSON path, exit 2 when any')
    .addHelpText(
      'after',
      '\nWithout FILE: every provider file the CLI reads (your oauthd-providers/ folder, then the shipped catalog).\n' +
        examples(['oauthd-cli providers validate', 'oauthd-cli providers validate oauthd-providers/myidp.json', 'oauthd-cli providers validate ./my-providers/']),
    );
}

export type ProvidersValidateFlags = FlagsOf<ReturnType<typeof declare>>;
