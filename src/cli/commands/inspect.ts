/**
 * `oauthd-cli inspect`: opens the inspector of a running broker (docs/inspector.md). serve and
 * login --inspect write where their inspector is, with this run's secret, to
 * `<data folder>/inspectors/<port>.json` (0600) while they run (src/compose/inspector.ts); this
 * reads it and opens the URL, which the page trades for a cookie on its first visit.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { openBrowser } from '../browser.js';
import { hasDisplay } from '../environment.js';
import { runningInspectors } from '../../compose/inspector.js';
import { configError, usageError } from '../../util/errors.js';

export interface InspectOptions {
  port?: number;
  print?: boolean;
}

export async function run(ctx: Context, options: InspectOptions): Promise<void> {
  const ui = new Ui(ctx);
  const running = await runningInspectors(ctx.env, ctx.platform);
  if (running.length === 0) {
    throw configError('no running broker has an inspector', 'start one: oauthd-cli serve (or oauthd-cli login <provider> --inspect), then run this again');
  }
  const chosen = options.port === undefined ? running[0] : running.find((note) => note.port === options.port);
  if (!chosen) {
    throw usageError(`no broker with an inspector runs on port ${options.port}`, `running: ${running.map((note) => `${note.port} (${note.command})`).join(', ')}`);
  }
  if (options.port === undefined && running.length > 1) {
    ui.info(`Several brokers run; this is the newest, on port ${chosen.port}. Others: ${running.slice(1).map((note) => `${note.port} (${note.command})`).join(', ')} (choose with --port).`);
  }
  // The URL goes to stdout only when asked, or when no browser can be opened here.
  if (options.print || (!hasDisplay(ctx) && !ctx.env.BROWSER)) {
    if (!options.print) ui.info('No display and no $BROWSER: open this URL in a browser on this machine (the page trades its secret for a cookie):');
    ui.result(chosen.url);
    return;
  }
  const how = await openBrowser(chosen.url, ctx.env);
  ui.info(`Opened ${how} on the inspector of ${chosen.command}, port ${chosen.port}.`);
}
