/**
 * The pasted-URL fallback: where the browser cannot reach this machine's loopback port (SSH, a
 * container), the sign-in still ends on a URL like http://127.0.0.1:6284/auth?code=…&state=…
 * that the browser fails to load. Pasting that URL here hands its query to the local broker's own
 * callback, so the flow finishes through the same checks (state, code exchange, id_token).
 */
import { createInterface } from 'node:readline';
import type { InputStream } from '../context.js';
import { Cancelled } from '../stdin.js';

/** The callback query of a pasted line, when it looks like an authorization response. */
export function callbackQuery(line: string): string | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const params = url.searchParams;
  const looksLikeResponse = params.has('state') || params.has('code') || params.has('error') || params.has('oauth_token');
  return looksLikeResponse ? url.search.slice(1) : undefined;
}

/**
 * Reads lines from stdin until one is a callback URL, then hands its query to `deliver`. Returns a
 * stop function. Ctrl-D at the terminal (the end of input on a TTY) means the person gave up on
 * pasting: `cancel` gets a Cancelled (exit 1). A closed pipe is not that: the browser may still
 * come back on its own, so the watch just ends. (Ctrl-C is a signal; main() handles it.)
 */
export function watchPastedUrls(
  stdin: InputStream,
  deliver: (query: string) => void,
  complain: (line: string) => void,
  cancel: (reason: Cancelled) => void = () => undefined,
): () => void {
  const lines = createInterface({ input: stdin, terminal: false });
  let stopped = false;
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const query = callbackQuery(line);
    if (query === undefined) {
      complain(line);
      return;
    }
    stopped = true;
    lines.close();
    deliver(query);
  });
  lines.on('close', () => {
    if (!stopped && stdin.isTTY) cancel(new Cancelled(false));
    stopped = true;
  });
  lines.on('error', () => {
    stopped = true;
    lines.close();
  });
  return () => {
    stopped = true;
    lines.close();
    // Once the login is over, stdin must not keep the process alive (a pipe is a socket handle).
    stdin.pause();
    (stdin as InputStream & { unref?: () => void }).unref?.();
  };
}
