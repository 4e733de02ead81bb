/** `sandbox`: its arguments, flags and help (commander only; ./sandbox.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, parsePort, type FlagsOf } from '../flags.js';
// Data only (no import of its own): the fault names for `sandbox --help`, without the sandbox.
import { FAULTS, faultUsage } from '../../sandbox/fault-catalog.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('sandbox')
    .description('run the embedded OpenID provider on its own, as a mock identity provider for your app\'s tests (faults, fixed users)')
    .option('--port <n>', 'port on 127.0.0.1 (default 6285; 0 picks a free one)', parsePort)
    .option('--fault <name[:value]>', 'switch a fault on from the start (repeatable; see the list below)', collect)
    .option('--as <provider>', 'answer in the shape of this catalog provider (token body, field names, nesting, profile fields) at its own paths')
    .option('--provider-file <path>', 'with --as: write the provider\'s description pointed at this sandbox there (oauthd-providers/<id>.json: `oauthd-cli login <id>` then signs in here)')
    .option('--users <file>', 'only these users sign in, with these claims: {"alice": {"email": "alice@example.test", "roles": ["admin"]}}')
    .option('--auto-approve', 'sign-in and consent happen by themselves (the default with no display and no $BROWSER)')
    .option('--no-auto-approve', 'always show the sign-in and consent pages')
    .option('--json', 'print {"issuer", "discovery", "client_id", "client_secret"} as one JSON line on stdout once it listens')
    .option('--register-cert <file>', 'register a certificate of yours (PEM, self-signed is fine) with the sandbox\'s self_signed_tls_client_auth client (RFC 8705 §2.2), kept in its folder, and exit; then login sandbox --cert/--key signs in with it')
    .addHelpText(
      'after',
      '\nThe client accepts any loopback redirect URI (any port and path) and client_secret_basic or _post;\n' +
        'its id and secret, like the signing key, stay in the data folder between runs.\n' +
        '\nFaults (--fault NAME[:VALUE], or at run time: POST {issuer}/_control/faults {"fault", "value"?, "count"?},\n' +
        'GET lists those on, DELETE clears; loopback only). "count": only the next N requests it acts on.\n' +
        FAULTS.map((fault) => `  ${faultUsage(fault).padEnd(26)} ${fault.summary}`).join('\n') +
        '\n' +
        examples([
          'oauthd-cli sandbox --port 0 --json      # {"issuer": "http://127.0.0.1:PORT/sandbox", ...}',
          'oauthd-cli sandbox --fault id-token-expired --fault latency:800',
          'oauthd-cli sandbox --users users.json --no-auto-approve',
          'oauthd-cli sandbox --as slack --json   # "origins": {"https://slack.com": "http://127.0.0.1:PORT/sandbox/slack.com"}',
          'oauthd-cli sandbox --as twitter --provider-file oauthd-providers/twitter.json   # then: oauthd-cli login twitter',
          'oauthd-cli sandbox --register-cert my.crt   # then: oauthd-cli login sandbox --auth-method self_signed_tls_client_auth --cert my.crt --key my.key',
          'curl -X POST http://127.0.0.1:6285/sandbox/_control/faults -H \'content-type: application/json\' -d \'{"fault": "html-502", "count": 1}\'',
          'curl -X DELETE http://127.0.0.1:6285/sandbox/_control/faults',
        ]),
    );
}

export type SandboxFlags = FlagsOf<ReturnType<typeof declare>>;
