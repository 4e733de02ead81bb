/**
 * `oauthd-cli login <provider>`: the whole authorization-code flow through the broker, run in this
 * process on loopback, then the token printed and (by default) kept.
 *
 * The browser opens the broker's own /auth/<provider> route, exactly as an app's popup would; the
 * broker redirects to the provider, receives the callback, checks the state, exchanges the code
 * with the PKCE verifier, verifies the id_token, and hands the outcome back here.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { openBrowser } from '../browser.js';
import { hasDisplay, isSsh } from '../environment.js';
import { listen, loopbackHosts } from '../listen.js';
import { renderLoginResult } from '../render/token.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { configPathFor, DEFAULT_BROKER_PORT, loadConfig, readConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { buildBroker } from '../../broker/app.js';
import { configRegistry } from '../../broker/registry.js';
import { sandboxBuiltin } from '../../broker/sandbox-provider.js';
import type { FlowOutcome, FlowSuccess } from '../../broker/outcome.js';
import { appRegistry, type BrokerApp } from '../../broker/types.js';
import { fetchClient } from '../../oauth/http.js';
import { randomToken } from '../../oauth/random.js';
import { catalogDirs, catalogIds, closestNames, findCatalogProvider } from '../../providers/catalog.js';
import { createSandbox } from '../../sandbox/server.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { autoApprove } from '../../sandbox/auto-approve.js';
import { MemoryStore } from '../../store/memory.js';
import { openVault } from '../../vault/open.js';
import type { SecretBackend } from '../../vault/backend.js';
import { DEFAULT_PROFILE, saveToken, type StoredToken } from '../../vault/tokens.js';
import { configError, flowError, usageError } from '../../util/errors.js';

export interface LoginOptions {
  scope?: string;
  port?: number;
  browser: boolean;
  autoApprove?: boolean;
  json?: boolean;
  save?: boolean;
  timeout: number;
  verbose?: boolean;
}

export async function run(ctx: Context, providerId: string, options: LoginOptions): Promise<void> {
  const ui = new Ui(ctx);
  const isSandbox = providerId === SANDBOX_ID;
  if (options.autoApprove && !isSandbox) {
    throw usageError('--auto-approve works only with the sandbox', 'a real provider needs a real sign-in: drop --auto-approve');
  }
  const config = isSandbox ? (await readConfig(configPathFor(ctx)))?.config : (await loadConfig(ctx)).config;
  const dirs = catalogDirs(ctx);
  if (!isSandbox) await requireKeyset(config as Config, providerId, configPathFor(ctx), dirs);

  let vaultOpening: Promise<SecretBackend> | undefined;
  const vault = () =>
    (vaultOpening ??= openVault({ env: ctx.env, platform: ctx.platform, notice: (message) => ui.info(message) }));
  const store = new MemoryStore();
  const http = fetchClient();
  const cliApp: BrokerApp = { key: randomToken(), name: 'oauthd-cli login', flow: 'cli', domains: [], refreshTokensToClient: true, codeTtlMs: 0 };
  let origin = '';
  let allowedHosts = new Set<string>();
  const sandbox = isSandbox ? createSandbox() : undefined;
  const registry = configRegistry({
    keysets: config?.providers ?? {},
    env: ctx.env,
    http,
    vault,
    catalog: (id) => findCatalogProvider(id, dirs),
    ...(sandbox ? { builtins: new Map([[SANDBOX_ID, sandboxBuiltin(sandbox, () => origin)]]) } : {}),
  });

  let settle: (outcome: FlowOutcome) => void = () => undefined;
  const outcome = new Promise<FlowOutcome>((resolve) => {
    settle = resolve;
  });
  const { app } = await buildBroker({
    apps: appRegistry([cliApp]),
    providers: registry,
    store,
    http,
    publicOrigin: () => origin,
    allowedHosts: () => allowedHosts,
    flowTtlMs: options.timeout * 1000 + 60_000,
    onCliOutcome: (result) => settle(result),
    ...(sandbox ? { sandbox } : {}),
  });

  try {
    const bound = await listen(app, '127.0.0.1', options.port ?? config?.broker.port ?? DEFAULT_BROKER_PORT);
    origin = bound.origin;
    allowedHosts = loopbackHosts(bound.port);
    await sandbox?.start(origin);
    // Resolve now: a missing template parameter or secret is reported before any browser opens.
    const provider = await registry.get(providerId);
    if (!provider) throw usageError(`unknown provider "${providerId}"`);
    await provider.clientSecret();

    const startUrl = new URL(`${origin}/auth/${encodeURIComponent(providerId)}`);
    startUrl.searchParams.set('k', cliApp.key);
    if (options.scope !== undefined) startUrl.searchParams.set('opts', JSON.stringify({ scope: options.scope }));
    if (!isSandbox) ui.info(`Redirect URI: ${origin}/auth (it must be registered exactly at ${provider.resolved.name})`);

    const completion = Promise.race([outcome, timeout(options.timeout)]);
    await startSignIn(ctx, ui, startUrl.toString(), isSandbox, options, settle);
    const spinner = ui.spinner(`Waiting for the sign-in to finish (timeout ${options.timeout} s)…`);
    const result = await completion.finally(() => spinner.stop());
    if (!result.ok) throw result.error;

    report(ui, result, options);
    let savedTo: string | undefined;
    if (options.save !== false) {
      const backend = await vault();
      await saveToken(backend, storedToken(result, providerId, provider.resolved.issuer));
      savedTo = backend.kind === 'keychain' ? backend.location : `${backend.location} (mode 0600)`;
    }
    if (options.json) {
      ui.json(tokenToJson(result.token));
    } else {
      ui.result(renderLoginResult(result, provider.resolved.name, savedTo, ui.out));
    }
  } finally {
    await app.close();
    await store.close();
  }
}

/** How the browser part happens: the system browser, $BROWSER, a printed URL, or the CLI itself (sandbox). */
async function startSignIn(
  ctx: Context,
  ui: Ui,
  url: string,
  isSandbox: boolean,
  options: LoginOptions,
  settle: (outcome: FlowOutcome) => void,
): Promise<void> {
  const headless = !hasDisplay(ctx) && !ctx.env.BROWSER;
  if (isSandbox && (options.autoApprove || (headless && options.browser))) {
    ui.info(
      options.autoApprove
        ? 'Completing the sandbox sign-in in the CLI (--auto-approve), as user "developer".'
        : 'No display and no $BROWSER: completing the sandbox sign-in in the CLI, as user "developer" (a real provider would need you).',
    );
    autoApprove(url).catch((error: Error) =>
      settle({ ok: false, error: flowError(`the automatic sandbox sign-in failed: ${error.message}`, 'run with --debug, or sign in with a browser (--no-browser prints the URL)', 'auto_approve_failed') }),
    );
    return;
  }
  if (!options.browser) {
    ui.info(`Open this URL in a browser to sign in:\n  ${url}`);
    return;
  }
  if (headless) {
    ui.info(`${isSsh(ctx.env) ? 'This is an SSH session' : 'No display found'}; open this URL in a browser that can reach this machine:\n  ${url}`);
    return;
  }
  const how = await openBrowser(url, ctx.env);
  ui.info(`Opened ${how} at ${url}`);
}

function timeout(seconds: number): Promise<never> {
  return new Promise((_resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          flowError(
            `no sign-in came back within ${seconds} s`,
            'finish the sign-in in the browser sooner or raise --timeout; if the browser shows an error page, the provider may not know the redirect URI',
            'timeout',
          ),
        ),
      seconds * 1000,
    );
    timer.unref();
  });
}

async function requireKeyset(config: Config, providerId: string, configPath: string, dirs: readonly string[]): Promise<void> {
  if (config.providers[providerId]) return;
  if (await findCatalogProvider(providerId, dirs)) {
    throw configError(
      `${providerId} has no keyset in ${configPath}`,
      `add one: oauthd-cli providers add ${providerId} --client-id … --client-secret-env …`,
    );
  }
  const names = [...new Set([SANDBOX_ID, ...Object.keys(config.providers), ...(await catalogIds(dirs))])];
  throw usageError(`unknown provider "${providerId}"`, `did you mean ${closestNames(providerId, names).join(', ')}? (oauthd-cli providers list)`);
}

/** Deviations of the token response and, in verbose mode, each security check. */
function report(ui: Ui, result: FlowSuccess, options: LoginOptions): void {
  for (const deviation of result.deviations) {
    if (deviation.expected && !options.verbose) continue;
    ui.warn(`token response: ${deviation.message} (${deviation.source})${deviation.expected ? ' — known for this provider' : ''}`);
  }
  if (!options.verbose) return;
  const facts = result.facts;
  const line = (ok: boolean, text: string) => ui.info(`  ${ok ? ui.err.green('pass') : ui.err.red('FAIL')}  ${text}`);
  ui.info('Flow checks:');
  if (facts.protocol === 'oauth1') {
    line(true, `temporary credentials (RFC 5849 §2.1): token of ${facts.stateLength} characters, matched by the callback and used once`);
    line(true, 'oauth_verifier received and traded for token credentials (RFC 5849 §2.3)');
    return;
  }
  line(facts.stateLength * 6 >= 128, `state: ${facts.stateLength} characters (${facts.stateLength * 6} bits) from the CSPRNG, matched and used once`);
  line(facts.pkceMethod === 'S256', `PKCE: ${facts.pkceMethod ?? 'not sent (provider marked unsupported)'}${facts.verifierLength ? `, verifier ${facts.verifierLength} characters` : ''}`);
  line(true, `redirect_uri: ${facts.redirectUri} (same in the authorization and token requests)`);
  if (facts.nonceSent) line(result.idToken !== undefined, 'nonce: sent, and checked in the id_token');
  for (const check of result.idToken?.checks ?? []) line(check.ok, `id_token ${check.name}: ${check.detail} (${check.source})`);
}

function storedToken(result: FlowSuccess, provider: string, issuer: string | undefined): StoredToken {
  const stored: StoredToken = {
    version: 1,
    provider,
    profile: DEFAULT_PROFILE,
    token: result.token,
    obtainedAt: new Date(result.obtainedAt).toISOString(),
    requestedScopes: result.facts.scopes,
  };
  if (result.token.expires_in !== undefined) stored.expiresAt = new Date(result.obtainedAt + result.token.expires_in * 1000).toISOString();
  const subject = result.idToken?.claims.sub;
  if (typeof subject === 'string') stored.subject = subject;
  if (issuer !== undefined) stored.issuer = issuer;
  return stored;
}
