/** `token list`: its arguments, flags and help (commander only; ./token-list.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, parseProfileName, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('list')
    .description('every token kept: provider, profile, account, store, scopes, expiry (never the token itself)')
    .addOption(new Option('--profile <name>', 'only the tokens of this profile').argParser(parseProfileName))
    .addOption(storeOption())
    .option('--json', 'print a JSON list (no token values either)')
    .addHelpText('after', examples(['oauthd-cli token list', 'oauthd-cli token list --store keychain', 'oauthd-cli token list --json | jq -r \'.[] | select(.expired) | .provider\'']));
}

export type ListFlags = FlagsOf<ReturnType<typeof declare>>;
