/**
 * `oauthd-cli login <provider>`: obtain a token the way an app would, see every step, keep it.
 *
 *   default               the authorization-code flow through the in-process broker (./login/code-flow.ts)
 *   --device              the device authorization grant, RFC 8628 (./login/device-flow.ts)
 *   --client-credentials  a machine-to-machine token, RFC 6749 §4.4 (./login/client-credentials-flow.ts)
 *   --ciba                OpenID CIBA in poll mode: the user approves on their own device (./login/ciba-flow.ts)
 *
 * Then: the token response's deviations on stderr, the flow's checks (--verbose, --trace), the token
 * on stdout (readable, or --json), and kept in the vault unless --no-save.
 */
import { dirname } from 'node:path';
import type { Context } from '../context.js';
import type { LoginFlags } from './login.flags.js';
import { Ui } from '../ui.js';
import { commandTraceSession } from '../trace-session.js';
import { lazyVault } from '../vault.js';
import { renderLoginResult } from '../render/token.js';
import { startLoginBroker, type LoginBroker } from '../login/broker-runtime.js';
import { codeFlow } from '../login/code-flow.js';
import { deviceFlow } from '../login/device-flow.js';
import { clientCredentialsFlow } from '../login/client-credentials-flow.js';
import { checkCibaSupport, cibaFlow, givenHintFlags, readCibaHint, type CibaHint } from '../login/ciba-flow.js';
import { DEFAULT_BROKER_PORT, locateConfig, missingConfigError, readConfig, type ConfigTarget } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { FlowSuccess } from '../../oauth/outcome.js';
import type { HttpClient } from '../../oauth/http.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { catalogDirs, findCatalogEntry } from '../../providers/catalog.js';
import { findProvider, providerIds, unknownProvider } from '../../registry/find.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { flowChecks, type TraceCheck } from '../../trace/checks.js';
import { IdTokenRejected } from '../../oauth/oidc/id-token.js';
import { findStoredToken } from '../../tokens/find.js';
import { resolveProfile } from '../../tokens/profiles.js';
import { grantedOf, heldScopes, rescoped, splitScopes } from '../../tokens/scopes.js';
import { saveToken, type StoredToken } from '../../tokens/store.js';
import { describeBackend, type SecretBackend } from '../../vault/backend.js';
import { configError, usageError } from '../../util/errors.js';
import { isFlowError } from '../../oauth/outcome.js';
import { hintFor } from '../errors.js';
import { openInspector, publishInspector } from '../../compose/inspector.js';
import { appOverview } from '../../inspector/overview.js';
import type { FlowHandle } from '../../inspector/recorder.js';
import { holdInspector, observeBoth } from '../login/inspect.js';

import { anyClientFlag, checkClientOptions, readClientFlags } from '../login/client-options.js';
import { withClientOptions, withOptions } from '../../registry/client-options.js';
import type { ProtocolCheck } from '../../oauth/outcome.js';

/** What `login` parses (./login.flags.ts). */
export type LoginOptions = LoginFlags;

export async function run(ctx: Context, providerId: string, options: LoginOptions): Promise<void> {
  const ui = new Ui(ctx);
  const isSandbox = providerId === SANDBOX_ID;
  checkCombination(options, isSandbox);
  // The checks of modern OAuth's steps (PAR, client assertions, DPoP proofs), printed with the
  // flow's; its flags (a key file, JSON, URIs) are read first: bad input is refused before the
  // config, the vault or the network is touched.
  const protocolChecks: ProtocolCheck[] = [];
  const clientOptions = await readClientFlags(ctx, options, (check) => protocolChecks.push(check));
  const cibaHint: CibaHint | undefined = options.ciba ? await readCibaHint(ctx, options) : undefined;
  const target = locateConfig(ctx);
  const config = (await readConfig(target.path))?.config;
  const dirs = catalogDirs(ctx);
  if (!isSandbox) await requireKeyset(ctx, config, providerId, target, dirs);

  const session = commandTraceSession(ctx, ui, options, `oauthd-cli login ${providerId}`);
  const inspector = options.inspect ? openInspector({ hintFor, overview: async () => appOverview(config, target.path, 'oauthd-cli login') }) : undefined;
  const observe = observeBoth(session?.transcript.observer, inspector?.recorder.observer);
  const http = ctx.factory.http(observe ? { observe } : {});
  // Secret references (keychain:NAME) are read where they were stored; --store only decides where
  // this token goes. The token's store is opened before the sign-in: a keychain forced by --store or
  // OAUTHD_STORE that does not answer fails now, not after the user signed in (losing the token).
  const vault = lazyVault(ctx, ui);
  const tokenVault = options.store === undefined ? vault : lazyVault(ctx, ui, options.store);
  if (options.save !== false) await tokenVault();
  const scopes = options.addScopes !== undefined || options.removeScopes !== undefined ? await changedScopes(ctx, ui, providerId, options) : options.scope?.split(/\s+/).filter(Boolean);
  const quiet = session !== undefined;

  // The broker runs for the browser flow, and for every sandbox login (the sandbox lives in it).
  const direct = options.device === true || options.clientCredentials === true || options.ciba === true;
  const needsBroker = isSandbox || !direct || inspector !== undefined;
  let broker: LoginBroker | undefined;
  let inspectorUrl: { url: string; remove: () => Promise<void> } | undefined;
  let failed = false;
  try {
    if (needsBroker) {
      broker = await startLoginBroker({
        config,
        env: ctx.env,
        platform: ctx.platform,
        http,
        vault,
        catalogDirs: dirs,
        configDir: dirname(target.path),
        port: options.port ?? (direct ? 0 : (config?.broker.port ?? DEFAULT_BROKER_PORT)),
        sandbox: isSandbox,
        flowTtlMs: options.timeout * 1000 + 60_000,
        hintFor,
        onStrayCallback: (error, state) =>
          // JSON quoting: the state comes from any page, and must not reach the terminal raw.
          ui.warn(`a callback${state ? ` with state ${JSON.stringify(state.length > 24 ? `${state.slice(0, 20)}…` : state)}` : ''} matched no sign-in of this login (${error.code ?? 'refused'}); still waiting for yours`),
        ...(session ? { trace: session.transcript } : {}),
        ...(inspector ? { inspector } : {}),
        decorate: (served) => withClientOptions(served, providerId, clientOptions),
      });
      if (inspector) {
        inspectorUrl = await publishInspector(ctx.env, ctx.platform, broker.origin, broker.port, inspector, `login ${providerId}`);
        ui.info(`inspector  ${inspectorUrl.url}`);
      }
    }
    const providers = broker?.providers ?? (await providerRegistry(ctx, config, http, vault, dirs, dirname(target.path)));
    const found = await providers.get(providerId);
    if (!found) throw usageError(`unknown provider "${providerId}"`);
    // Before any browser opens: what the flags need of the provider (--par's endpoint, a key, DPoP's
    // algorithms). The broker's providers carry the options already; the others get them here.
    await checkClientOptions(broker ? found : withOptions(found, clientOptions), clientOptions, options, (check) => protocolChecks.push(check));
    if (options.ciba) checkCibaSupport(found, options.userCode !== undefined);
    const provider = broker ? ((await providers.get(providerId)) ?? found) : withOptions(found, clientOptions);
    // Resolved now: a missing secret is reported before any browser opens, and a trace hides it.
    const clientSecret = await provider.clientSecret();
    if (clientSecret !== undefined) session?.transcript.redactor.add(clientSecret, 'client_secret');
    // OpenID CIBA Core §7.1: the user code is a secret the user knows, like a PIN.
    if (options.userCode !== undefined) session?.transcript.redactor.add(options.userCode, 'user_code');

    let result: FlowSuccess;
    // The direct grants have no broker flow: recorded here (the code flow is recorded by the broker).
    const directFlow = inspector && (options.clientCredentials || options.device || options.ciba)
      ? inspector.recorder.begin({ kind: options.device ? 'device' : options.ciba ? 'ciba' : 'client_credentials', provider: providerId, providerName: provider.resolved.name, app: 'oauthd-cli login' })
      : undefined;
    const recorded = <T,>(work: () => Promise<T>) => (directFlow ? directFlow.run(work) : work());
    if (options.ciba) {
      result = await recorded(() => cibaFlow(ctx, ui, http, provider, {
        scopes: cibaScopes(scopes ?? provider.resolved.scopes),
        hint: cibaHint!,
        ...(options.bindingMessage !== undefined ? { bindingMessage: options.bindingMessage } : {}),
        ...(options.userCode !== undefined ? { userCode: options.userCode } : {}),
        browser: options.browser,
        autoApprove: options.autoApprove === true,
        timeoutSeconds: options.timeout,
        quiet,
        report: (check) => protocolChecks.push(check),
      })).catch(recordFailure(directFlow));
      directFlow?.finish(result);
    } else if (options.clientCredentials) {
      result = await recorded(() =>
        clientCredentialsFlow(http, ctx.factory.clock, provider, scopes ?? provider.resolved.scopes.filter((scope) => scope !== 'openid' && scope !== 'offline_access')),
      ).catch(recordFailure(directFlow));
      directFlow?.finish(result);
    } else if (options.device) {
      result = await recorded(() => deviceFlow(ctx, ui, http, provider, {
        scopes: scopes ?? provider.resolved.scopes,
        browser: options.browser,
        autoApprove: options.autoApprove === true,
        timeoutSeconds: options.timeout,
        quiet,
      })).catch(recordFailure(directFlow));
      directFlow?.finish(result);
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
    if (scopes !== undefined && (options.addScopes !== undefined || options.removeScopes !== undefined)) reportGranted(ui, scopes, result.token.scope);

    let savedTo: string | undefined;
    if (options.save !== false) {
      const backend = await tokenVault();
      const { profile } = await resolveProfile(ctx, providerId, options.profile);
      const stored = storedToken(result, providerId, profile, provider.resolved.issuer);
      // RFC 9449: the key the token is bound to rests beside it; the client authentication chosen too.
      if (provider.dpop && result.token.token_type.toLowerCase() === 'dpop') stored.dpopKey = await provider.dpop.privateJwk();
      if (options.authMethod !== undefined) stored.authMethod = options.authMethod;
      // RFC 8705 §3: a token bound to the certificate works only over connections that show it;
      // where the certificate is (never the key itself) rests beside the token for later calls.
      const certificate = await provider.clientCertificate?.();
      if (certificate !== undefined) {
        stored.clientCertificate = { 'x5t#S256': certificate.thumbprint, ...(clientOptions.certificateRefs ?? {}) };
      }
      await saveToken(backend, stored);
      savedTo = `${describeBackend(backend)}, profile "${profile}"`;
    }
    if (options.json) ui.json(tokenToJson(result.token));
    else ui.result(renderLoginResult(result, provider.resolved.name, savedTo, ui.out));
  } catch (error) {
    failed = true;
    inspector?.recorder.endPending(error);
    if (session && isFlowError(error)) session.transcript.checks([...protocolChecks, ...flowChecks({ ok: false, error })]);
    if (options.verbose && !options.trace && protocolChecks.length > 0) printChecks(ui, 'Protocol checks:', protocolChecks);
    // A refused id_token: every check that was made, the failed one as FAIL, above the error.
    if (options.verbose && !options.trace && error instanceof IdTokenRejected) {
      printChecks(ui, 'id_token checks:', error.checks.map((check) => ({ ...check, name: `id_token ${check.name}` })));
    }
    throw error;
  } finally {
    if (inspectorUrl) await holdInspector(ui, inspectorUrl.url, failed);
    await inspectorUrl?.remove();
    await broker?.close();
    await session?.finish();
  }
}

/** Ends the direct grant's record with the error, and passes the error on. */
function recordFailure(flow: FlowHandle | undefined) {
  return (error: unknown): never => {
    if (flow && isFlowError(error)) flow.finish({ ok: false, error });
    else flow?.fail(error);
    throw error;
  };
}

function checkCombination(options: LoginOptions, isSandbox: boolean): void {
  if (options.autoApprove && !isSandbox) {
    throw usageError('--auto-approve works only with the sandbox', 'a real provider needs a real sign-in: drop --auto-approve');
  }
  const grants = [options.device && '--device', options.clientCredentials && '--client-credentials', options.ciba && '--ciba'].filter(Boolean);
  if (grants.length > 1) throw usageError(`choose one grant: ${grants.join(' or ')}`);
  // OpenID CIBA Core §7.1: the request names its user by exactly one hint; without one there is nobody to ask.
  const hints = givenHintFlags(options);
  if (options.ciba && hints.length === 0) {
    throw usageError('--ciba needs one of --login-hint, --id-token-hint or --login-hint-token: the user the provider is to ask', 'e.g. oauthd-cli login sandbox --ciba --login-hint alice');
  }
  if (options.ciba && hints.length > 1) {
    throw usageError(`--ciba takes one hint, not ${hints.join(' and ')} (OpenID CIBA Core §7.1: one and only one)`, `keep one of ${hints.join(', ')}`);
  }
  const cibaOnly = [...hints, ...(options.bindingMessage !== undefined ? ['--binding-message'] : []), ...(options.userCode !== undefined ? ['--user-code'] : [])];
  if (!options.ciba && cibaOnly.length > 0) {
    throw usageError(`${cibaOnly[0]} goes with --ciba`, 'add --ciba, or drop it');
  }
  if (options.userCode !== undefined && options.userCode === '') throw usageError('--user-code is empty');
  if (options.ciba && anyClientFlag({ ...options, authMethod: undefined, key: undefined, dpop: undefined })) {
    throw usageError('--ciba takes no --par, --resource, --authorization-details, --request-object or --response-mode', 'drop them: CIBA has no authorization request');
  }
}

/** OpenID CIBA Core §7.1: the scope MUST include openid. */
function cibaScopes(scopes: readonly string[]): string[] {
  return scopes.includes('openid') ? [...scopes] : ['openid', ...scopes];
}

/** Without the broker (device, client credentials), the same registry from the config. */
async function providerRegistry(ctx: Context, config: Config | undefined, http: HttpClient, vault: () => Promise<SecretBackend>, dirs: string[], configDir: string) {
  const { configRegistry } = await import('../../registry/registry.js');
  return configRegistry({ keysets: config?.providers ?? {}, env: ctx.env, http, vault, catalog: (id) => findCatalogEntry(id, dirs), configDir });
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

/**
 * --add-scopes / --remove-scopes: the kept token's scopes (of this profile) changed, to ask for
 * again. The kept token must exist: there is nothing to add to otherwise.
 */
async function changedScopes(ctx: Context, ui: Ui, providerId: string, options: LoginOptions): Promise<string[]> {
  if (options.scope !== undefined) throw usageError('--scope names every scope; --add-scopes and --remove-scopes change the kept token\'s', 'use one or the other');
  const { stored } = await findStoredToken(ctx, providerId, { ...(options.profile !== undefined ? { profile: options.profile } : {}), ...(options.store ? { store: options.store } : {}) });
  const held = heldScopes(stored);
  const asked = rescoped(held, splitScopes(options.addScopes), splitScopes(options.removeScopes));
  ui.info(`Asking ${providerId} (profile ${stored.profile}) for: ${asked.join(' ')} (held: ${held.join(' ') || 'none'})`);
  return asked;
}

/** RFC 6749 §3.3: the provider may grant less than asked; say what it granted. */
function reportGranted(ui: Ui, asked: readonly string[], grantedScope: string | undefined): void {
  const { granted, notGranted } = grantedOf(asked, grantedScope);
  if (granted === undefined) {
    ui.info(`The provider did not say which scopes it granted (RFC 6749 §5.1: then those asked for): ${asked.join(' ')}`);
    return;
  }
  ui.info(`Granted: ${granted.join(' ') || 'none'}`);
  if (notGranted.length > 0) ui.warn(`asked for but not granted: ${notGranted.join(' ')}`);
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
