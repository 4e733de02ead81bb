/**
 * The provider that issued a kept token, joined again from oauthd.json and the provider file as
 * `login` joined it; a token goes back only to the issuer that issued it.
 */
import { dirname } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { HttpClient } from '../oauth/http.js';
import { catalogDirs, findCatalogEntry } from '../providers/catalog.js';
import { configRegistry } from '../registry/registry.js';
import type { BrokerProvider } from '../registry/types.js';
import { withOptions } from '../registry/client-options.js';
import { DpopProver } from '../oauth/dpop.js';
import { readClientCertificate, type ClientCertificate } from '../oauth/mtls.js';
import { resolveKeyReference } from '../config/secrets.js';
import { SANDBOX_ID } from '../sandbox/spec.js';
import type { SecretBackend } from '../vault/backend.js';
import { configError } from '../util/errors.js';
import type { LocatedToken, TokenPlace } from './find.js';
import { loginCommand } from './hints.js';
import type { StoredToken } from './store.js';

/** What finding the issuing provider needs besides the place. */
export interface IssuerSources {
  http: HttpClient;
  /** Opens the vault that `keychain:` references point into (the CLI's says once when it is the file). */
  vault: () => Promise<SecretBackend>;
  /** The sandbox that issued a sandbox token, running here or elsewhere (src/compose/sandbox-runtime.ts). */
  sandbox: (issuer: string | undefined, loginHint: string) => Promise<BrokerProvider>;
}

/**
 * The provider that issued `stored`, as `login` built it. `action` ends "the token cannot be …"
 * in errors. A sandbox token goes to the sandbox its issuer names (`sources.sandbox`).
 */
export async function issuingProvider(place: TokenPlace, sources: IssuerSources, { stored, implicitProfile }: LocatedToken, action: string): Promise<BrokerProvider> {
  // The login command the errors below suggest: with --profile unless a command without it picks this token's profile.
  const login = loginCommand(stored.provider, stored.profile, implicitProfile);
  return asAtLogin(await issuerOf(place, sources, stored, action, login), stored, place, sources, login);
}

/**
 * The provider as the login that got `stored` used it: the same client authentication, and the
 * token's DPoP key (RFC 9449 §7: every request with a bound token carries a proof with that key).
 */
async function asAtLogin(provider: BrokerProvider, stored: StoredToken, place: TokenPlace, sources: IssuerSources, login: string): Promise<BrokerProvider> {
  if (stored.authMethod === undefined && stored.dpopKey === undefined && stored.clientCertificate === undefined) return provider;
  const certificate = stored.clientCertificate !== undefined ? await boundCertificate(provider, stored, place, sources, login) : undefined;
  return withOptions(provider, {
    ...(stored.authMethod !== undefined ? { authMethod: stored.authMethod } : {}),
    ...(stored.dpopKey !== undefined ? { dpop: await DpopProver.fromJwk(stored.dpopKey) } : {}),
    ...(certificate !== undefined ? { certificate } : {}),
  });
}

/**
 * RFC 8705 §3: the certificate the login showed, read again from where the token's entry says (the
 * files of login --cert/--key) or from the keyset, and checked to be the same one (x5t#S256): a
 * certificate-bound token presented over a connection with another certificate is refused, and
 * a changed file is better said here than as the server's invalid_token.
 */
async function boundCertificate(provider: BrokerProvider, stored: StoredToken, place: TokenPlace, sources: IssuerSources, login: string): Promise<ClientCertificate> {
  const kept = stored.clientCertificate!;
  let certificate: ClientCertificate | undefined;
  if (kept.cert !== undefined && kept.key !== undefined) {
    const read = (reference: string, what: string) => resolveKeyReference(reference, what, place.env, sources.vault, place.cwd);
    const [cert, key] = await Promise.all([read(kept.cert, 'the certificate this token is bound to'), read(kept.key, "the key of the certificate this token is bound to")]);
    certificate = readClientCertificate(cert, kept.cert.replace(/^file:/, ''), key, kept.key.replace(/^file:/, ''));
  } else {
    // The keyset's certificate, or the provider's own for the login's method (the sandbox's).
    const own = stored.authMethod !== undefined ? provider.clientCertificates?.[stored.authMethod] : undefined;
    certificate = await (provider.clientCertificate ?? own)?.();
    if (certificate === undefined) {
      throw configError(`the ${stored.provider} token is bound to a client certificate (RFC 8705), and the keyset has no clientCert any more`, `set clientCert and clientKey again, or log in again: ${login}`);
    }
  }
  if (certificate.thumbprint !== kept['x5t#S256']) {
    throw configError(
      `${certificate.source} is not the certificate the ${stored.provider} token is bound to (x5t#S256 ${kept['x5t#S256'].slice(0, 12)}…, this one ${certificate.thumbprint.slice(0, 12)}…)`,
      `put the certificate back, or log in again with the new one: ${login} --cert FILE --key FILE`,
    );
  }
  return certificate;
}

async function issuerOf(place: TokenPlace, sources: IssuerSources, stored: StoredToken, action: string, login: string): Promise<BrokerProvider> {
  const id = stored.provider;
  if (id === SANDBOX_ID) return sources.sandbox(stored.issuer, login);
  const { config, path } = await loadConfig(place);
  const dirs = catalogDirs(place);
  const registry = configRegistry({
    keysets: config.providers,
    env: place.env,
    http: sources.http,
    vault: sources.vault,
    catalog: (providerId) => findCatalogEntry(providerId, dirs),
    configDir: dirname(path),
  });
  const provider = await registry.get(id);
  if (!provider) {
    throw config.providers[id]
      ? configError(`no provider file for ${id} (looked in ${dirs.join(', ')})`, 'restore the provider file, or add the provider again with providers add --issuer')
      : configError(
          `${id} has no keyset in ${path}, so the token cannot be ${action}`,
          `run in the project that signed in, pass --config, or add the keyset again: oauthd-cli providers add ${id} --client-id …`,
        );
  }
  // A token goes back only to the server that issued it: never send it to another issuer that took
  // over the provider id (a changed --issuer, another project's keyset).
  if (stored.issuer !== undefined && provider.resolved.issuer !== stored.issuer) {
    throw configError(
      `the ${id} token was issued by ${stored.issuer}, but ${id} in ${path} is ${provider.resolved.issuer ?? 'not that OpenID provider'}; the token is not sent there`,
      `log in again: ${login}`,
    );
  }
  return provider;
}
