/** `token exchange`: its arguments, flags and help (commander only; ./token-exchange.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, parseProfileName, STORES, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('exchange <provider>')
    .description('a token for another token at the provider (RFC 8693 token exchange); printed, or kept as a profile with --save')
    .requiredOption('--subject-token <token|@provider[:profile]>', 'the token to exchange: its value, or a kept token')
    .option('--subject-token-type <type>', 'access_token (default), refresh_token, id_token, jwt, saml2, or a token type URI')
    .option('--actor-token <token|@provider[:profile]>', 'the token of who acts for the subject (RFC 8693 §4.1)')
    .option('--actor-token-type <type>', 'the actor token\'s type (default access_token)')
    .option('--audience <name>', 'a service the new token is for, by its name; repeat for several (RFC 8693 §2.1)', collect)
    .option('--resource <uri>', 'a service the new token is for, by its absolute URI; repeat for several (RFC 8707 §2)', collect)
    .option('--requested-token-type <type>', 'the type of token wanted')
    .option('--scope <scopes>', 'narrower scopes for the new token, space-separated')
    .addOption(
      new Option('--save <profile>', 'keep the new token as this profile of <provider> (for me, request, token print --profile); never the subject token\'s own profile').argParser(
        parseProfileName,
      ),
    )
    .addOption(new Option('--store <store>', 'where --save keeps the token (default: the OS keychain, else a 0600 file; $OAUTHD_STORE)').choices(STORES))
    .option('--json', 'print the token response as JSON on stdout')
    .option('-v, --verbose', 'print the check of the answer (issued_token_type, RFC 8693 §2.2.1)')
    .option('--trace', 'print each HTTP exchange on stderr (secrets redacted)')
    .option('--trace-secrets', 'show secrets in the trace, HAR and curl lines instead of redacting them (careful)')
    .option('--har <file>', 'write the exchange as a HAR file (redacted)')
    .option('--curl', 'print a ready-to-run curl command for each request to the provider')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli token exchange sandbox --subject-token @sandbox --scope openid',
        'oauthd-cli token exchange myidp --subject-token @myidp --audience billing-api --json | jq -r .access_token',
        'oauthd-cli token exchange myidp --subject-token @myidp --audience billing --audience ledger --resource https://billing.example.com/ --resource https://ledger.example.com/',
        'oauthd-cli token exchange myidp --subject-token @myidp --scope openid --save narrow && oauthd-cli me myidp --profile narrow',
        'oauthd-cli token exchange myidp --subject-token @myidp --audience ci --save ci --store file',
        'oauthd-cli token exchange myidp --subject-token "$TOKEN" --actor-token @myidp:service --resource https://api.example.com/ --curl',
      ]),
    );
}

export type ExchangeFlags = FlagsOf<ReturnType<typeof declare>>;
