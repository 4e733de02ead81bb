/**
 * Where `serve` sends the broker's request log: fastify's pino logger, one line per request
 * (src/broker/app.ts decides what a line holds, and that no query, header or body is in it).
 * `--log json` writes pino's JSON lines as they are; the default turns each into one short line,
 * colored on a terminal:
 *
 *   14:02:07 GET /auth/github 302 3 ms · flow start github
 *
 * Two choices, both measured on the broker's hottest path (`npm run bench`, a flow start at 50
 * connections):
 * - The short line is made here from the JSON pino writes (a parse and a template), not by
 *   pino-pretty, whose general-purpose formatting cost 12 µs a line: a third of a flow start.
 * - Lines are written together once per turn of the event loop, not one write each: under load a
 *   write per request is a system call per request. A line still appears at once when traffic is
 *   light (the turn ends right after it), and whatever is pending is written when serve stops.
 */
import type { ChalkInstance } from 'chalk';
import type { Context } from './context.js';
import type { BrokerLog } from '../broker/types.js';

export type LogFormat = 'pretty' | 'json';

export interface RequestLog {
  log: BrokerLog;
  /** Writes what is pending now (serve stopping). */
  flush(): void;
}

/** pino's numeric levels (pino's `levels.values`), as a short line shows them. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export function requestLog(ctx: Context, format: LogFormat, chalk: ChalkInstance): RequestLog {
  const level = ctx.debug ? 'debug' : 'info';
  const writer = coalescing((text) => ctx.stderr.write(text));
  const render = format === 'json' ? (line: string) => line : (line: string) => shortLine(line, chalk);
  return { log: { level, stream: { write: (line) => writer.push(render(line)) } }, flush: writer.flush };
}

/** One pino JSON line as a short readable one. */
export function shortLine(json: string, chalk: ChalkInstance): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'number' ? clockTime(entry.time) : '';
  const level = typeof entry.level === 'number' ? entry.level : 30;
  if (entry.msg === 'request') {
    const status = Number(entry.status);
    const shown = status >= 500 ? chalk.red(String(status)) : status >= 400 ? chalk.yellow(String(status)) : chalk.green(String(status));
    const step = typeof entry.step === 'string' ? chalk.dim(` · ${entry.step}`) : '';
    const error = isErrorLike(entry.err) ? chalk.red(` (${entry.err.message})`) : '';
    return `${chalk.dim(time)} ${String(entry.method)} ${String(entry.path)} ${shown} ${String(entry.ms)} ms${step}${error}\n`;
  }
  if (entry.msg === 'requests summarized' && Array.isArray(entry.held)) {
    const groups = (entry.held as Array<Record<string, unknown>>).map(
      (group) => `${String(group.method)} ${String(group.path)} ${String(group.status)} ×${Number(group.count).toLocaleString('en')}${typeof group.step === 'string' ? ` · ${group.step}` : ''}`,
    );
    return `${chalk.dim(time)} ${chalk.yellow(`+ ${Number(entry.count).toLocaleString('en')} more requests that second`)}: ${groups.join('; ')}\n`;
  }
  const name = LEVELS[level] ?? String(level);
  const label = level >= 50 ? chalk.red(name) : level >= 40 ? chalk.yellow(name) : name;
  const error = isErrorLike(entry.err) ? `: ${entry.err.message}` : '';
  return `${chalk.dim(time)} ${label} ${String(entry.msg ?? '')}${error}\n`;
}

/** "14:02:07", local time; formatted once a second (Date's formatting is the costly part of a line). */
let shownSecond = -1;
let shownTime = '';
function clockTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== shownSecond) {
    shownSecond = second;
    shownTime = new Date(ms).toTimeString().slice(0, 8);
  }
  return shownTime;
}

function isErrorLike(value: unknown): value is { message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** Lines pushed during one turn of the event loop, written in one go at its end. */
function coalescing(write: (text: string) => void): { push(line: string): void; flush(): void } {
  let pending: string[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  return {
    push(line) {
      pending.push(line);
      scheduled ??= setImmediate(flush);
    },
    flush,
  };
}

