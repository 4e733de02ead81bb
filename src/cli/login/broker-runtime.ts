/**
 * The broker as `login` runs it: in this process, on loopback, serving one app (the CLI itself)
 * and the providers of oauthd.json (plus the sandbox when asked). Flows started by the CLI app end
 * in `outcome`, a promise the login awaits.
 */
import { appRegistry, type BrokerApp, type BrokerDeps } from '../../broker/types.js';
import { composeBroker } from '../../compose/broker.js';
import { listen, loopbackHosts } from '../../compose/listen.js';
import type { Config } from '../../config/schema.js';
import type { HttpClient } from '../../oauth/http.js';
import type { FlowOutcome } from '../../oauth/outcome.js';
import { findCatalogEntry } from '../../providers/catalog.js';
import { configRegistry } from '../../registry/registry.js';
import type { ProviderRegistry } from '../../registry/types.js';
import { openSandbox } from '../../sandbox/server.js';
import { sandboxDir } from '../../sandbox/state.js';
import { MemoryStore } from '../../store/memory.js';
import { randomToken } from '../../util/random.js';
import type { SecretBackend } from '../../vault/backend.js';

export interface LoginBroker {
  origin: string;
  port: number;
  cliKey: string;
  providers: ProviderRegistry;
  /** Settles with the first flow outcome the CLI app receives (or a callback with an unknown state). */
  outcome: Promise<FlowOutcome>;
  /** Ends the wait from outside (automatic sandbox sign-in failing, a pasted URL, ...). */
  settle(outcome: FlowOutcome): void;
  /**
   * Starts a flow for the CLI app without a browser hop through the broker, and returns the
   * provider's authorization URL (what a remote browser can open when it cannot reach this broker).
   */
  authorizationUrl(providerId: string, scopes?: string[]): Promise<string>;
  close(): Promise<void>;
}

export interface LoginBrokerOptions {
  config: Config | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** With env, where the sandbox keeps its keys and records (the data folder). */
  platform: NodeJS.Platform;
  http: HttpClient;
  vault: () => Promise<SecretBackend>;
  catalogDirs: string[];
  /** oauthd.json's folder: keysets' file: references are relative to it. */
  configDir?: string;
  port: number;
  sandbox: boolean;
  flowTtlMs: number;
  trace?: BrokerDeps['trace'];
  /** A callback that matches no flow of this login (any page can send one): told, never fatal. */
  onStrayCallback?: BrokerDeps['onStrayCallback'];
  /** The hint under a failed sign-in on the broker's page (the CLI's, src/cli/errors.ts). */
  hintFor?: BrokerDeps['hintFor'];
  /** login --inspect: the flows recorded, and the inspector served on this broker. */
  inspector?: BrokerDeps['inspector'];
  /** This login's options over its provider's keyset (--par, --dpop, --auth-method, ...). */
  decorate?: (providers: ProviderRegistry) => ProviderRegistry;
}

export async function startLoginBroker(options: LoginBrokerOptions): Promise<LoginBroker> {
  const store = new MemoryStore();
  const cliApp: BrokerApp = { key: randomToken(), name: 'oauthd-cli login', flow: 'cli', domains: [], refreshTokensToClient: true, codeTtlMs: 0 };
  const sandbox = options.sandbox ? await openSandbox({ dir: sandboxDir(options.env, options.platform) }) : undefined;

  let settle: (outcome: FlowOutcome) => void = () => undefined;
  const outcome = new Promise<FlowOutcome>((resolve) => {
    settle = resolve;
  });
  const { app, flows, providers, listening } = await composeBroker({
    apps: appRegistry([cliApp]),
    providers: configRegistry({
      keysets: options.config?.providers ?? {},
      env: options.env,
      http: options.http,
      vault: options.vault,
      catalog: (id) => findCatalogEntry(id, options.catalogDirs),
      ...(options.configDir !== undefined ? { configDir: options.configDir } : {}),
    }),
    store,
    http: options.http,
    flowTtlMs: options.flowTtlMs,
    onCliOutcome: (result) => settle(result),
    ...(options.onStrayCallback ? { onStrayCallback: options.onStrayCallback } : {}),
    ...(options.hintFor ? { hintFor: options.hintFor } : {}),
    ...(sandbox ? { sandbox } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    ...(options.inspector ? { inspector: options.inspector } : {}),
    ...(options.decorate ? { decorate: options.decorate } : {}),
  });
  const close = async () => {
    await app.close();
    await store.close();
  };
  try {
    const bound = await listen(app, '127.0.0.1', options.port);
    await listening(bound.origin, loopbackHosts(bound.port));
    const authorizationUrl = async (providerId: string, scopes?: string[]) => {
      const provider = await providers.get(providerId);
      if (!provider) throw new Error(`no provider ${providerId}`);
      return flows.start(cliApp, provider, { delivery: { mode: 'cli' }, ...(scopes ? { scopes } : {}) });
    };
    return { origin: bound.origin, port: bound.port, cliKey: cliApp.key, providers, outcome, settle: (result) => settle(result), authorizationUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}
