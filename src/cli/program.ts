/**
 * The command table: which command goes where, each declared beside its run in
 * commands/<name>.flags.ts (its arguments, typed flags and help) and wired here to its module,
 * imported when it runs. This module and the declarations import commander and nothing else heavy:
 * `--help` and `--version` must not load fastify, inquirer, the sandbox or the catalog.
 */
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Context } from './context.js';
import { examples, type Wire } from './flags.js';
import * as init from './commands/init.flags.js';
import * as providersAdd from './commands/providers-add.flags.js';
import * as providersList from './commands/providers-list.flags.js';
import * as providersShow from './commands/providers-show.flags.js';
import * as providersValidate from './commands/providers-validate.flags.js';
import * as providersDiscover from './commands/providers-discover.flags.js';
import * as providersRegister from './commands/providers-register.flags.js';
import * as providersUnregister from './commands/providers-unregister.flags.js';
import * as providersRegistration from './commands/providers-registration.flags.js';
import * as serve from './commands/serve.flags.js';
import * as sandbox from './commands/sandbox.flags.js';
import * as doctor from './commands/doctor.flags.js';
import * as login from './commands/login.flags.js';
import * as inspect from './commands/inspect.flags.js';
import * as tokenList from './commands/token-list.flags.js';
import * as tokenShow from './commands/token-show.flags.js';
import * as tokenPrint from './commands/token-print.flags.js';
import * as tokenKubeconfig from './commands/token-kubeconfig.flags.js';
import * as tokenSetupGit from './commands/token-setup-git.flags.js';
import * as tokenSwitch from './commands/token-switch.flags.js';
import * as status from './commands/status.flags.js';
import * as gitCredential from './commands/git-credential.flags.js';
import * as tokenRefresh from './commands/token-refresh.flags.js';
import * as tokenRevoke from './commands/token-revoke.flags.js';
import * as tokenIntrospect from './commands/token-introspect.flags.js';
import * as tokenExchange from './commands/token-exchange.flags.js';
import * as logout from './commands/logout.flags.js';
import * as me from './commands/me.flags.js';
import * as request from './commands/request.flags.js';
import * as completion from './commands/completion.flags.js';

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

  wire(init.declare(program), () => import('./commands/init.js'));

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
        'oauthd-cli providers register https://idp.example.com --save myidp',
      ]),
    );

  wire(providersAdd.declare(providers), () => import('./commands/providers-add.js'));
  wire(providersList.declare(providers), () => import('./commands/providers-list.js'));
  wire(providersShow.declare(providers), () => import('./commands/providers-show.js'));
  wire(providersValidate.declare(providers), () => import('./commands/providers-validate.js'));
  wire(providersDiscover.declare(providers), () => import('./commands/providers-discover.js'));
  wire(providersRegister.declare(providers), () => import('./commands/providers-register.js'));
  wire(providersUnregister.declare(providers), () => import('./commands/providers-unregister.js'));
  wire(providersRegistration.declare(providers), () => import('./commands/providers-registration.js'));
  wire(serve.declare(program), () => import('./commands/serve.js'));
  wire(sandbox.declare(program), () => import('./commands/sandbox.js'));
  wire(login.declare(program), () => import('./commands/login.js'));
  wire(inspect.declare(program), () => import('./commands/inspect.js'));
  wire(doctor.declare(program), () => import('./commands/doctor.js'));

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
  wire(tokenKubeconfig.declare(token), () => import('./commands/token-kubeconfig.js'));
  wire(tokenSetupGit.declare(token), () => import('./commands/token-setup-git.js'));
  wire(tokenSwitch.declare(token), () => import('./commands/token-switch.js'));
  wire(tokenRefresh.declare(token), () => import('./commands/token-refresh.js'));
  wire(tokenRevoke.declare(token), () => import('./commands/token-revoke.js'));
  wire(tokenIntrospect.declare(token), () => import('./commands/token-introspect.js'));
  wire(tokenExchange.declare(token), () => import('./commands/token-exchange.js'));
  wire(logout.declare(program), () => import('./commands/logout.js'));
  wire(me.declare(program), () => import('./commands/me.js'));
  wire(request.declare(program), () => import('./commands/request.js'));
  wire(status.declare(program), () => import('./commands/status.js'));
  wire(gitCredential.declare(program), () => import('./commands/git-credential.js'));
  wire(completion.declare(program), () => import('./commands/completion.js'));
  // What the completion scripts call at TAB time: provider ids, one per line.
  wire(completion.declareComplete(program), () => import('./commands/completion.js').then((module) => ({ run: module.listIds })));

  return program;
}
