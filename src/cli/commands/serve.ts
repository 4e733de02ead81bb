/**
 * `oauthd-cli serve`: the broker for an app, on 127.0.0.1:6284 unless told otherwise, until
 * SIGINT/SIGTERM. It starts with what a developer needs to register at each provider.
 */
import { configError } from '../../util/errors.js';
import { dirname } from 'node:path';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { formatProblem, loadConfig, serveProblems } from '../../config/load.js';
import { appFromConfig } from '../../broker/app-config.js';
import { composeBroker } from '../../compose/broker.js';
import { listen, loopbackHosts } from '../../compose/listen.js';
import { configRegistry } from '../../registry/registry.js';
import { catalogDirs } from '../../providers/catalog.js';
import { watchCatalog } from '../../providers/watch.js';
import { openSandbox } from '../../sandbox/server.js';
import { sandboxDir } from '../../sandbox/state.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { openStore } from '../../store/open.js';
import { lazyVault } from '../vault.js';
import { hintFor } from '../errors.js';
import { reloadConfigOnChange } from '../serve/config-reload.js';
import type { Config } from '../../config/schema.js';
import { requestLog, type LogFormat } from '../request-log.js';
import { DEMO_PATH } from '../../broker/routes/demo.js';
import { openInspector, publishInspector, shareInspector } from '../../compose/inspector.js';
import { hostname } from 'node:os';
import { appOverview } from '../../inspector/overview.js';
import { readConfig } from '../../config/load.js';

/** How long a stopping serve lets requests in progress finish. */
const SHUTDOWN_GRACE_MS = 3000;

export interface ServeOptions {
  port?: number;
  host?: string;
  sandbox?: boolean;
  /** Request log format (default pretty); --quiet: none. */
  log?: LogFormat;
  quiet?: boolean;
  /** Record every flow and serve the inspector (docs/inspector.md). */
  inspect?: boolean;
}

export async function run(ctx: Context, options: ServeOptions): Promise<void> {
  const ui = new Ui(ctx);
  const { path, config } = await loadConfig(ctx);
  const unservable = serveProblems(config)[0];
  if (unservable !== undefined) throw configError(`${path}: ${formatProblem(unservable)}`);
  const vault = lazyVault(ctx, ui);
  // --inspect: the inspector records every flow (docs/inspector.md); oauthd.json is read again when
  // its page asks. Off by default: recording runs each flow in an AsyncLocalStorage scope (Node 20's
  // async hooks then run for every promise of the process) and keeps flows in memory.
  const inspector = options.inspect
    ? openInspector({ hintFor, overview: async () => appOverview((await readConfig(path).catch(() => undefined))?.config ?? config, path) })
    : undefined;
  const http = ctx.factory.http(inspector ? { observe: inspector.recorder.observer } : {});
  const store = await openStore(config.broker.store, ctx.env, vault);
  const app = await appFromConfig(config.app, ctx.env, vault);
  const sandbox = options.sandbox ? await openSandbox({ dir: sandboxDir(ctx.env, ctx.platform) }) : undefined;
  const watcher = await watchCatalog(
    catalogDirs(ctx),
    (id, change) => {
      registry.forget?.(id);
      if (change.kind === 'updated') ui.info(`Provider ${id} reloaded from ${change.file}.`);
      else if (change.kind === 'removed') ui.info(`Provider ${id} removed (${change.file}).`);
      else {
        const first = change.problems[0];
        ui.warn(
          `${change.file} is broken: ${first?.path || '/'} ${first?.message}${change.problems.length > 1 ? ` (and ${change.problems.length - 1} more)` : ''}; ` +
            (change.serving ? `still serving the previous version of ${id}` : `${id} is unavailable until the file is fixed`),
        );
      }
    },
    (error) => ui.warn(`provider folder watch: ${error.message}`),
  );
  for (const broken of watcher.problems()) {
    ui.warn(`${broken.file} is broken: ${broken.problems[0]?.path || '/'} ${broken.problems[0]?.message} (oauthd-cli providers validate lists every problem)`);
  }
  const registryFor = (keysets: Config['providers']) =>
    configRegistry({
      keysets,
      env: ctx.env,
      http,
      vault,
      // The watcher's last good version of each file: an edit takes effect at the next flow, and a
      // file that stops validating leaves the previous version serving (oauthd issues #108, #156).
      catalog: async (id) => watcher.entry(id),
      configDir: dirname(path),
    });
  // oauthd.json edited while serving: app and keysets swapped on a valid save, the last good config kept otherwise.
  const live = reloadConfigOnChange({ ui, path, config, app, buildApp: (next) => appFromConfig(next, ctx.env, vault), buildProviders: registryFor });
  const registry = live.providers;
  const requests = options.quiet && !ctx.debug ? undefined : requestLog(ctx, options.log ?? 'pretty', ui.err);
  const broker = await composeBroker({
    apps: live.apps,
    providers: registry,
    store,
    http,
    hintFor,
    ...(inspector ? { inspector } : {}),
    ...(sandbox ? { sandbox, demo: true } : {}),
    ...(requests ? { log: requests.log } : {}),
  });

  const host = options.host ?? config.broker.host;
  const bound = await listen(broker.app, host, options.port ?? config.broker.port);
  const origin = config.broker.publicUrl ?? bound.origin;
  await broker.listening(origin, loopbackHosts(bound.port, [new URL(origin).host, `${host}:${bound.port}`]));

  const inspectorNote = inspector ? await publishInspector(ctx.env, ctx.platform, bound.origin, bound.port, inspector, `serve (${path})`) : undefined;
  // With the Redis store, the inspector shows the flows of every broker on it (docs/inspector.md).
  const shared = inspector ? await shareInspector(inspector, store, `${hostname()}:${bound.port}`) : undefined;

  const providers = Object.keys(config.providers);
  // Ctrl-C and SIGTERM are taken before the banner says "Press Ctrl-C": whoever reads it may signal
  // at once, and a signal with no listener yet would end the process without stopping the broker.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ui.info(`\n${signal}: stopping the broker…`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      watcher.close();
      live.close();
      // Idle connections close at once; a request still arriving (a stalled body) gets a few
      // seconds, then every connection is closed: stopping never waits on a client.
      const force = setTimeout(() => broker.app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      force.unref();
      void broker.app
        .close()
        .then(() => shared?.close())
        .then(() => store.close())
        .then(() => inspectorNote?.remove())
        .then(() => requests?.flush())
        .then(resolve);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
  ui.info(
    [
      `oauthd-cli broker for "${config.app.name}" (${config.app.flow} flow), config ${path}`,
      `  listening      ${bound.address}${bound.loopback ? '' : `   (not loopback: other machines can connect; this machine: ${bound.origin})`}`,
      `  redirect URI   ${origin}/auth   ← register exactly this at every provider`,
      `  app key        ${app.key}`,
      `  domains        ${config.app.domains.join(', ') || '(none: every page will be refused)'}`,
      `  providers      ${[...providers, ...(sandbox ? [`${SANDBOX_ID} (at ${origin}/sandbox)`] : [])].join(', ') || '(none yet: oauthd-cli providers add <id>)'}`,
      `  front end      OAuth.initialize('${app.key}'); OAuth.setOAuthdURL('${origin}')`,
      ...(sandbox ? [`  demo           ${bound.origin}${DEMO_PATH}   ← the client-side flow with the sandbox, in your browser`] : []),
      inspectorNote
        ? `  inspector      ${inspectorNote.url}   ← every flow${shared ? ' of every broker on this Redis' : ''}, step by step (or: oauthd-cli inspect)`
        : '  inspector      off (serve --inspect records every flow and shows it step by step)',
      `  request log    ${options.quiet && !ctx.debug ? 'off (--quiet)' : options.log === 'json' ? 'JSON lines on stderr' : 'one line per request on stderr (--log json for JSON, --quiet for none)'}`,
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );

  await stopped;
}
