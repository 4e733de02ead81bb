/** The doctor's checks of this machine and project: Node.js, oauthd.json, the vault, the app secret, provider folders, the port, the browser. */
import { createServer } from 'node:net';
import { stat } from 'node:fs/promises';
import type { Context } from '../context.js';
import { hasDisplay, isSsh } from '../environment.js';
import { DEFAULT_BROKER_HOST, describeConfigSource, locateConfig, missingConfigError, readConfig, type LoadedConfig } from '../../config/load.js';
import { originBlindRules, parseDomainRule, type DomainRule } from '../../config/domains.js';
import type { Config } from '../../config/schema.js';
import { storedAppSecret } from '../../config/app-secret.js';
import { CATALOG_DIR, catalogDirs, catalogIds, loadCatalog } from '../../providers/catalog.js';
import { secretsFilePath } from '../../vault/open.js';
import { describeBackend, type SecretBackend } from '../../vault/backend.js';
import { failure, plural, octal, type CheckResult } from './report.js';

/** package.json "engines": what the CLI is built and tested for. */
const MINIMUM_NODE: readonly [number, number] = [20, 17];

export function nodeCheck(version: string): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor, needMinor] = MINIMUM_NODE;
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  const need = `${needMajor}.${needMinor}`;
  return ok
    ? { id: 'node', label: 'Node.js', status: 'pass', detail: `${version} (needs ${need} or later)` }
    : { id: 'node', label: 'Node.js', status: 'fail', detail: `${version} is older than ${need}`, fix: `install Node.js ${need} or later (e.g. nvm install 22)` };
}

/**
 * Which oauthd.json is used (found from the working folder up, or named by --config /
 * $OAUTHD_CONFIG), every problem of a broken one, and domain entries that cannot do what a page
 * needs.
 */
export async function configCheck(ctx: Context): Promise<{ check: CheckResult; loaded?: LoadedConfig }> {
  const target = locateConfig(ctx);
  const path = target.path;
  const base = { id: 'config', label: 'config' };
  let loaded: LoadedConfig | undefined;
  try {
    loaded = await readConfig(path);
  } catch (error) {
    return { check: failure(base, error) };
  }
  if (!loaded) {
    const missing = missingConfigError(target, ctx.cwd);
    return { check: { ...base, status: 'fail', detail: missing.message, ...(missing.hint ? { fix: missing.hint } : {}) } };
  }
  const { app, providers } = loaded.config;
  const how = describeConfigSource(target, ctx.cwd);
  const summary = `${path}${how ? ` (${how})` : ''}: app "${app.name}" (${app.flow} flow), ${plural(app.domains.length, 'domain')}, ${plural(Object.keys(providers).length, 'provider')}`;
  if (app.domains.length === 0) {
    return {
      loaded,
      check: { ...base, status: 'warn', detail: `${summary}; with no domain every page is refused`, fix: `add the origin of your front end to app.domains in ${path}, e.g. "http://localhost:3000"` },
    };
  }
  const blind = originBlindRules(app.domains.map(parseDomainRule));
  if (blind.length > 0) {
    const entries = blind.map((rule) => rule.source).join(', ');
    const origins = [...new Set(blind.map(originOf))].join(', ');
    return {
      loaded,
      check: {
        ...base,
        status: 'warn',
        detail:
          `${summary}; ${entries} ${blind.length > 1 ? 'have paths' : 'has a path'}: a page there can sign in (its full URL is known then), ` +
          'but its API calls through the broker (/me, /request) carry only an Origin header, which a path never matches, so they are refused',
        fix: `if the page calls APIs through the broker, add ${origins} to app.domains in ${path}`,
      },
    };
  }
  return { loaded, check: { ...base, status: 'pass', detail: summary } };
}

/** The entry without its path: what to add so Origin headers match too. */
function originOf(rule: DomainRule): string {
  const source = rule.source.trim();
  return source.slice(0, source.length - (rule.path ?? '').length);
}

/** Where secrets rest: the keychain named by its backend, or the 0600 file with its mode checked. */
export async function storeCheck(ctx: Context): Promise<{ check: CheckResult; vault?: SecretBackend }> {
  const base = { id: 'store', label: 'store' };
  let fallbackReason: string | undefined;
  let vault: SecretBackend;
  try {
    vault = await ctx.factory.vault({ onFallback: (fallback) => (fallbackReason = fallback.reason) });
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

  const why = fallbackReason !== undefined ? `no OS keychain answered (${fallbackReason})` : 'chosen by OAUTHD_STORE=file';
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

export async function appSecretCheck(ctx: Context, config: Config, vault: SecretBackend | undefined): Promise<CheckResult> {
  const base = { id: 'app-secret', label: 'app secret' };
  if (ctx.env.OAUTHD_APP_SECRET) return { ...base, status: 'pass', detail: 'from $OAUTHD_APP_SECRET' };
  if (!vault) return { ...base, status: 'fail', detail: 'cannot be read: the store did not open (see the store line)', fix: 'fix the store, or set OAUTHD_APP_SECRET' };
  let present: boolean;
  try {
    present = (await storedAppSecret(vault, config.app.key)) !== undefined;
  } catch (error) {
    return failure(base, error);
  }
  if (present) return { ...base, status: 'pass', detail: `in ${describeBackend(vault)}` };
  // The secret is what a back end presents to trade a server-flow code or refresh a token.
  return {
    ...base,
    status: config.app.flow === 'server' ? 'fail' : 'warn',
    detail: `not in ${describeBackend(vault)} nor $OAUTHD_APP_SECRET: a back end cannot trade codes or refresh tokens`,
    fix: 'set OAUTHD_APP_SECRET to the secret init printed, or make a new app with `oauthd-cli init --force` (new key and secret; add the providers again)',
  };
}

/** The user's provider folders: every file valid (the check of `providers validate`). */
export async function providerFolderCheck(ctx: Context): Promise<CheckResult> {
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
    // Every problem of every file, each file named once (as for oauthd.json).
    const lines = catalog.broken.flatMap(({ file, problems }) => {
      const shown = problems.map((problem) => `${problem.path || '/'} ${problem.message}`);
      return shown.length === 1 ? [`${file}: ${shown[0]}`] : [`${file} has ${shown.length} problems:`, ...shown.map((line) => `  ${line}`)];
    });
    const total = catalog.broken.reduce((sum, entry) => sum + entry.problems.length, 0);
    return {
      ...base,
      status: 'fail',
      detail: catalog.broken.length === 1 ? lines.join('\n') : [`${plural(total, 'problem')} in ${plural(catalog.broken.length, 'file')}:`, ...lines].join('\n'),
      fix: 'fix each file (oauthd-cli providers validate checks them again), or move it away',
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
export async function portCheck(host: string, port: number, publicUrl: string | undefined): Promise<CheckResult> {
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
    const broker = await askBroker(host, port);
    if (broker) {
      return {
        ...base,
        status: 'info',
        detail:
          `${host}:${port} is in use by an oauthd broker that answers there (serving ${broker.join(', ') || 'no provider'}): ` +
          `this project's \`oauthd-cli serve\`, or a \`login\` waiting for its callback. Front ends can use it; ` +
          `\`login\` needs the port while it runs (stop serve first, or login --port 0 with a redirect URI for that port)`,
      };
    }
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

/**
 * Whether an oauthd broker (this CLI's serve or login) holds the port: it answers GET
 * /api/providers, oauthd's catalog route that the front-end SDK reads, with oauthd's envelope. The
 * provider ids it lists, or undefined for anything else (another program, no answer in time).
 */
async function askBroker(host: string, port: number): Promise<string[] | undefined> {
  const loopback = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  try {
    const response = await fetch(`http://${loopback}:${port}/api/providers`, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { status?: unknown; data?: unknown };
    if (body.status !== 'success' || !Array.isArray(body.data)) return undefined;
    return body.data.map((entry: { provider?: unknown }) => String(entry?.provider));
  } catch {
    return undefined;
  }
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** How `login` will reach a browser here (information, never a failure). */
export function browserCheck(ctx: Context, port: number): CheckResult {
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
