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
import { readClientCertificate, type ClientCertificate } from '../oauth/mtls.js';
import type { PemPair } from '../sandbox/certificates.js';

/** What the sandbox provider needs of the sandbox. */
export type SandboxClients = Pick<Sandbox, 'clientId' | 'clientSecret' | 'clientKey' | 'certificates' | 'mtlsOrigin'>;

/**
 * `mtlsOrigin`: where the sandbox's mTLS listener is (RFC 8705 §5 aliases); by default the one
 * this process started, else one another process runs (its discovery document says).
 */
export function sandboxProvider(sandbox: SandboxClients, brokerOrigin: () => string, http: HttpClient, mtlsOrigin = () => sandbox.mtlsOrigin): BrokerProvider {
  const provider = providerFor(sandboxSpec(brokerOrigin(), mtlsOrigin()), { clientId: sandbox.clientId }, 'sandbox', async () => sandbox.clientSecret, http);
  // One client per authentication method (SANDBOX_CLIENTS); the private_key_jwt one signs with the sandbox folder's client key.
  provider.clients = SANDBOX_CLIENTS;
  let key: Promise<ClientKey> | undefined;
  provider.clientKey = () => (key ??= readClientKey(JSON.stringify(sandbox.clientKey), 'the sandbox client key'));
  // RFC 8705: the mTLS clients show the sandbox folder's certificates, and trust its listener by
  // the sandbox's CA alone (ClientCertificate.ca), not by the system's.
  const shown = (pair: PemPair, name: string): (() => Promise<ClientCertificate>) => {
    let read: ClientCertificate | undefined;
    return async () => (read ??= { ...readClientCertificate(pair.cert, `the sandbox's ${name}`, pair.key, `the sandbox's ${name} key`), ca: sandbox.certificates.ca });
  };
  // The user's own certificate (login sandbox --cert/--key, self_signed_tls_client_auth) meets the same listener.
  provider.mtlsServerCa = sandbox.certificates.ca;
  provider.clientCertificates = {
    tls_client_auth: shown(sandbox.certificates.client, 'client certificate'),
    self_signed_tls_client_auth: shown(sandbox.certificates.selfSigned, 'self-signed client certificate'),
  };
  return provider;
}

/** `providers`, with the sandbox answering for its id, first in the list (built once it is asked for: after listen). */
export function withSandbox(providers: ProviderRegistry, sandbox: SandboxClients, brokerOrigin: () => string, http: HttpClient): ProviderRegistry {
  let built: Promise<BrokerProvider> | undefined;
  return {
    get: (id) => (id === SANDBOX_ID ? (built ??= Promise.resolve(sandboxProvider(sandbox, brokerOrigin, http))) : providers.get(id)),
    forget(id) {
      if (id === SANDBOX_ID) built = undefined;
      else providers.forget?.(id);
    },
    list: async () => [sandboxSpec(brokerOrigin(), sandbox.mtlsOrigin), ...(await providers.list())],
  };
}
