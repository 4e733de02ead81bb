/**
 * The sandbox as a provider: served beside the providers of oauthd.json without any keyset there,
 * its description filled with the origin of the broker it is mounted on.
 */
import type { HttpClient } from '../oauth/http.js';
import { providerFor } from '../registry/registry.js';
import type { BrokerProvider, ProviderRegistry } from '../registry/types.js';
import type { Sandbox } from '../sandbox/server.js';
import { SANDBOX_ID, sandboxSpec } from '../sandbox/spec.js';

export function sandboxProvider(sandbox: Pick<Sandbox, 'clientId' | 'clientSecret'>, brokerOrigin: () => string, http: HttpClient): BrokerProvider {
  return providerFor(sandboxSpec(brokerOrigin()), { clientId: sandbox.clientId }, 'sandbox', async () => sandbox.clientSecret, http);
}

/** `providers`, with the sandbox answering for its id, first in the list (built once it is asked for: after listen). */
export function withSandbox(providers: ProviderRegistry, sandbox: Pick<Sandbox, 'clientId' | 'clientSecret'>, brokerOrigin: () => string, http: HttpClient): ProviderRegistry {
  let built: Promise<BrokerProvider> | undefined;
  return {
    get: (id) => (id === SANDBOX_ID ? (built ??= Promise.resolve(sandboxProvider(sandbox, brokerOrigin, http))) : providers.get(id)),
    forget(id) {
      if (id === SANDBOX_ID) built = undefined;
      else providers.forget?.(id);
    },
    list: async () => [sandboxSpec(brokerOrigin()), ...(await providers.list())],
  };
}
