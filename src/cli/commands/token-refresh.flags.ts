/** `token refresh`: its arguments, flags and help (commander only; ./token-refresh.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('refresh <provider>')
    .description('a new access token from the refresh token (RFC 6749 §6); says whether the provider rotated the refresh token')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--force', 'refresh even when the access token is still valid')
    .option('--json', 'print the token response as JSON on stdout')
    .addHelpText('after', examples(['oauthd-cli token refresh google', 'oauthd-cli token refresh myidp --force --profile work']));
}

export type RefreshFlags = FlagsOf<ReturnType<typeof declare>>;
