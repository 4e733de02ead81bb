/**
 * One refresh at a time per kept token, across every oauthd-cli process on this machine.
 *
 * Refresh tokens rotate (OAuth 2.0 Security BCP §4.14.2): once a refresh succeeds, the old refresh
 * token is spent, and some providers revoke the whole grant when it is presented again. So when
 * git, kubectl and scripts ask for the same expired token at once, one of them refreshes and the
 * others wait, then read the vault again and take what it saved.
 *
 * The lock is a folder made with mkdir (atomic, also on network file systems) by proper-lockfile,
 * which touches it while its holder lives. A holder that was killed stops touching it; after
 * `staleMs` the next process takes the lock over.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { properLockfile } from '../util/lockfile.js';
import { dataDir } from '../vault/paths.js';
import { flowError } from '../util/errors.js';

/** How long a lock nobody touches stays in force: a killed holder's lock is taken over after this. */
export const LOCK_STALE_MS = 10_000;

export interface LockOptions {
  /** Default LOCK_STALE_MS (proper-lockfile's floor is 2000). */
  staleMs?: number;
  /** How long to wait for a living holder before giving up. Default: the stale time plus a refresh's HTTP timeout. */
  waitMs?: number;
  /** Told once, when the lock is held by someone else and this process starts waiting. */
  onWait?: () => void;
}

/** The folder of the lock files: `locks/` in the data folder, beside the 0600 secrets file. */
export function lockFolder(where: { env: Readonly<Record<string, string | undefined>>; platform: NodeJS.Platform }): string {
  return join(dataDir(where.env, where.platform), 'locks');
}

/** The lock of one kept token. Names are encoded: a profile or provider id never leaves the folder. */
export function tokenLockPath(folder: string, provider: string, profile: string): string {
  return join(folder, `token-${encodeURIComponent(provider)}-${encodeURIComponent(profile)}.lock`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding the lock at `path`, waiting for another holder to finish (or to be found
 * stale). The lock is released when `work` settles, whatever it did.
 */
export async function withLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const waitMs = options.waitMs ?? staleMs + 35_000;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + waitMs;
  let release: (() => Promise<void>) | undefined;
  let waiting = false;
  for (let pause = 20; release === undefined; pause = Math.min(pause * 1.5, 250)) {
    try {
      release = await (await properLockfile()).lock(path, {
        realpath: false,
        lockfilePath: path,
        stale: staleMs,
        // A holder whose lock was taken over (it was frozen longer than staleMs) finishes its work;
        // proper-lockfile's default would throw from a timer and end the process.
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (!waiting) {
        waiting = true;
        options.onWait?.();
      }
      if (Date.now() >= deadline) {
        throw flowError(
          `another oauthd-cli process has held ${path} for more than ${Math.round(waitMs / 1000)} s`,
          'wait for it to finish, or end it; a lock nobody holds any more is taken over by itself',
          'lock_timeout',
        );
      }
      // Jitter, so waiters that started together do not knock in step.
      await sleep(pause * (0.5 + Math.random()));
    }
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
