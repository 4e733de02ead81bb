// The answer turn (src/broker/answer-turn.ts): a flow start's redirect and a code exchange's tokens
// are written in the event loop's check phase, with every other such answer of the same poll, and
// no other answer waits. Observed from a preHandler hook: it queues a setImmediate right before the
// handler runs; an answer that waits for the turn is sent after it has fired, one that does not is
// sent before (the broker's store and the fake provider here answer without I/O).
import { afterEach, describe, expect, it } from 'vitest';
import { APP_SECRET, startPopupFlow, testBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const HOST = { host: '127.0.0.1:6284' };

/** Records, per answer, whether the check phase that followed its handler had begun when it was sent. */
function watchTurns(b: TestBroker): Array<{ url: string; status: number; afterCheckPhase: boolean }> {
  const seen: Array<{ url: string; status: number; afterCheckPhase: boolean }> = [];
  const fired = new WeakMap<object, boolean>();
  b.app.addHook('preHandler', (request, _reply, done) => {
    fired.set(request, false);
    setImmediate(() => fired.set(request, true));
    done();
  });
  b.app.addHook('onSend', (request, reply, payload, done) => {
    seen.push({ url: request.url.split('?')[0] as string, status: reply.statusCode, afterCheckPhase: fired.get(request) === true });
    done(null, payload);
  });
  return seen;
}

async function serverCode(b: TestBroker): Promise<string> {
  const state = await startPopupFlow(b, { state: 'backend-state' });
  const page = await b.app.inject({ method: 'GET', url: `/auth?${new URLSearchParams({ state, code: 'provider-code' })}`, headers: HOST });
  const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page.body)?.[1] as string;
  return (JSON.parse(JSON.parse(message) as string) as { data: { code: string } }).data.code;
}

describe('the answer turn', () => {
  it('holds a flow start redirect until the check phase, and only a successful one', async () => {
    broker = await testBroker();
    const seen = watchTurns(broker);
    await startPopupFlow(broker);
    const unknown = await broker.app.inject({ method: 'GET', url: `/auth/nobody?k=${broker.app_.key}`, headers: { ...HOST, referer: 'http://localhost:3000/' } });
    expect(unknown.statusCode).toBe(404);
    expect(seen).toEqual([
      { url: '/auth/acme', status: 302, afterCheckPhase: true },
      { url: '/auth/nobody', status: 404, afterCheckPhase: false },
    ]);
  });

  it('holds a code exchange answer until the check phase, and not a refusal', async () => {
    broker = await testBroker({ flow: 'server' });
    const seen = watchTurns(broker);
    const code = await serverCode(broker);
    seen.length = 0;
    const refused = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code: 'not-a-code', key: broker.app_.key, secret: APP_SECRET } });
    expect(refused.statusCode).toBe(400);
    const traded = await broker.app.inject({ method: 'POST', url: '/auth/access_token', headers: HOST, payload: { code, key: broker.app_.key, secret: APP_SECRET } });
    expect(traded.statusCode).toBe(200);
    expect(seen).toEqual([
      { url: '/auth/access_token', status: 400, afterCheckPhase: false },
      { url: '/auth/access_token', status: 200, afterCheckPhase: true },
    ]);
  });

  it('holds every one of twenty starts made at once until the check phase', async () => {
    broker = await testBroker();
    const seen = watchTurns(broker);
    const states = await Promise.all(Array.from({ length: 20 }, (_, i) => startPopupFlow(broker!, { state: `page-${i}` })));
    expect(new Set(states).size).toBe(20);
    expect(seen).toHaveLength(20);
    expect(seen.every((answer) => answer.status === 302 && answer.afterCheckPhase)).toBe(true);
  });
});
