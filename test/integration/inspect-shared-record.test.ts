// The inspector's shared record (src/inspector/shared.ts) on a real redis-server, brokers built in
// this process: a flow recorded at one broker is listed and shown at another, its tokens never
// in Redis (revealed only at the broker that holds them); the record stays within its bounds (count, bytes, TTL); and a
// Redis that stops answering costs the record, never a sign-in, while the inspector says so.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { callback, startPopupFlow, testBroker, type TestBroker } from '../helpers/broker.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { hasRedis, requireComponent } from '../helpers/components.js';
import { openInspector, shareInspector } from '../../src/compose/inspector.js';
import { appOverview } from '../../src/inspector/overview.js';
import { RedisStore } from '../../src/store/redis.js';
import { FlowRecorder, type FlowView } from '../../src/inspector/recorder.js';
import { SharedFlows, SharedUnavailableError, type SharedEvent } from '../../src/inspector/shared.js';
import type { BrokerInspector } from '../../src/broker/types.js';

const available = requireComponent('redis', hasRedis());
const HOST = '127.0.0.1:6284';

describe.skipIf(!available)('the inspector shared record on Redis', () => {
  let redis: RedisServer;
  let plain: Redis;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    redis = await startRedis();
    plain = new Redis(redis.url);
    plain.on('error', () => undefined);
  });
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close().catch(() => undefined);
    await plain.flushall().catch(() => undefined);
  });
  afterAll(async () => {
    plain?.disconnect();
    await redis?.stop();
  });

  async function broker(instance: string): Promise<{ broker: TestBroker; inspector: BrokerInspector; store: RedisStore }> {
    const inspector = openInspector({ overview: async () => appOverview(undefined) });
    const built = await testBroker({ inspector });
    cleanup.push(() => built.close());
    const store = await RedisStore.connect(redis.url);
    cleanup.push(() => store.close());
    const shared = await shareInspector(inspector, store, instance);
    cleanup.push(() => shared!.close());
    return { broker: built, inspector, store };
  }

  const get = (target: { broker: TestBroker; inspector: BrokerInspector }, url: string) =>
    target.broker.app.inject({ method: 'GET', url, headers: { host: HOST, cookie: `oauthd_inspector_6284=${target.inspector.secret}` } });
  const reveal = (target: { broker: TestBroker; inspector: BrokerInspector }, id: string, name: string) =>
    target.broker.app.inject({
      method: 'POST',
      url: `/inspector/api/flows/${id}/reveal`,
      payload: JSON.stringify({ name }),
      headers: { host: HOST, origin: `http://${HOST}`, 'content-type': 'application/json', cookie: `oauthd_inspector_6284=${target.inspector.secret}` },
    });

  /** Every value Redis holds, as text: what someone reading Redis would see. */
  async function dump(): Promise<string> {
    const parts: string[] = [];
    for (const key of await plain.keys('*')) {
      const type = await plain.type(key);
      if (type === 'string') parts.push(key, (await plain.get(key)) ?? '');
      else if (type === 'hash') parts.push(key, JSON.stringify(await plain.hgetall(key)));
      else if (type === 'zset') parts.push(key, JSON.stringify(await plain.zrange(key, 0, -1)));
    }
    return parts.join('\n');
  }

  it("lists and shows a flow of broker B at broker A, live; B's tokens stay at B, never in Redis", async () => {
    const a = await broker('host-a:1111');
    const b = await broker('host-b:2222');
    const heard: SharedEvent[] = [];
    a.inspector.shared!.subscribe((event) => heard.push(event));

    const state = await startPopupFlow(b.broker);
    expect((await callback(b.broker, { state, code: 'the-code' })).statusCode).toBe(200);
    await b.inspector.shared!.flush();

    const listed = (await get(a, '/inspector/api/flows')).json() as { flows: Array<{ id: string; instance: string; status: string }>; shared: { instance: string; reachable: boolean; note?: string } };
    expect(listed.shared).toMatchObject({ instance: 'host-a:1111', reachable: true });
    expect(listed.shared.note).toBeUndefined();
    expect(listed.flows).toMatchObject([{ instance: 'host-b:2222', status: 'ok' }]);
    const id = listed.flows[0]!.id;
    // Heard over pub/sub, as the SSE stream forwards it.
    await expect.poll(() => heard.some((event) => event.type === 'flow' && event.summary.id === id && event.summary.status === 'ok')).toBe(true);

    const flow = (await get(a, `/inspector/api/flows/${id}`)).json() as FlowView & { instance: string; remote: boolean };
    expect(flow).toMatchObject({ instance: 'host-b:2222', remote: true, status: 'ok' });
    const titles = flow.events.map((event) => (event.kind === 'step' ? event.title : event.kind === 'http' ? event.purpose : `check ${event.check.name}`));
    expect(titles.slice(0, 3)).toEqual(['authorization request', 'authorization response', 'token request (authorization_code)']);
    expect(titles).toEqual(expect.arrayContaining(['check state', 'check PKCE']));
    expect(flow.tokens.map((token) => token.name).sort()).toEqual(['access_token', 'refresh_token']);
    expect(JSON.stringify(flow)).not.toContain('access-1');

    // Revealed at B, which holds it; A says where. Redis never held it (nor the code, nor the state).
    expect((await reveal(b, id, 'access_token')).json()).toEqual({ name: 'access_token', value: 'access-1' });
    const elsewhere = await reveal(a, id, 'access_token');
    expect(elsewhere.statusCode).toBe(409);
    expect(elsewhere.json()).toMatchObject({ message: expect.stringContaining("this flow ran at broker host-b:2222, which alone holds its tokens: open that broker's inspector to reveal its access_token") });
    const everything = await dump();
    expect(everything).toContain(id);
    expect(everything).toContain(flow.tokens[0]!.marker);
    for (const secret of ['access-1', 'refresh-1', 'the-code', state]) expect(everything).not.toContain(secret);
    // The HAR of another broker's flow, from the shared record.
    const har = await get(a, `/inspector/api/flows/${id}/har`);
    expect((har.json() as { log: { entries: unknown[] } }).log.entries.length).toBeGreaterThanOrEqual(1);
    // The actions that call the provider run where the flow ran.
    const me = await a.broker.app.inject({ method: 'POST', url: `/inspector/api/flows/${id}/me`, payload: '{}', headers: { host: HOST, origin: `http://${HOST}`, 'content-type': 'application/json', cookie: `oauthd_inspector_6284=${a.inspector.secret}` } });
    expect(me.statusCode).toBe(409);
    expect(me.json()).toMatchObject({ message: expect.stringContaining('host-b:2222') });
    // B's own list has it as its own, once.
    const atB = (await get(b, '/inspector/api/flows')).json() as { flows: Array<{ id: string; instance: string }> };
    expect(atB.flows).toEqual([expect.objectContaining({ id, instance: 'host-b:2222' })]);
  });

  it('keeps at most maxFlows flows and maxBytes bytes in Redis, every key with a TTL, the oldest going first', async () => {
    const store = await RedisStore.connect(redis.url);
    cleanup.push(() => store.close());
    const recorder = new FlowRecorder();
    const options = { commandTimeout: 1000, enableOfflineQueue: false, maxRetriesPerRequest: 0 };
    const shared = new SharedFlows({
      recorder,
      redis: store.duplicate(options),
      subscriber: store.duplicate(options),
      prefix: store.prefix,
      instance: 'bounded',
      maxFlows: 5,
      maxBytes: 40_000,
    });
    await shared.start();
    cleanup.push(() => shared.close());
    const ids: string[] = [];
    for (let index = 0; index < 12; index++) {
      const flow = recorder.begin({ kind: 'client', provider: 'acme', app: 'bounded' });
      ids.push(flow.id);
      // About 9 KB each, under a flow's share (a quarter): 5 of them pass 40 000 bytes, so bytes bind before the count.
      flow.step('a big step', { notes: ['x'.repeat(8300)] });
      flow.finishCall({ ok: true });
      await shared.flush();
    }
    const order = await plain.zrange('oauthd:inspector:order', 0, -1);
    const sizes = await Promise.all(order.map(async (id) => (await plain.hstrlen('oauthd:inspector:views', id)) + (await plain.hstrlen('oauthd:inspector:summaries', id))));
    const held = sizes.reduce((sum, size) => sum + size, 0);
    expect(order.length).toBe(4);
    for (const id of order) expect(JSON.parse((await plain.hget('oauthd:inspector:views', id))!)).toMatchObject({ view: { truncated: false } });
    expect(held).toBeLessThanOrEqual(40_000);
    expect(Number(await plain.get('oauthd:inspector:bytes'))).toBe(held);
    expect(await plain.hlen('oauthd:inspector:views')).toBe(order.length);
    // The newest are kept: the last flow recorded is there, the first long gone.
    expect(order).toContain(ids[11]);
    expect(order).not.toContain(ids[0]);
    for (const key of ['order', 'summaries', 'views', 'bytes']) {
      const ttl = await plain.pttl(`oauthd:inspector:${key}`);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(3600_000);
    }
  });

  it('flows started in the same millisecond: Redis drops the same oldest ones the broker drops (start order, not id order)', async () => {
    const store = await RedisStore.connect(redis.url);
    cleanup.push(() => store.close());
    // One clock reading for every flow: all start "at once", as a burst of starts can on a fast machine.
    const recorder = new FlowRecorder({ maxFlows: 5, now: () => 1_800_000_000_000 });
    const options = { commandTimeout: 1000, enableOfflineQueue: false, maxRetriesPerRequest: 0 };
    const shared = new SharedFlows({ recorder, redis: store.duplicate(options), subscriber: store.duplicate(options), prefix: store.prefix, instance: 'same-ms', maxFlows: 5, now: () => 1_800_000_000_000 });
    await shared.start();
    cleanup.push(() => shared.close());
    for (let index = 0; index < 40; index++) {
      recorder.begin({ kind: 'client', provider: 'acme', app: 'same-ms' });
      await shared.flush();
    }
    const keptHere = recorder.list().map((flow) => flow.id).sort();
    expect(keptHere).toHaveLength(5);
    expect((await plain.zrange('oauthd:inspector:order', 0, -1)).sort()).toEqual(keptHere);
  });

  it('a stopped Redis costs the record, not the sign-in: the callback completes before the write gives up, and the inspector answers with a note', async () => {
    const a = await broker('host-a:1111');
    const shared = a.inspector.shared!;
    const statuses: SharedEvent[] = [];
    shared.subscribe((event) => statuses.push(event));
    await redis.stop();
    try {
      await expect.poll(() => shared.status().reachable).toBe(false);
      const state = await startPopupFlow(a.broker);
      const completed = await callback(a.broker, { state, code: 'the-code' });
      expect(completed.statusCode).toBe(200);
      expect(completed.body).toContain('\\"status\\":\\"success\\"');
      const listed = await get(a, '/inspector/api/flows');
      expect(listed.statusCode).toBe(200);
      const answer = listed.json() as { flows: Array<{ status: string; instance: string }>; shared: { reachable: boolean; note: string } };
      expect(answer.flows).toMatchObject([{ status: 'ok', instance: 'host-a:1111' }]);
      expect(answer.shared.reachable).toBe(false);
      expect(answer.shared.note).toMatch(/^cannot reach the shared record on Redis \(Redis is not connected \(reconnecting\)\): this list shows this broker's flows only/);
      expect(statuses).toContainEqual({ type: 'status', status: expect.objectContaining({ reachable: false }) });
      // Another broker's flow cannot be read now: 503 with Retry-After, never 500.
      const other = await get(a, '/inspector/api/flows/someone-elses-flow');
      expect(other.statusCode).toBe(503);
      expect(other.headers['retry-after']).toBe('5');
      await expect(shared.list()).rejects.toBeInstanceOf(SharedUnavailableError);
    } finally {
      await redis.restart();
    }
    // Back by itself: the next change is written, and the page hears that Redis answers again.
    await expect.poll(() => shared.status().reachable, { timeout: 10_000 }).toBe(true);
    const state = await startPopupFlow(a.broker);
    await callback(a.broker, { state, code: 'again' });
    await expect.poll(async () => (await shared.flush(), await plain.hlen('oauthd:inspector:views').catch(() => 0)), { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('a paused Redis (no answer at all) does not hold a sign-in: it completes while the record is still waiting on Redis', async () => {
    const a = await broker('host-a:1111');
    const shared = a.inspector.shared!;
    const first = await startPopupFlow(a.broker);
    await callback(a.broker, { state: first, code: 'one' });
    await shared.flush();
    redis.pause();
    try {
      const state = await startPopupFlow(a.broker);
      let written = false;
      const writing = shared.flush().then(() => (written = true));
      const completed = await callback(a.broker, { state, code: 'the-code' });
      expect(completed.statusCode).toBe(200);
      // The sign-in is done; the write to the paused Redis is still waiting for its timeout.
      expect(written).toBe(false);
      await writing;
      expect(shared.status()).toMatchObject({ reachable: false, reason: 'Redis did not answer within 1 s' });
    } finally {
      redis.resume();
    }
  });
});
