/**
 * `oauthd-cli providers add <id>`: adds or updates the keyset of a provider in oauthd.json. A catalog
 * provider needs only credentials; any other OpenID provider is added with --issuer, its endpoints
 * read from its discovery document now and cached in the config.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { readAll } from '../stdin.js';
import { locateConfig, missingConfigError, readConfig, saveConfig } from '../../config/load.js';
import type { DiscoveredEndpoints, Keyset } from '../../config/schema.js';
import { vaultAccountForSecret } from '../../config/secrets.js';
import { discover, type ServerMetadata } from '../../oauth/oidc/discovery.js';
import { catalogDirs, catalogIds, findCatalogProvider, unknownNameHint } from '../../providers/catalog.js';
import { resolveProvider } from '../../providers/resolve.js';
import { mtlsAliasesFrom, specFromMetadata } from '../../providers/discovered.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { openUserVault } from '../vault.js';
import { describeBackend } from '../../vault/backend.js';
import { usageError } from '../../util/errors.js';

export interface AddOptions {
  clientId?: string;
  clientSecretEnv?: string;
  clientSecretStdin?: boolean;
  scope?: string;
  issuer?: string;
  param?: string[];
}

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function run(ctx: Context, id: string, options: AddOptions): Promise<void> {
  const ui = new Ui(ctx);
  if (!ID.test(id)) throw usageError(`"${id}" is not a provider id`, 'use lower-case letters, digits, "-" and "_"');
  if (id === SANDBOX_ID) throw usageError('the sandbox is built in and needs no keyset', 'just run: oauthd-cli login sandbox');
  if (options.clientSecretEnv !== undefined && options.clientSecretStdin) {
    throw usageError('give the client secret one way: --client-secret-env or --client-secret-stdin, not both');
  }
  if (options.clientSecretEnv !== undefined && !ENV_NAME.test(options.clientSecretEnv)) {
    throw usageError(`"${options.clientSecretEnv}" is not an environment variable name`, 'e.g. --client-secret-env GITHUB_CLIENT_SECRET');
  }
  const target = locateConfig(ctx);
  const loaded = await readConfig(target.path);
  const previous = loaded?.config.providers[id];

  const notInCatalog = async () =>
    usageError(
      `"${id}" is not in the catalog`,
      unknownNameHint(id, await catalogIds(catalogDirs(ctx)), 'any OpenID provider works with --issuer https://…'),
    );
  let spec = await findCatalogProvider(id, catalogDirs(ctx));
  // An unknown id is said before a missing config file: it is the real problem.
  if (!spec && options.issuer === undefined && !previous?.discovered) throw await notInCatalog();
  if (!loaded) throw missingConfigError(target, ctx.cwd);
  const { path, config } = loaded;

  let discovered: DiscoveredEndpoints | undefined;
  if (options.issuer !== undefined) {
    ui.info(`Reading the discovery document of ${options.issuer}…`);
    discovered = cacheable(await discover(ctx.factory.http(), options.issuer), ctx.factory.clock.now());
    spec ??= specFromMetadata(id, id, discovered);
  } else if (!spec && previous?.discovered) {
    discovered = previous.discovered;
    spec = specFromMetadata(id, id, discovered);
  }
  if (!spec) throw await notInCatalog();

  const clientId = options.clientId ?? previous?.clientId;
  if (!clientId) throw usageError(`${id} needs a client id`, `pass --client-id (from ${spec.register ?? 'the provider\'s developer console'})`);

  const keyset: Keyset = { ...previous, clientId };
  if (options.scope !== undefined) keyset.scope = options.scope.split(/\s+/).filter(Boolean);
  if (options.param && options.param.length > 0) keyset.params = { ...previous?.params, ...parseParams(options.param) };
  if (options.issuer !== undefined) keyset.issuer = options.issuer;
  if (discovered) keyset.discovered = discovered;
  if (options.clientSecretEnv !== undefined) keyset.clientSecret = `env:${options.clientSecretEnv}`;

  // Fails now, not at login, when a template parameter is missing or malformed.
  const resolved = resolveProvider(spec, keyset, discovered ? 'issuer' : 'catalog');

  let secretNote = keyset.clientSecret ? describeRef(keyset.clientSecret) : 'none (a public client)';
  if (options.clientSecretStdin) {
    const secret = await readSecret(ctx, `Client secret for ${spec.name}`);
    const vault = await openUserVault(ctx, ui);
    await vault.set(vaultAccountForSecret(id), secret);
    keyset.clientSecret = `keychain:${id}`;
    secretNote = `kept in ${describeBackend(vault)}`;
  }
  config.providers[id] = keyset;
  await saveConfig(path, config);

  const port = config.broker.port === 0 ? '<port>' : String(config.broker.port);
  ui.result(
    [
      `${ui.out.green('✓')} ${previous ? 'Updated' : 'Added'} ${id} (${spec.name}) in ${path}`,
      `  client id      ${clientId}`,
      `  client secret  ${secretNote}`,
      `  scopes         ${resolved.scopes.join(' ') || '(none)'}`,
      ...(resolved.issuer ? [`  issuer         ${resolved.issuer}`] : []),
      `  redirect URI   http://127.0.0.1:${port}/auth   ← register exactly this${spec.register ? ` at ${spec.register}` : ''}`,
      '',
      `Next: oauthd-cli login ${id}`,
    ].join('\n'),
  );
}

function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--param "${pair}" is not name=value`, 'e.g. --param tenant=contoso.onmicrosoft.com');
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

function describeRef(reference: string): string {
  return reference.startsWith('env:') ? `read from $${reference.slice(4)} at run time` : `in the keychain as "${reference.slice(9)}"`;
}

/** The discovery fields the config caches (the schema lists them); providers register keeps the same. */
export function cacheable(metadata: ServerMetadata, now: number): DiscoveredEndpoints {
  const keep = [
    'issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'revocation_endpoint',
    'introspection_endpoint', 'device_authorization_endpoint', 'end_session_endpoint', 'scopes_supported',
    'code_challenge_methods_supported', 'token_endpoint_auth_methods_supported', 'response_modes_supported',
    'authorization_response_iss_parameter_supported', 'id_token_signing_alg_values_supported',
    'pushed_authorization_request_endpoint', 'require_pushed_authorization_requests', 'dpop_signing_alg_values_supported',
    'authorization_details_types_supported', 'request_object_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported',
    'backchannel_authentication_endpoint', 'backchannel_token_delivery_modes_supported', 'registration_endpoint',
    'tls_client_certificate_bound_access_tokens', 'backchannel_user_code_parameter_supported',
  ] as const;
  const cached: Record<string, unknown> = { fetchedAt: new Date(now).toISOString() };
  for (const field of keep) if (metadata[field] !== undefined) cached[field] = metadata[field];
  // RFC 8705 §5: only the https URLs of the endpoints this client calls.
  const aliases = mtlsAliasesFrom(metadata.mtls_endpoint_aliases);
  if (aliases !== undefined) cached.mtls_endpoint_aliases = aliases;
  return cached as unknown as DiscoveredEndpoints;
}

async function readSecret(ctx: Context, message: string): Promise<string> {
  if (ctx.stdin.isTTY) {
    return ctx.factory.prompter.password({ message, mask: '*', validate: (value) => value !== '' || 'the secret is empty' });
  }
  const text = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
  if (text === '') throw usageError('--client-secret-stdin read an empty secret', 'pipe the secret in: printf %s "$SECRET" | oauthd-cli providers add …');
  return text;
}

