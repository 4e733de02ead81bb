/**
 * Providers at run time, as the broker, `login` and the token commands use them: a description
 * joined with its keyset (./registry.ts), the client secret and the OpenID runtime read lazily.
 */
import type { JWTVerifyGetKey } from 'jose';
import type { ServerMetadata } from '../oauth/oidc/discovery.js';
import type { DpopProver } from '../oauth/dpop.js';
import type { ClientKey } from '../oauth/keys.js';
import type { ClientCertificate } from '../oauth/mtls.js';
import type { ProtocolCheck } from '../oauth/outcome.js';
import type { ResolvedProvider } from '../providers/resolve.js';
import type { ClientAuthMethod, ProviderSpec } from '../providers/schema.js';

/**
 * A provider ready for flows and token calls: resolved endpoints plus what is fetched lazily. (Named
 * for the broker, its first user; `login` and the token commands use the same.)
 */
export interface BrokerProvider {
  resolved: ResolvedProvider;
  clientSecret(): Promise<string | undefined>;
  /** Issuer metadata and key set, for OpenID providers (discovered once, then cached). */
  openid(): Promise<OpenIdRuntime | undefined>;
  /** The client's private key (private_key_jwt, request objects): the keyset's clientKey, or login --key. */
  clientKey?(): Promise<ClientKey | undefined>;
  /**
   * RFC 8705: the certificate the client shows in the TLS handshake (tls_client_auth,
   * self_signed_tls_client_auth, certificate-bound tokens): the keyset's clientCert and clientKey,
   * login --cert/--key, or the files a kept token was bound with.
   */
  clientCertificate?(): Promise<ClientCertificate | undefined>;
  /**
   * A provider with one registered client per authentication method (the sandbox): the client id to
   * use for each. A provider file's provider has one client, the keyset's.
   */
  clients?: Partial<Record<ClientAuthMethod, string>>;
  /**
   * The certificate of the client registered for a method, when the provider has its own (the
   * sandbox's tls_client_auth and self_signed_tls_client_auth clients): shown when a login picks
   * that method without --cert.
   */
  clientCertificates?: Partial<Record<ClientAuthMethod, () => Promise<ClientCertificate>>>;
  /**
   * The CA to trust the provider's mTLS endpoints by instead of the system's, whichever certificate
   * the client shows (ClientCertificate.ca): the sandbox's own, for a login with --cert/--key there.
   */
  mtlsServerCa?: string;
  /** login --dpop: the key this login's tokens are bound to (RFC 9449). */
  dpop?: DpopProver;
  /** login --verbose: told of each check a flow makes beyond the standard ones (PAR, assertions, proofs, JARM). */
  report?: (check: ProtocolCheck) => void;
}

export interface OpenIdRuntime {
  issuer: string;
  /** Other iss values the provider file accepts, filled from the id_token's claims (multi-tenant). */
  acceptIssuers(claims: Record<string, unknown>): string[];
  metadata: Partial<ServerMetadata>;
  keys: JWTVerifyGetKey;
}

export interface ProviderRegistry {
  get(id: string): Promise<BrokerProvider | undefined>;
  /** Drops what is cached for `id`, so the next flow reads its description again (hot reload). */
  forget?(id: string): void;
  /** Ids and descriptions the broker can serve (for /api/providers and error messages). */
  list(): Promise<ProviderSpec[]>;
}
