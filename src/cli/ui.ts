/**
 * Talking to the person at the keyboard. stdout carries only the result (so `--json` pipes
 * cleanly); progress, notices and warnings go to stderr. Colors only on a TTY without NO_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import yoctoSpinner from 'yocto-spinner';
import type { Context, OutputStream } from './context.js';

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

export class Ui {
  readonly err: ChalkInstance;
  readonly out: ChalkInstance;

  constructor(private readonly ctx: Context) {
    this.err = new Chalk({ level: colorLevel(ctx, ctx.stderr) });
    this.out = new Chalk({ level: colorLevel(ctx, ctx.stdout) });
  }

  /** A line of progress or information, on stderr. */
  info(message: string): void {
    this.ctx.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.ctx.stderr.write(`${this.err.yellow('warning:')} ${message}\n`);
  }

  success(message: string): void {
    this.ctx.stderr.write(`${this.err.green('✓')} ${message}\n`);
  }

  /** The result, on stdout. */
  result(text: string): void {
    this.ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    this.ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A spinner on a TTY; a single line otherwise (no control characters in logs). */
  spinner(text: string): Spinner {
    if (!this.ctx.stderr.isTTY) {
      this.info(text);
      return { update: () => undefined, stop: () => undefined };
    }
    const spinner = yoctoSpinner({ text, stream: this.ctx.stderr, handleSignals: false }).start();
    return {
      update: (next) => {
        spinner.text = next;
      },
      stop: () => {
        spinner.stop();
      },
    };
  }
}

function colorLevel(ctx: Context, stream: OutputStream): 0 | 1 {
  if (ctx.env.NO_COLOR !== undefined && ctx.env.NO_COLOR !== '') return 0;
  if (ctx.env.FORCE_COLOR !== undefined && ctx.env.FORCE_COLOR !== '0') return 1;
  return stream.isTTY ? 1 : 0;
}

/** "eyJhbGci…Xk9Q": enough to recognise a value, never enough to use it. */
export function shorten(secret: string): string {
  if (secret.length <= 12) return '…';
  return `${secret.slice(0, 6)}…${secret.slice(-4)}`;
}
