/**
 * `oauthd-cli sandbox`: the embedded OpenID provider on its own, as a mock identity provider for
 * an app's tests: a ready client (any loopback redirect URI), fixed users with claims (--users),
 * faults switched at start (--fault) and at run time (the control endpoint), sign-in approved by
 * itself on a headless machine. Runs until Ctrl-C or SIGTERM.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Context } from '../context.js';
import { hasDisplay } from '../environment.js';
import { Ui } from '../ui.js';
import { CONTROL_PATH } from '../../sandbox/control.js';
import { FaultError, FaultSet, parseFaultArgument, type FaultRequest } from '../../sandbox/faults.js';
import { startStandaloneSandbox } from '../../sandbox/standalone.js';
import { sandboxDir } from '../../sandbox/state.js';
import { registerCertificate } from '../../sandbox/client-certificates.js';
import { SANDBOX_CLIENTS } from '../../sandbox/spec.js';
import { anyUser, readUsersFile } from '../../sandbox/users.js';
import { configError, usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { catalogDirs, catalogIds, findCatalogProvider, unknownNameHint } from '../../providers/catalog.js';
import { Lookalike } from '../../sandbox/lookalike.js';

/** The standalone sandbox's port when none is given: the broker's default plus one. */
export const DEFAULT_SANDBOX_PORT = 6285;

export interface SandboxCommandOptions {
  port?: number;
  fault?: string[];
  users?: string;
  /** A catalog provider to look like. */
  as?: string;
  /** With --as: where to write the provider's description pointed at this sandbox. */
  providerFile?: string;
  json?: boolean;
  /** true: --auto-approve; false: --no-auto-approve; undefined: approve by itself when headless. */
  autoApprove?: boolean;
  /** A certificate file to register with the self_signed_tls_client_auth client (then exit). */
  registerCert?: string;
}

export async function run(ctx: Context, options: SandboxCommandOptions): Promise<void> {
  const ui = new Ui(ctx);
  if (options.registerCert !== undefined) {
    const serving = (['port', 'fault', 'users', 'as', 'providerFile', 'autoApprove'] as const).filter((name) => options[name] !== undefined);
    if (serving.length > 0) {
      const flag = serving[0] === 'autoApprove' && options.autoApprove === false ? 'no-auto-approve' : serving[0]!.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
      throw usageError(`--register-cert registers the certificate and exits, so it does not go with --${flag}`, 'register first (oauthd-cli sandbox --register-cert FILE), then run the sandbox without it');
    }
    return registerClientCertificate(ctx, ui, options.registerCert, options.json === true);
  }
  const faults = new FaultSet(parseFaults(options.fault ?? []));
  const users = options.users !== undefined ? await readUsersFile(options.users) : anyUser();
  // As `login sandbox` decides: with no display and no $BROWSER nobody could click through the pages.
  const autoApprove = options.autoApprove ?? !(hasDisplay(ctx) || Boolean(ctx.env.BROWSER));
  if (options.providerFile !== undefined && options.as === undefined) {
    throw usageError('--provider-file needs --as: it writes the look-alike\'s provider description', 'oauthd-cli sandbox --as slack --provider-file oauthd-providers/slack.json');
  }
  const lookalike = options.as !== undefined ? await lookalikeOf(ctx, options.as) : undefined;

  const server = await startStandaloneSandbox({
    dir: sandboxDir(ctx.env, ctx.platform),
    port: options.port ?? DEFAULT_SANDBOX_PORT,
    mock: { faults, users, autoApprove, ...(lookalike ? { lookalike } : {}) },
  });

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (!options.json) ui.info(`\n${signal}: stopping the sandbox…`);
      void server.close().then(resolve, resolve);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });

  if (lookalike && options.providerFile !== undefined) await writeProviderFile(ctx, options.providerFile, lookalike, server.origin, () => server.close());
  const discovery = `${server.issuer}/.well-known/openid-configuration`;
  const { clientId, clientSecret } = server.sandbox;
  // A look-alike: each of the provider's origins and where the sandbox serves it.
  const origins = lookalike ? Object.fromEntries([...lookalike.origins].map(([from, prefix]) => [from, `${server.origin}${prefix}`])) : undefined;
  if (options.json) {
    const line = { issuer: server.issuer, discovery, client_id: clientId, client_secret: clientSecret, ...(lookalike ? { as: lookalike.id, origins } : {}) };
    ctx.stdout.write(`${JSON.stringify(line)}\n`);
  } else {
    const active = faults.list().map((fault) => (fault.value !== undefined ? `${fault.fault}:${fault.value}` : fault.fault) + (fault.count ? ` (next ${fault.count})` : ''));
    ui.info(
      [
        'oauthd-cli sandbox: a mock OpenID provider for your app\'s tests',
        `  issuer         ${server.issuer}`,
        `  discovery      ${discovery}`,
        `  client id      ${clientId}`,
        `  client secret  ${clientSecret}   (client_secret_basic or client_secret_post)`,
        '  redirect URIs  any loopback URI: http://127.0.0.1, localhost or [::1], any port and path (RFC 8252 §7.3)',
        `  users          ${users.names ? `${users.names.join(', ')} (from ${options.users})` : 'anyone: any user name signs in'}`,
        `  sign-in        ${autoApprove ? `approved by itself, as the login_hint or "${users.defaultUser}" (--no-auto-approve shows the pages)` : 'the sandbox\'s pages in the browser (--auto-approve skips them)'}`,
        ...(lookalike && origins
          ? [
              `  looks like     ${lookalike.spec.name} (${lookalike.id}): point the app's URLs for it here:`,
              ...Object.entries(origins).map(([from, to]) => `                   ${from}  →  ${to}`),
              ...(options.providerFile !== undefined ? [`  provider file  ${options.providerFile} (oauthd-cli login ${lookalike.id} signs in here)`] : []),
            ]
          : []),
        `  faults         ${active.length > 0 ? active.join(', ') : 'none'}`,
        `  control        curl -X POST ${server.origin}${CONTROL_PATH} -H 'content-type: application/json' -d '{"fault":"html-502","count":1}'`,
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
  }
  await stopped;
}

/**
 * `--register-cert FILE`: the user's certificate becomes a key of the sandbox's
 * self_signed_tls_client_auth client (RFC 8705 §2.2; ../../sandbox/client-certificates.ts), for
 * every sandbox started on this data folder from now on.
 */
async function registerClientCertificate(ctx: Context, ui: Ui, file: string, json: boolean): Promise<void> {
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (error) {
    throw usageError(`--register-cert: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'give the path of your PEM certificate');
  }
  const { certificate, added } = await registerCertificate(sandboxDir(ctx.env, ctx.platform), text, file);
  const clientId = SANDBOX_CLIENTS.self_signed_tls_client_auth;
  if (json) {
    ctx.stdout.write(`${JSON.stringify({ client_id: clientId, subject: certificate.subject, 'x5t#S256': certificate['x5t#S256'], added })}\n`);
    return;
  }
  ui.info(
    [
      `${added ? 'Registered' : 'Already registered:'} ${certificate.subject} (x5t#S256 ${certificate['x5t#S256']}) with the sandbox's client ${clientId} (self_signed_tls_client_auth, RFC 8705 §2.2).`,
      `Sign in with it: oauthd-cli login sandbox --auth-method self_signed_tls_client_auth --cert ${file} --key KEYFILE`,
      'A sandbox already running (oauthd-cli sandbox, serve) sees it once restarted.',
    ].join('\n'),
  );
}

/**
 * The look-alike's description, its URLs pointed at this sandbox (Lookalike.description), where
 * `oauthd-cli login` finds a provider of the user's own (oauthd-providers/<id>.json). Written once
 * the port is known, atomically; the sandbox stops when it cannot be written.
 */
async function writeProviderFile(ctx: Context, file: string, lookalike: Lookalike, origin: string, close: () => Promise<void>): Promise<void> {
  const path = resolve(ctx.cwd, file);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(lookalike.description(origin), null, 2)}\n`);
  } catch (error) {
    await close();
    throw configError(`cannot write the provider file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'name a file in a folder that exists and that you may write to');
  }
}

async function lookalikeOf(ctx: Context, id: string): Promise<Lookalike> {
  const dirs = catalogDirs(ctx);
  const spec = await findCatalogProvider(id, dirs);
  if (!spec) throw usageError(`--as: no provider "${id}" in the catalog`, unknownNameHint(id, await catalogIds(dirs), 'oauthd-cli providers list shows them'));
  return new Lookalike(spec);
}

function parseFaults(values: string[]): FaultRequest[] {
  try {
    return values.map((value) => parseFaultArgument(value));
  } catch (error) {
    if (error instanceof FaultError) throw usageError(`--fault: ${error.message}`, `oauthd-cli sandbox --help lists the faults and their values`);
    throw error;
  }
}
