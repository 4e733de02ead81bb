/**
 * Where `serve` sends the broker's request log (fastify's pino logger, one line per request:
 * src/broker/app.ts decides what a line holds). `--log json` writes pino's JSON lines as they are;
 * the default prints them through pino-pretty, one short line each, colored on a terminal:
 *
 *   14:02:07 INFO GET /auth/github 302 3 ms · flow start github
 *
 * pino-pretty is imported only here, when serve starts, so `--help` and the other commands never
 * load it.
 */
import type { Context } from './context.js';
import type { BrokerLog } from '../broker/types.js';

export type LogFormat = 'pretty' | 'json';

/** The request fields, shown in the message of a pretty line rather than as `key: value` pairs. */
const REQUEST_FIELDS = ['method', 'path', 'status', 'ms', 'step'] as const;

export async function requestLog(ctx: Context, format: LogFormat, colors: boolean): Promise<BrokerLog> {
  const level = ctx.debug ? 'debug' : 'info';
  if (format === 'json') return { level, stream: { write: (line) => ctx.stderr.write(line) } };
  const { prettyFactory } = await import('pino-pretty');
  const pretty = prettyFactory({
    colorize: colors,
    translateTime: 'SYS:HH:MM:ss',
    ignore: ['reqId', ...REQUEST_FIELDS].join(','),
    singleLine: true,
    messageFormat: (log, messageKey, _level, { colors: paint }) => {
      if (log[messageKey] !== 'request') return String(log[messageKey] ?? '');
      const status = Number(log.status);
      const shown = status >= 500 ? paint.red(String(status)) : status >= 400 ? paint.yellow(String(status)) : paint.green(String(status));
      const step = typeof log.step === 'string' ? paint.dim(` · ${log.step}`) : '';
      return `${String(log.method)} ${String(log.path)} ${shown} ${String(log.ms)} ms${step}`;
    },
  });
  return { level, stream: { write: (line) => ctx.stderr.write(pretty(line)) } };
}
