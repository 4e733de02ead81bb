/**
 * A command's --trace, --trace-secrets, --curl and --har as one trace session (src/trace/session.ts):
 * printed on stderr in the command's colours, the HAR file (relative to the working folder) named
 * by the command's title.
 */
import { resolve } from 'node:path';
import type { Context } from './context.js';
import type { Ui } from './ui.js';
import { packageVersion } from './version.js';
import { openTraceSession, type TraceSession } from '../trace/session.js';

export interface TraceOptions {
  trace?: boolean;
  traceSecrets?: boolean;
  curl?: boolean;
  har?: string;
}

/** The session these flags ask for, or undefined when none does. `title`: the command line, for the HAR. */
export function commandTraceSession(ctx: Context, ui: Ui, options: TraceOptions, title: string): TraceSession | undefined {
  return openTraceSession(
    { trace: options.trace, traceSecrets: options.traceSecrets, curl: options.curl, ...(options.har ? { har: resolve(ctx.cwd, options.har) } : {}) },
    { write: (text) => ctx.stderr.write(text), chalk: ui.err, creator: { name: 'oauthd-cli', version: packageVersion() }, title },
  );
}
