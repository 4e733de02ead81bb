/**
 * FlowStore on Redis, for several broker instances behind one address. Each entry is a string key
 * with a PX expiry; `take` is GETDEL and `claim` is SET NX, each one atomic command (Redis ≥ 6.2),
 * so a code or a state is single-use across every instance.
 *
 * Faults are bounded: a command that gets no answer within COMMAND_TIMEOUT_MS (Redis paused,
 * a network that drops packets) fails, and while the connection is down commands fail at once
 * instead of queueing; either way the caller gets StoreUnavailableError (503 with Retry-After).
 * ioredis keeps reconnecting in the background, so service resumes by itself when Redis is back.
 */
import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { StoreUnavailableError, type FlowStore } from './store.js';

export const COMMAND_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;
const MAX_RECONNECT_DELAY_MS = 1000;

export class RedisStore implements FlowStore {
  private readonly secrets = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly redis: Redis,
    readonly prefix = 'oauthd:',
  ) {
    // A Redis that comes back empty (restarted without persistence) would let the next broker to
    // ask make a new sealing key, and brokers would stop opening each other's states: whoever
    // reconnects first puts the key it holds back (SET NX), so every broker keeps the same one.
    redis.on('ready', () => {
      for (const [name, secret] of this.secrets) {
        secret.then((value) => this.redis.set(this.secretKey(name), value.toString('base64'), 'NX')).catch(() => undefined);
      }
    });
  }

  static async connect(url: string, prefix?: string): Promise<RedisStore> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // No queue while disconnected and no retry of a command that was in flight: a flow waits
      // for a 503 and a retry by its caller, never for a reconnection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    });
    // Connection trouble surfaces as failed commands (503 for the flow), not as ioredis printing
    // "Unhandled error event" on stderr.
    let lastError: Error | undefined;
    redis.on('error', (error: Error) => {
      lastError = error;
    });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw lastError ?? error;
    }
    return new RedisStore(redis, prefix);
  }

  async put(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.run(() => this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', ttl(ttlMs)));
  }

  async take<T>(key: string): Promise<T | undefined> {
    const json = await this.run(() => this.redis.getdel(this.prefix + key));
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async peek<T>(key: string): Promise<T | undefined> {
    const json = await this.run(() => this.redis.get(this.prefix + key));
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.run(() => this.redis.set(this.prefix + key, '1', 'PX', ttl(ttlMs), 'NX'))) === 'OK';
  }

  /** SET NX then GET: the first broker to ask makes the secret, every other one reads it. */
  sharedSecret(name: string): Promise<Buffer> {
    let secret = this.secrets.get(name);
    if (secret === undefined) {
      const key = this.secretKey(name);
      secret = this.run(async () => {
        await this.redis.set(key, randomBytes(32).toString('base64'), 'NX');
        const value = await this.redis.get(key);
        if (value === null) throw new Error(`${key} vanished`);
        return Buffer.from(value, 'base64');
      });
      // A failure is not kept: the next flow asks again once Redis answers.
      secret.catch(() => this.secrets.delete(name));
      this.secrets.set(name, secret);
    }
    return secret;
  }

  /**
   * A connection of its own to the same Redis, with these options over the store's (the
   * inspector's shared record: a subscriber cannot run other commands, and its writes must not
   * queue behind, or fail with, the flows' commands). Not connected yet (lazyConnect).
   */
  duplicate(options: Partial<RedisOptions> = {}): Redis {
    return this.redis.duplicate({ lazyConnect: true, ...options });
  }

  private secretKey(name: string): string {
    return `${this.prefix}secret:${name}`;
  }

  async size(): Promise<number> {
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await this.run(() => this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000));
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  }

  async close(): Promise<void> {
    // quit waits for Redis to answer; a stopped or paused Redis must not hold the broker's shutdown.
    await Promise.race([this.redis.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, COMMAND_TIMEOUT_MS).unref())]);
    this.redis.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailableError(describe(error), { cause: error });
    }
  }
}

function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** What went wrong, without the URL (it may carry a password). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/timed out/i.test(message)) return `Redis did not answer within ${COMMAND_TIMEOUT_MS / 1000} s`;
  if (/writeable|closed|ECONNREFUSED|ECONNRESET|max retries/i.test(message)) return 'Redis is not connected (reconnecting)';
  return 'Redis refused the command';
}
