/** `request`: its arguments, flags and help (commander only; ./request.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('request <provider> <path>')
    .description('an API call with the kept token, only to the provider\'s API origin (body on stdout, like gh api)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('-X, --method <method>', 'HTTP method (default GET, or POST with -d)')
    .option('-d, --data <body>', 'request body; @file reads a file, - reads stdin (JSON or form content type is inferred)')
    .option('-H, --header <header>', 'a request header "Name: value" (repeatable)', collect)
    .option('-i, --include', 'print the status line and the response headers before the body')
    .addHelpText(
      'after',
      '\nPATH is relative to the API base URL of the provider file (api.baseUrl); a full URL must be on that\n' +
        'origin. The token is added the provider\'s way (OAuth 1.0a requests are signed); an expired token is\n' +
        'refreshed first. A status outside 2xx prints the body, then exits 1.\n' +
        examples([
          'oauthd-cli request github /user',
          'oauthd-cli request github /user/repos -i',
          'oauthd-cli request github /user/repos -d \'{"name":"demo"}\'',
          'oauthd-cli request myidp /items -X PUT -d @item.json -H "If-Match: 3"',
        ]),
    );
}

export type RequestFlags = FlagsOf<ReturnType<typeof declare>>;
