// The flow store contract, against both stores: the in-memory one and a real Redis server.
// What the broker relies on: TTLs, and a take that is atomic (a code is single-use even when
// several broker instances race for it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import { RedisStore } from '../../src/store/redis.js';
import type { FlowStore } from '../../src/store/store.js';
import { hasRedis, requireComponent } from '../helpers/components.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const redisAvailable = requireComponent('redis', hasRedis());

function contract(name: string, open: () => Promise<FlowStore>, sleepForExpiry: (ms: number) => Promise<void>) {
  describe(name, () => {
    it('put then take gives the value once', async () => {
      const store = await open();
      await store.put('code:a', { token: 'x', n: 1 }, 60_000);
      expect(await store.peek('code:a')).toEqual({ token: 'x', n: 1 });
      expect(await store.take('code:a')).toEqual({ token: 'x', n: 1 });
      expect(await store.take('code:a')).toBeUndefined();
      await store.close();
    });

    it('20 concurrent takes of one key: exactly one gets the value', async () => {
      const store = await open();
      await store.put('code:race', { v: 1 }, 60_000);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take('code:race')));
      expect(results.filter((value) => value !== undefined)).toHaveLength(1);
      await store.close();
    });

    it('a claimed key reads back as the same marker on every store, and a peeked value is a copy', async () => {
      const store = await open();
      expect(await store.claim('used:m', 60_000)).toBe(true);
      expect(await store.peek('used:m')).toBe(1);
      await store.put('code:p', { nested: { n: 1 } }, 60_000);
      const peeked = await store.peek<{ nested: { n: number } }>('code:p');
      (peeked as { nested: { n: number } }).nested.n = 2;
      expect(await store.take('code:p')).toEqual({ nested: { n: 1 } });
      await store.close();
    });

    it('an entry past its TTL is gone', async () => {
      const store = await open();
      await store.put('code:short', { v: 1 }, 50);
      await sleepForExpiry(120);
      expect(await store.take('code:short')).toBeUndefined();
      await store.close();
    });
  });
}

describe('memory store', () => {
  let now = 0;
  contract('contract', async () => new MemoryStore({ now: () => now }), async (ms) => {
    now += ms;
  });
});

describe.skipIf(!redisAvailable)('Redis store (a real server)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  contract('contract', () => RedisStore.connect(redis.url, `test:${Math.random().toString(36).slice(2)}:`), (ms) => new Promise((resolve) => setTimeout(resolve, ms)));

  it('two stores on one Redis (two broker instances) share codes, and a code is taken once across them', async () => {
    const prefix = 'shared:';
    const a = await RedisStore.connect(redis.url, prefix);
    const b = await RedisStore.connect(redis.url, prefix);
    await a.put('code:x', { token: 't' }, 60_000);
    const [fromA, fromB] = await Promise.all([a.take('code:x'), b.take('code:x')]);
    expect([fromA, fromB].filter(Boolean)).toHaveLength(1);
    await a.close();
    await b.close();
  });

  it('an unreachable Redis is a configuration error naming the URL', async () => {
    const { openStore } = await import('../../src/store/open.js');
    await expect(openStore({ type: 'redis', url: 'redis://127.0.0.1:1' }, {}, async () => {
      throw new Error('no vault');
    })).rejects.toThrow(/cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
