/**
 * `oauthd-cli providers discover <issuer-url>`: builds a provider description from the server's
 * metadata — OpenID Connect Discovery 1.0, or RFC 8414 for a plain OAuth 2.0 server — checks it
 * against providers/schema.json, and prints it (a summary, or the JSON with --json).
 *
 * `--save ID` writes it as `<ID>.json` into the project's provider folder (`oauthd-providers/`
 * beside oauthd.json, or the first folder of $OAUTHD_PROVIDERS_DIR), which every command reads
 * before the shipped catalog and src/providers/watch.ts can watch for hot reload. The shipped
 * catalog is read-only in an installed package, and a file (unlike the discovery cache that
 * `providers add --issuer` keeps in oauthd.json) can be edited: scope descriptions, notes, an API
 * base URL, a profile mapping. Credentials stay where they belong: `providers add ID` next.
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { configPathFor, DEFAULT_BROKER_PORT, readConfig } from '../../config/load.js';
import { discover, type ServerMetadata } from '../../oauth/oidc/discovery.js';
import { CATALOG_DIR, catalogDirs, findCatalogProvider } from '../../providers/catalog.js';
import { specFromMetadata } from '../../providers/discovered.js';
import type { ProviderSpec } from '../../providers/schema.js';
import { validateProvider } from '../../providers/validate.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { configError, usageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fs.js';

export interface DiscoverOptions {
  json?: boolean;
  save?: string;
  name?: string;
  force?: boolean;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Descriptions of the scopes OpenID Connect Core §5.4 and §11 define. */
const STANDARD_SCOPES: Record<string, string> = {
  openid: 'Sign in (id_token)',
  profile: 'Name, user name, picture and other profile claims',
  email: 'Email address and whether it is verified',
  address: 'Postal address',
  phone: 'Phone number and whether it is verified',
  offline_access: 'A refresh token',
};

/** Beyond this, scopes_supported is an inventory, not advice. */
const MAX_SCOPE_VALUES = 40;

export async function run(ctx: Context, issuer: string, options: DiscoverOptions): Promise<void> {
  const ui = new Ui(ctx);
  if (options.save !== undefined) {
    if (!ID.test(options.save)) throw usageError(`"${options.save}" is not a provider id`, 'use lower-case letters, digits, "-" and "_" (at most 64)');
    if (options.save === SANDBOX_ID) throw usageError('"sandbox" is the built-in provider\'s id', 'choose another id for --save');
  }

  ui.info(`Reading the metadata of ${issuer}…`);
  const metadata = await discover(ctx.factory.http(), issuer);
  const id = options.save ?? idFromIssuer(metadata.issuer);
  const spec = describeServer(id, options.name ?? new URL(metadata.issuer).host, metadata);
  const problems = validateProvider(spec, id);
  if (problems.length > 0) {
    const first = problems[0] as (typeof problems)[number];
    throw configError(
      `the metadata of ${metadata.issuer} does not make a valid provider: ${first.path || '/'} ${first.message}`,
      'write the provider file by hand (providers show <a similar provider> --json is a start), then check it with providers validate',
    );
  }

  let savedTo: string | undefined;
  if (options.save !== undefined) savedTo = await save(ctx, spec, options.force === true);

  if (options.json) {
    ui.json(spec);
    if (savedTo) ui.success(`saved to ${savedTo}`);
    return;
  }
  const loaded = await readConfig(configPathFor(ctx));
  const port = loaded?.config.broker.port ?? DEFAULT_BROKER_PORT;
  ui.result(summary(ui, spec, metadata, id, savedTo, issuer, port === 0 ? '<port>' : String(port)));
}

/**
 * The description: specFromMetadata's, adjusted for a file that lives on.
 * - No jwksUri in the file: the broker reads the discovery document at the first sign-in, so the
 *   id_token is checked with the issuer's current key set and signing algorithms, and RFC 9207's
 *   `iss` response parameter is required when the server says it sends it.
 * - OpenID Connect Discovery §3 makes jwks_uri REQUIRED; RFC 8414 §2 does not. Metadata without it
 *   is a plain OAuth 2.0 server: no oidc block, no OpenID scopes asked.
 * - What grant_types_supported says about refresh tokens and client credentials (RFC 8414 §2).
 */
export function describeServer(id: string, name: string, metadata: ServerMetadata): ProviderSpec {
  const spec = specFromMetadata(id, name, metadata);
  const oauth2 = spec.oauth2 as NonNullable<ProviderSpec['oauth2']>;
  if (metadata.jwks_uri) {
    spec.oidc = { issuer: metadata.issuer };
  } else {
    delete spec.oidc;
    oauth2.scopes.default = [];
  }
  const grants = metadata.grant_types_supported;
  if (grants) {
    oauth2.refresh = grants.includes('refresh_token');
    if (grants.includes('client_credentials')) oauth2.clientCredentials = true;
  }
  const offered = metadata.scopes_supported ?? [];
  if (offered.length > 0 && offered.length <= MAX_SCOPE_VALUES) {
    oauth2.scopes.values = Object.fromEntries(
      offered.map((scope) => [scope, STANDARD_SCOPES[scope] ?? 'listed in the server\'s scopes_supported']),
    );
  }
  return spec;
}

/** `https://login.example.com/realms/acme` → `login-example-com-realms-acme`. */
export function idFromIssuer(issuer: string): string {
  const url = new URL(issuer);
  const words = `${url.hostname}-${url.port}-${url.pathname}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return words.replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '') || 'provider';
}

/** Writes `<id>.json` into the user folder; never over a file or a shipped provider unless forced. */
async function save(ctx: Context, spec: ProviderSpec, force: boolean): Promise<string> {
  const dir = catalogDirs(ctx)[0] as string;
  const file = join(dir, `${spec.id}.json`);
  if (!force) {
    if (await stat(file).then(() => true, () => false)) {
      throw usageError(`${file} exists already`, 'pass --force to replace it, or save under another id');
    }
    if (await findCatalogProvider(spec.id, CATALOG_DIR).catch(() => undefined)) {
      throw usageError(
        `"${spec.id}" is a provider of the shipped catalog; a file of that id would replace it`,
        'save under another id, or pass --force to override the shipped description',
      );
    }
  }
  const schema = relative(dir, join(CATALOG_DIR, 'schema.json')).split('\\').join('/');
  await writeFileAtomic(file, `${JSON.stringify({ $schema: schema, ...spec }, null, 2)}\n`, 0o644);
  return file;
}

function summary(ui: Ui, spec: ProviderSpec, metadata: ServerMetadata, id: string, savedTo: string | undefined, issuer: string, port: string): string {
  const o2 = spec.oauth2 as NonNullable<ProviderSpec['oauth2']>;
  const yesNo = (url: string | undefined) => url ?? ui.out.dim('no');
  const row = (label: string, value: string) => `  ${label.padEnd(15)}${value}`;
  const kind = spec.oidc ? 'an OpenID provider' : 'an OAuth 2.0 server (no jwks_uri: no id_token to verify)';
  const lines = [
    `${ui.out.green('✓')} ${metadata.issuer} is ${kind}`,
    row('id', id),
    row('name', spec.name),
    row('authorize', o2.authorizeUrl),
    row('token', o2.tokenUrl),
    ...(metadata.jwks_uri ? [row('keys (JWKS)', `${metadata.jwks_uri} (read again at sign-in; id_tokens verified with it)`)] : []),
    ...(metadata.userinfo_endpoint ? [row('userinfo', metadata.userinfo_endpoint)] : []),
    row('client auth', o2.clientAuth),
    row('PKCE', o2.pkce),
    row('scopes', `default ${o2.scopes.default.join(' ') || '(none)'}${metadata.scopes_supported ? `; offered ${metadata.scopes_supported.join(' ')}` : ''}`),
    row('refresh', o2.refresh === undefined ? 'not stated' : o2.refresh ? 'yes' : 'no'),
    row('revoke', yesNo(o2.revoke?.url)),
    row('introspect', yesNo(o2.introspectUrl)),
    row('device (8628)', yesNo(o2.deviceAuthorizationUrl)),
    '',
  ];
  const secretFlag = o2.clientAuth === 'none' ? '' : ' --client-secret-env VAR';
  if (savedTo) {
    lines.push(
      `Saved to ${savedTo} (edit it freely; oauthd-cli providers validate checks it).`,
      'Next:',
      `  1. register the redirect URI http://127.0.0.1:${port}/auth at the provider`,
      `  2. oauthd-cli providers add ${id} --client-id …${secretFlag}`,
      `  3. oauthd-cli login ${id}`,
    );
  } else {
    lines.push(
      'Not saved. Keep it as a provider file you can edit:',
      `  oauthd-cli providers discover ${issuer} --save ${id}`,
      'or add a keyset straight from the issuer:',
      `  oauthd-cli providers add ${id} --issuer ${metadata.issuer} --client-id …${secretFlag}`,
    );
  }
  return lines.join('\n');
}
