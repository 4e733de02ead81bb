/**
 * The sandbox as a provider: served beside the providers of oauthd.json without any keyset there,
 * its description filled with the origin of the broker it is mounted on.
 */
import type { HttpClient } from '../oauth/http.js';
import { providerFor } from '../registry/registry.js';
import type { BrokerProvider, ProviderRegistry } from '../registry/types.js';
import type { Sandbox } from '../sandbox/server.js';
import { SANDBOX_CLIENTS, SANDBOX_ID, sandboxSpec } from '../sandbox/spec.js';
import { readClientKey, type ClientKey } from '../oauth/keys.js';

export function sandboxProvider(sandbox: Pick<Sandbox, 'clientId' | 'clientSecret' | 'clientKey'>, brokerOrigin: () => string, http: HttpClient): BrokerProvider {
  const provider = providerFor(sandboxSpec(brokerOrigin()), { clientId: sandbox.clientId }, 'sandbox', async () => sandbox.clientSecret, http);
  // One client per authentication method (SANDBOX_CLIENTS); the private_key_jwt one signs with the sandbox folder's client key.
  provider.clients = SANDBOX_CLIENTS;
  let key: Promise<ClientKey> | undefined;
  provider.clientKey = () => (key ??= readClientKey(JSON.stringify(sandbox.clientKey), 'the sandbox client key'));
  return provider;
}

/** `providers`, with the sandbox answering for its id, first in the list (built once it is asked for: after listen). */
export function withSandbox(providers: ProviderRegistry, sandbox: Pick<Sandbox, 'clientId' | 'clientSecret' | 'clientKey'>, brokerOrigin: () => string, http: HttpClient): ProviderRegistry {
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
