/** `providers add`: its arguments, flags and help (commander only; ./providers-add.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('add <id>')
    .description('add or update the keyset of a provider (catalog id, or any OpenID provider with --issuer)')
    .option('--client-id <id>', 'the client id the provider gave you')
    .option('--client-secret-env <var>', 'read the client secret from this environment variable at run time')
    .option('--client-secret-stdin', 'read the client secret from stdin now and keep it in the OS keychain')
    .option('--scope <scopes>', 'scopes to ask, space-separated (default: the provider\'s)')
    .option('--issuer <url>', 'OpenID issuer of a provider outside the catalog (endpoints from its discovery document)')
    .option('--param <name=value>', 'a value for the provider\'s URL templates, e.g. tenant=contoso.com (repeatable)', collect)
    .addHelpText(
      'after',
      examples([
        'oauthd-cli providers add github --client-id Iv1.abc --client-secret-env GITHUB_SECRET',
        'printf %s "$SECRET" | oauthd-cli providers add google --client-id 123.apps.googleusercontent.com --client-secret-stdin',
        'oauthd-cli providers add myidp --issuer https://idp.example.com --client-id cli --client-secret-env IDP_SECRET',
        'oauthd-cli providers add microsoft --client-id 00000000-... --param tenant=contoso.com --client-secret-env MS_SECRET',
      ]),
    );
}

export type ProvidersAddFlags = FlagsOf<ReturnType<typeof declare>>;
