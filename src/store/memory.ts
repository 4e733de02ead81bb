/**
 * In-memory FlowStore: a Map with expiry times, bounded. Expired entries are dropped when read,
 * swept when the store is full, and swept periodically; when live entries reach the cap, `put`
 * fails loudly instead of growing without bound (a flood of unfinished flows cannot exhaust memory).
 * `take` is atomic because Node runs it in one synchronous step.
 */
import { StoreFullError, type FlowStore } from './store.js';

interface Entry {
  json: string;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  maxEntries?: number;
  now?: () => number;
  sweepIntervalMs?: number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;

export class MemoryStore implements FlowStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.timer.unref();
  }

  async put(key: string, value: unknown, ttlMs: number): Promise<void> {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      this.sweep();
      if (this.entries.size >= this.maxEntries) throw new StoreFullError(this.maxEntries);
    }
    // JSON, as Redis would hold it: what goes in is a copy, never a shared object.
    this.entries.set(key, { json: JSON.stringify(value), expiresAt: this.now() + ttlMs });
  }

  async take<T>(key: string): Promise<T | undefined> {
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    return JSON.parse(entry.json) as T;
  }

  async peek<T>(key: string): Promise<T | undefined> {
    const entry = this.live(key);
    return entry === undefined ? undefined : (JSON.parse(entry.json) as T);
  }

  async size(): Promise<number> {
    this.sweep();
    return this.entries.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
