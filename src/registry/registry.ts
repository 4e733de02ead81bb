/**
 * The providers a broker, `login` or a token command uses: keysets from oauthd.json joined with
 * their descriptions (catalog file, cached discovery document, or the sandbox). Secrets are
 * resolved when a flow needs them, OpenID metadata and key sets are fetched once and cached.
 */
import { createRemoteJWKSet, customFetch } from 'jose';
import type { Keyset } from '../config/schema.js';
import { resolveKeyReference, resolveSecret } from '../config/secrets.js';
import type { HttpClient } from '../oauth/http.js';
import { readClientKey, type ClientKey } from '../oauth/keys.js';
import { readClientCertificate, type ClientCertificate } from '../oauth/mtls.js';
import { discover, type ServerMetadata } from '../oauth/oidc/discovery.js';
import { findCatalogEntry, type CatalogEntry } from '../providers/catalog.js';
import { resolveProvider, withMtlsEndpoints, type ProviderOrigin, type ResolvedProvider } from '../providers/resolve.js';
import { fillTemplate } from '../providers/template.js';
import type { ProviderSpec } from '../providers/schema.js';
import type { SecretBackend } from '../vault/backend.js';
import { ProviderConfigurationError } from '../providers/errors.js';
import { findProvider } from './find.js';
import type { BrokerProvider, OpenIdRuntime, ProviderRegistry } from './types.js';

export interface RegistrySource {
  keysets: Readonly<Record<string, Keyset>>;
  env: Readonly<Record<string, string | undefined>>;
  http: HttpClient;
  vault: () => Promise<SecretBackend>;
  /** Reads a provider file; the default reads providers/<id>.json of the shipped catalog. */
  catalog?: (id: string) => Promise<CatalogEntry | undefined>;
  /** Where `file:` references of keysets are relative to (oauthd.json's folder); the working folder when absent. */
  configDir?: string;
}

/**
 * A jose key set fetched through our HttpClient, so traces see the JWKS request too. It is cached
 * (jose's cacheMaxAge) and read again once when a token names a kid it does not hold: the issuer
 * rotated its keys (OIDC Core §10.1.1). No cooldown: with jose's default of 30 s, the first
 * token signed with a new key would be refused whenever the cached set was read less than 30 s
 * before. jose refetches at most once per verification, and id_tokens come only from the issuer's
 * own token endpoint, so nobody else can make the broker refetch.
 */
export function remoteKeySet(http: HttpClient, jwksUri: string) {
  return createRemoteJWKSet(new URL(jwksUri), {
    cooldownDuration: 0,
    [customFetch]: async (url: string) => {
      const response = await http({ method: 'GET', url, headers: { accept: 'application/json' }, purpose: 'JWKS' });
      return new Response(response.text, { status: response.status, headers: response.headers });
    },
  });
}

export function providerFor(
  spec: ProviderSpec,
  keyset: Keyset,
  origin: ProviderOrigin,
  clientSecret: () => Promise<string | undefined>,
  http: HttpClient,
  metadataHint?: Partial<ServerMetadata>,
): BrokerProvider {
  const resolved = resolveProvider(spec, keyset, origin);
  let openid: Promise<OpenIdRuntime | undefined> | undefined;
  return {
    resolved,
    clientSecret,
    openid() {
      openid ??= (async () => {
        const issuer = resolved.issuer;
        if (!issuer) return undefined;
        let metadata: Partial<ServerMetadata> = metadataHint ?? {};
        let jwksUri = metadata.jwks_uri ?? resolved.jwksUri;
        if (!jwksUri) {
          metadata = await discover(http, issuer);
          jwksUri = metadata.jwks_uri;
        } else if (spec.oidc?.authorizationResponseIss === true) {
          // The discovery document is not read (the keys' address is known), so the provider file
          // says what it would have: the server identifies itself on the response (RFC 9207).
          metadata = { ...metadata, authorization_response_iss_parameter_supported: true };
        }
        if (!jwksUri) return undefined;
        return { issuer, metadata, keys: remoteKeySet(http, jwksUri), acceptIssuers: (claims) => acceptedIssuers(resolved, claims) };
      })();
      // A failed discovery is not cached: the next flow tries again.
      openid.catch(() => {
        openid = undefined;
      });
      return openid;
    },
  };
}

/**
 * The provider file's acceptIssuers, filled: `{id_token.<claim>}` from the token's own claims (a
 * multi-tenant sign-in's `tid`), other names from the keyset. A template that cannot be filled
 * from this token accepts nothing.
 */
function acceptedIssuers(resolved: ResolvedProvider, claims: Record<string, unknown>): string[] {
  const values: Record<string, string> = { ...resolved.params };
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === 'string') values[`id_token.${name}`] = value;
  }
  const accepted: string[] = [];
  for (const template of resolved.spec.oidc?.acceptIssuers ?? []) {
    try {
      accepted.push(fillTemplate(template, values));
    } catch {
      // This token lacks the claim the template needs.
    }
  }
  return accepted;
}

export function configRegistry(source: RegistrySource): ProviderRegistry {
  const cache = new Map<string, Promise<BrokerProvider | undefined>>();
  const catalog = source.catalog ?? ((id: string) => findCatalogEntry(id));

  async function build(id: string): Promise<BrokerProvider | undefined> {
    const keyset = source.keysets[id];
    if (!keyset) return undefined;
    // Resolved once per provider (a keychain read is a D-Bus round trip; every exchange and every
    // signed OAuth 1.0a request needs it); a failure is not kept, so the next flow tries again.
    let resolving: Promise<string | undefined> | undefined;
    const secret = () => {
      const reference = keyset.clientSecret;
      if (reference === undefined) return Promise.resolve(undefined);
      resolving ??= resolveSecret(reference, `the client secret of ${id}`, source.env, source.vault).catch((error: unknown) => {
        resolving = undefined;
        throw error;
      });
      return resolving;
    };
    const found = await findProvider(id, { keysets: source.keysets, catalog });
    if (!found) return undefined;
    // A keyset with a cached discovery document is an issuer provider, even beside a provider file.
    const provider = keyset.discovered
      ? providerFor(found.spec, keyset, 'issuer', secret, source.http, keyset.discovered)
      : providerFor(found.spec, keyset, 'catalog', secret, source.http);
    const keyReference = keyset.clientKey;
    const baseDir = source.configDir ?? process.cwd();
    if (keyReference !== undefined) {
      // RFC 7523 private_key_jwt: the key is a secret like the client secret, read when first needed.
      let reading: Promise<ClientKey> | undefined;
      provider.clientKey = () => {
        reading ??= resolveKeyReference(keyReference, `the client key of ${id}`, source.env, source.vault, baseDir)
          .then((text) => readClientKey(text, `the client key of ${id} (${keyReference})`))
          .catch((error: unknown) => {
            reading = undefined;
            throw error;
          });
        return reading;
      };
    }
    const certReference = keyset.clientCert;
    if (certReference !== undefined) {
      // RFC 8705: the certificate and its key (clientKey), read when first needed; the calls a
      // certificate makes go to the server's mTLS aliases (§5).
      let reading: Promise<ClientCertificate> | undefined;
      provider.resolved = withMtlsEndpoints(provider.resolved);
      provider.clientCertificate = () => {
        reading ??= readKeysetCertificate(id, certReference, keyReference, (reference, what) => resolveKeyReference(reference, what, source.env, source.vault, baseDir)).catch(
          (error: unknown) => {
            reading = undefined;
            throw error;
          },
        );
        return reading;
      };
    }
    return provider;
  }

  // The cache holds promises: every flow after the first gets the same settled promise (no new
  // async frame on the hot path), and concurrent first requests share one build.
  return {
    forget(id) {
      cache.delete(id);
    },
    get(id) {
      const cached = cache.get(id);
      if (cached) return cached;
      const building = build(id);
      cache.set(id, building);
      // Nothing is kept for an unknown provider or a failed build: the next flow tries again.
      const drop = () => {
        if (cache.get(id) === building) cache.delete(id);
      };
      building.then((provider) => {
        if (!provider) drop();
      }, drop);
      return building;
    },
    async list() {
      const specs: ProviderSpec[] = [];
      for (const id of Object.keys(source.keysets)) {
        const provider = await this.get(id).catch(() => undefined);
        if (provider) specs.push(provider.resolved.spec);
      }
      return specs;
    },
  };
}

/** A keyset's clientCert with its key (clientKey), both references; a certificate without a key names the field to add. */
export async function readKeysetCertificate(
  id: string,
  certReference: string,
  keyReference: string | undefined,
  read: (reference: string, what: string) => Promise<string>,
): Promise<ClientCertificate> {
  if (keyReference === undefined) {
    throw new ProviderConfigurationError(`the ${id} keyset has clientCert but no clientKey: the certificate's private key`, { kind: 'client-certificate-missing' }, id);
  }
  const [cert, key] = await Promise.all([read(certReference, `the client certificate of ${id}`), read(keyReference, `the client key of ${id}`)]);
  return readClientCertificate(cert, `the client certificate of ${id} (${certReference})`, key, `the client key of ${id} (${keyReference})`);
}
