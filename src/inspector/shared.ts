/**
 * The shared record: the flows of every broker on one Redis, for each broker's inspector
 * (docs/inspector.md "Several brokers on one Redis").
 *
 * Each broker's recorder stays what it is (its own flows, in memory, live objects); this module
 * watches it and copies what it shows to Redis: for each flow its summary and its view — the very
 * JSON `GET /inspector/api/flows/:id` answers, redacted (token markers and decoded claims, never a
 * value). Each write also publishes the summary on a channel: every other broker's inspector hears
 * it and sends it down its Server-Sent Events stream.
 *
 * Token values never go to Redis, not even sealed: the only key the brokers share sits in that same
 * Redis (FlowStore.sharedSecret), so a sealed copy would be open to anyone who reads Redis, for as
 * long as the record keeps the flow (an hour; a server-flow code's tokens stay 60 s). The reveal,
 * /me and refresh of a flow therefore run at the broker the flow ran at, which holds its tokens in
 * memory; another broker's inspector says where.
 *
 * In Redis, under `<prefix>inspector:`: a sorted set of flow ids by start time, two hashes (id →
 * summary, id → view), and a byte count. One Lua script writes a flow and enforces the bounds
 * atomically (Redis runs a script as one step): flows older than the TTL go, then the oldest
 * until at most maxFlows flows and maxBytes bytes remain (the in-memory recorder's bounds); every
 * key then expires TTL after the last write, so a Redis no broker writes to any more empties itself.
 *
 * Best effort, never in a sign-in's way: a change only marks its flow; a timer (off the request
 * path) writes the marked flows a moment later, one batch at a time, on a connection of its own
 * with a short command timeout and no offline queue. A Redis that is down or slow costs the
 * record, never a flow; the inspector says it cannot reach the shared record and shows this
 * broker's flows. Marked flows are bounded too (the newest maxFlows), so a long outage holds no
 * growing backlog.
 */
import type { Redis } from 'ioredis';
import { randomToken } from '../util/random.js';
import type { FlowRecorder, FlowSummary, FlowView } from './recorder.js';

export const SHARED_DEFAULTS = {
  maxFlows: 100,
  maxBytes: 4 * 1024 * 1024,
  /** A flow stays this long after it started; the whole record this long after its last write. */
  ttlMs: 3600_000,
  /** Changes of this long are written together. */
  flushDelayMs: 100,
  /** A Redis command of the record gives up after this long (the connection's commandTimeout). */
  commandTimeoutMs: 1000,
};

/** A summary as every broker's inspector lists it: which broker instance the flow ran at. */
export interface SharedSummary extends FlowSummary {
  instance: string;
}

export interface SharedStatus {
  reachable: boolean;
  /** Why not, in words for the page. */
  reason?: string;
}

export type SharedEvent = { type: 'flow'; summary: SharedSummary } | { type: 'status'; status: SharedStatus };

/** What Redis holds of one flow. */
interface StoredFlow {
  instance: string;
  /** The writing broker's id for this run (two brokers may show the same name). */
  origin: string;
  view: FlowView;
}

interface Announcement {
  instance: string;
  origin: string;
  summary: FlowSummary;
}

export interface SharedFlowsOptions {
  recorder: FlowRecorder;
  /** Commands (writes and reads). */
  redis: Redis;
  /** Pub/sub (a subscribed connection runs nothing else). */
  subscriber: Redis;
  prefix: string;
  /** This broker instance as the page names it (host:port). */
  instance: string;
  maxFlows?: number;
  maxBytes?: number;
  ttlMs?: number;
  flushDelayMs?: number;
  now?: () => number;
}

/**
 * KEYS: order (zset id → startedAt, see orderScore), summaries (hash), views (hash), bytes (counter).
 * ARGV: id, startedAt, summary, view, maxFlows, maxBytes, ttlMs, cutoff (startedAt older goes),
 * channel, announcement. Returns 1 when the flow is kept (and announced), 0 when it was the one to go.
 */
/**
 * A flow's score in the shared order: its start time, and within one millisecond its place in its
 * recorder's start order (a fraction below 1 ms). Without it, flows started in the same millisecond
 * tie and Redis orders them by id, so the record could keep a flow its broker had already dropped.
 * 1,000 places per millisecond keep the score exact in a double (about 2^51 today).
 */
function orderScore(flow: { startedAt: number; sequence: number }): number {
  return flow.startedAt + (flow.sequence % 1000) / 1000;
}

const RECORD_SCRIPT = `
local order, summaries, views, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local function drop(victim)
  local size = redis.call('HSTRLEN', summaries, victim) + redis.call('HSTRLEN', views, victim)
  redis.call('HDEL', summaries, victim)
  redis.call('HDEL', views, victim)
  redis.call('ZREM', order, victim)
  if size > 0 then redis.call('DECRBY', total, size) end
end
local id = ARGV[1]
drop(id)
redis.call('HSET', summaries, id, ARGV[3])
redis.call('HSET', views, id, ARGV[4])
redis.call('ZADD', order, ARGV[2], id)
redis.call('INCRBY', total, string.len(ARGV[3]) + string.len(ARGV[4]))
for _, victim in ipairs(redis.call('ZRANGEBYSCORE', order, '-inf', '(' .. ARGV[8])) do drop(victim) end
local maxFlows, maxBytes = tonumber(ARGV[5]), tonumber(ARGV[6])
while redis.call('ZCARD', order) > maxFlows or tonumber(redis.call('GET', total) or '0') > maxBytes do
  local oldest = redis.call('ZRANGE', order, 0, 0)[1]
  if not oldest then
    redis.call('SET', total, 0)
    break
  end
  drop(oldest)
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
if redis.call('ZSCORE', order, id) then
  redis.call('PUBLISH', ARGV[9], ARGV[10])
  return 1
end
return 0
`;

type RecordCommand = (...args: Array<string | number>) => unknown;

export class SharedFlows {
  readonly instance: string;
  readonly maxFlows: number;
  readonly maxBytes: number;
  private readonly origin = randomToken(12);
  private readonly recorder: FlowRecorder;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly keys: { order: string; summaries: string; views: string; bytes: string; channel: string };
  private readonly ttlMs: number;
  private readonly flushDelayMs: number;
  private readonly now: () => number;
  /** Flows changed since the last write, oldest change first. */
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly listeners = new Set<(event: SharedEvent) => void>();
  private current: SharedStatus = { reachable: true };
  private unwatch: (() => void) | undefined;
  private closed = false;

  constructor(options: SharedFlowsOptions) {
    this.recorder = options.recorder;
    this.redis = options.redis;
    this.subscriber = options.subscriber;
    this.instance = options.instance;
    this.maxFlows = options.maxFlows ?? SHARED_DEFAULTS.maxFlows;
    this.maxBytes = options.maxBytes ?? SHARED_DEFAULTS.maxBytes;
    this.ttlMs = options.ttlMs ?? SHARED_DEFAULTS.ttlMs;
    this.flushDelayMs = options.flushDelayMs ?? SHARED_DEFAULTS.flushDelayMs;
    this.now = options.now ?? Date.now;
    const base = `${options.prefix}inspector:`;
    this.keys = { order: `${base}order`, summaries: `${base}summaries`, views: `${base}views`, bytes: `${base}bytes`, channel: `${base}flows` };
    this.redis.defineCommand('oauthdInspectorRecord', { numberOfKeys: 4, lua: RECORD_SCRIPT });
  }

  /** Starts copying the recorder's flows and hearing the other brokers'. Never throws: Redis may be down now and back later. */
  async start(): Promise<void> {
    for (const connection of [this.redis, this.subscriber]) {
      // Trouble shows as the page's note, not as ioredis printing "Unhandled error event".
      connection.on('error', (error: Error) => this.trouble(error));
      connection.on('close', () => this.trouble(new Error('Connection is closed')));
    }
    this.redis.on('ready', () => {
      this.setStatus({ reachable: true });
      // What could not be written while Redis was away is written now.
      if (this.dirty.size > 0) this.schedule();
    });
    // Subscribed again on each (re)connection: a Redis restarted forgets its subscribers.
    this.subscriber.on('ready', () => void this.subscriber.subscribe(this.keys.channel).catch((error: unknown) => this.trouble(error)));
    this.subscriber.on('message', (_channel: string, message: string) => this.heard(message));
    this.unwatch = this.recorder.subscribe((summary) => this.mark(summary.id));
    // Flows recorded before the record started (none in serve: it starts as the broker listens).
    for (const summary of this.recorder.list().reverse()) this.mark(summary.id);
    await Promise.all([this.redis.connect().catch((error: unknown) => this.trouble(error)), this.subscriber.connect().catch((error: unknown) => this.trouble(error))]);
  }

  status(): SharedStatus {
    return { ...this.current };
  }

  /** The other brokers' flows (this broker's own are the recorder's), newest first. Throws when Redis does not answer. */
  async list(): Promise<SharedSummary[]> {
    const entries = await this.read(() => this.redis.hgetall(this.keys.summaries));
    const flows: SharedSummary[] = [];
    for (const json of Object.values(entries)) {
      const announced = parse<Announcement>(json);
      if (!announced || announced.origin === this.origin) continue;
      flows.push(this.shown(announced));
    }
    return flows.sort((a, b) => b.startedAt - a.startedAt);
  }

  /** Another broker's flow, as its inspector would show it; undefined when Redis no longer holds it. Throws when Redis does not answer. */
  async get(id: string): Promise<(FlowView & { instance: string }) | undefined> {
    const record = await this.record(id);
    return record ? { ...record.view, instance: record.instance } : undefined;
  }

  subscribe(listener: (event: SharedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes what is still marked (bounded by the command timeout), and lets go of Redis. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    clearTimeout(this.timer);
    await this.flush().catch(() => undefined);
    const quit = (connection: Redis) =>
      Promise.race([connection.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, SHARED_DEFAULTS.commandTimeoutMs).unref())]).finally(() => connection.disconnect());
    await Promise.all([quit(this.redis), quit(this.subscriber)]);
  }

  /** Writes the flows changed since the last write now (tests; the timer does it otherwise). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0) return;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private mark(id: string): void {
    if (this.closed) return;
    // Re-inserted at the end: the set stays in order of the last change, and the oldest go first.
    this.dirty.delete(id);
    this.dirty.add(id);
    if (this.dirty.size > this.maxFlows) this.dirty.delete(this.dirty.values().next().value as string);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, this.flushDelayMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      const pipeline = this.redis.pipeline();
      const record = (pipeline as unknown as { oauthdInspectorRecord: RecordCommand }).oauthdInspectorRecord.bind(pipeline);
      let queued = 0;
      for (const id of ids) {
        const flow = this.recorder.get(id);
        if (!flow) continue;
        const view = this.fitted(flow.view());
        const summary = JSON.stringify({ instance: this.instance, origin: this.origin, summary: flow.summary() } satisfies Announcement);
        const entry = JSON.stringify({ instance: this.instance, origin: this.origin, view } satisfies StoredFlow);
        const cutoff = this.now() - this.ttlMs;
        void record(...Object.values(this.keys).slice(0, 4), id, orderScore(flow), summary, entry, this.maxFlows, this.maxBytes, this.ttlMs, cutoff, this.keys.channel, summary);
        queued += 1;
      }
      if (queued === 0) return;
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      this.setStatus({ reachable: true });
    } catch (error) {
      // Best effort: kept marked (the newest maxFlows) and written when Redis is ready again, not retried meanwhile.
      for (const id of ids) if (!this.dirty.has(id) && this.dirty.size < this.maxFlows) this.dirty.add(id);
      this.trouble(error);
    }
  }

  /**
   * A flow's view as it may go to Redis: one flow takes at most a quarter of the bytes (as in
   * memory); a larger one keeps its first events and says it was cut (truncated).
   */
  private fitted(view: FlowView): FlowView {
    const cap = Math.floor(this.maxBytes / 4) - 512;
    let size = Buffer.byteLength(JSON.stringify(view));
    if (size <= cap) return view;
    const events = [...view.events];
    while (events.length > 0 && size > cap) size -= Buffer.byteLength(JSON.stringify(events.pop())) + 1;
    const fitted: FlowView = { ...view, events, truncated: true, tokens: size > cap ? [] : view.tokens };
    if (fitted.failing !== undefined && fitted.failing >= events.length) delete fitted.failing;
    return fitted;
  }

  private async record(id: string): Promise<StoredFlow | undefined> {
    const json = await this.read(() => this.redis.hget(this.keys.views, id));
    const record = json === null ? undefined : parse<StoredFlow>(json);
    return record && record.origin !== this.origin ? record : undefined;
  }

  private async read<T>(command: () => Promise<T>): Promise<T> {
    try {
      const result = await command();
      this.setStatus({ reachable: true });
      return result;
    } catch (error) {
      this.trouble(error);
      throw new SharedUnavailableError(this.current.reason ?? 'Redis did not answer');
    }
  }

  private heard(message: string): void {
    const announced = parse<Announcement>(message);
    if (!announced || announced.origin === this.origin || typeof announced.summary?.id !== 'string') return;
    this.emit({ type: 'flow', summary: this.shown(announced) });
  }

  /** A summary as this broker shows it now: a pending flow's duration runs on. */
  private shown(announced: Announcement): SharedSummary {
    const summary = { ...announced.summary, instance: announced.instance };
    if (summary.status === 'pending') summary.durationMs = Math.max(summary.durationMs, this.now() - summary.startedAt);
    return summary;
  }

  private trouble(error: unknown): void {
    if (this.closed) return;
    this.setStatus({ reachable: false, reason: describe(error) });
  }

  private setStatus(next: SharedStatus): void {
    if (next.reachable === this.current.reachable) {
      if (!next.reachable) this.current = next;
      return;
    }
    this.current = next;
    this.emit({ type: 'status', status: { ...next } });
  }

  private emit(event: SharedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A closed stream never breaks the record.
      }
    }
  }
}

/** A read of the shared record that Redis did not answer (the routes answer without it). */
export class SharedUnavailableError extends Error {
  constructor(reason: string) {
    super(`cannot reach the shared record on Redis: ${reason}`);
    this.name = 'SharedUnavailableError';
  }
}

function parse<T>(json: string): T | undefined {
  try {
    return JSON.parse(json) as T;
  } catch {
    return undefined;
  }
}

/** What went wrong, without the URL (it may carry a password). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/timed out/i.test(message)) return `Redis did not answer within ${SHARED_DEFAULTS.commandTimeoutMs / 1000} s`;
  if (/writeable|closed|ECONNREFUSED|ECONNRESET|max retries|connect/i.test(message)) return 'Redis is not connected (reconnecting)';
  return 'Redis refused the command';
}
