/** `login`: its arguments, flags and help (commander only; ./login.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, parsePort, parseProfileName, parseSeconds, STORES, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('login <provider>')
    .description('run an authorization-code flow through the broker and print (and keep) the token')
    .option('--scope <scopes>', 'scopes to ask, space-separated (default: the keyset\'s, else the provider\'s)')
    .option('--add-scopes <scopes>', 'ask again for the kept token\'s scopes plus these (space-separated); says what was granted')
    .option('--remove-scopes <scopes>', 'ask again for the kept token\'s scopes minus these')
    .option('--port <n>', 'loopback port for the callback (default 6284; 0 picks a free one)', parsePort)
    .option('--no-browser', 'do not open a browser; print the URL to open on stderr')
    .option('--auto-approve', 'sandbox only: sign in and consent without a browser')
    .option('--json', 'print the token response as JSON on stdout, nothing else')
    .option('--no-save', 'do not keep the token')
    .option('--save', 'keep the token in the OS keychain, or a 0600 file where none answers (default)')
    .option('--timeout <seconds>', 'how long to wait for the sign-in to come back', parseSeconds, 300)
    .option('-v, --verbose', 'print every security check of the flow (state, PKCE, nonce, each id_token claim)')
    .option('--trace', 'print every step on stderr as it happens: URLs, parameters, each HTTP exchange, checks (secrets redacted)')
    .option('--trace-secrets', 'show secrets in the trace, HAR and curl lines instead of redacting them (careful)')
    .option('--har <file>', 'write the transcript as a HAR file (redacted), for a browser\'s network panel')
    .option('--curl', 'print a ready-to-run curl command for each request to the provider')
    .option('--device', 'use the device authorization grant (RFC 8628): a code to enter elsewhere, no callback')
    .option('--client-credentials', 'get a machine-to-machine token (RFC 6749 §4.4): no user, no browser')
    .addOption(
      new Option('--profile <name>', 'keep the token under this account name (default: $OAUTHD_PROFILE, else the one token switch chose, else "default")').argParser(
        parseProfileName,
      ),
    )
    .addOption(new Option('--store <store>', 'where to keep the token (default: the OS keychain, else a 0600 file)').choices(STORES))
    .option('--inspect', 'record the flow and serve the inspector (prints its URL); stays open after the flow until Ctrl-C')
    .addHelpText(
      'after',
      examples([
        'npx oauthd-cli login sandbox',
        'oauthd-cli login github --scope "read:user repo"',
        'oauthd-cli login myidp --json --no-save | jq -r .access_token',
        'oauthd-cli login google --trace --har google.har',
        'oauthd-cli login github --device                    # on an SSH session',
        'oauthd-cli login myidp --client-credentials --scope api',
        'oauthd-cli login github --profile work',
        'oauthd-cli login github --add-scopes "repo workflow"     # re-consent with more scopes',
        'oauthd-cli login myidp --remove-scopes email',
        'BROWSER=firefox oauthd-cli login google --port 0',
        'oauthd-cli login myidp --inspect                    # then look at each step in the browser',
      ]),
    );
}

export type LoginFlags = FlagsOf<ReturnType<typeof declare>>;
