/**
 * `serve` applies edits of oauthd.json without a restart, as it does for provider files: the app
 * (domains, flow, key, TTLs) and the keysets are swapped on a valid save; a broken save is
 * reported with every problem and the last good config keeps serving; what cannot change in a
 * running broker (its address, its store) is reported as "restart to apply".
 *
 * The broker reads its apps and providers through registries at every request (src/broker/types.ts,
 * src/registry/types.ts), so swapping is replacing what these registries delegate to: a flow that
 * starts after the save sees the new config, the refusal page names the whitelist now in force.
 */
import type { Config } from '../../config/schema.js';
import { formatProblem, serveProblems } from '../../config/load.js';
import { watchConfigFile, type ConfigFileState } from '../../config/watch.js';
import { appRegistry, type AppRegistry, type BrokerApp } from '../../broker/types.js';
import type { ProviderRegistry } from '../../registry/types.js';
import type { SchemaProblem } from '../../util/json-schema.js';
import type { Ui } from '../ui.js';

export interface ConfigReloadOptions {
  ui: Ui;
  path: string;
  /** The config serve started with, and what it built from it. */
  config: Config;
  app: BrokerApp;
  buildApp: (app: Config['app']) => Promise<BrokerApp>;
  buildProviders: (keysets: Config['providers']) => ProviderRegistry;
  debounceMs?: number;
}

export interface LiveConfig {
  /** What the broker is given: they always answer from the last good config. */
  apps: AppRegistry;
  providers: ProviderRegistry;
  close(): void;
}

export function reloadConfigOnChange(options: ConfigReloadOptions): LiveConfig {
  const { ui, path } = options;
  let config = options.config;
  let apps = appRegistry([options.app]);
  let providers = options.buildProviders(config.providers);
  /** The problems last reported, so the same broken file is not reported at every event. */
  let reported: string | undefined;

  /** Swaps in what changed; false when nothing did. */
  async function apply(next: Config): Promise<boolean> {
    const changes = changesBetween(config, next);
    if (changes.live.length === 0 && changes.restart.length === 0) return false;
    // Built before anything is swapped: the switch itself cannot fail half-way.
    const nextApps = changes.live.some((name) => name.startsWith('app.')) ? appRegistry([await options.buildApp(next.app)]) : apps;
    const nextProviders = changes.live.some((name) => name.startsWith('providers.')) ? options.buildProviders(next.providers) : providers;
    const before = config;
    config = next;
    apps = nextApps;
    providers = nextProviders;
    if (changes.live.length > 0) ui.info(`${path} reloaded: ${changes.live.join(', ')} changed${detail(before, next)}.`);
    if (changes.restart.length > 0) {
      ui.warn(`${changes.restart.join(', ')} changed in ${path}: restart serve to apply (the running broker keeps its address and store)`);
    }
    return true;
  }

  async function onState(given: ConfigFileState): Promise<void> {
    // A save serve cannot serve (a DPoP keyset with the client flow) is broken for serve, as at start.
    const unservable = given.kind === 'valid' ? serveProblems(given.config) : [];
    const state: ConfigFileState = unservable.length > 0 ? { kind: 'broken', problems: unservable } : given;
    if (state.kind === 'valid') {
      const wasBroken = reported !== undefined;
      reported = undefined;
      if (!(await apply(state.config)) && wasBroken) ui.info(`${path} is valid again, as the config being served.`);
      return;
    }
    const fingerprint = JSON.stringify(state);
    if (reported === fingerprint) return;
    reported = fingerprint;
    if (state.kind === 'missing') ui.warn(`${path} is gone; still serving the last good config (restore the file to edit it again)`);
    else ui.warn(brokenMessage(path, state.problems));
  }

  const watch = watchConfigFile(path, onState, (error) => ui.warn(`watching ${path}: ${error.message}`), {
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
  });

  return {
    apps: { get: (key) => apps.get(key), list: () => apps.list() },
    providers: {
      get: (id) => providers.get(id),
      forget: (id) => providers.forget?.(id),
      list: () => providers.list(),
    },
    close: () => watch.close(),
  };
}

/** Every problem, one a line, and what keeps serving. */
function brokenMessage(path: string, problems: readonly SchemaProblem[]): string {
  const head = `${path} ${problems.length === 1 ? 'has a problem' : `has ${problems.length} problems`}; still serving the last good config`;
  return [`${head}:`, ...problems.map((problem) => `  ${formatProblem(problem)}`)].join('\n');
}

/**
 * What differs, as JSON paths a person recognises: `live` can be applied to the running broker
 * (app fields, keysets by provider), `restart` cannot (the broker's address and store).
 */
export function changesBetween(before: Config, after: Config): { live: string[]; restart: string[] } {
  const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const live: string[] = [];
  for (const key of keys(before.app, after.app)) {
    if (differs(before.app[key as keyof Config['app']], after.app[key as keyof Config['app']])) live.push(`app.${key}`);
  }
  for (const id of keys(before.providers, after.providers)) {
    const [was, is] = [before.providers[id], after.providers[id]];
    if (!differs(was, is)) continue;
    live.push(`providers.${id}${was === undefined ? ' (added)' : is === undefined ? ' (removed)' : ''}`);
  }
  const restart = keys(before.broker, after.broker)
    .filter((key) => differs(before.broker[key as keyof Config['broker']], after.broker[key as keyof Config['broker']]))
    .map((key) => `broker.${key}`);
  return { live, restart };
}

/** The values a developer checks after an edit: the whitelist and the key in force. */
function detail(before: Config, after: Config): string {
  const notes: string[] = [];
  if (JSON.stringify(before.app.domains) !== JSON.stringify(after.app.domains)) {
    notes.push(`domains now ${after.app.domains.join(', ') || '(none: every page will be refused)'}`);
  }
  if (before.app.key !== after.app.key) notes.push(`pages now need OAuth.initialize('${after.app.key}')`);
  return notes.length > 0 ? `; ${notes.join('; ')}` : '';
}
