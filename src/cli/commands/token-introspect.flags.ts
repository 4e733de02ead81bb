/** `token introspect`: its arguments, flags and help (commander only; ./token-introspect.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('introspect <provider>')
    .description('ask the provider whether the token is active and what it grants (RFC 7662)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--refresh-token', 'ask about the refresh token instead of the access token')
    .option('--json', 'print the introspection response as JSON')
    .addHelpText('after', examples(['oauthd-cli token introspect myidp', 'oauthd-cli token introspect myidp --json | jq .active']));
}

export type IntrospectFlags = FlagsOf<ReturnType<typeof declare>>;
