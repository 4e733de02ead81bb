/**
 * FlowStore on Redis, for several broker instances behind one address. Each entry is a string key
 * with a PX expiry; `take` is GETDEL, one atomic command (Redis ≥ 6.2), so a code is single-use
 * across every instance.
 */
import type { Redis } from 'ioredis';
import type { FlowStore } from './store.js';

export class RedisStore implements FlowStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'oauthd:',
  ) {}

  static async connect(url: string, prefix?: string): Promise<RedisStore> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
    // Connection trouble surfaces as failed commands (a 5xx-free error page for the flow), not as
    // ioredis printing "Unhandled error event" on stderr.
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
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async take<T>(key: string): Promise<T | undefined> {
    const json = await this.redis.getdel(this.prefix + key);
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async peek<T>(key: string): Promise<T | undefined> {
    const json = await this.redis.get(this.prefix + key);
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async size(): Promise<number> {
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
