/**
 * The inspector as serve and login --inspect run it: a recorder of this run's flows, a per-run
 * secret (256 bits from the CSPRNG) that the printed URL carries once, and, for `oauthd-cli
 * inspect`, a note of where a running broker's inspector is: one file per port under the data
 * folder (`<data>/inspectors/<port>.json`, 0600 in a 0700 folder, since it holds the secret),
 * written when the broker listens and removed when it stops. With the Redis store, the recorder's
 * flows are also shared with every broker on that Redis (src/inspector/shared.ts).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerInspector } from '../broker/types.js';
import { inspectorUrl } from '../broker/routes/inspector.js';
import type { AppOverview } from '../inspector/overview.js';
import { FlowRecorder } from '../inspector/recorder.js';
import { SHARED_DEFAULTS, SharedFlows } from '../inspector/shared.js';
import type { FlowStore } from '../store/store.js';
import { RedisStore } from '../store/redis.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/fs.js';
import { randomToken } from '../util/random.js';
import { dataDir } from '../vault/paths.js';

export interface InspectorOptions {
  hintFor?: (error: unknown) => string | undefined;
  overview: () => Promise<AppOverview>;
}

export function openInspector(options: InspectorOptions): BrokerInspector {
  return {
    recorder: new FlowRecorder(options.hintFor ? { hintFor: options.hintFor } : {}),
    secret: randomToken(),
    overview: options.overview,
  };
}

/**
 * With the Redis store, shares the recorder's flows with every broker on that Redis and shows
 * theirs (on connections of its own: short timeouts, no queue while Redis is away). `instance`
 * names this broker in the other brokers' lists. Undefined for any other store.
 */
export async function shareInspector(inspector: BrokerInspector, store: FlowStore, instance: string): Promise<SharedFlows | undefined> {
  if (!(store instanceof RedisStore)) return undefined;
  const options = { commandTimeout: SHARED_DEFAULTS.commandTimeoutMs, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectionName: 'oauthd-inspector' };
  const shared = new SharedFlows({
    recorder: inspector.recorder,
    redis: store.duplicate(options),
    // Subscribed again by SharedFlows on each reconnection.
    subscriber: store.duplicate({ ...options, autoResubscribe: false }),
    prefix: store.prefix,
    instance,
    // The bounds in Redis are the recorder's in memory (for every broker together).
    maxFlows: inspector.recorder.maxFlows,
    maxBytes: inspector.recorder.maxBytes,
  });
  await shared.start();
  inspector.shared = shared;
  return shared;
}

/** What `oauthd-cli inspect` reads. */
export interface InspectorNote {
  url: string;
  pid: number;
  port: number;
  /** What runs there: "serve" (with its config file), or "login <provider>". */
  command: string;
  startedAt: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function inspectorNotesDir(env: Env, platform: NodeJS.Platform): string {
  return join(dataDir(env, platform), 'inspectors');
}

/** Writes the note of a listening broker; returns the function that removes it. */
export async function publishInspector(
  env: Env,
  platform: NodeJS.Platform,
  origin: string,
  port: number,
  inspector: BrokerInspector,
  command: string,
): Promise<{ url: string; remove: () => Promise<void> }> {
  const url = inspectorUrl(origin, inspector.secret);
  const dir = inspectorNotesDir(env, platform);
  const file = join(dir, `${port}.json`);
  const note: InspectorNote = { url, pid: process.pid, port, command, startedAt: new Date().toISOString() };
  try {
    await ensurePrivateDir(dir);
    await writeFileAtomic(file, `${JSON.stringify(note, null, 2)}\n`, 0o600);
  } catch {
    // The inspector still works from the printed URL; only `inspect` will not find it.
    return { url, remove: async () => undefined };
  }
  return { url, remove: () => rm(file, { force: true }) };
}

/** The notes of brokers still running (a note whose process is gone is removed). Newest first. */
export async function runningInspectors(env: Env, platform: NodeJS.Platform): Promise<InspectorNote[]> {
  const dir = inspectorNotesDir(env, platform);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const notes: InspectorNote[] = [];
  for (const name of names.filter((entry) => /^\d+\.json$/.test(entry))) {
    const file = join(dir, name);
    let note: InspectorNote;
    try {
      note = JSON.parse(await readFile(file, 'utf8')) as InspectorNote;
    } catch {
      continue;
    }
    if (typeof note.url !== 'string' || typeof note.pid !== 'number' || !alive(note.pid)) {
      await rm(file, { force: true });
      continue;
    }
    notes.push(note);
  }
  return notes.sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
