/** `providers registration`: its arguments, flags and help (commander only; ./providers-registration.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('registration <id>')
    .description('read (RFC 7592 §2.1) or update (§2.2) at the provider a client that providers register made')
    .option('--redirect-uri <uri>', 'update: the redirect URIs to register instead of the present ones (repeatable)', collect)
    .option('--scope <scopes>', 'update: the scopes the client may ask for, space-separated ("" for none)')
    .option('--client-name <name>', 'update: the name the provider shows users')
    .option('--json', 'print the registered metadata as JSON (secrets as their vault references, never their values)')
    .addHelpText(
      'after',
      '\nWithout an update flag it reads the client\'s configuration at its registration_client_uri with\n' +
        'the registration access token from the vault. With one it sends the whole metadata back with\n' +
        'the change (§2.2); a client secret or registration access token the provider rotates on the\n' +
        'way replaces the one in the vault.\n' +
        examples([
          'oauthd-cli providers registration myidp',
          'oauthd-cli providers registration myidp --redirect-uri http://127.0.0.1:6284/auth --redirect-uri http://localhost:6284/auth',
          'oauthd-cli providers registration myidp --scope "openid email profile" --client-name "CI bot"',
          'oauthd-cli providers registration myidp --json | jq .redirect_uris',
        ]),
    );
}

export type ProvidersRegistrationFlags = FlagsOf<ReturnType<typeof declare>>;
