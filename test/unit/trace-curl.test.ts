// --curl: each request of a real traced flow as a curl command. Parsed back with shell-quote it is
// the same method, URL, headers and body the provider received; run by bash and curl (with the
// secrets in the variables it names) it sends that same request again.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlCommand } from '../../src/trace/curl.js';
import { createRedactor, redactionMarker } from '../../src/trace/redact.js';
import { Transcript, type HttpEvent } from '../../src/trace/transcript.js';
import { onPath, requireComponent } from '../helpers/components.js';
import { flowSecrets, leakForms, runTracedFlow, startTokenServer, type ReceivedRequest, type TokenServer } from './trace-fixture.js';

const run = promisify(execFile);
const hasCurl = requireComponent('curl', onPath('curl'));

const secrets = flowSecrets();
/** RFC 6749 §2.3.1, as basicAuthorization() encodes the secret before Basic. */
const formEncoded = encodeURIComponent(secrets.clientSecret).replace(/%20/g, '+');
/** What a user would export before running the redacted lines. */
const VARIABLES: Record<string, string> = {
  CLIENT_SECRET: secrets.clientSecret,
  CLIENT_SECRET_FORM_ENCODED: formEncoded,
  CODE: secrets.code,
  CODE_VERIFIER: secrets.verifier,
  REFRESH_TOKEN: secrets.refreshToken,
  ACCESS_TOKEN: secrets.accessToken,
};

let server: TokenServer;
let original: ReceivedRequest[];
const transcript = new Transcript();
const exchanges = () => transcript.events.filter((event): event is HttpEvent => event.kind === 'http');

beforeAll(async () => {
  server = await startTokenServer(secrets);
  await runTracedFlow(transcript, server, secrets);
  // The four requests that reached the server (the fifth went to a closed port).
  original = [...server.received];
});
afterAll(() => server.close());

interface CurlRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  form: [string, string][];
  raw?: string;
}

/** Reads back the arguments of a curl command as curl would use them. */
function readCurl(line: string, env: Record<string, string> = {}): CurlRequest {
  const args = parse(line, env);
  for (const arg of args) expect(typeof arg, `shell-quote read ${JSON.stringify(arg)} as an operator`).toBe('string');
  const words = args as string[];
  expect(words[0]).toBe('curl');
  const out: CurlRequest = { method: 'GET', url: '', headers: {}, form: [] };
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    const next = () => words[++i] as string;
    if (word === '-X') out.method = next();
    else if (word === '-H') {
      const header = next();
      const colon = header.indexOf(':');
      out.headers[header.slice(0, colon).toLowerCase()] = header.slice(colon + 1).trim();
    } else if (word === '-u') out.headers.authorization = `Basic ${Buffer.from(next()).toString('base64')}`;
    else if (word === '--data-urlencode') {
      const field = next();
      const equals = field.indexOf('=');
      out.form.push([decodeURIComponent(field.slice(0, equals)), field.slice(equals + 1)]);
    } else if (word === '--data-raw') out.raw = next();
    else out.url = word;
  }
  return out;
}

/** The request as the server saw it, in the terms readCurl uses. */
function expectSameRequest(actual: CurlRequest, received: ReceivedRequest): void {
  expect(actual.method).toBe(received.method);
  expect(new URL(actual.url).pathname + new URL(actual.url).search).toBe(received.path);
  for (const name of ['authorization', 'content-type', 'accept', 'user-agent']) expect(actual.headers[name], name).toBe(received.headers[name]);
  if (received.headers['content-type'] === 'application/json') {
    expect(JSON.parse(actual.raw ?? '')).toEqual(JSON.parse(received.body));
  } else {
    expect(actual.form).toEqual([...new URLSearchParams(received.body)]);
  }
}

/** Same request, twice received: field values compared decoded (curl encodes a space as %20, URLSearchParams as +). */
function expectSameReceived(replayed: ReceivedRequest, received: ReceivedRequest): void {
  expect(replayed.method).toBe(received.method);
  expect(replayed.path).toBe(received.path);
  for (const name of ['authorization', 'content-type', 'accept', 'user-agent']) expect(replayed.headers[name], name).toBe(received.headers[name]);
  if (received.headers['content-type'] === 'application/json') expect(JSON.parse(replayed.body)).toEqual(JSON.parse(received.body));
  else expect([...new URLSearchParams(replayed.body)]).toEqual([...new URLSearchParams(received.body)]);
}

describe('redacted curl lines', () => {
  it('hold no secret: each secret is a shell variable, listed with its redaction marker', () => {
    for (const event of exchanges()) {
      for (const form of leakForms(secrets)) expect(event.curl.line).not.toContain(form);
    }
    const [basic, json, refresh, , userinfo] = exchanges();
    expect(basic?.curl.line).toContain(`-u 'my+client%40example:'"$CLIENT_SECRET_FORM_ENCODED"`);
    expect(basic?.curl.line).toContain(`--data-urlencode 'code='"$CODE"`);
    expect(basic?.curl.variables).toEqual([
      { name: 'CLIENT_SECRET_FORM_ENCODED', redacted: redactionMarker(formEncoded) },
      { name: 'CODE', redacted: redactionMarker(secrets.code) },
      { name: 'CODE_VERIFIER', redacted: redactionMarker(secrets.verifier) },
    ]);
    expect(json?.curl.line).toContain(`"client_secret":"'"$CLIENT_SECRET"'"`);
    expect(refresh?.curl.variables.map((variable) => variable.name)).toEqual(['REFRESH_TOKEN', 'CLIENT_SECRET']);
    expect(userinfo?.curl.line).toContain(`-H 'authorization: Bearer '"$ACCESS_TOKEN"`);
  });

  it('parse back (shell-quote) into the method, URL, headers and body the provider received', () => {
    exchanges()
      .slice(0, 4)
      .forEach((event, index) => expectSameRequest(readCurl(event.curl.line, VARIABLES), original[index] as ReceivedRequest));
  });

  it.skipIf(!hasCurl)('run by bash and curl with the variables set, send the same requests again', async () => {
    const before = server.received.length;
    // One shell for the four lines, stopping at the first that fails.
    const script = exchanges()
      .slice(0, 4)
      .map((event) => `${event.curl.line} --silent --show-error --output /dev/null --noproxy '*'`)
      .join('\n');
    await run('bash', ['-e', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...VARIABLES } });
    const replayed = server.received.slice(before);
    expect(replayed).toHaveLength(4);
    replayed.forEach((request, index) => expectSameReceived(request, original[index] as ReceivedRequest));
  });
});

describe('curl lines with --trace-secrets', () => {
  it('write the values literally and need no variable', async () => {
    const local = new Transcript({ redactor: createRedactor({ revealSecrets: true }) });
    const start = server.received.length;
    await runTracedFlow(local, server, secrets);
    const received = server.received.slice(start);
    const lines = local.events.filter((event): event is HttpEvent => event.kind === 'http').map((event) => event.curl);
    expect(lines.every((curl) => curl.variables.length === 0)).toBe(true);
    expect(lines[0]?.line).toContain(secrets.code);
    lines.slice(0, 4).forEach((curl, index) => expectSameRequest(readCurl(curl.line), received[index] as ReceivedRequest));
  });
});

describe('quoting', () => {
  it('survives quotes, dollars, backticks, globs and newlines in any part of the request', () => {
    const nasty = `it's "quoted" $HOME \`id\` *.txt ?x [a] !bang\nline2`;
    const request = {
      method: 'POST' as const,
      url: `http://127.0.0.1:1/p?q=${encodeURIComponent(nasty)}&glob=*`,
      headers: { 'x-note': nasty, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ note: nasty, client_secret: nasty }).toString(),
      purpose: 'test',
    };
    for (const redactor of [createRedactor({ revealSecrets: true }), createRedactor()]) {
      const curl = curlCommand(request, redactor);
      const read = readCurl(curl.line, { CLIENT_SECRET: nasty });
      expect(read.method).toBe('POST');
      expect(read.url).toBe(request.url);
      expect(read.headers['x-note']).toBe(nasty);
      expect(read.form).toEqual([
        ['note', nasty],
        ['client_secret', nasty],
      ]);
    }
  });

  it('a JSON body and a GET without a body', () => {
    const json = { method: 'POST' as const, url: 'http://127.0.0.1:1/t', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: "it's", b: 1 }), purpose: 't' };
    expect(JSON.parse(readCurl(curlCommand(json, createRedactor()).line).raw ?? '')).toEqual({ a: "it's", b: 1 });
    const get = { method: 'GET' as const, url: 'http://127.0.0.1:1/.well-known/openid-configuration', headers: {}, purpose: 'discovery' };
    expect(curlCommand(get, createRedactor()).line).toBe(`curl -X GET 'http://127.0.0.1:1/.well-known/openid-configuration'`);
  });
});
