/** The doctor's checks of each configured provider: description, parameters, secret, endpoints, discovery. */
import { join } from 'node:path';
import type { Context } from '../context.js';
import type { Keyset } from '../../config/schema.js';
import { resolveSecret } from '../../config/secrets.js';
import type { HttpClient } from '../../oauth/http.js';
import { discover, isLoopback, metadataUrls } from '../../oauth/oidc/discovery.js';
import { catalogIds, didYouMean, findCatalogEntry } from '../../providers/catalog.js';
import { resolveProvider, type ResolvedProvider } from '../../providers/resolve.js';
import { findProvider, type FoundProvider } from '../../registry/find.js';
import { describeBackend, type SecretBackend } from '../../vault/backend.js';
import { flowError } from '../../util/errors.js';
import { failure, type CheckResult } from './report.js';

/** Discovery documents are small; a provider slower than this is reported, not waited for. */
export const DISCOVERY_TIMEOUT_MS = 5000;

export async function providerChecks(
  ctx: Context,
  id: string,
  keyset: Keyset,
  dirs: readonly string[],
  vault: SecretBackend | undefined,
  http: HttpClient,
): Promise<CheckResult[]> {
  const check = (aspect: string, result: Omit<CheckResult, 'id' | 'label'>): CheckResult => ({ id: `provider:${id}:${aspect}`, label: `${id}: ${aspect}`, ...result });
  const checks: CheckResult[] = [];

  // The description: a provider file (user folder, then the catalog), else the cached discovery document.
  let found: FoundProvider | undefined;
  try {
    found = await findProvider(id, { keysets: { [id]: keyset }, catalog: (providerId) => findCatalogEntry(providerId, dirs) });
  } catch (error) {
    return [check('provider', failure({}, error))];
  }
  // As the broker's registry does: a keyset with a cached discovery document is an issuer provider.
  const origin = keyset.discovered ? 'issuer' : 'catalog';
  const spec = found?.spec;
  const file = found?.source.kind === 'file' ? found.source.file : undefined;
  if (!spec) {
    const suggestion = didYouMean(id, await catalogIds(dirs));
    return [
      check('provider', {
        status: 'fail',
        detail: `no provider file ${id}.json in ${dirs[0]} nor in the catalog${suggestion ? ` (${suggestion})` : ''}`,
        fix: `rename the keyset in oauthd.json, add any OpenID provider with \`oauthd-cli providers add ${id} --issuer https://…\`, or write ${join(dirs[0] as string, `${id}.json`)}`,
      }),
    ];
  }
  checks.push(
    check('provider', {
      status: 'pass',
      detail: keyset.discovered
        ? `${file ? `${spec.name} from ${file}; ` : ''}issuer ${keyset.discovered.issuer}, endpoints cached ${keyset.discovered.fetchedAt.slice(0, 10)}`
        : `${spec.name} from ${file}`,
    }),
  );

  // Template parameters: resolving fills every URL, or says which value is missing or malformed.
  let resolved: ResolvedProvider;
  try {
    resolved = resolveProvider(spec, keyset, origin);
  } catch (error) {
    checks.push(check('parameters', failure({}, error)));
    return checks;
  }
  const declared = Object.keys(spec.params ?? {});
  if (declared.length > 0) {
    checks.push(check('parameters', { status: 'pass', detail: declared.map((name) => `${name}=${resolved.params[name] ?? '(unset)'}`).join(', ') }));
  }

  checks.push(check('client secret', await clientSecretCheck(ctx, id, keyset, resolved, vault)));
  checks.push(check('endpoints', endpointsCheck(resolved, file)));

  // Discovery, where the issuer's document matters: providers added with --issuer, and OpenID
  // providers whose keys are found through it (no jwksUri in their file).
  if (resolved.issuer !== undefined && (keyset.discovered !== undefined || spec.oidc?.jwksUri === undefined)) {
    checks.push(check('discovery', await discoveryCheck(id, resolved.issuer, keyset, http)));
  }
  return checks;
}

async function clientSecretCheck(
  ctx: Context,
  id: string,
  keyset: Keyset,
  resolved: ResolvedProvider,
  vault: SecretBackend | undefined,
): Promise<Omit<CheckResult, 'id' | 'label'>> {
  const reference = keyset.clientSecret;
  if (reference === undefined) {
    if (resolved.oauth1) {
      return { status: 'fail', detail: 'none, but OAuth 1.0a signs every request with it (RFC 5849 §3.4)', fix: `oauthd-cli providers add ${id} --client-secret-env VAR` };
    }
    if (resolved.oauth2?.clientAuth === 'none') return { status: 'pass', detail: 'none needed: a public client, PKCE carries the proof (RFC 7636)' };
    return {
      status: 'warn',
      detail: `none: the token request goes without one, but ${resolved.name} expects ${resolved.oauth2?.clientAuth ?? 'one'}`,
      fix: `oauthd-cli providers add ${id} --client-secret-env VAR (or --client-secret-stdin to keep it in the keychain)`,
    };
  }
  const openStore = async () => {
    if (!vault) throw flowError('the store did not open (see the store line)', 'fix the store first');
    return vault;
  };
  try {
    // Resolved to prove it is there; the value itself goes nowhere.
    await resolveSecret(reference, `the client secret of ${id}`, ctx.env, openStore);
  } catch (error) {
    return failure({}, error, reference.startsWith('keychain:') ? `printf %s "$SECRET" | oauthd-cli providers add ${id} --client-secret-stdin` : undefined);
  }
  return {
    status: 'pass',
    detail: reference.startsWith('env:') ? `$${reference.slice(4)} is set (${reference})` : `in ${describeBackend(vault as SecretBackend)} (${reference})`,
  };
}

/**
 * RFC 6749 §3.1 and §3.2: the authorization and token endpoints MUST use TLS; plain http is
 * tolerated on loopback only (a local test server), where nothing crosses the network.
 */
function endpointsCheck(resolved: ResolvedProvider, file: string | undefined): Omit<CheckResult, 'id' | 'label'> {
  const endpoints = endpointUrls(resolved);
  const clear: string[] = [];
  const broken: string[] = [];
  let loopback = 0;
  for (const [name, url] of endpoints) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      broken.push(`${name} ${url}`);
      continue;
    }
    if (parsed.protocol === 'https:') continue;
    if (isLoopback(parsed.hostname)) loopback += 1;
    else clear.push(`${name} ${url}`);
  }
  const where = file ? `edit ${file}` : 'check the issuer';
  if (broken.length > 0) return { status: 'fail', detail: `not a URL: ${broken.join(', ')}`, fix: where };
  if (clear.length > 0) {
    return {
      status: 'warn',
      detail: `plain http, not https: ${clear.join(', ')} — codes, secrets and tokens would cross the network unencrypted (RFC 6749 §3.1, §3.2)`,
      fix: `use the provider's https URLs (${where})`,
    };
  }
  return { status: 'pass', detail: `${endpoints.length} https${loopback > 0 ? ` or loopback (${loopback} on plain http, local only)` : ''}` };
}

function endpointUrls(resolved: ResolvedProvider): Array<[string, string]> {
  const urls: Array<[string, string | undefined]> = [
    ['issuer', resolved.issuer],
    ['authorize', resolved.oauth2?.authorizeUrl],
    ['token', resolved.oauth2?.tokenUrl],
    ['refresh', resolved.oauth2?.refreshUrl],
    ['revoke', resolved.oauth2?.revoke?.url],
    ['introspect', resolved.oauth2?.introspectUrl],
    ['device', resolved.oauth2?.deviceAuthorizationUrl],
    ['request token', resolved.oauth1?.requestTokenUrl],
    ['authorize', resolved.oauth1?.authorizeUrl],
    ['access token', resolved.oauth1?.accessTokenUrl],
  ];
  const seen = new Set<string>();
  return urls.filter((entry): entry is [string, string] => {
    if (entry[1] === undefined || seen.has(entry[1])) return false;
    seen.add(entry[1]);
    return true;
  });
}

async function discoveryCheck(id: string, issuer: string, keyset: Keyset, http: HttpClient): Promise<Omit<CheckResult, 'id' | 'label'>> {
  const { client, unreachable: networkError } = remembering(http);
  let metadata;
  try {
    metadata = await discover(client, issuer);
  } catch (error) {
    const unreachable = networkError();
    if (unreachable) {
      // Offline, a proxy, a VPN that is down: worth knowing, not a broken setup.
      return {
        status: 'warn',
        detail: `cannot read ${metadataUrls(issuer)[0]}: ${unreachable.message}`,
        fix: 'check the network (offline? a proxy?); login reads this document at the first sign-in',
      };
    }
    return failure({}, error);
  }
  const cached = keyset.discovered;
  if (cached) {
    const changed = (['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const).filter((field) => (metadata[field] ?? undefined) !== (cached[field] ?? undefined));
    if (changed.length > 0) {
      return {
        status: 'warn',
        detail: `${issuer} answers, but its ${changed.join(', ')} changed since ${cached.fetchedAt.slice(0, 10)}`,
        fix: `read it again: oauthd-cli providers add ${id} --issuer ${keyset.issuer ?? cached.issuer}`,
      };
    }
  }
  return { status: 'pass', detail: `${issuer} answers (authorize ${metadata.authorization_endpoint})` };
}

/**
 * The client, remembering a request that never got an answer (offline, refused, timed out), so a
 * discovery failure can be told apart from a provider that answered wrongly.
 */
function remembering(http: HttpClient): { client: HttpClient; unreachable: () => Error | undefined } {
  let networkError: Error | undefined;
  const client: HttpClient = async (request) => {
    try {
      return await http(request);
    } catch (error) {
      networkError = error as Error;
      throw error;
    }
  };
  return { client, unreachable: () => networkError };
}
