/** `providers show`: its arguments, flags and help (commander only; ./providers-show.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('show <id>')
    .description('what to register at a provider (where, the exact redirect URI) and what a flow does there')
    .option('--json', 'print the provider description as JSON, with redirectUri, configured and the endpoints filled (endpoints)')
    .addHelpText('after', examples(['oauthd-cli providers show github', 'oauthd-cli providers show microsoft --json | jq .endpoints.oauth2']));
}

export type ProvidersShowFlags = FlagsOf<ReturnType<typeof declare>>;
