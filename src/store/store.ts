/**
 * The flow store: what must live a short time and be used once — markers of callbacks already
 * answered, server-flow codes, OAuth 1.0a flows waiting for their verifier. Values are JSON; every
 * entry has a TTL; `take` reads and deletes in one atomic step and `claim` records a key only if it
 * is absent, so of two racing callers exactly one wins (a code or a state is single-use by
 * construction). The in-memory store serves one process; the Redis store serves several broker
 * instances. (Pending OAuth 2 flows are not stored at all: their state is sealed, ../broker/flow-state.ts.)
 */
export interface FlowStore {
  /** Stores `value` under `key` for `ttlMs`; throws StoreFullError when a bounded store is full. */
  put(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Atomically reads and deletes; undefined when absent or expired. */
  take<T>(key: string): Promise<T | undefined>;
  /** Reads without deleting (for status pages and tests); undefined when absent or expired. */
  peek<T>(key: string): Promise<T | undefined>;
  /**
   * Records `key` for `ttlMs` unless it is already there, atomically: true for the one caller that
   * recorded it, false for every other (single use across every broker on the store).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /**
   * 32 random bytes shared by every broker on this store (the key that seals flow states), made by
   * whichever broker asks first and kept for the store's life.
   */
  sharedSecret(name: string): Promise<Buffer>;
  /** Number of live entries (approximate for remote stores). */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** Answered 503 with Retry-After: the store is bounded, and a flood filled it. */
export class StoreFullError extends Error {
  readonly retryAfterSeconds = 30;
  constructor(readonly capacity: string) {
    super(`the flow store is full (${capacity})`);
    this.name = 'StoreFullError';
  }
}

/** Answered 503 with Retry-After: the store did not answer (Redis stopped, paused or unreachable). */
export class StoreUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the flow store is unavailable: ${reason}`, options);
    this.name = 'StoreUnavailableError';
  }
}

export type StoreError = StoreFullError | StoreUnavailableError;

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreFullError || error instanceof StoreUnavailableError;
}
