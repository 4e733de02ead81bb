/** `login`: its arguments, flags and help (commander only; ./login.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, parsePort, parseProfileName, parseSeconds, STORES, type FlagsOf } from '../flags.js';

/** The client authentication methods --auth-method offers (RFC 6749 §2.3, RFC 7523, RFC 8705). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'] as const;
const RESPONSE_MODES = ['query', 'jwt'] as const;

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
    // Modern OAuth (docs/modern-oauth.md).
    .option('--par', 'push the authorization request first (RFC 9126); the browser carries only client_id and request_uri')
    .addOption(
      new Option('--auth-method <method>', 'how the client authenticates at the token endpoint (RFC 6749 §2.3, RFC 7523, RFC 8705)').choices(CLIENT_AUTH_METHODS),
    )
    .option('--key <file>', "the client's private key (PEM or JWK) for private_key_jwt, or the private key of --cert")
    .option('--cert <file>', 'the client certificate (PEM) shown in the TLS handshake: tls_client_auth, self_signed_tls_client_auth, certificate-bound tokens (RFC 8705); its key is --key')
    .option('--dpop', 'bind the tokens to a fresh DPoP key (RFC 9449), kept beside the token for later calls')
    .option('--resource <uri>', 'the resource the token is for (RFC 8707); repeat for several', collect)
    .option('--authorization-details <json|@file>', 'RFC 9396 rich authorization request: a JSON array of objects with a "type"')
    .option('--request-object', 'send the authorization request as a JWT signed with the client key (RFC 9101 JAR), by value or with --par')
    .addOption(new Option('--response-mode <mode>', 'jwt: the authorization response as a signed JWT (JARM), verified like an id_token').choices(RESPONSE_MODES))
    // OpenID CIBA, poll mode (docs/modern-oauth.md).
    .option('--ciba', 'OpenID CIBA (poll mode): the provider asks the user on their own device, the CLI polls; no browser here')
    .option('--login-hint <user>', 'with --ciba: who is to approve (a user name, e-mail or phone, as the provider knows them)')
    .option('--id-token-hint <jwt|@provider[:profile]>', 'with --ciba, instead of --login-hint: an ID Token the provider issued to this client, or a kept token\'s (OpenID CIBA Core §7.1)')
    .option('--login-hint-token <token>', 'with --ciba, instead of --login-hint: a token that names the user, as the provider defines it')
    .option('--binding-message <text>', 'with --ciba: a short text shown on both devices, so the user knows which request to approve')
    .option('--user-code <code>', 'with --ciba: the secret code the user set at the provider (backchannel_user_code_parameter_supported)')
    .addHelpText(
      'after',
      examples([
        'npx oauthd-cli login sandbox',
        'oauthd-cli login sandbox --par --dpop --auth-method private_key_jwt --auto-approve',
        'oauthd-cli login myidp --auth-method private_key_jwt --key client.pem --verbose',
        'oauthd-cli login myidp --auth-method tls_client_auth --cert client.crt --key client.key',
        'oauthd-cli login myidp --resource https://api.example.com/ --authorization-details @details.json',
        'oauthd-cli login sandbox --request-object --response-mode jwt --auto-approve --verbose',
        'oauthd-cli login github --scope "read:user repo"',
        'oauthd-cli login myidp --json --no-save | jq -r .access_token',
        'oauthd-cli login google --trace --har google.har',
        'oauthd-cli login github --device                    # on an SSH session',
        'oauthd-cli login myidp --client-credentials --scope api',
        'oauthd-cli login sandbox --ciba --login-hint alice --binding-message "Order 42"',
        'oauthd-cli login mybank --ciba --login-hint alice@example.com --verbose',
        'oauthd-cli login mybank --ciba --id-token-hint @mybank --binding-message "Pay 42 EUR"   # the user of a kept token',
        'oauthd-cli login github --profile work',
        'oauthd-cli login github --add-scopes "repo workflow"     # re-consent with more scopes',
        'oauthd-cli login myidp --remove-scopes email',
        'BROWSER=firefox oauthd-cli login google --port 0',
        'oauthd-cli login myidp --inspect                    # then look at each step in the browser',
      ]),
    );
}

export type LoginFlags = FlagsOf<ReturnType<typeof declare>>;
