/**
 * One login's way of talking to a provider, over what its description and keyset say: `login
 * --par --dpop --auth-method private_key_jwt --key k.pem --resource … --authorization-details …`.
 * The login's broker serves its providers through this wrapper, so the broker's flow (PAR, the
 * client assertion, the DPoP proof on the code exchange) runs for the login exactly as the
 * keyset's fields would make it run for every flow.
 */
import type { ClientAuthMethod } from '../providers/schema.js';
import type { DpopProver } from '../oauth/dpop.js';
import type { ClientKey } from '../oauth/keys.js';
import type { ClientCertificate } from '../oauth/mtls.js';
import { withMtlsEndpoints } from '../providers/resolve.js';
import type { ProtocolCheck } from '../oauth/outcome.js';
import type { BrokerProvider, ProviderRegistry } from './types.js';

export interface ClientOptions {
  par?: boolean;
  authMethod?: ClientAuthMethod;
  key?: ClientKey;
  dpop?: DpopProver;
  resource?: string[];
  /** JSON text of the authorization_details array (RFC 9396 §2). */
  authorizationDetails?: string;
  requestObject?: boolean;
  jarm?: boolean;
  /** RFC 8705: the certificate this login shows (--cert/--key, or the one a kept token is bound to). */
  certificate?: ClientCertificate;
  /** Where the certificate and its key are (file:/absolute/path, or the keyset's references): kept beside the token it binds. */
  certificateRefs?: { cert: string; key: string };
  report?: (check: ProtocolCheck) => void;
}

/** `provider` with `options` over its keyset's settings. */
export function withOptions(provider: BrokerProvider, options: ClientOptions): BrokerProvider {
  const key = options.key;
  // The sandbox registers a client per method: the login signs in as the one for its method.
  const clientId = options.authMethod !== undefined ? provider.clients?.[options.authMethod] : undefined;
  // A provider whose mTLS endpoints have a certificate of its own CA (the sandbox) is trusted by it with the login's certificate too.
  const certificate = options.certificate !== undefined && provider.mtlsServerCa !== undefined ? { ...options.certificate, ca: options.certificate.ca ?? provider.mtlsServerCa } : options.certificate;
  // The provider's own certificate for the method (the sandbox's), when none was given.
  const methodCertificate = certificate === undefined && options.authMethod !== undefined ? provider.clientCertificates?.[options.authMethod] : undefined;
  // RFC 8705 §5: a client showing a certificate calls the server's mTLS aliases.
  const resolved = certificate !== undefined || methodCertificate !== undefined ? withMtlsEndpoints(provider.resolved) : provider.resolved;
  return {
    ...provider,
    resolved: {
      ...resolved,
      ...(clientId !== undefined ? { clientId } : {}),
      ...(resolved.oauth2
        ? {
            oauth2: {
              ...resolved.oauth2,
              par: resolved.oauth2.par || options.par === true,
              dpop: resolved.oauth2.dpop || options.dpop !== undefined,
              ...(options.authMethod ? { clientAuth: options.authMethod } : {}),
              ...(options.resource ? { resource: options.resource } : {}),
              ...(options.authorizationDetails !== undefined ? { authorizationDetails: options.authorizationDetails } : {}),
              ...(options.requestObject ? { requestObject: true } : {}),
              ...(options.jarm ? { jarm: true } : {}),
            },
          }
        : {}),
    },
    ...(key ? { clientKey: async () => key } : {}),
    ...(certificate ? { clientCertificate: async () => certificate } : methodCertificate ? { clientCertificate: methodCertificate } : {}),
    ...(options.dpop ? { dpop: options.dpop } : {}),
    ...(options.report ? { report: options.report } : {}),
  };
}

/**
 * The registry with `options` applied to provider `id` (the login's), every other as it is. The
 * options are read at each lookup: the login completes them (the DPoP key, made for the algorithms
 * the server's metadata names) after it has looked the provider up, before its flow starts.
 */
export function withClientOptions(registry: ProviderRegistry, id: string, options: ClientOptions): ProviderRegistry {
  return {
    get: (wanted) => (wanted !== id ? registry.get(wanted) : registry.get(id).then((provider) => (provider ? withOptions(provider, options) : undefined))),
    forget: (wanted) => registry.forget?.(wanted),
    list: () => registry.list(),
  };
}
