// The sandbox's fault requests (src/sandbox/faults.ts) and its control endpoint
// (src/sandbox/control.ts), in process: names, values of the right kind, counts, and the answers
// to bad requests (never a crash, always the cause and the fix).
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { controlRoutes, CONTROL_PATH } from '../../src/sandbox/control.js';
import { checkFault, FAULTS, FaultError, FaultSet, parseFaultArgument } from '../../src/sandbox/faults.js';

describe('parseFaultArgument (--fault NAME[:VALUE])', () => {
  it('reads a name, and a value for the faults that take one', () => {
    expect(parseFaultArgument('html-502')).toEqual({ fault: 'html-502' });
    expect(parseFaultArgument('latency:500')).toEqual({ fault: 'latency', value: 500 });
    expect(parseFaultArgument('clock-skew:-90')).toEqual({ fault: 'clock-skew', value: -90 });
    // unavailable's Retry-After has a default.
    expect(parseFaultArgument('unavailable')).toEqual({ fault: 'unavailable', value: 30 });
  });

  it('refuses an unknown name with the list of names', () => {
    expect(() => parseFaultArgument('html-503')).toThrow(FaultError);
    expect(() => parseFaultArgument('html-503')).toThrow(`unknown fault "html-503"; the faults are ${FAULTS.map((fault) => fault.name).join(', ')}`);
  });

  it('names the expected kind of a wrong value', () => {
    expect(() => parseFaultArgument('latency:abc')).toThrow('latency takes a whole number of milliseconds, not "abc"; as in latency:500');
    expect(() => parseFaultArgument('latency:1.5')).toThrow(/whole number of milliseconds/);
    expect(() => parseFaultArgument('latency')).toThrow('latency needs a value in milliseconds, as in latency:500');
    expect(() => parseFaultArgument('latency:-1')).toThrow('latency takes 0 to 120000 milliseconds, not -1');
    expect(() => parseFaultArgument('html-502:3')).toThrow('html-502 takes no value (got "3"); write just html-502');
  });
});

describe('checkFault (the control endpoint\'s JSON)', () => {
  it('takes numbers or digits, and a count from 1', () => {
    expect(checkFault({ fault: 'latency', value: 20, count: 3 })).toEqual({ fault: 'latency', value: 20, count: 3 });
    expect(checkFault({ fault: 'latency', value: '20' })).toEqual({ fault: 'latency', value: 20 });
    expect(() => checkFault({ fault: 'html-502', count: 0 })).toThrow(/count must be a whole number of requests from 1/);
    expect(() => checkFault({ fault: 'html-502', count: 'two' })).toThrow(/not "two"/);
    expect(() => checkFault({ fault: 'rotate-keys', count: 2 })).toThrow('rotate-keys happens once when switched on; it takes no count');
    expect(() => checkFault({ fault: 42 })).toThrow(/^name a fault: one of id-token-bad-signature,/);
    expect(() => checkFault({ fault: 'latency', value: true })).toThrow(/not true/);
  });
});

describe('FaultSet', () => {
  it('spends a count one request at a time and forgets the fault when it is spent', () => {
    const faults = new FaultSet([{ fault: 'html-502', count: 2 }, { fault: 'latency', value: 5 }]);
    expect(faults.take('html-502')).toMatchObject({ remaining: 1 });
    expect(faults.take('html-502')).toMatchObject({ remaining: 0 });
    expect(faults.take('html-502')).toBeUndefined();
    // Without a count: until cleared.
    for (let i = 0; i < 5; i++) expect(faults.take('latency')).toMatchObject({ value: 5 });
    faults.clear();
    expect(faults.list()).toEqual([]);
  });

  it('tells its listeners, and settled() waits for what they do', async () => {
    const faults = new FaultSet();
    const seen: string[] = [];
    faults.onChange(async ({ fault, on }) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push(`${fault}:${on}`);
    });
    faults.add({ fault: 'rotate-keys' });
    faults.remove('rotate-keys');
    await faults.settled();
    expect(seen).toEqual(['rotate-keys:true', 'rotate-keys:false']);
  });
});

describe('the control endpoint', () => {
  async function control() {
    const faults = new FaultSet();
    const app = Fastify();
    await app.register(controlRoutes(faults));
    return { app, faults };
  }

  it('answers only loopback peers', async () => {
    const { app } = await control();
    const remote = await app.inject({ method: 'GET', url: CONTROL_PATH, remoteAddress: '192.0.2.7' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json()).toEqual({ error: 'forbidden', message: 'the control endpoint answers only on loopback' });
    const mapped = await app.inject({ method: 'GET', url: CONTROL_PATH, remoteAddress: '::ffff:127.0.0.1' });
    expect(mapped.statusCode).toBe(200);
    const six = await app.inject({ method: 'POST', url: CONTROL_PATH, remoteAddress: '::1', payload: { fault: 'html-502' } });
    expect(six.statusCode).toBe(201);
  });

  it('switches faults on, lists them, clears one or all', async () => {
    const { app, faults } = await control();
    expect((await app.inject({ method: 'POST', url: CONTROL_PATH, payload: { fault: 'latency', value: 50, count: 2 } })).json()).toEqual({
      fault: { fault: 'latency', value: 50, count: 2, remaining: 2, place: 'back channel' },
    });
    await app.inject({ method: 'POST', url: CONTROL_PATH, payload: { fault: 'missing-iss' } });
    const listed = (await app.inject({ method: 'GET', url: CONTROL_PATH })).json() as { faults: unknown[]; available: Array<{ fault: string; usage: string }> };
    expect(listed.faults).toHaveLength(2);
    expect(listed.available.map((fault) => fault.fault)).toEqual(FAULTS.map((fault) => fault.name));
    expect(listed.available.find((fault) => fault.fault === 'latency')?.usage).toBe('latency:MS');
    expect((await app.inject({ method: 'DELETE', url: `${CONTROL_PATH}/latency` })).statusCode).toBe(200);
    expect(faults.list().map((fault) => fault.fault)).toEqual(['missing-iss']);
    expect((await app.inject({ method: 'DELETE', url: `${CONTROL_PATH}/latency` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: CONTROL_PATH })).json()).toEqual({ faults: [] });
    expect(faults.list()).toEqual([]);
  });

  it.each([
    ['not JSON', 'application/json', '{"fault": ', 400, 'invalid_json', /^the body is not JSON/],
    ['a form', 'application/x-www-form-urlencoded', 'fault=html-502', 415, 'unsupported_media_type', /^send the fault as JSON \(Content-Type: application\/json\)/],
    ['an array', 'application/json', '[{"fault":"html-502"}]', 400, 'invalid_request', /must be a JSON object/],
    ['null', 'application/json', 'null', 400, 'invalid_request', /must be a JSON object/],
    ['an unknown field', 'application/json', '{"fault":"html-502","times":2}', 400, 'invalid_request', /^unknown field "times"/],
    ['an unknown fault', 'application/json', '{"fault":"html-503"}', 400, 'invalid_fault', /^unknown fault "html-503"; the faults are id-token-bad-signature, /],
    ['a value of the wrong kind', 'application/json', '{"fault":"latency","value":"soon"}', 400, 'invalid_fault', /^latency takes a whole number of milliseconds, not "soon"/],
    ['no body', 'application/json', '', 400, 'invalid_request', /send a JSON object/],
  ])('refuses %s, naming the problem', async (_what, contentType, payload, status, error, message) => {
    const { app, faults } = await control();
    const answer = await app.inject({ method: 'POST', url: CONTROL_PATH, headers: { 'content-type': contentType }, payload });
    expect(answer.statusCode).toBe(status);
    expect(answer.json()).toMatchObject({ error, message: expect.stringMatching(message) });
    expect(answer.body).not.toMatch(/\bat \S+ \(/);
    expect(faults.list()).toEqual([]);
  });

  it('refuses a body over 4 KiB, and other methods', async () => {
    const { app } = await control();
    const big = await app.inject({ method: 'POST', url: CONTROL_PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ fault: 'x'.repeat(5000) }) });
    expect(big.statusCode).toBe(413);
    expect((await app.inject({ method: 'PUT', url: CONTROL_PATH, payload: {} })).statusCode).toBe(405);
  });
});
