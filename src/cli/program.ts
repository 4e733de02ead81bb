/**
 * The command table. This module imports commander and nothing else heavy: `--help` and
 * `--version` must not load fastify, inquirer, the sandbox or the catalog. Each action imports its
 * command module when it runs.
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import type { Context } from './context.js';
// Data only (no import of its own): the fault names for `sandbox --help`, without the sandbox.
import { FAULTS, faultUsage } from '../sandbox/fault-catalog.js';

/** A command module's entry point; commander supplies the arguments and the options object. */
export type Action = (ctx: Context, ...args: never[]) => Promise<void>;

/** Parsers shared by several options; they throw commander's error so usage errors look alike. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks any free port).');
  }
  return port;
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > 86_400) {
    throw new InvalidArgumentError('give a number of seconds greater than 0 (at most 86400).');
  }
  return seconds;
}

/** Account names under a provider (login --profile, token commands). */
export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/**
 * Builds the program. `run(ctx, importer, ...args)` is called by each action with the merged
 * global options applied to the context.
 */
export function buildProgram(
  version: string,
  baseContext: Context,
  dispatch: (load: () => Promise<{ run: Action }>, ctx: Context, args: unknown[]) => Promise<void>,
): Command {
  const program = new Command('oauthd-cli');
  // Set before any subcommand exists: commander copies these settings into each one it creates.
  // Usage errors then throw (main() maps them to exit 2) instead of exiting the process.
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => baseContext.stdout.write(text),
    writeErr: (text) => baseContext.stderr.write(text),
  });
  const withContext = (load: () => Promise<{ run: Action }>) =>
    async function (this: Command, ...args: unknown[]) {
      const globals = this.optsWithGlobals<{ debug?: boolean; config?: string }>();
      const ctx: Context = { ...baseContext, debug: Boolean(globals.debug), configPath: globals.config };
      // commander passes (...arguments, options, command); the command object is ours to drop.
      await dispatch(load, ctx, args.slice(0, -1));
    };

  program
    .description(
      'oauthd, back as a CLI: a local OAuth broker wire-compatible with oauthd\'s SDKs,\n' +
        'a flow debugger and a catalog of providers.',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--config <file>', 'config file (default: $OAUTHD_CONFIG, else the nearest oauthd.json from the working folder up)')
    .option('--debug', 'print stack traces and internal detail on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      examples([
        'npx oauthd-cli login sandbox          # sign in on the embedded authorization server',
        'oauthd-cli init --yes --domain http://localhost:3000',
        'oauthd-cli providers add github --client-id Iv1.abc --client-secret-env GITHUB_SECRET',
        'oauthd-cli serve',
      ]),
    );

  program
    .command('init')
    .description('create oauthd.json: the app (key, domains, flow) and the broker settings')
    .option('-y, --yes', 'accept defaults for everything not given by flags; never prompt')
    .option('--name <name>', 'app name (default: the folder name)')
    .addOption(new Option('--flow <flow>', 'client: tokens reach the page; server: the page gets a code for your back end').choices(['client', 'server']))
    .option('--domain <url>', 'an origin allowed to use the app (repeatable)', collect)
    .option('--force', 'overwrite an existing config file')
    .option('--json', 'print {"config", "key", "secret"} as JSON (the secret is shown this once)')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli init                                      # interactive wizard',
        'oauthd-cli init --yes --flow server --domain https://app.example.com',
        'oauthd-cli init --yes --json > app.json',
      ]),
    )
    .action(withContext(() => import('./commands/init.js')));

  const providers = program
    .command('providers')
    .description('the provider catalog and your keysets (client id, secret reference, scopes)')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli providers list git',
        'oauthd-cli providers show github',
        'oauthd-cli providers add github --client-id Iv1.abc --client-secret-env GITHUB_SECRET',
        'oauthd-cli providers discover https://idp.example.com --save myidp',
      ]),
    );

  providers
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
    )
    .action(withContext(() => import('./commands/providers-add.js')));

  providers
    .command('list [filter]')
    .description('list catalog providers (and which ones you configured)')
    .option('--json', 'print JSON')
    .option('--configured', 'only the providers configured in oauthd.json')
    .addHelpText('after', examples(['oauthd-cli providers list', 'oauthd-cli providers list git', 'oauthd-cli providers list --configured --json']))
    .action(withContext(() => import('./commands/providers-list.js')));

  providers
    .command('show <id>')
    .description('what to register at a provider (where, the exact redirect URI) and what a flow does there')
    .option('--json', 'print the provider description as JSON, with redirectUri, configured and the endpoints filled (endpoints)')
    .addHelpText('after', examples(['oauthd-cli providers show github', 'oauthd-cli providers show microsoft --json | jq .endpoints.oauth2']))
    .action(withContext(() => import('./commands/providers-show.js')));

  providers
    .command('validate [files...]')
    .description('check provider files against providers/schema.json; every problem with its JSON path, exit 2 when any')
    .addHelpText(
      'after',
      '\nWithout FILE: every provider file the CLI reads (your oauthd-providers/ folder, then the shipped catalog).\n' +
        examples(['oauthd-cli providers validate', 'oauthd-cli providers validate oauthd-providers/myidp.json', 'oauthd-cli providers validate ./my-providers/']),
    )
    .action(withContext(() => import('./commands/providers-validate.js')));

  providers
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
    )
    .action(withContext(() => import('./commands/providers-discover.js')));

  program
    .command('serve')
    .description('run the broker for your app (oauthd\'s routes, both flows) until Ctrl-C')
    .option('--port <n>', 'port to listen on (default: broker.port in oauthd.json, else 6284)', parsePort)
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--sandbox', 'also mount the embedded authorization server at /sandbox (provider "sandbox") and a demo page at /demo')
    .addOption(new Option('--log <format>', 'request log on stderr: one readable line per request, or JSON lines').choices(['pretty', 'json']).default('pretty'))
    .option('--quiet', 'no request log')
    .addHelpText(
      'after',
      examples(['oauthd-cli serve', 'oauthd-cli serve --sandbox --port 8080   # then open http://127.0.0.1:8080/demo', 'oauthd-cli serve --log json 2> broker.log']),
    )
    .action(withContext(() => import('./commands/serve.js')));

  program
    .command('sandbox')
    .description('run the embedded OpenID provider on its own, as a mock identity provider for your app\'s tests (faults, fixed users)')
    .option('--port <n>', 'port on 127.0.0.1 (default 6285; 0 picks a free one)', parsePort)
    .option('--fault <name[:value]>', 'switch a fault on from the start (repeatable; see the list below)', collect)
    .option('--as <provider>', 'answer in the shape of this catalog provider (token body, field names, nesting, profile fields) at its own paths')
    .option('--users <file>', 'only these users sign in, with these claims: {"alice": {"email": "alice@example.test", "roles": ["admin"]}}')
    .option('--auto-approve', 'sign-in and consent happen by themselves (the default with no display and no $BROWSER)')
    .option('--no-auto-approve', 'always show the sign-in and consent pages')
    .option('--json', 'print {"issuer", "discovery", "client_id", "client_secret"} as one JSON line on stdout once it listens')
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
          'curl -X POST http://127.0.0.1:6285/sandbox/_control/faults -H \'content-type: application/json\' -d \'{"fault": "html-502", "count": 1}\'',
          'curl -X DELETE http://127.0.0.1:6285/sandbox/_control/faults',
        ]),
    )
    .action(withContext(() => import('./commands/sandbox.js')));

  program
    .command('login <provider>')
    .description('run an authorization-code flow through the broker and print (and keep) the token')
    .option('--scope <scopes>', 'scopes to ask, space-separated (default: the keyset\'s, else the provider\'s)')
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
      new Option('--profile <name>', 'keep the token under this account name (several accounts per provider)')
        .argParser((value: string) => {
          if (!PROFILE_NAME.test(value)) throw new InvalidArgumentError('a profile name is 1 to 64 letters, digits, ".", "-" or "_".');
          return value;
        })
        .default('default'),
    )
    .addOption(new Option('--store <store>', 'where to keep the token (default: the OS keychain, else a 0600 file)').choices(['keychain', 'file']))
    // Modern OAuth (docs/modern-oauth.md).
    .option('--par', 'push the authorization request first (RFC 9126); the browser carries only client_id and request_uri')
    .addOption(
      new Option('--auth-method <method>', 'how the client authenticates at the token endpoint (RFC 6749 §2.3, RFC 7523)').choices([
        'client_secret_basic',
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
        'none',
      ]),
    )
    .option('--key <file>', "the client's private key (PEM or JWK) for private_key_jwt")
    .option('--dpop', 'bind the tokens to a fresh DPoP key (RFC 9449), kept beside the token for later calls')
    .option('--resource <uri>', 'the resource the token is for (RFC 8707); repeat for several', collect)
    .option('--authorization-details <json|@file>', 'RFC 9396 rich authorization request: a JSON array of objects with a "type"')
    .option('--request-object', 'send the authorization request as a JWT signed with the client key (RFC 9101 JAR), by value or with --par')
    .addOption(new Option('--response-mode <mode>', 'jwt: the authorization response as a signed JWT (JARM), verified like an id_token').choices(['query', 'jwt']))
    .addHelpText(
      'after',
      examples([
        'npx oauthd-cli login sandbox',
        'oauthd-cli login sandbox --par --dpop --auth-method private_key_jwt --auto-approve',
        'oauthd-cli login myidp --auth-method private_key_jwt --key client.pem --verbose',
        'oauthd-cli login myidp --resource https://api.example.com/ --authorization-details @details.json',
        'oauthd-cli login sandbox --request-object --response-mode jwt --auto-approve --verbose',
        'oauthd-cli login github --scope "read:user repo"',
        'oauthd-cli login myidp --json --no-save | jq -r .access_token',
        'oauthd-cli login google --trace --har google.har',
        'oauthd-cli login github --device                    # on an SSH session',
        'oauthd-cli login myidp --client-credentials --scope api',
        'oauthd-cli login github --profile work',
        'BROWSER=firefox oauthd-cli login google --port 0',
      ]),
    )
    .action(withContext(() => import('./commands/login.js')));

  program
    .command('doctor')
    .description('check the setup before a login needs it: config, store, secrets, each provider, the broker port')
    .option('--json', 'print the checks as a JSON list of {id, label, status, detail, fix}')
    .addHelpText(
      'after',
      '\nOne line per check: ✓ passes, ! warns, ✗ fails (its fix on the next line), i informs.\n' +
        'Exit 0 when no check fails (warnings included), 1 otherwise. Secrets are looked up, never printed;\n' +
        'only discovery documents are fetched, with a 5 s timeout (offline is a warning).\n' +
        examples([
          'oauthd-cli doctor',
          'oauthd-cli doctor --config ../api/oauthd.json',
          'oauthd-cli doctor --json | jq \'.[] | select(.status == "fail")\'',
        ]),
    )
    .action(withContext(() => import('./commands/doctor.js')));

  // Keeping and using tokens: the token group, logout, me, request. Each takes --profile (which
  // account of the provider) and --store (read one store only; by default the keychain and the file).
  const parseProfileName = (value: string): string => {
    if (!PROFILE_NAME.test(value)) throw new InvalidArgumentError('a profile name is 1 to 64 letters, digits, ".", "-" or "_".');
    return value;
  };
  const profileOption = () => new Option('--profile <name>', 'which account of the provider (login --profile)').argParser(parseProfileName).default('default');
  const storeOption = () =>
    new Option('--store <store>', 'look only in the OS keychain or only in the 0600 file (default: both; $OAUTHD_STORE)').choices(['keychain', 'file']);

  const token = program
    .command('token')
    .description('the tokens login keeps: list, show, print, refresh, revoke, introspect')
    .addHelpText(
      'after',
      examples([
        'oauthd-cli token list',
        'oauthd-cli token print github --format header',
        'oauthd-cli token refresh google --force',
        'oauthd-cli token revoke myidp --profile work',
      ]),
    );

  token
    .command('list')
    .description('every token kept: provider, profile, account, store, scopes, expiry (never the token itself)')
    .addOption(new Option('--profile <name>', 'only the tokens of this profile').argParser(parseProfileName))
    .addOption(storeOption())
    .option('--json', 'print a JSON list (no token values either)')
    .addHelpText('after', examples(['oauthd-cli token list', 'oauthd-cli token list --store keychain', 'oauthd-cli token list --json | jq -r \'.[] | select(.expired) | .provider\'']))
    .action(withContext(() => import('./commands/token-list.js')));

  token
    .command('show <provider>')
    .description('what a kept token is: scopes, expiry countdown, account, store, decoded JWT claims (the token itself is not printed)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--json', 'print the description as JSON (claims of JWT access tokens and id_tokens included)')
    .addHelpText(
      'after',
      '\nA JWT access token is decoded, not verified (only the API it is meant for checks it); the id_token\n' +
        'was verified when it was received, and show says when.\n' +
        examples(['oauthd-cli token show github', 'oauthd-cli token show myidp --profile work --json | jq .idToken.claims']),
    )
    .action(withContext(() => import('./commands/token-show.js')));

  token
    .command('print <provider>')
    .description('print the kept token on stdout, and nothing else')
    .addOption(profileOption())
    .addOption(storeOption())
    .addOption(
      new Option('--format <format>', 'raw: the access token; header: "Authorization: Bearer …"; env: shell exports; json: the token response')
        .choices(['raw', 'header', 'env', 'json'])
        .default('raw'),
    )
    .addHelpText(
      'after',
      examples([
        'curl -H "$(oauthd-cli token print github --format header)" https://api.github.com/user',
        'eval "$(oauthd-cli token print myidp --format env)"   # sets ACCESS_TOKEN and REFRESH_TOKEN',
        'oauthd-cli token print google --format json | jq .scope',
      ]),
    )
    .action(withContext(() => import('./commands/token-print.js')));

  token
    .command('refresh <provider>')
    .description('a new access token from the refresh token (RFC 6749 §6); says whether the provider rotated the refresh token')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--force', 'refresh even when the access token is still valid')
    .option('--json', 'print the token response as JSON on stdout')
    .addHelpText('after', examples(['oauthd-cli token refresh google', 'oauthd-cli token refresh myidp --force --profile work']))
    .action(withContext(() => import('./commands/token-refresh.js')));

  token
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
    )
    .action(withContext(() => import('./commands/token-exchange.js')));

  token
    .command('revoke <provider>')
    .description('revoke the token at the provider (RFC 7009 or its own endpoint), then delete it here')
    .addOption(profileOption())
    .addOption(storeOption())
    .addHelpText(
      'after',
      '\nRefused (exit 2) when the provider has no revocation endpoint: `logout` deletes the local copy anyway.\n' +
        examples(['oauthd-cli token revoke google', 'oauthd-cli token revoke myidp --profile work']),
    )
    .action(withContext(() => import('./commands/token-revoke.js')));

  token
    .command('introspect <provider>')
    .description('ask the provider whether the token is active and what it grants (RFC 7662)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--refresh-token', 'ask about the refresh token instead of the access token')
    .option('--json', 'print the introspection response as JSON')
    .addHelpText('after', examples(['oauthd-cli token introspect myidp', 'oauthd-cli token introspect myidp --json | jq .active']))
    .action(withContext(() => import('./commands/token-introspect.js')));

  program
    .command('logout <provider>')
    .description('revoke the kept token at the provider where possible, then delete it here')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--no-revoke', 'only delete the local copy (the token stays valid at the provider until it expires)')
    .addHelpText('after', examples(['oauthd-cli logout github', 'oauthd-cli logout myidp --profile work', 'oauthd-cli logout sandbox']))
    .action(withContext(() => import('./commands/logout.js')));

  program
    .command('me <provider>')
    .description('the signed-in user as oauthd\'s unified profile (id, name, email, …), with the kept token')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--json', 'print the profile as JSON, with the provider\'s raw answer')
    .addHelpText('after', '\nAn expired token is refreshed first (and kept).\n' + examples(['oauthd-cli me github', 'oauthd-cli me myidp --profile work --json | jq .raw']))
    .action(withContext(() => import('./commands/me.js')));

  program
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
    )
    .action(withContext(() => import('./commands/request.js')));

  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (commands, options, provider ids)')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      '\nProvider ids (the catalog, your provider folders, oauthd.json) are looked up when you press TAB.\n' +
        examples([
          'source <(oauthd-cli completion bash)                  # in ~/.bashrc',
          'source <(oauthd-cli completion zsh)                   # in ~/.zshrc, after compinit',
          'oauthd-cli completion fish > ~/.config/fish/completions/oauthd-cli.fish',
        ]),
    )
    .action(withContext(() => import('./commands/completion.js')));
  // What the completion scripts call at TAB time: provider ids, one per line.
  program
    .command('__complete <what>', { hidden: true })
    .action(withContext(() => import('./commands/completion.js').then((module) => ({ run: module.listIds }))));

  return program;
}
