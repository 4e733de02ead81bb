/** The sandbox as a provider the broker's registry serves without any keyset in oauthd.json. */
import type { BuiltinProvider } from '../registry/registry.js';
import type { Sandbox } from '../sandbox/server.js';
import { sandboxSpec } from '../sandbox/spec.js';

export function sandboxBuiltin(sandbox: Pick<Sandbox, 'clientId' | 'clientSecret'>, brokerOrigin: () => string): BuiltinProvider {
  return {
    spec: () => sandboxSpec(brokerOrigin()),
    keyset: { clientId: sandbox.clientId },
    clientSecret: async () => sandbox.clientSecret,
  };
}
