/**
 * The transcript as a person reads it on stderr: one block per step and per exchange, parameters
 * one a line, JSON bodies pretty-printed, times relative to the start of the flow. Events arrive
 * already redacted (transcript.ts), so nothing here can reveal a secret.
 */
import type { ChalkInstance } from 'chalk';
import type { CurlCommand } from './curl.js';
import type { NameValue } from './redact.js';
import type { CheckEvent, HttpEvent, RecordedBody, StepEvent, TraceEvent, TraceListener } from './transcript.js';

export interface PrintOptions {
  /** The caller's colors (Ui.err): plain when stderr is not a TTY or NO_COLOR is set. */
  chalk: ChalkInstance;
  /** --trace: steps, exchanges and checks. Defaults to true. */
  trace?: boolean;
  /** --curl: a curl command under each request (alone when `trace` is false). */
  curl?: boolean;
  /** Times are printed relative to this (Transcript.startedAt); absent, they are not printed. */
  startedAt?: number;
}

const INDENT = '    ';
const MARKER = /\[redacted \d+ chars? #[0-9a-f]{6}\]/g;

/** The warning --trace-secrets prints before anything else. */
export function revealWarning(chalk: ChalkInstance): string {
  return `${chalk.yellow('warning:')} --trace-secrets shows client secrets, codes and tokens in clear; do not share this output${'\n'}`;
}

/** A listener for Transcript.listen that writes each event as it is recorded. */
export function tracePrinter(write: (text: string) => void, options: PrintOptions): TraceListener {
  return (event) => {
    const text = renderEvent(event, options);
    if (text !== '') write(text);
  };
}

/** One event as lines ending in a newline; "" when the options show nothing of it. */
export function renderEvent(event: TraceEvent, options: PrintOptions): string {
  const trace = options.trace ?? true;
  if (!trace) return event.kind === 'http' && options.curl ? renderCurl(event.curl, event.purpose, options.chalk) : '';
  switch (event.kind) {
    case 'step':
      return renderStep(event, options);
    case 'check':
      return renderCheck(event, options.chalk);
    case 'http':
      return renderExchange(event, options);
  }
}

function renderStep(event: StepEvent, options: PrintOptions): string {
  const c = options.chalk;
  const lines = [`${c.cyan('•')} ${c.bold(event.title)}${event.url ? ` ${withoutQuery(event.url)}` : ''}${elapsed(event.at, options)}`];
  lines.push(...params(event.params, c));
  for (const note of event.notes) lines.push(`${INDENT}${highlight(note, c)}`);
  return `${lines.join('\n')}\n`;
}

function renderCheck(event: CheckEvent, c: ChalkInstance): string {
  const { check } = event;
  const verdict = check.ok ? c.green('pass') : c.red('FAIL');
  return `  ${verdict}  ${check.name}: ${highlight(check.detail, c)}${check.source ? c.dim(` (${check.source})`) : ''}\n`;
}

function renderExchange(event: HttpEvent, options: PrintOptions): string {
  const c = options.chalk;
  const { request, response } = event;
  const lines = [`${c.cyan('→')} ${c.bold(request.method)} ${withoutQuery(request.url)}  ${c.dim(`(${event.purpose})`)}${elapsed(event.at, options)}`];
  lines.push(...headers(request.headers, c));
  if (request.query.length > 0) {
    lines.push(`  ${c.dim('query:')}`, ...params(request.query, c));
  }
  if (request.body) lines.push(...body(request.body, c));
  if (response) {
    const status = `${response.status} ${response.statusText}`.trim();
    const colored = response.status >= 400 ? c.red(status) : response.status >= 300 ? c.yellow(status) : c.green(status);
    lines.push(`${c.cyan('←')} ${colored}  ${event.durationMs} ms`);
    lines.push(...headers(response.headers, c));
    if (response.body.text !== '') lines.push(...body(response.body, c));
  } else {
    lines.push(`${c.red('✗')} ${highlight(event.error ?? 'no response', c)}  ${event.durationMs} ms`);
  }
  let text = `${lines.join('\n')}\n`;
  if (options.curl) text += renderCurl(event.curl, undefined, c);
  return text;
}

/** `$ curl …`, and the variables it needs when secrets are hidden. */
function renderCurl(curl: CurlCommand, purpose: string | undefined, c: ChalkInstance): string {
  const lines: string[] = [];
  if (purpose !== undefined) lines.push(c.dim(`# ${purpose}`));
  if (curl.variables.length > 0) {
    lines.push(c.dim(`# set first: ${curl.variables.map((variable) => `${variable.name} ${variable.redacted}`).join(', ')}`));
  }
  lines.push(`$ ${curl.line}`);
  return `${lines.join('\n')}\n`;
}

function headers(list: readonly NameValue[], c: ChalkInstance): string[] {
  return list.map((header) => `${INDENT}${c.dim(`${header.name}:`)} ${highlight(header.value, c)}`);
}

function params(list: readonly NameValue[], c: ChalkInstance): string[] {
  return list.map((param) => `${INDENT}${param.name} = ${highlight(param.value, c)}`);
}

/** A form as its fields, JSON pretty-printed, anything else as sent. */
function body(recorded: RecordedBody, c: ChalkInstance): string[] {
  const lines = [`  ${c.dim('body:')}`];
  if (recorded.params) return [...lines, ...params(recorded.params, c)];
  let text = recorded.text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') text = JSON.stringify(parsed, null, 2);
  } catch {
    // Not JSON: shown as it came.
  }
  return [...lines, ...text.split('\n').map((line) => `${INDENT}${highlight(line, c)}`)];
}

/** Redacted URLs keep percent-encoded markers (to stay valid URIs); the parameters are listed below them. */
function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

function highlight(text: string, c: ChalkInstance): string {
  return text.replace(MARKER, (marker) => c.magenta(marker));
}

function elapsed(at: number, options: PrintOptions): string {
  if (options.startedAt === undefined) return '';
  return options.chalk.dim(`  +${((at - options.startedAt) / 1000).toFixed(3)} s`);
}
