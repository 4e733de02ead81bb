/**
 * `login --inspect`: the login's broker records the flow and serves the inspector
 * (docs/inspector.md), and stays up after the flow, until Ctrl-C, so the flow can be looked at.
 */
import type { HttpObserver } from '../../oauth/http.js';
import type { Ui } from '../ui.js';

/** One observer for the trace and the inspector, when both watch. */
export function observeBoth(...observers: Array<HttpObserver | undefined>): HttpObserver | undefined {
  const present = observers.filter((observer): observer is HttpObserver => observer !== undefined);
  if (present.length <= 1) return present[0];
  return (exchange) => {
    for (const observer of present) observer(exchange);
  };
}

/**
 * Waits for Ctrl-C (or SIGTERM) with the inspector still served. Its own listener keeps main's
 * "cancelled" handler out of it: here Ctrl-C is the way to finish, and the flow's result (a
 * failure's error and exit code included) stands.
 */
export function holdInspector(ui: Ui, url: string, failed: boolean): Promise<void> {
  ui.info(`${failed ? 'The sign-in failed; the inspector shows each step and why' : 'The inspector shows each step of this login'}: ${url}\nPress Ctrl-C to stop it.`);
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
