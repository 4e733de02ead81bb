/** `providers discover`: its arguments, flags and help (commander only; ./providers-discover.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('discover <issuer-url>')
    .description('build a provider from OpenID Connect Discovery or RFC 8414 metadata')
    .option('--json', 'print the provider description as JSON (valid against providers/schema.json)')
    .option('--save <id>', 'keep it as <id>.json in your provider folder (oauthd-providers/ beside oauthd.json, or $OAUTHD_PROVIDERS_DIR)')
    .option('--name <name>', 'display name (default: the issuer\'s host)')
    .option('--force', 'with --save: replace an existing file, or override a shipped provider of that id')
    .addHelpText(
      'after',
      '\n--save writes a provider file like those of the catalog, read before it by every command: edit it\n' +
        'freely (providers validate checks it); id_tokens are verified with the keys the issuer publishes.\n' +
        'Credentials stay out of it: add them with providers add. (Without a file, providers add ID --issuer URL\n' +
        'keeps the discovered endpoints in oauthd.json instead.)\n' +
        examples([
          'oauthd-cli providers discover https://idp.example.com',
          'oauthd-cli providers discover https://idp.example.com --save myidp',
          'oauthd-cli providers add myidp --client-id cli --client-secret-env IDP_SECRET && oauthd-cli login myidp',
          'oauthd-cli providers discover https://auth.example.com/realms/acme --json > acme.json',
        ]),
    );
}

export type ProvidersDiscoverFlags = FlagsOf<ReturnType<typeof declare>>;
