/**
 * A provider that cannot work as described, as data: what is missing or contradicts itself in a
 * provider file, a keyset or a discovery document. Like the protocol's errors (src/oauth/errors.ts)
 * it decides nothing about who hears of it; src/cli/errors.ts gives it a hint and exit code 2,
 * the broker answers it as its own configuration's fault.
 */

/** What cannot work in a provider's description or keyset, with what advice needs to say. */
export type ConfigurationProblem =
  /** A template needs {param}, and neither the keyset nor the provider file's default gives it. */
  | { kind: 'missing-param'; param: string }
  /** A keyset parameter does not match the pattern the provider file declares for it. */
  | { kind: 'param-mismatch'; param: string }
  /** The keyset gives a parameter the provider file does not declare. */
  | { kind: 'unknown-param'; known: readonly string[] }
  /** tokenOrigins, or the keyset parameter one of its patterns uses, is not a usable origin pattern. */
  | { kind: 'token-origins' }
  /** The provider file has no block for what is asked: an API, a profile, a protocol at all. */
  | { kind: 'no-api' }
  | { kind: 'no-profile' }
  | { kind: 'no-protocol' }
  /** An OAuth 1.0a profile call without a signer (RFC 5849 §3: every request is signed). */
  | { kind: 'unsigned-profile' }
  /** The grant needs a client secret and the keyset has none (RFC 6749 §4.4; RFC 5849 §3.4). */
  | { kind: 'client-secret-missing'; grant: 'client_credentials' | 'oauth1' | 'client_secret_jwt' }
  /** private_key_jwt (RFC 7523) without a private key (--key, or the keyset's clientKey). */
  | { kind: 'client-key-missing' }
  /** A client key that cannot be read, or cannot sign with the algorithm asked. */
  | { kind: 'client-key' }
  /** RFC 8705: a client certificate that cannot be read, is no certificate, or does not match its key. */
  | { kind: 'client-certificate' }
  /** tls_client_auth / self_signed_tls_client_auth (RFC 8705 §2) without a client certificate (--cert, or the keyset's clientCert). */
  | { kind: 'client-certificate-missing' }
  /** A feature asked for (--par, --dpop, ...) that the server's metadata does not offer: `field` names what is missing. */
  | { kind: 'feature-unsupported'; feature: string; field: string }
  /** RSA-SHA1 (RFC 5849 §3.4.3) without a readable RSA private key. */
  | { kind: 'rsa-key' }
  /** A provider file that breaks the provider format. */
  | { kind: 'provider-file' }
  /** Discovery (OpenID Connect Discovery 1.0, RFC 8414): an issuer that cannot be one. */
  | { kind: 'issuer-not-url' }
  | { kind: 'issuer-not-https' }
  /** No answer from the issuer's host. */
  | { kind: 'discovery-unreachable' }
  /** No metadata document at either well-known location. */
  | { kind: 'discovery-missing' }
  /** §4.3 / RFC 8414 §3.3: the document names another issuer. */
  | { kind: 'discovery-issuer'; advertised: string }
  /** The document lacks an endpoint the authorization-code flow needs. */
  | { kind: 'discovery-incomplete' };

/**
 * A provider that cannot work as described: a provider file, a keyset or a discovery document that
 * is missing something or contradicts itself. Nothing was sent, or nothing more will be.
 */
export class ProviderConfigurationError extends Error {
  /** No code of the protocol's (src/oauth/errors.ts): `problem` says what it is. */
  readonly code = undefined;

  constructor(
    message: string,
    readonly problem: ConfigurationProblem,
    /** The provider's id, when the problem belongs to one. */
    readonly provider?: string,
  ) {
    super(message);
    this.name = 'ProviderConfigurationError';
  }
}
