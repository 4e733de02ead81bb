/**
 * The person at the keyboard: reading all of stdin (piped secrets, request bodies), bounded so a
 * stray pipe cannot eat memory, and what it means when they leave a prompt (Ctrl-C, Ctrl-D).
 */
import type { InputStream } from './context.js';
import { CliError, usageError } from '../util/errors.js';

const LIMIT = 64 * 1024;

export async function readAll(stream: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > LIMIT) throw usageError(`stdin holds more than ${LIMIT / 1024} KiB; expected one value`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Exit status of Ctrl-C, as shells report a process ended by SIGINT (128 + 2). */
export const INTERRUPTED = 130;

/**
 * The person ended a prompt: Ctrl-C (`interrupted`, exit 130) or Ctrl-D, the end of input (exit 1).
 * Not a failure to explain: main() prints only "cancelled". A CliError, so a flow can settle with it.
 */
export class Cancelled extends CliError {
  constructor(readonly interrupted: boolean) {
    super('flow', 'cancelled', undefined, { code: 'cancelled' });
    this.name = 'Cancelled';
  }

  get status(): number {
    return this.interrupted ? INTERRUPTED : 1;
  }
}

/**
 * A prompt library's way of saying the person left, as a Cancelled; undefined for anything else.
 * @inquirer/prompts reads the terminal in raw mode, so Ctrl-C is a key, not a signal: it rejects
 * with ExitPromptError "… with SIGINT". Ctrl-D on an empty answer closes its readline; the process
 * then has nothing left to wait for, and the same error comes "… with 0 null" as it exits (or with
 * the name of another signal that ended the prompt: not the person's Ctrl-C, so exit 1).
 */
export function asCancelled(error: unknown): Cancelled | undefined {
  if (error instanceof Cancelled) return error;
  if (error instanceof Error && error.name === 'ExitPromptError') return new Cancelled(/\bSIGINT\b/.test(error.message));
  return undefined;
}
