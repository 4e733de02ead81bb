/** `token revoke`: its arguments, flags and help (commander only; ./token-revoke.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('revoke <provider>')
    .description('revoke the token at the provider (RFC 7009 or its own endpoint), then delete it here')
    .addOption(profileOption())
    .addOption(storeOption())
    .addHelpText(
      'after',
      '\nRefused (exit 2) when the provider has no revocation endpoint: `logout` deletes the local copy anyway.\n' +
        examples(['oauthd-cli token revoke google', 'oauthd-cli token revoke myidp --profile work']),
    );
}

export type RevokeFlags = FlagsOf<ReturnType<typeof declare>>;
