/**
 * `oauthd-cli login <provider>`: obtain a token the way an app would, see every step, keep it.
 *
 *   default               the authorization-code flow through the in-process broker (./login/code-flow.ts)
 *   --device              the device authorization grant, RFC 8628 (./login/device-flow.ts)
 *   --client-credentials  a machine-to-machine token, RFC 6749 §4.4 (./login/client-credentials-flow.ts)
 *
 * Then: the token response's deviations on stderr, the flow's checks (--verbose, --trace), the token
 * on stdout (readable, or --json), and kept in the vault unless --no-save.
 */
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { packageVersion } from '../version.js';
import { lazyVault } from '../vault.js';
import { renderLoginResult } from '../render/token.js';
import { startLoginBroker, type LoginBroker } from '../login/broker-runtime.js';
import { codeFlow } from '../login/code-flow.js';
import { deviceFlow } from '../login/device-flow.js';
import { clientCredentialsFlow } from '../login/client-credentials-flow.js';
import { DEFAULT_BROKER_PORT, locateConfig, missingConfigError, readConfig, type ConfigTarget } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { FlowSuccess } from '../../oauth/outcome.js';
import { fetchClient } from '../../oauth/http.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { catalogDirs, findCatalogEntry } from '../../providers/catalog.js';
import { findProvider, providerIds, unknownProvider } from '../../registry/find.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { openTraceSession } from '../../trace/session.js';
import { flowChecks, type TraceCheck } from '../../trace/checks.js';
import { IdTokenRejected } from '../../oauth/oidc/id-token.js';
import { DEFAULT_PROFILE, saveToken, type StoredToken } from '../../tokens/store.js';
import type { StoreChoice } from '../../vault/open.js';
import { describeBackend, type SecretBackend } from '../../vault/backend.js';
import { configError, usageError } from '../../util/errors.js';
import { isFlowError } from '../../oauth/outcome.js';
import { hintFor } from '../errors.js';
import { checkClientOptions, readClientFlags, type ClientFlags } from '../login/client-options.js';
import { withClientOptions, withOptions } from '../../registry/client-options.js';
import type { ProtocolCheck } from '../../oauth/outcome.js';

export interface LoginOptions {
  scope?: string;
  port?: number;
  browser: boolean;
  autoApprove?: boolean;
  json?: boolean;
  save?: boolean;
  timeout: number;
  verbose?: boolean;
  trace?: boolean;
  traceSecrets?: boolean;
  har?: string;
  curl?: boolean;
  device?: boolean;
  clientCredentials?: boolean;
  profile?: string;
  store?: StoreChoice;
  // Modern OAuth (./login/client-options.ts, docs/modern-oauth.md).
  par?: boolean;
  authMethod?: ClientFlags['authMethod'];
  key?: string;
  dpop?: boolean;
  resource?: string[];
  authorizationDetails?: string;
  requestObject?: boolean;
  responseMode?: 'query' | 'jwt';
}

export async function run(ctx: Context, providerId: string, options: LoginOptions): Promise<void> {
  const ui = new Ui(ctx);
  const isSandbox = providerId === SANDBOX_ID;
  checkCombination(options, isSandbox);
  // The checks of modern OAuth's steps (PAR, client assertions, DPoP proofs), printed with the
  // flow's; its flags (a key file, JSON, URIs) are read first: bad input is refused before the
  // config, the vault or the network is touched.
  const protocolChecks: ProtocolCheck[] = [];
  const clientOptions = await readClientFlags(ctx, options, (check) => protocolChecks.push(check));
  const target = locateConfig(ctx);
  const config = (await readConfig(target.path))?.config;
  const dirs = catalogDirs(ctx);
  if (!isSandbox) await requireKeyset(ctx, config, providerId, target, dirs);

  const session = openTraceSession(
    { trace: options.trace, traceSecrets: options.traceSecrets, curl: options.curl, ...(options.har ? { har: resolve(ctx.cwd, options.har) } : {}) },
    { write: (text) => ctx.stderr.write(text), chalk: ui.err, creator: { name: 'oauthd-cli', version: packageVersion() }, title: `oauthd-cli login ${providerId}` },
  );
  const http = fetchClient(session ? { observe: session.transcript.observer } : {});
  // Secret references (keychain:NAME) are read where they were stored; --store only decides where
  // this token goes. The token's store is opened before the sign-in: a keychain forced by --store or
  // OAUTHD_STORE that does not answer fails now, not after the user signed in (losing the token).
  const vault = lazyVault(ctx, ui);
  const tokenVault = options.store === undefined ? vault : lazyVault(ctx, ui, options.store);
  if (options.save !== false) await tokenVault();
  const scopes = options.scope?.split(/\s+/).filter(Boolean);
  const quiet = session !== undefined;

  // The broker runs for the browser flow, and for every sandbox login (the sandbox lives in it).
  const needsBroker = isSandbox || (!options.device && !options.clientCredentials);
  let broker: LoginBroker | undefined;
  try {
    if (needsBroker) {
      broker = await startLoginBroker({
        config,
        env: ctx.env,
        platform: ctx.platform,
        http,
        vault,
        catalogDirs: dirs,
        port: options.port ?? (options.device || options.clientCredentials ? 0 : (config?.broker.port ?? DEFAULT_BROKER_PORT)),
        sandbox: isSandbox,
        flowTtlMs: options.timeout * 1000 + 60_000,
        hintFor,
        onStrayCallback: (error, state) =>
          // JSON quoting: the state comes from any page, and must not reach the terminal raw.
          ui.warn(`a callback${state ? ` with state ${JSON.stringify(state.length > 24 ? `${state.slice(0, 20)}…` : state)}` : ''} matched no sign-in of this login (${error.code ?? 'refused'}); still waiting for yours`),
        ...(session ? { trace: session.transcript } : {}),
        decorate: (served) => withClientOptions(served, providerId, clientOptions),
      });
    }
    const providers = broker?.providers ?? (await providerRegistry(ctx, config, http, vault, dirs));
    const found = await providers.get(providerId);
    if (!found) throw usageError(`unknown provider "${providerId}"`);
    // Before any browser opens: what the flags need of the provider (--par's endpoint, a key, DPoP's
    // algorithms). The broker's providers carry the options already; the others get them here.
    await checkClientOptions(broker ? found : withOptions(found, clientOptions), clientOptions, options, (check) => protocolChecks.push(check));
    const provider = broker ? ((await providers.get(providerId)) ?? found) : withOptions(found, clientOptions);
    // Resolved now: a missing secret is reported before any browser opens, and a trace hides it.
    const clientSecret = await provider.clientSecret();
    if (clientSecret !== undefined) session?.transcript.redactor.add(clientSecret, 'client_secret');

    let result: FlowSuccess;
    if (options.clientCredentials) {
      result = await clientCredentialsFlow(http, provider, scopes ?? provider.resolved.scopes.filter((scope) => scope !== 'openid' && scope !== 'offline_access'));
    } else if (options.device) {
      result = await deviceFlow(ctx, ui, http, provider, {
        scopes: scopes ?? provider.resolved.scopes,
        browser: options.browser,
        autoApprove: options.autoApprove === true,
        timeoutSeconds: options.timeout,
        quiet,
      });
    } else {
      result = await codeFlow(ctx, ui, broker as LoginBroker, provider, {
        providerId,
        scopes,
        isSandbox,
        browser: options.browser,
        autoApprove: options.autoApprove === true,
        timeoutSeconds: options.timeout,
        quiet,
      });
    }
    session?.transcript.checks([...flowChecks(result), ...protocolChecks]);
    report(ui, result, options, protocolChecks);

    let savedTo: string | undefined;
    if (options.save !== false) {
      const backend = await tokenVault();
      const stored = storedToken(result, providerId, options.profile ?? DEFAULT_PROFILE, provider.resolved.issuer);
      // RFC 9449: the key the token is bound to rests beside it; the client authentication chosen too.
      if (provider.dpop && result.token.token_type.toLowerCase() === 'dpop') stored.dpopKey = await provider.dpop.privateJwk();
      if (options.authMethod !== undefined) stored.authMethod = options.authMethod;
      await saveToken(backend, stored);
      savedTo = `${describeBackend(backend)}, profile "${options.profile ?? DEFAULT_PROFILE}"`;
    }
    if (options.json) ui.json(tokenToJson(result.token));
    else ui.result(renderLoginResult(result, provider.resolved.name, savedTo, ui.out));
  } catch (error) {
    if (session && isFlowError(error)) session.transcript.checks([...protocolChecks, ...flowChecks({ ok: false, error })]);
    if (options.verbose && !options.trace && protocolChecks.length > 0) printChecks(ui, 'Protocol checks:', protocolChecks);
    // A refused id_token: every check that was made, the failed one as FAIL, above the error.
    if (options.verbose && !options.trace && error instanceof IdTokenRejected) {
      printChecks(ui, 'id_token checks:', error.checks.map((check) => ({ ...check, name: `id_token ${check.name}` })));
    }
    throw error;
  } finally {
    await broker?.close();
    await session?.finish();
  }
}

function checkCombination(options: LoginOptions, isSandbox: boolean): void {
  if (options.autoApprove && !isSandbox) {
    throw usageError('--auto-approve works only with the sandbox', 'a real provider needs a real sign-in: drop --auto-approve');
  }
  if (options.device && options.clientCredentials) throw usageError('choose one grant: --device or --client-credentials');
}

/** Without the broker (device, client credentials), the same registry from the config. */
async function providerRegistry(ctx: Context, config: Config | undefined, http: ReturnType<typeof fetchClient>, vault: () => Promise<SecretBackend>, dirs: string[]) {
  const { configRegistry } = await import('../../registry/registry.js');
  return configRegistry({ keysets: config?.providers ?? {}, env: ctx.env, http, vault, catalog: (id) => findCatalogEntry(id, dirs) });
}

/**
 * The provider must be known, then configured. An unknown id is said first, even without a config
 * file: a missing file is not the real problem when the name is misspelt.
 */
async function requireKeyset(ctx: Context, config: Config | undefined, providerId: string, target: ConfigTarget, dirs: string[]): Promise<void> {
  if (config?.providers[providerId]) return;
  const keysets = config?.providers ?? {};
  if (await findProvider(providerId, { keysets, catalog: (id) => findCatalogEntry(id, dirs) })) {
    if (!config) throw missingConfigError(target, ctx.cwd);
    throw configError(`${providerId} has no keyset in ${target.path}`, `add one: oauthd-cli providers add ${providerId} --client-id … --client-secret-env …`);
  }
  throw unknownProvider(providerId, await providerIds(keysets, dirs), 'oauthd-cli providers list shows them all');
}

/** The token response's deviations (always), and each security check of the flow (--verbose). */
function report(ui: Ui, result: FlowSuccess, options: LoginOptions, protocolChecks: readonly ProtocolCheck[]): void {
  for (const deviation of result.deviations) {
    if (deviation.expected && !options.verbose) continue;
    ui.warn(`token response: ${deviation.message} (${deviation.source})${deviation.expected ? ' — known for this provider' : ''}`);
  }
  // --trace already printed the checks as part of the transcript.
  if (!options.verbose || options.trace) return;
  printChecks(ui, 'Flow checks:', [...flowChecks(result), ...protocolChecks]);
}

function printChecks(ui: Ui, title: string, checks: readonly TraceCheck[]): void {
  ui.info(title);
  for (const check of checks) {
    ui.info(`  ${check.ok ? ui.err.green('pass') : ui.err.red('FAIL')}  ${check.name}: ${check.detail}${check.source ? ` (${check.source})` : ''}`);
  }
}

function storedToken(result: FlowSuccess, provider: string, profile: string, issuer: string | undefined): StoredToken {
  const stored: StoredToken = {
    version: 1,
    provider,
    profile,
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
