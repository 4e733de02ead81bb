// Issue 9 §3/§6: the broker's answers when no route answered, over a real socket (the broker
// listening on a free loopback port). Never a 5xx for someone else's fault, never a hang, never a
// reset where an answer is due, never a stack trace; 500 only for a genuine bug, and then mute.
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { appFromConfig } from '../../src/broker/app-config.js';
import { configError } from '../../src/util/errors.js';
import { REQUEST_TIMEOUT_MS } from '../../src/broker/error-answers.js';
import type { SecretBackend } from '../../src/vault/backend.js';
import { APP_SECRET, testBroker, type TestBroker } from '../helpers/broker.js';
import { rawRequest } from '../helpers/raw-http.js';

const HOST = '127.0.0.1:6284'; // what the test broker answers to (allowedHosts)
let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function listening(setup?: (b: TestBroker) => void): Promise<{ b: TestBroker; port: number }> {
  broker = await testBroker({ flow: 'server' });
  setup?.(broker);
  await broker.app.listen({ port: 0, host: '127.0.0.1' });
  return { b: broker, port: (broker.app.server.address() as AddressInfo).port };
}

const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

function headerOf(head: string, name: string): string | undefined {
  return new RegExp(`\\r\\n${name}:\\s*([^\\r\\n]*)`, 'i').exec(head)?.[1];
}

/** Every byte a socket receives until the server closes it (or `timeoutMs`). */
function everything(port: number, bytes: string, timeoutMs: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(bytes);
  });
}

describe('requests node:http answers before any route', () => {
  it('CONNECT gets 405 in the envelope, not a dropped connection', async () => {
    const { port } = await listening();
    const answer = await rawRequest(port, `CONNECT ${HOST} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, { method: 'CONNECT', timeoutMs: 5_000 });
    expect(answer.status).toBe(405);
    expect(JSON.parse(answer.body)).toEqual({ status: 'fail', message: 'CONNECT is not served: this is an OAuth broker, not a proxy' });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(headerOf(answer.head, name)).toBe(value);
  });

  it('a request line node cannot parse gets 400 in the envelope, with the security headers', async () => {
    const { port } = await listening();
    for (const bytes of [`GET /a b c HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nBad Header: x\r\n\r\n`, 'GARBAGE\r\n\r\n']) {
      const answer = await rawRequest(port, bytes, { timeoutMs: 5_000 });
      expect(answer.status, bytes).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ status: 'fail', message: 'malformed HTTP request' });
      expect(headerOf(answer.head, 'cache-control')).toBe('no-store');
    }
    const huge = await rawRequest(port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, { timeoutMs: 5_000 });
    expect(huge.status).toBe(431);
    expect(JSON.parse(huge.body)).toEqual({ status: 'fail', message: 'the request headers are too large' });
  });

  it(`a request that stops arriving (body shorter than its Content-Length, unfinished headers) gets 408 after ${REQUEST_TIMEOUT_MS / 1000} s`, async () => {
    const { port } = await listening();
    const started = Date.now();
    const [body, head, afterOversized] = await Promise.all([
      rawRequest(port, `POST /auth/access_token HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code":"x"}`, { timeoutMs: REQUEST_TIMEOUT_MS + 5_000 }),
      rawRequest(port, `GET /api/providers HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: y`, { timeoutMs: REQUEST_TIMEOUT_MS + 5_000 }),
      // Answered 413 at once, then its body stalls: the socket closes, with no second answer.
      everything(port, `POST /auth/access_token HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"code":`, REQUEST_TIMEOUT_MS + 5_000),
    ]);
    expect(afterOversized.closed).toBe(true);
    expect(afterOversized.text.match(/HTTP\/1\.1 \d{3} /g)).toEqual(['HTTP/1.1 413 ']);
    expect(afterOversized.text).toMatch(/^HTTP\/1\.1 413 /);
    for (const answer of [body, head]) {
      expect(answer.timedOut).toBe(false);
      expect(answer.status).toBe(408);
      expect(JSON.parse(answer.body)).toEqual({ status: 'fail', message: `the request did not arrive within ${REQUEST_TIMEOUT_MS / 1000} s` });
    }
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000);
  }, REQUEST_TIMEOUT_MS + 20_000);

  it('a body over the limit gets its 413, and the connection is not reset under the client', async () => {
    const { port } = await listening();
    // The whole request in one write, as a client sending its body at once: fastify answers 413 on
    // the Content-Length alone and used to close the socket with the body unread, which makes the
    // kernel reset the connection (the client, still writing or reading, sees ECONNRESET).
    for (const size of [100 * 1024, 4 * 1024 * 1024, 12 * 1024 * 1024]) {
      const outcome = await new Promise<{ answer: string; errors: string[] }>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        let answer = '';
        const errors: string[] = [];
        socket.on('data', (chunk: Buffer) => {
          answer += chunk.toString('latin1');
          // Once the whole answer is in, wait a moment for a reset that would follow it.
          if (answer.includes('"Request body is too large"}')) setTimeout(() => resolve({ answer, errors }), 300);
        });
        socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
        socket.on('close', () => setTimeout(() => resolve({ answer, errors }), 300));
        socket.write(`POST /auth/access_token HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${size + 5}\r\n\r\ncode=${'a'.repeat(size)}`);
        setTimeout(() => resolve({ answer, errors: [...errors, 'no answer within 5 s'] }), 5_000);
      });
      expect(outcome.errors, `${size} bytes`).toEqual([]);
      expect(outcome.answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(outcome.answer).toContain('{"status":"fail","message":"Request body is too large"}');
    }
  });
});

describe('the central error handler', () => {
  /** Routes that throw what a library or a route might, added before the broker listens. */
  function throwing(b: TestBroker) {
    b.app.get('/test/client-error', async () => {
      throw Object.assign(new Error('no such widget'), { status: 404 }); // koa/http-errors style: `status` only
    });
    b.app.get('/test/unavailable', async () => {
      throw configError('the OS keychain is locked', 'unlock it');
    });
    b.app.get('/test/gateway-timeout', async () => {
      throw Object.assign(new Error('the provider did not answer within 30 s'), { statusCode: 504 });
    });
    b.app.get('/test/bug', async () => {
      const error = new TypeError("Cannot read properties of undefined (reading 'x')");
      error.stack = `${error.message}\n    at handler (/work/src/broker/routes/secret.ts:12:7)`;
      throw error;
    });
    b.app.get('/test/bug-500-status', async () => {
      throw Object.assign(new Error('db password is hunter2'), { statusCode: 500 });
    });
  }

  it('keeps a 4xx for the caller, 502/503/504 for a provider or a store, and 500 only for a bug (mute)', async () => {
    const { port } = await listening(throwing);
    const get = async (path: string) => {
      const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`, { timeoutMs: 5_000 });
      return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown>, body: answer.body };
    };
    expect(await get('/test/client-error')).toMatchObject({ status: 404, json: { status: 'fail', message: 'no such widget' } });
    expect(await get('/test/unavailable')).toMatchObject({ status: 503, json: { status: 'error', message: 'the OS keychain is locked' } });
    expect(await get('/test/gateway-timeout')).toMatchObject({ status: 504, json: { status: 'error', message: 'the provider did not answer within 30 s' } });
    for (const path of ['/test/bug', '/test/bug-500-status']) {
      const bug = await get(path);
      expect(bug.status).toBe(500);
      expect(bug.json).toEqual({ status: 'error', message: 'internal error' });
      expect(bug.body).not.toMatch(/secret\.ts|hunter2|Cannot read/);
    }
  });

  it("fastify's own client errors keep their 4xx: unsupported media type, malformed JSON, schema, bad URL (with the security headers)", async () => {
    const { b } = await listening();
    const post = (type: string, payload: string) => b.app.inject({ method: 'POST', url: '/auth/access_token', headers: { host: HOST, 'content-type': type }, payload });
    expect((await post('application/xml', '<x/>')).statusCode).toBe(415);
    expect((await post('text/plain', 'x')).statusCode).toBe(400);
    expect((await post('application/json', '{"code":')).statusCode).toBe(400);
    expect((await post('application/json', '{"__proto__":{"x":1},"code":"c","key":"k","secret":"s"}')).statusCode).toBe(400);
    expect((await post('application/json', '{"code":[],"key":"k","secret":"s"}')).statusCode).toBe(400);
    const badUrl = await b.app.inject({ url: '/auth/%ZZ', headers: { host: HOST } });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toMatchObject({ status: 'fail' });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(badUrl.headers[name], name).toBe(value);
  });

  it('POST /auth/access_token when the app secret cannot be read: 503, and the next request reads it again', async () => {
    const { b } = await listening();
    let locked = true;
    const vault: SecretBackend = {
      kind: 'keychain',
      location: 'Secret Service',
      get: async () => {
        if (locked) throw configError('the OS keychain is locked', 'unlock it');
        return APP_SECRET;
      },
      set: async () => undefined,
      delete: async () => false,
      accounts: async () => [],
    };
    const configured = await appFromConfig({ name: 'test app', key: b.app_.key, domains: [], flow: 'server' }, {}, async () => vault);
    b.app_.verifySecret = configured.verifySecret;
    const exchange = () => b.app.inject({ method: 'POST', url: '/auth/access_token', headers: { host: HOST }, payload: { code: 'c', key: b.app_.key, secret: APP_SECRET } });
    const refused = await exchange();
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({ status: 'error', message: 'the broker cannot read the app secret right now: the OS keychain is locked' });
    locked = false;
    const next = await exchange();
    // The secret is read this time; the code is unknown, which is the caller's 400.
    expect(next.statusCode).toBe(400);
  });
});
