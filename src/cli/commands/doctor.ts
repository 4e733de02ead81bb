/**
 * `oauthd-cli doctor`: checks everything a login or the broker will need, before it is needed, and
 * prints one line per check — ✓ passes, ! warns, ✗ fails, i informs — each failure with its fix.
 *
 *   Node.js version; oauthd.json (schema and domain rules); where secrets rest (the OS keychain and its
 *   backend, or the 0600 file and its mode); the app secret; for each keyset: its provider description,
 *   template parameters, client secret reference (never the secret), https endpoints, and the issuer's
 *   discovery document; the user provider folder; the broker port; how login will reach a browser.
 *
 * Exit 0 when nothing fails (warnings do not), 1 otherwise. Nothing is written anywhere; the network
 * is touched only for discovery documents, with a short timeout, and being offline is a warning.
 */
import { createServer } from 'node:net';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { hasDisplay, isSsh } from '../environment.js';
import { configPathFor, DEFAULT_BROKER_HOST, DEFAULT_BROKER_PORT, readConfig, type LoadedConfig } from '../../config/load.js';
import type { Config, Keyset } from '../../config/schema.js';
import { appSecretAccount } from '../../config/app-secret.js';
import { resolveSecret } from '../../config/secrets.js';
import { fetchClient, type HttpClient } from '../../oauth/http.js';
import { discover, isLoopback, metadataUrls } from '../../oauth/oidc/discovery.js';
import { CATALOG_DIR, catalogDirs, catalogIds, closestNames, findCatalogProvider, loadCatalog } from '../../providers/catalog.js';
import { specFromMetadata } from '../../providers/discovered.js';
import { resolveProvider, type ResolvedProvider } from '../../providers/resolve.js';
import type { ProviderSpec } from '../../providers/schema.js';
import { openVault, secretsFilePath } from '../../vault/open.js';
import type { SecretBackend } from '../../vault/backend.js';
import { flowError, isCliError } from '../../util/errors.js';

export interface DoctorOptions {
  json?: boolean;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info';

/** One line of the report; `--json` prints the list of them. */
export interface CheckResult {
  /** Stable identifier: node, config, store, app-secret, provider:<id>:<aspect>, provider-folder, port, browser. */
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for a failure or a warning. */
  fix?: string;
}

/** package.json "engines": what the CLI is built and tested for. */
const MINIMUM_NODE: readonly [number, number] = [20, 17];
/** Discovery documents are small; a provider slower than this is reported, not waited for. */
const DISCOVERY_TIMEOUT_MS = 5000;

export async function run(ctx: Context, options: DoctorOptions): Promise<void> {
  const ui = new Ui(ctx);
  const checks = await diagnose(ctx);
  if (options.json) ui.json(checks);
  else ui.result(render(checks, ui.out));

  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const failed = count('fail');
  const warnings = count('warn');
  if (failed > 0) {
    throw flowError(
      `${failed} of ${checks.length} checks failed${warnings > 0 ? `, ${warnings} warned` : ''}`,
      'apply the fix under each ✗ line, then run oauthd-cli doctor again',
      'doctor_failed',
    );
  }
  ui.success(`no check failed (${count('pass')} passed${warnings > 0 ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''})`);
}

/** Every check, in the order of the report. */
export async function diagnose(ctx: Context): Promise<CheckResult[]> {
  const checks: CheckResult[] = [nodeCheck(process.versions.node)];

  const configured = await configCheck(ctx);
  checks.push(configured.check);
  const config = configured.loaded?.config;

  const store = await storeCheck(ctx);
  checks.push(store.check);
  const vault = store.vault;

  if (config) {
    checks.push(await appSecretCheck(ctx, config, vault));
    const http = fetchClient({ timeoutMs: DISCOVERY_TIMEOUT_MS });
    const dirs = catalogDirs(ctx);
    // Providers are checked side by side (discovery waits on the network); their lines keep the config's order.
    const perProvider = await Promise.all(
      Object.entries(config.providers).map(([id, keyset]) => providerChecks(ctx, id, keyset, dirs, vault, http)),
    );
    checks.push(...perProvider.flat());
  }
  checks.push(await providerFolderCheck(ctx));

  const host = config?.broker.host ?? DEFAULT_BROKER_HOST;
  const port = config?.broker.port ?? DEFAULT_BROKER_PORT;
  checks.push(await portCheck(host, port, config?.broker.publicUrl));
  checks.push(browserCheck(ctx, port));
  return checks;
}

function nodeCheck(version: string): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor, needMinor] = MINIMUM_NODE;
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  const need = `${needMajor}.${needMinor}`;
  return ok
    ? { id: 'node', label: 'Node.js', status: 'pass', detail: `${version} (needs ${need} or later)` }
    : { id: 'node', label: 'Node.js', status: 'fail', detail: `${version} is older than ${need}`, fix: `install Node.js ${need} or later (e.g. nvm install 22)` };
}

async function configCheck(ctx: Context): Promise<{ check: CheckResult; loaded?: LoadedConfig }> {
  const path = configPathFor(ctx);
  const base = { id: 'config', label: 'config' };
  let loaded: LoadedConfig | undefined;
  try {
    loaded = await readConfig(path);
  } catch (error) {
    return { check: failure(base, error) };
  }
  if (!loaded) {
    return {
      check: {
        ...base,
        status: 'fail',
        detail: `no config file at ${path}`,
        fix: 'run `oauthd-cli init` in your project folder, or point --config / OAUTHD_CONFIG at the file',
      },
    };
  }
  const { app, providers } = loaded.config;
  const summary = `${path}: app "${app.name}" (${app.flow} flow), ${plural(app.domains.length, 'domain')}, ${plural(Object.keys(providers).length, 'provider')}`;
  if (app.domains.length === 0) {
    return {
      loaded,
      check: { ...base, status: 'warn', detail: `${summary}; with no domain every page is refused`, fix: `add the origin of your front end to app.domains in ${path}, e.g. "http://localhost:3000"` },
    };
  }
  return { loaded, check: { ...base, status: 'pass', detail: summary } };
}

/** Where secrets rest: the keychain named by its backend, or the 0600 file with its mode checked. */
async function storeCheck(ctx: Context): Promise<{ check: CheckResult; vault?: SecretBackend }> {
  const base = { id: 'store', label: 'store' };
  let fallbackReason: string | undefined;
  let vault: SecretBackend;
  try {
    vault = await openVault({ env: ctx.env, platform: ctx.platform, notice: (message) => (fallbackReason = message) });
  } catch (error) {
    return { check: failure(base, error) };
  }
  let entries: number;
  try {
    entries = (await vault.accounts()).length;
  } catch (error) {
    return { check: failure(base, error, `move ${vault.location} away (secrets in it are lost), then add them again`) };
  }
  if (vault.kind === 'keychain') {
    return { vault, check: { ...base, status: 'pass', detail: `OS keychain: ${vault.location} (${plural(entries, 'entry', 'entries')} of oauthd-cli)` } };
  }

  const why = fallbackReason !== undefined ? `no OS keychain answered (${reasonOf(fallbackReason)})` : 'chosen by OAUTHD_STORE=file';
  const path = secretsFilePath(ctx.env, ctx.platform);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    return { vault, check: { ...base, status: 'pass', detail: `0600 file ${path}, not created yet; ${why}` } };
  }
  const mode = info.mode & 0o777;
  // Windows has no POSIX modes; the file sits in the user's profile folder.
  if (ctx.platform !== 'win32' && (mode & 0o077) !== 0) {
    return {
      vault,
      check: { ...base, status: 'fail', detail: `file ${path} has mode ${octal(mode)}: other users can read the secrets in it`, fix: `chmod 600 ${path}` },
    };
  }
  return { vault, check: { ...base, status: 'pass', detail: `0600 file ${path} (${plural(entries, 'entry', 'entries')}); ${why}` } };
}

/** "No OS keychain answered (X); secrets are kept in …" → "X". */
function reasonOf(notice: string): string {
  const match = /^No OS keychain answered \((.*)\); secrets are kept in/s.exec(notice);
  return match?.[1] ?? notice;
}

async function appSecretCheck(ctx: Context, config: Config, vault: SecretBackend | undefined): Promise<CheckResult> {
  const base = { id: 'app-secret', label: 'app secret' };
  if (ctx.env.OAUTHD_APP_SECRET) return { ...base, status: 'pass', detail: 'from $OAUTHD_APP_SECRET' };
  if (!vault) return { ...base, status: 'fail', detail: 'cannot be read: the store did not open (see the store line)', fix: 'fix the store, or set OAUTHD_APP_SECRET' };
  let present: boolean;
  try {
    present = (await vault.get(appSecretAccount(config.app.key))) !== undefined;
  } catch (error) {
    return failure(base, error);
  }
  if (present) return { ...base, status: 'pass', detail: `in ${describeStore(vault)}` };
  // The secret is what a back end presents to trade a server-flow code or refresh a token.
  return {
    ...base,
    status: config.app.flow === 'server' ? 'fail' : 'warn',
    detail: `not in ${describeStore(vault)} nor $OAUTHD_APP_SECRET: a back end cannot trade codes or refresh tokens`,
    fix: 'set OAUTHD_APP_SECRET to the secret init printed, or make a new app with `oauthd-cli init --force` (new key and secret; add the providers again)',
  };
}

async function providerChecks(
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
  let spec: ProviderSpec | undefined;
  let file: string | undefined;
  try {
    spec = await findCatalogProvider(id, dirs);
    if (spec) file = await fileOf(id, dirs);
  } catch (error) {
    return [check('provider', failure({}, error))];
  }
  // As the broker's registry does: a keyset with a cached discovery document is an issuer provider.
  const origin = keyset.discovered ? 'issuer' : 'catalog';
  if (!spec && keyset.discovered) spec = specFromMetadata(id, id, keyset.discovered);
  if (!spec) {
    const names = await catalogIds(dirs);
    return [
      check('provider', {
        status: 'fail',
        detail: `no provider file ${id}.json in ${dirs[0]} nor in the catalog (did you mean ${closestNames(id, names).join(', ')}?)`,
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
    detail: reference.startsWith('env:') ? `$${reference.slice(4)} is set (${reference})` : `in ${describeStore(vault as SecretBackend)} (${reference})`,
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

/** The user's provider folders: every file valid (the check of `providers validate`). */
async function providerFolderCheck(ctx: Context): Promise<CheckResult> {
  const base = { id: 'provider-folder', label: 'provider folder' };
  const folders = catalogDirs(ctx).filter((dir) => dir !== CATALOG_DIR);
  const present = (await Promise.all(folders.map(async (dir) => ((await stat(dir).catch(() => undefined))?.isDirectory() ? dir : undefined)))).filter(
    (dir): dir is string => dir !== undefined,
  );
  if (present.length === 0) return { ...base, status: 'pass', detail: `none (${folders.join(', ')}): the shipped catalog only` };
  let catalog;
  try {
    catalog = await loadCatalog(present);
  } catch (error) {
    return failure(base, error);
  }
  if (catalog.broken.length > 0) {
    const [first] = catalog.broken;
    const problem = first?.problems[0];
    const total = catalog.broken.reduce((sum, entry) => sum + entry.problems.length, 0);
    return {
      ...base,
      status: 'fail',
      detail: `${first?.file}: ${problem?.path || '/'} ${problem?.message}${total > 1 ? ` (and ${total - 1} more problem${total > 2 ? 's' : ''} in ${plural(catalog.broken.length, 'file')})` : ''}`,
      fix: 'oauthd-cli providers validate shows every problem with its JSON path; fix the file or move it away',
    };
  }
  const shipped = new Set(await catalogIds(CATALOG_DIR));
  const overrides = [...catalog.providers.keys()].filter((id) => shipped.has(id));
  return {
    ...base,
    status: 'pass',
    detail: `${present.join(', ')}: ${plural(catalog.providers.size, 'provider file')} valid${overrides.length > 0 ? `; overriding the shipped ${overrides.join(', ')}` : ''}`,
  };
}

/** Binds the broker's port for a moment, as `serve` and `login` will. */
async function portCheck(host: string, port: number, publicUrl: string | undefined): Promise<CheckResult> {
  const base = { id: 'port', label: 'broker port' };
  if (port === 0) {
    return {
      ...base,
      status: 'warn',
      detail: 'broker.port is 0: a free port is picked on every run, so the redirect URI changes every time',
      fix: 'set broker.port in oauthd.json to a fixed port (6284 is oauthd\'s) and register that redirect URI',
    };
  }
  const error = await tryBind(host, port);
  const redirectUri = `${publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`}/auth`;
  if (!error) return { ...base, status: 'pass', detail: `${host}:${port} is free (redirect URI ${redirectUri})` };
  if (error.code === 'EADDRINUSE') {
    return {
      ...base,
      status: 'fail',
      detail: `${host}:${port} is in use (another oauthd-cli serve or login?)`,
      fix: 'stop the other process, or set another broker.port in oauthd.json (login --port N for one run) and register its redirect URI',
    };
  }
  if (error.code === 'EACCES') return { ...base, status: 'fail', detail: `not allowed to listen on ${host}:${port}`, fix: 'use a port above 1023 (broker.port)' };
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return { ...base, status: 'fail', detail: `${host} is not an address of this machine`, fix: `set broker.host to ${DEFAULT_BROKER_HOST}` };
  }
  return { ...base, status: 'fail', detail: `cannot listen on ${host}:${port}: ${error.message}` };
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** How `login` will reach a browser here (information, never a failure). */
function browserCheck(ctx: Context, port: number): CheckResult {
  const base = { id: 'browser', label: 'browser' };
  const shownPort = port === 0 ? '<port>' : String(port);
  const pasteBack = `if 127.0.0.1:${shownPort} does not load there, paste the address the browser ends on back into login`;
  if (ctx.env.BROWSER) return { ...base, status: 'pass', detail: `login opens $BROWSER (${ctx.env.BROWSER})` };
  if (isSsh(ctx.env)) {
    return {
      ...base,
      status: 'info',
      detail:
        'SSH session: login prints the sign-in URL instead of opening a browser. The provider sends that browser back to ' +
        `http://127.0.0.1:${shownPort}/auth on THIS machine: forward the port first (ssh -L ${shownPort}:127.0.0.1:${shownPort} …), or ${pasteBack.replace(/^if /, 'when ')}; ` +
        'login --device needs no callback where the provider offers it; login sandbox signs in without a browser',
    };
  }
  if (!hasDisplay(ctx)) {
    return {
      ...base,
      status: 'info',
      detail: `no display ($DISPLAY and $WAYLAND_DISPLAY unset): login prints the sign-in URL to open in any browser; ${pasteBack}; login sandbox signs in without one`,
    };
  }
  return { ...base, status: 'pass', detail: 'login opens the system browser' };
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

/** A check that failed with a thrown error: its message, and its hint as the fix. */
function failure<T extends object>(base: T, error: unknown, fix?: string): T & Omit<CheckResult, 'id' | 'label'> {
  const detail = isCliError(error) ? error.message : (error as Error).message;
  const remedy = fix ?? (isCliError(error) ? error.hint : undefined);
  return { ...base, status: 'fail', detail, ...(remedy !== undefined ? { fix: remedy } : {}) };
}

function describeStore(vault: SecretBackend): string {
  return vault.kind === 'keychain' ? `the ${vault.location}` : `${vault.location} (mode 0600)`;
}

/** The file findCatalogProvider read: the first folder that has it. */
async function fileOf(id: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const file = join(dir, `${id}.json`);
    if (await stat(file).then((info) => info.isFile(), () => false)) return file;
  }
  return undefined;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

const MARKS: Record<CheckStatus, (color: ChalkInstance) => string> = {
  pass: (color) => color.green('✓'),
  warn: (color) => color.yellow('!'),
  fail: (color) => color.red('✗'),
  info: (color) => color.cyan('i'),
};

/** One line per check, labels in a column; a fix on the line below its check. */
export function render(checks: readonly CheckResult[], color: ChalkInstance): string {
  const width = Math.min(28, Math.max(...checks.map((check) => check.label.length)));
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${MARKS[check.status](color)} ${check.label.padEnd(width)}  ${check.detail}`);
    if (check.fix !== undefined && check.status !== 'pass') lines.push(`  ${''.padEnd(width)}  ${color.bold('fix:')} ${check.fix}`);
  }
  return lines.join('\n');
}
