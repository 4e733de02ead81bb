/**
 * The broker as the commands run it, composed in one place: `serve` (the app of oauthd.json),
 * `login` (the CLI as its only app) and the sandbox runtime of the token commands (no app, the
 * sandbox alone). Where the broker is reached is known once it listens: its public origin and the
 * Host values it answers are read from then on, and the sandbox, when mounted, starts there and is
 * served as one more provider.
 */
import { buildBroker, type Broker } from '../broker/app.js';
import type { BrokerDeps } from '../broker/types.js';
import type { ProviderRegistry } from '../registry/types.js';
import { withSandbox } from './sandbox-provider.js';

/** What buildBroker takes, but the address: `providers` without the sandbox, which `sandbox` adds. */
export type ComposeOptions = Omit<BrokerDeps, 'publicOrigin' | 'allowedHosts'> & {
  /** Wraps the providers served, the sandbox included (login's own options: src/registry/client-options.ts). */
  decorate?: (providers: ProviderRegistry) => ProviderRegistry;
};

export interface ComposedBroker extends Broker {
  /** The providers served: those given, and the sandbox when one is mounted. */
  providers: ProviderRegistry;
  /** Once the broker listens: where browsers and providers reach it, the Host values it answers. Starts the sandbox there. */
  listening(origin: string, allowedHosts: ReadonlySet<string>): Promise<void>;
}

export async function composeBroker(options: ComposeOptions): Promise<ComposedBroker> {
  let origin = '';
  let hosts: ReadonlySet<string> = new Set();
  const { decorate, ...deps } = options;
  const served = deps.sandbox ? withSandbox(deps.providers, deps.sandbox, () => origin, deps.http) : deps.providers;
  const providers = decorate ? decorate(served) : served;
  const broker = await buildBroker({ ...deps, providers, publicOrigin: () => origin, allowedHosts: () => hosts });
  // The sandbox's mTLS listener closes with the broker.
  const sandbox = options.sandbox;
  if (sandbox) broker.app.addHook('onClose', async () => sandbox.close());
  return {
    ...broker,
    providers,
    async listening(at, allowedHosts) {
      origin = at;
      hosts = allowedHosts;
      await options.sandbox?.start(at);
    },
  };
}
