/** `providers list`: its arguments, flags and help (commander only; ./providers-list.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('list [filter]')
    .description('list catalog providers (and which ones you configured)')
    .option('--json', 'print JSON')
    .option('--configured', 'only the providers configured in oauthd.json')
    .addHelpText('after', examples(['oauthd-cli providers list', 'oauthd-cli providers list git', 'oauthd-cli providers list --configured --json']));
}

export type ProvidersListFlags = FlagsOf<ReturnType<typeof declare>>;
