/** `token exchange`: its arguments, flags and help (commander only; ./token-exchange.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('exchange <provider>')
    .description('a token for another token at the provider (RFC 8693 token exchange); the new token is printed, not kept')
    .requiredOption('--subject-token <token|@provider[:profile]>', 'the token to exchange: its value, or a kept token')
    .option('--subject-token-type <type>', 'access_token (default), refresh_token, id_token, jwt, saml2, or a token type URI')
    .option('--actor-token <token|@provider[:profile]>', 'the token of who acts for the subject (RFC 8693 §4.1)')
    .option('--actor-token-type <type>', 'the actor token\'s type (default access_token)')
    .option('--audience <name>', 'the service the new token is for, by its name')
    .option('--resource <uri>', 'the service the new token is for, by its URI (RFC 8707)')
    .option('--requested-token-type <type>', 'the type of token wanted')
    .option('--scope <scopes>', 'narrower scopes for the new token, space-separated')
    .option('--json', 'print the token response as JSON on stdout')
    .option('-v, --verbose', 'print the check of the answer (issued_token_type, RFC 8693 §2.2.1)')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli token exchange sandbox --subject-token @sandbox --scope openid',
        'oauthd-cli token exchange myidp --subject-token @myidp --audience billing-api --json | jq -r .access_token',
        'oauthd-cli token exchange myidp --subject-token "$TOKEN" --actor-token @myidp:service --resource https://api.example.com/',
      ]),
    );
}

export type ExchangeFlags = FlagsOf<ReturnType<typeof declare>>;
