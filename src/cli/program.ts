/**
 * The command table. This module imports commander and nothing else heavy: `--help` and
 * `--version` must not load fastify, inquirer, the sandbox or the catalog. Each action imports its
 * command module when it runs.
 */
import { Argument, Command, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Context } from './context.js';
import { collect, examples, parsePort, type Wire } from './flags.js';
import * as login from './commands/login.flags.js';
import * as tokenList from './commands/token-list.flags.js';
import * as tokenShow from './commands/token-show.flags.js';
import * as tokenPrint from './commands/token-print.flags.js';
import * as tokenRefresh from './commands/token-refresh.flags.js';
import * as tokenRevoke from './commands/token-revoke.flags.js';
import * as tokenIntrospect from './commands/token-introspect.flags.js';
import * as logout from './commands/logout.flags.js';
import * as me from './commands/me.flags.js';
import * as request from './commands/request.flags.js';
// Data only (no import of its own): the fault names for `sandbox --help`, without the sandbox.
import { FAULTS, faultUsage } from '../sandbox/fault-catalog.js';

/** A command module's entry point; commander supplies the arguments and the options object. */
export type Action = (ctx: Context, ...args: never[]) => Promise<void>;

// Parsers and helpers shared with the commands' own declarations (commands/*.flags.ts).
export { parsePort, parseSeconds, PROFILE_NAME } from './flags.js';

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
    async function (this: CommandUnknownOpts, ...args: unknown[]) {
      const globals = this.optsWithGlobals() as { debug?: boolean; config?: string };
      const ctx: Context = { ...baseContext, debug: Boolean(globals.debug), configPath: globals.config };
      // commander passes (...arguments, options, command); the command object is ours to drop.
      await dispatch(load, ctx, args.slice(0, -1));
    };
  // A command declared beside its run (commands/*.flags.ts): its module is imported when it runs.
  const wire: Wire = (command, load) => {
    command.action(withContext(load as unknown as () => Promise<{ run: Action }>));
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

  wire(login.declare(program), () => import('./commands/login.js'));

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

  // Keeping and using tokens: the token group, logout, me, request. Each is declared beside its
  // run (commands/*.flags.ts, typed flags), with --profile (which account of the provider) and
  // --store (read one store only; by default the keychain and the file).
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

  wire(tokenList.declare(token), () => import('./commands/token-list.js'));
  wire(tokenShow.declare(token), () => import('./commands/token-show.js'));
  wire(tokenPrint.declare(token), () => import('./commands/token-print.js'));
  wire(tokenRefresh.declare(token), () => import('./commands/token-refresh.js'));
  wire(tokenRevoke.declare(token), () => import('./commands/token-revoke.js'));
  wire(tokenIntrospect.declare(token), () => import('./commands/token-introspect.js'));
  wire(logout.declare(program), () => import('./commands/logout.js'));
  wire(me.declare(program), () => import('./commands/me.js'));
  wire(request.declare(program), () => import('./commands/request.js'));

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
