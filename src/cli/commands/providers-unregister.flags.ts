/** `providers unregister`: its arguments, flags and help (commander only; ./providers-unregister.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('unregister <id>')
    .description('delete a client that providers register made (RFC 7592), and its keyset and secrets here')
    .option('--forget', 'remove the keyset and its secrets here even when the provider refuses (the client is gone there already)')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli providers unregister myidp',
        'oauthd-cli providers unregister mysb --forget     # the sandbox was reset; drop what is kept here',
      ]),
    );
}

export type ProvidersUnregisterFlags = FlagsOf<ReturnType<typeof declare>>;
