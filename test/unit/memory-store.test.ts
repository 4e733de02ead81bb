// src/store/memory.ts: single-use entries with a TTL, bounded.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, MemoryStore } from '../../src/store/memory.js';
import { StoreFullError } from '../../src/store/store.js';
import { caught } from './errors.js';

const stores: MemoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** A store on a clock the test moves by hand. */
function storeWithClock(maxEntries?: number) {
  const clock = { now: 1_000_000 };
  const store = new MemoryStore({ now: () => clock.now, maxEntries });
  stores.push(store);
  return { store, clock };
}

describe('MemoryStore', () => {
  it('take returns the value once; the second take finds nothing', async () => {
    const { store } = storeWithClock();
    await store.put('code-1', { user: 'u1', scopes: ['a'] }, 60_000);
    expect(await store.take('code-1')).toEqual({ user: 'u1', scopes: ['a'] });
    expect(await store.take('code-1')).toBeUndefined();
    expect(await store.take('never-put')).toBeUndefined();
  });

  it('stores a copy: changing the object afterwards changes nothing stored', async () => {
    const { store } = storeWithClock();
    const value = { nested: { n: 1 } };
    await store.put('k', value, 60_000);
    value.nested.n = 2;
    const first = await store.peek<typeof value>('k');
    expect(first).toEqual({ nested: { n: 1 } });
    (first as typeof value).nested.n = 3;
    expect(await store.take('k')).toEqual({ nested: { n: 1 } });
  });

  it('peek reads without consuming', async () => {
    const { store } = storeWithClock();
    await store.put('k', 'v', 1000);
    expect(await store.peek('k')).toBe('v');
    expect(await store.peek('k')).toBe('v');
    expect(await store.take('k')).toBe('v');
    expect(await store.peek('k')).toBeUndefined();
  });

  it('an entry expires at exactly its TTL, on the injected clock', async () => {
    const { store, clock } = storeWithClock();
    await store.put('k', 'v', 100);
    clock.now += 99;
    expect(await store.peek('k')).toBe('v');
    expect(await store.size()).toBe(1);
    clock.now += 1;
    expect(await store.peek('k')).toBeUndefined();
    expect(await store.take('k')).toBeUndefined();
    expect(await store.size()).toBe(0);
  });

  it('put over an existing key replaces the value and the TTL', async () => {
    const { store, clock } = storeWithClock();
    await store.put('k', 'old', 100);
    clock.now += 90;
    await store.put('k', 'new', 100);
    clock.now += 50;
    expect(await store.take('k')).toBe('new');
  });

  it('size counts live entries only', async () => {
    const { store, clock } = storeWithClock();
    await store.put('short', 1, 10);
    await store.put('long', 2, 1000);
    expect(await store.size()).toBe(2);
    clock.now += 10;
    expect(await store.size()).toBe(1);
  });

  it('at the cap, put fails loudly with StoreFullError', async () => {
    expect(DEFAULT_MAX_ENTRIES).toBe(200_000);
    const { store } = storeWithClock(3);
    for (const key of ['a', 'b', 'c']) await store.put(key, key, 1000);
    const error = await caught(() => store.put('d', 'd', 1000));
    expect(error).toBeInstanceOf(StoreFullError);
    expect((error as StoreFullError).message).toBe('the flow store is full (3 entries, 0 KiB)');
    expect((error as StoreFullError).retryAfterSeconds).toBe(30);
    expect(await store.peek('d')).toBeUndefined();
    // Replacing an existing key does not grow the store: allowed when full.
    await store.put('a', 'a2', 1000);
    expect(await store.peek('a')).toBe('a2');
    // Taking one frees a place.
    await store.take('b');
    await store.put('d', 'd', 1000);
    expect(await store.size()).toBe(3);
  });

  it('the cap counts bytes too: large values fill it long before the entry cap', async () => {
    expect(DEFAULT_MAX_BYTES).toBe(32 * 1024 * 1024);
    const clock = { now: 0 };
    const store = new MemoryStore({ now: () => clock.now, maxBytes: 64 * 1024 });
    stores.push(store);
    const big = 'x'.repeat(7000);
    for (let i = 0; i < 9; i++) await store.put(`k${i}`, big, 1000);
    await expect(store.put('k9', big, 1000)).rejects.toBeInstanceOf(StoreFullError);
    expect(store.usedBytes()).toBeLessThanOrEqual(64 * 1024);
    // Small entries still fit in what is left, and taking one frees its bytes.
    await store.put('small', 1, 1000);
    await store.take('k0');
    await store.put('k9', big, 1000);
    expect(await store.size()).toBe(10);
  });

  it('claim records a key once: true for the first caller, false while it lives, true again after expiry', async () => {
    const { store, clock } = storeWithClock();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('used:x', 1000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    clock.now += 1000;
    expect(await store.claim('used:x', 1000)).toBe(true);
  });

  it('sharedSecret: 32 bytes, the same for every call on one store, another on another store', async () => {
    const { store } = storeWithClock();
    const { store: other } = storeWithClock();
    const secret = await store.sharedSecret('flow-state');
    expect(secret).toHaveLength(32);
    expect(await store.sharedSecret('flow-state')).toEqual(secret);
    expect(await other.sharedSecret('flow-state')).not.toEqual(secret);
  });

  it('a full store sweeps at most once a second, not on every put', async () => {
    const { store, clock } = storeWithClock(2);
    await store.put('a', 1, 10);
    await store.put('b', 2, 600);
    clock.now += 10;
    // 'a' has expired: the refused put sweeps it, and succeeds.
    await store.put('c', 3, 10_000);
    clock.now += 690;
    // 'b' has expired too, but the last sweep was 690 ms ago: no walk over every entry, refused.
    await expect(store.put('d', 4, 10_000)).rejects.toBeInstanceOf(StoreFullError);
    clock.now += 400;
    // More than a second after the last sweep: swept, and stored.
    await store.put('d', 4, 10_000);
    expect(await store.peek('d')).toBe(4);
  });

  it('at the cap, expired entries are swept before refusing', async () => {
    const { store, clock } = storeWithClock(3);
    await store.put('a', 1, 100);
    await store.put('b', 2, 100);
    await store.put('c', 3, 10_000);
    clock.now += 100;
    await store.put('d', 4, 10_000);
    await store.put('e', 5, 10_000);
    expect(await store.size()).toBe(3);
    expect(await store.peek('c')).toBe(3);
    await expect(store.put('f', 6, 10_000)).rejects.toBeInstanceOf(StoreFullError);
  });

  it('of 20 concurrent takes of one key, exactly one gets the value', async () => {
    const { store } = storeWithClock();
    await store.put('code', { n: 42 }, 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take<{ n: number }>('code')));
    expect(results.filter((value) => value !== undefined)).toEqual([{ n: 42 }]);
  });

  it('close empties the store', async () => {
    const { store } = storeWithClock();
    await store.put('k', 'v', 1000);
    await store.close();
    expect(await store.peek('k')).toBeUndefined();
  });
});
