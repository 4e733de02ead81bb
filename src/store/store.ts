/**
 * The flow store: pending flows, server-flow codes and anything else that must live a short time
 * and be used once. Values are JSON; every entry has a TTL; `take` reads and deletes in one atomic
 * step, so of two racing callers exactly one gets the value (a code is single-use by construction).
 * The in-memory store serves one process; the Redis store serves several broker instances.
 */
export interface FlowStore {
  /** Stores `value` under `key` for `ttlMs`; throws StoreFullError when a bounded store is full. */
  put(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Atomically reads and deletes; undefined when absent or expired. */
  take<T>(key: string): Promise<T | undefined>;
  /** Reads without deleting (for status pages and tests); undefined when absent or expired. */
  peek<T>(key: string): Promise<T | undefined>;
  /** Number of live entries (approximate for remote stores). */
  size(): Promise<number>;
  close(): Promise<void>;
}

export class StoreFullError extends Error {
  constructor(readonly capacity: number) {
    super(`the flow store is full (${capacity} pending flows and codes)`);
    this.name = 'StoreFullError';
  }
}
