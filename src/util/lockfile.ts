/**
 * proper-lockfile, loaded the first time a lock is needed, without the signal handlers it brings.
 *
 * proper-lockfile registers its cleanup with signal-exit 3, which on load listens to SIGINT,
 * SIGTERM and the other signals, and then does nothing while another listener exists. main()
 * leaves Ctrl-C to a command that listens to SIGINT itself (src/cli/main.ts interrupted()), so
 * with signal-exit's listener in place Ctrl-C would end nothing. The listeners it adds are removed
 * again here; its exit hook stays, so locks held when the process exits (Ctrl-C included, which
 * exits through process.exit) are still removed, and a lock of a killed process is taken over
 * once stale.
 */
import { constants } from 'node:os';

type ProperLockfile = typeof import('proper-lockfile');

let loading: Promise<ProperLockfile> | undefined;

export function properLockfile(): Promise<ProperLockfile> {
  loading ??= (async () => {
    const signals = Object.keys(constants.signals) as NodeJS.Signals[];
    const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
    const module = (await import('proper-lockfile')).default;
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
      }
    }
    return module;
  })();
  return loading;
}
