// Two `serve --inspect` processes on one real Redis store, signing in against node-oidc-provider in
// Chromium: broker A's inspector lists and shows the flows of both brokers (HTTP and its SSE
// stream), each with the broker instance it ran at; a token of B's flow is revealed at B only, and
// Redis never holds it; the record in Redis stays within its bound; with Redis stopped, the
// inspector answers with a note (never a 500) and the sign-in completes once Redis is back.
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { freePort } from '../helpers/ports.js';
import { codeIn, eventStream, startRedisBrokers, type RedisBroker, type RedisBrokers } from '../helpers/redis-brokers.js';
import { hasChromium, hasRedis, requireComponent } from '../helpers/components.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from '../helpers/sandbox-pages.js';
import type { FlowView } from '../../src/inspector/recorder.js';

const available = requireComponent('redis', hasRedis()) && requireComponent('chromium', hasChromium());

interface Listed {
  flows: Array<{ id: string; instance: string; status: string; kind: string; provider: string }>;
  shared?: { instance: string; reachable: boolean; note?: string; limits: { flows: number; bytes: number } };
}

describe.skipIf(!available)('serve --inspect: the flows of several brokers on one Redis in one inspector', () => {
  let redis: RedisServer;
  let oidc: OidcServer;
  let run: RedisBrokers;
  let a: RedisBroker;
  let b: RedisBroker;
  let plain: Redis;
  let browser: Browser | undefined;
  /** A's inspector page in Chromium, opened by the page test and watched through the Redis outage. */
  let page: Page | undefined;
  const name = (broker: RedisBroker) => `${hostname()}:${broker.port}`;
  const list = async (broker: RedisBroker) => {
    const response = await broker.inspector('flows');
    expect(response.status).toBe(200);
    return (await response.json()) as Listed;
  };

  beforeAll(async () => {
    redis = await startRedis();
    plain = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    plain.on('error', () => undefined);
    const ports = [await freePort(), await freePort()];
    oidc = await startOidcServer({ redirectUris: ports.map((port) => `http://127.0.0.1:${port}/auth`) });
    run = await startRedisBrokers({ redisUrl: redis.url, issuer: oidc.issuer, ports, inspect: true });
    [a, b] = run.brokers as [RedisBroker, RedisBroker];
  });
  afterAll(async () => {
    await browser?.close();
    if (run) {
      expect(await run.stop()).toEqual([0, 0]);
      for (const broker of run.brokers) expect(broker.serve.stderr()).not.toMatch(/Unhandled|\n\s+at /);
    }
    plain?.disconnect();
    await oidc?.stop();
    await redis?.stop();
  });

  it("A's inspector lists both brokers' flows (HTTP and SSE) and shows B's timeline; B's tokens stay at B, never in Redis", async () => {
    expect(a.serve.stderr()).toMatch(/^ {2}inspector {6}http:\/\/\S+ {3}← every flow of every broker on this Redis/m);
    const stream = eventStream(await a.inspector('events'));
    try {
      // One sign-in at each broker, each to the end (the code traded at the broker that issued it).
      const tokens: Record<string, string> = {};
      for (const broker of [a, b]) {
        const page = await (await fetch(await run.signIn(await broker.start()))).text();
        const traded = await broker.exchange(codeIn(page));
        expect(traded.status).toBe(200);
        tokens[broker.port] = ((await traded.json()) as { access_token: string }).access_token;
      }

      await expect.poll(async () => (await list(a)).flows.filter((flow) => flow.status === 'ok').length, { timeout: 10_000 }).toBe(2);
      const listed = await list(a);
      expect(listed.shared).toMatchObject({ instance: name(a), reachable: true, limits: { flows: 100, bytes: 4 * 1024 * 1024 } });
      expect(listed.shared?.note).toBeUndefined();
      // Newest first: B's flow, then A's.
      expect(listed.flows).toMatchObject([
        { instance: name(b), status: 'ok', kind: 'server', provider: 'myidp' },
        { instance: name(a), status: 'ok', kind: 'server', provider: 'myidp' },
      ]);
      const [fromB, fromA] = listed.flows as [Listed['flows'][number], Listed['flows'][number]];

      // A's stream carried B's flow as it happened (pub/sub from B), with B's name.
      const sawB = (text: string) => text.split('\n\n').some((event) => event.startsWith('event: flow') && event.includes(`"id":"${fromB.id}"`) && event.includes(`"instance":"${name(b)}"`) && event.includes('"status":"ok"'));
      expect(await stream.waitFor(sawB), stream.text()).toBe(true);
      expect(stream.text()).toContain(`"id":"${fromA.id}"`);

      // B's flow at A: the whole timeline.
      const shown = (await (await a.inspector(`flows/${fromB.id}`)).json()) as FlowView & { instance: string; remote: boolean };
      expect(shown).toMatchObject({ id: fromB.id, instance: name(b), remote: true, status: 'ok' });
      const titles = shown.events.map((event) => (event.kind === 'step' ? event.title : event.kind === 'http' ? event.purpose : `check ${event.check.name}`));
      expect(titles[0]).toBe('authorization request');
      expect(titles).toEqual(expect.arrayContaining(['authorization response', 'token request (authorization_code)', 'check state', 'check PKCE', 'check nonce']));
      expect(shown.tokens.find((token) => token.name === 'id_token')?.jwt?.claims).toMatchObject({ iss: oidc.issuer });
      expect(JSON.stringify(shown)).not.toContain(tokens[b.port]);
      // A's own flow, from its own recorder.
      expect((await (await a.inspector(`flows/${fromA.id}`)).json()) as FlowView & { instance: string }).toMatchObject({ instance: name(a), status: 'ok' });

      // Revealed at B, which holds it; A names B. No token of either flow is in Redis.
      expect(await (await b.inspector(`flows/${fromB.id}/reveal`, { name: 'access_token' })).json()).toEqual({ name: 'access_token', value: tokens[b.port] });
      const elsewhere = await a.inspector(`flows/${fromB.id}/reveal`, { name: 'access_token' });
      expect(elsewhere.status).toBe(409);
      expect(((await elsewhere.json()) as { message: string }).message).toContain(`this flow ran at broker ${name(b)}, which alone holds its tokens`);
      const everything = JSON.stringify(await Promise.all((await plain.keys('*')).map(async (key) => [key, (await plain.type(key)) === 'hash' ? await plain.hgetall(key) : (await plain.type(key)) === 'string' ? await plain.get(key) : ''])));
      expect(everything).toContain(fromB.id);
      for (const token of Object.values(tokens)) expect(everything).not.toContain(token);
    } finally {
      stream.close();
    }
  });

  it("A's page shows B's flows live with their broker, and says a flow of B is read from the shared record", async () => {
    browser = await chromium.launch(CHROMIUM);
    page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${a.port}/inspector?secret=${a.inspectorSecret}`);
    await page.waitForSelector('#live[data-live="live"]');
    await page.waitForSelector(`p.shared[data-shared="reachable"]`);
    expect(await page.$$eval('table.flows th', (cells) => cells.map((cell) => cell.textContent))).toContain('broker');
    // A flow started at B now appears in A's page without a reload, named after B.
    await b.start('page-test');
    const started = (await list(b)).flows[0]!;
    const row = await page.waitForSelector(`tr[data-flow-id="${started.id}"][data-instance="${name(b)}"]`, { timeout: 10_000 });
    expect(await row.textContent()).toContain(name(b));
    await page.click(`tr[data-flow-id="${started.id}"] a`);
    await page.waitForSelector(`article.flow[data-flow-id="${started.id}"] [data-remote="true"]`);
    expect(await page.textContent('[data-remote="true"]')).toContain(`This flow ran at broker ${name(b)}`);
    expect(await page.textContent(`[data-instance="${name(b)}"]`)).toContain(`broker ${name(b)}`);
    await page.click('a[href="#/"]');
  });

  it('holds the bound: 130 flow starts at B leave at most 100 flows in Redis and in A\'s list, the newest kept', async () => {
    const starts: string[] = [];
    for (let index = 0; index < 130; index++) starts.push(await b.start(`bound-${index}`));
    expect(starts).toHaveLength(130);
    // B's newest flow, as B's own inspector lists it; A lists it once B's record has reached Redis.
    const newest = (await list(b)).flows[0]!;
    expect(newest).toMatchObject({ instance: name(b), status: 'pending' });
    await expect.poll(async () => (await list(a)).flows.some((flow) => flow.id === newest.id), { timeout: 10_000 }).toBe(true);
    expect((await list(a)).flows.filter((flow) => flow.instance === name(b) && flow.status === 'pending').length).toBeGreaterThanOrEqual(90);
    expect(await plain.zcard('oauthd:inspector:order')).toBeLessThanOrEqual(100);
    const bytes = Number(await plain.get('oauthd:inspector:bytes'));
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(await plain.pttl('oauthd:inspector:views')).toBeGreaterThan(0);
    const listed = await list(a);
    const fromB = listed.flows.filter((flow) => flow.instance === name(b));
    expect(fromB.length).toBeLessThanOrEqual(100);
    // What A shows of B is among B's newest (B's own recorder keeps 100): the oldest starts went
    // first. B writes its record in batches (every 100 ms), so a flow B has just dropped may stay
    // in A's list until the batch with its successors reaches Redis: wait for that, not forever.
    const shownNotKept = async () => {
      const keptAtB = new Set((await list(b)).flows.map((flow) => flow.id));
      return (await list(a)).flows.filter((flow) => flow.instance === name(b) && !keptAtB.has(flow.id)).map((flow) => flow.id);
    };
    await expect.poll(shownNotKept, { timeout: 10_000 }).toEqual([]);
  });

  it('with Redis stopped, the inspector answers with a note (list and stream), never a 500; the sign-in completes when Redis is back', async () => {
    const stream = eventStream(await a.inspector('events'));
    try {
      const callbackUrl = await run.signIn(await a.start('while-down'));
      await redis.stop();
      const unreachable = (text: string) => /event: shared\ndata: \{"reachable":false[^\n]*cannot reach the shared record on Redis/.test(text);
      expect(await stream.waitFor(unreachable), stream.text()).toBe(true);

      // The flow store is this Redis too: the callback gets the store's 503 (as without --inspect), not the inspector's fault.
      const refused = await fetch(callbackUrl);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');

      // The page says so too (the stream's `shared` event), and keeps showing A's own flows.
      if (page) expect(await page.waitForSelector('p.shared[data-shared="unreachable"]').then((note) => note.textContent())).toMatch(/^cannot reach the shared record on Redis/);
      const listed = await list(a);
      expect(listed.shared).toMatchObject({ reachable: false, note: expect.stringMatching(/^cannot reach the shared record on Redis \(.+\): this list shows this broker's flows only/) });
      expect(listed.flows.length).toBeGreaterThan(0);
      expect(listed.flows.every((flow) => flow.instance === name(a))).toBe(true);
      const other = await a.inspector('flows/some-flow-of-another-broker');
      expect(other.status).toBe(503);
      expect(((await other.json()) as { message: string }).message).toContain('cannot reach the shared record on Redis');
      expect((await a.inspector('flows/x/reveal', { name: 'access_token' })).status).toBe(503);

      await redis.restart();
      let delivered: Response | undefined;
      for (let attempt = 0; attempt < 40; attempt++) {
        delivered = await fetch(callbackUrl);
        if (delivered.status !== 503) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(delivered!.status).toBe(200);
      expect((await a.exchange(codeIn(await delivered!.text()))).status).toBe(200);
      // The record is back by itself: the note goes, and the flow that just ended is in Redis again.
      const back = (text: string) => /event: shared\ndata: \{"reachable":false[\s\S]*event: shared\ndata: \{"reachable":true\}/.test(text);
      expect(await stream.waitFor(back), stream.text()).toBe(true);
      await expect.poll(async () => (await list(a)).shared?.reachable, { timeout: 10_000 }).toBe(true);
      await expect.poll(async () => (await plain.hvals('oauthd:inspector:summaries').catch(() => [])).some((summary) => summary.includes(name(a)) && summary.includes('"status":"ok"')), { timeout: 10_000 }).toBe(true);
      await expect.poll(async () => (await list(b)).flows.some((flow) => flow.instance === name(a) && flow.status === 'ok'), { timeout: 10_000 }).toBe(true);
    } finally {
      stream.close();
    }
  });
});
