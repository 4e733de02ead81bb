// --har FILE: the transcript of a real traced flow as HAR 1.2, checked field by field against the
// spec's tables (required fields, types, custom fields only with "_"), parsed back, free of
// secrets, and written atomically at mode 0600.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHar, writeHar, type Har } from '../../src/trace/har.js';
import { createRedactor, redactionMarker } from '../../src/trace/redact.js';
import { Transcript } from '../../src/trace/transcript.js';
import { compileValidator } from '../../src/util/json-schema.js';
import { isCliError } from '../../src/util/errors.js';
import { flowSecrets, leakForms, runTracedFlow, startTokenServer, type TokenServer } from './trace-fixture.js';

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), one schema per object of the spec.
// additionalProperties: only the spec's fields, and custom fields that start with "_" ("Custom Fields").
const obj = (required: string[], properties: Record<string, unknown>) => ({
  type: 'object',
  required,
  properties: { ...properties, comment: { type: 'string' } },
  patternProperties: { '^_': {} },
  additionalProperties: false,
});
const str = { type: 'string' };
const int = { type: 'integer' };
const num = { type: 'number' };
const bool = { type: 'boolean' };
const dateTime = { type: 'string', format: 'date-time' };
const nameValue = obj(['name', 'value'], { name: str, value: str });
const cookie = obj(['name', 'value'], { name: str, value: str, path: str, domain: str, expires: dateTime, httpOnly: bool, secure: bool });
const array = (items: unknown) => ({ type: 'array', items });
const HAR_1_2 = obj(['log'], {
  log: obj(['version', 'creator', 'entries'], {
    version: { const: '1.2' },
    creator: obj(['name', 'version'], { name: str, version: str }),
    browser: obj(['name', 'version'], { name: str, version: str }),
    pages: array(obj(['startedDateTime', 'id', 'title', 'pageTimings'], { startedDateTime: dateTime, id: str, title: str, pageTimings: obj([], { onContentLoad: num, onLoad: num }) })),
    entries: array(
      obj(['startedDateTime', 'time', 'request', 'response', 'cache', 'timings'], {
        pageref: str,
        startedDateTime: dateTime,
        time: { type: 'number', minimum: 0 },
        request: obj(['method', 'url', 'httpVersion', 'cookies', 'headers', 'queryString', 'headersSize', 'bodySize'], {
          method: str,
          url: { type: 'string', format: 'uri' },
          httpVersion: str,
          cookies: array(cookie),
          headers: array(nameValue),
          queryString: array(nameValue),
          postData: obj(['mimeType'], {
            mimeType: str,
            params: array(obj(['name'], { name: str, value: str, fileName: str, contentType: str })),
            text: str,
          }),
          headersSize: int,
          bodySize: int,
        }),
        response: obj(['status', 'statusText', 'httpVersion', 'cookies', 'headers', 'content', 'redirectURL', 'headersSize', 'bodySize'], {
          status: int,
          statusText: str,
          httpVersion: str,
          cookies: array(cookie),
          headers: array(nameValue),
          content: obj(['size', 'mimeType'], { size: int, compression: int, mimeType: str, text: str, encoding: str }),
          redirectURL: str,
          headersSize: int,
          bodySize: int,
        }),
        cache: obj([], { beforeRequest: { type: ['object', 'null'] }, afterRequest: { type: ['object', 'null'] } }),
        timings: obj(['send', 'wait', 'receive'], {
          blocked: num,
          dns: num,
          connect: num,
          send: { type: 'number', minimum: 0 },
          wait: { type: 'number', minimum: 0 },
          receive: { type: 'number', minimum: 0 },
          ssl: num,
        }),
        serverIPAddress: str,
        connection: str,
      }),
    ),
  }),
});
const validateHar = compileValidator(HAR_1_2 as unknown as TSchema);

const OPTIONS = { creator: { name: 'oauthd-cli', version: '0.1.0' }, title: 'oauthd-cli login fixture' };
const secrets = flowSecrets();
let server: TokenServer;
let dir: string;
const transcript = new Transcript();

beforeAll(async () => {
  server = await startTokenServer(secrets);
  dir = await mkdtemp(join(tmpdir(), 'oauthd-har-'));
  await runTracedFlow(transcript, server, secrets);
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the HAR of a traced flow', () => {
  it('is valid HAR 1.2: every required field, typed as the spec says, no unknown field', () => {
    const har = toHar(transcript.events, OPTIONS);
    expect(validateHar(har)).toEqual([]);
    expect(har.log.entries).toHaveLength(5);
  });

  it('rejects what the spec rejects (the schema is not vacuous)', () => {
    const har = toHar(transcript.events, OPTIONS) as unknown as { log: { entries: Array<Record<string, unknown>> } };
    const entry = har.log.entries[0] as { request: Record<string, unknown>; timings: Record<string, unknown>; extra?: number };
    delete entry.request.cookies;
    entry.timings.wait = -1;
    entry.extra = 1;
    expect(validateHar(har).map((problem) => problem.path)).toEqual(
      expect.arrayContaining(['/log/entries/0/request', '/log/entries/0/timings/wait', '/log/entries/0']),
    );
  });

  it('keeps time equal to the sum of the timings, and entries in start order', () => {
    const { entries } = toHar(transcript.events, OPTIONS).log;
    for (const entry of entries) expect(entry.time).toBe(entry.timings.send + entry.timings.wait + entry.timings.receive);
    const starts = entries.map((entry) => entry.startedDateTime);
    expect([...starts].sort()).toEqual(starts);
  });

  it('describes each exchange: method, URL, query, headers, cookies, post data, status, content', () => {
    const [basic, json, refresh, reused, refused] = toHar(transcript.events, OPTIONS).log.entries;
    expect(basic?.request).toMatchObject({ method: 'POST', url: `${server.origin}/token`, httpVersion: 'HTTP/1.1', headersSize: -1 });
    expect(basic?.request.postData?.mimeType).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(basic?.request.postData?.text).get('code_verifier')).toBe(redactionMarker(secrets.verifier));
    expect(basic?.request.bodySize).toBeGreaterThan(0);
    expect(basic?.response).toMatchObject({ status: 200, statusText: 'OK', redirectURL: '' });
    expect(basic?.response.content.mimeType).toBe('application/json');
    expect(JSON.parse(basic?.response.content.text ?? '')).toMatchObject({ access_token: redactionMarker(secrets.accessToken), token_type: 'Bearer' });
    expect(basic?.response.cookies).toEqual([{ name: 'sid', value: redactionMarker(secrets.sessionCookie), path: '/', httpOnly: true, secure: true }]);
    expect(basic?.comment).toBe('token request (authorization_code)');
    expect(JSON.parse(json?.request.postData?.text ?? '')).toMatchObject({ client_secret: redactionMarker(secrets.clientSecret) });
    expect(refresh?.request.queryString).toEqual([{ name: 'refresh', value: '1' }]);
    expect(reused?.response.status).toBe(400);
    expect(refused?.response).toMatchObject({ status: 0, bodySize: -1 });
    expect(refused?.response._error).toMatch(/connection refused/);
  });

  it('carries the steps and checks in log._trace', () => {
    const trace = toHar(transcript.events, OPTIONS).log._trace;
    expect(trace.map((item) => (item.type === 'step' ? item.title : `check ${item.name}`))).toEqual([
      'authorization request',
      'authorization response',
      'check state',
      'check PKCE',
      'check redirect_uri',
      'check nonce',
      'check id_token nonce',
    ]);
  });
});

describe('writeHar', () => {
  it('writes the HAR atomically at mode 0600; it parses back to the same object and holds no secret', async () => {
    const path = join(dir, 'nested', 'login.har');
    await writeHar(path, transcript.events, OPTIONS);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'nested'))).toEqual(['login.har']);
    const text = await readFile(path, 'utf8');
    const parsed = JSON.parse(text) as Har;
    expect(parsed).toEqual(toHar(transcript.events, OPTIONS));
    expect(validateHar(parsed)).toEqual([]);
    for (const form of leakForms(secrets)) expect(text).not.toContain(form);
  });

  it('with --trace-secrets the file holds the secrets, still at 0600, over an existing file', async () => {
    const local = new Transcript({ redactor: createRedactor({ revealSecrets: true }) });
    await runTracedFlow(local, server, secrets);
    const path = join(dir, 'secrets.har');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeHar(path, local.events, OPTIONS);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).toContain(secrets.accessToken);
    expect(validateHar(JSON.parse(text))).toEqual([]);
  });

  it('a path that cannot be written is a usage error naming the file', async () => {
    const blocker = join(dir, 'not-a-folder');
    await writeFile(blocker, '');
    const error: unknown = await writeHar(join(blocker, 'x.har'), transcript.events, OPTIONS).catch((e: unknown) => e);
    expect(isCliError(error)).toBe(true);
    expect((error as Error).message).toContain(join(blocker, 'x.har'));
    expect((error as { exitCode: number }).exitCode).toBe(2);
  });
});
