/**
 * In-memory FlowStore: a Map with expiry times, bounded in entries and in bytes. Expired entries
 * are dropped when read and swept periodically; when a put would pass a bound, the store sweeps
 * (at most once a second: a sweep walks every entry, and a full store under a flood must not pay
 * that on every put) and, if still full, fails with StoreFullError instead of growing (the broker
 * answers 503 with Retry-After). Nothing is evicted to make room: an entry here is a code someone
 * will trade or a marker that keeps a state single-use, and dropping either would break a promise.
 * `take` and `claim` are atomic because Node runs each in one synchronous step.
 */
import { randomBytes } from 'node:crypto';
import { StoreFullError, type FlowStore } from './store.js';

interface Entry {
  /** A copy of what was put, made at `put` (a JSON round trip, as Redis would hold it). */
  value: unknown;
  expiresAt: number;
  /** What the entry is counted as against maxBytes. */
  bytes: number;
}

export interface MemoryStoreOptions {
  maxEntries?: number;
  maxBytes?: number;
  now?: () => number;
  sweepIntervalMs?: number;
}

export const DEFAULT_MAX_ENTRIES = 200_000;
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
/**
 * An entry's cost beyond its key and its value's JSON: the Map slot, the entry object, a string
 * header. (A value held parsed takes about what its JSON would: measured 404 vs 462 heap bytes for
 * a server-flow code's record.)
 */
const ENTRY_OVERHEAD_BYTES = 96;
const MIN_SWEEP_INTERVAL_MS = 1000;

export class MemoryStore implements FlowStore {
  private readonly entries = new Map<string, Entry>();
  private readonly secrets = new Map<string, Buffer>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private bytes = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /**
   * What goes in is a copy, never a shared object, and as Redis would hold it: through JSON. The
   * copy is made here rather than in `take` because a value is put once, where the caller is
   * waiting on something slower anyway (a server-flow code is put after the provider's token
   * endpoint answered), and taken on the path a back end calls under load.
   */
  async put(key: string, value: unknown, ttlMs: number): Promise<void> {
    const json = JSON.stringify(value);
    this.set(key, JSON.parse(json), json.length, ttlMs);
  }

  /** Hands over the stored copy itself: once taken it is nobody else's. */
  async take<T>(key: string): Promise<T | undefined> {
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    this.remove(key, entry);
    return entry.value as T;
  }

  /** A copy of the stored copy: the entry stays, and what the caller does to its answer must not reach it. */
  async peek<T>(key: string): Promise<T | undefined> {
    const entry = this.live(key);
    return entry === undefined ? undefined : structuredClone(entry.value as T);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.live(key) !== undefined) return false;
    // A marker: 1, as the Redis store's SET NX writes it ('1', read back as 1), counted as its JSON.
    this.set(key, 1, 1, ttlMs);
    return true;
  }

  async sharedSecret(name: string): Promise<Buffer> {
    let secret = this.secrets.get(name);
    if (secret === undefined) {
      secret = randomBytes(32);
      this.secrets.set(name, secret);
    }
    return secret;
  }

  async size(): Promise<number> {
    this.sweep();
    return this.entries.size;
  }

  /** Bytes counted against maxBytes (for the bench and tests). */
  usedBytes(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.entries.clear();
    this.bytes = 0;
  }

  /** `jsonLength`: the value's size as JSON, what it is counted as (with its key and the overhead). */
  private set(key: string, value: unknown, jsonLength: number, ttlMs: number): void {
    const bytes = key.length + jsonLength + ENTRY_OVERHEAD_BYTES;
    if (!this.fits(key, bytes)) {
      this.sweepAtMostOncePerSecond();
      if (!this.fits(key, bytes)) throw new StoreFullError(`${this.entries.size} entries, ${Math.round(this.bytes / 1024)} KiB`);
    }
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs, bytes });
    this.bytes += bytes;
  }

  /** Whether `bytes` more under `key` (replacing what is there) stays within both bounds. */
  private fits(key: string, bytes: number): boolean {
    const previous = this.entries.get(key);
    const entries = this.entries.size - (previous ? 1 : 0) + 1;
    return entries <= this.maxEntries && this.bytes - (previous?.bytes ?? 0) + bytes <= this.maxBytes;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  private sweepAtMostOncePerSecond(): void {
    if (this.now() - this.lastSweep < MIN_SWEEP_INTERVAL_MS) return;
    this.sweep();
  }

  private sweep(): void {
    const now = this.now();
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.remove(key, entry);
    }
  }
}
