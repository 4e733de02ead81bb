// What --trace and --curl print on stderr, from a real traced flow: readable blocks, and no secret
// in any encoding, with colors or without.
import { Chalk } from 'chalk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEvent, revealWarning, tracePrinter } from '../../src/trace/print.js';
import { createRedactor, redactionMarker } from '../../src/trace/redact.js';
import { Transcript } from '../../src/trace/transcript.js';
import { flowSecrets, leakForms, runTracedFlow, startTokenServer, type TokenServer } from './trace-fixture.js';

const plain = new Chalk({ level: 0 });
const colored = new Chalk({ level: 1 });
const secrets = flowSecrets();
let server: TokenServer;
let streamed = '';
const transcript = new Transcript();

beforeAll(async () => {
  server = await startTokenServer(secrets);
  transcript.listen(tracePrinter((text) => (streamed += text), { chalk: plain, curl: true, startedAt: transcript.startedAt }));
  await runTracedFlow(transcript, server, secrets);
});
afterAll(() => server.close());

const render = (options: Parameters<typeof renderEvent>[1]) => transcript.events.map((event) => renderEvent(event, options)).join('');

describe('--trace output', () => {
  it('contains no secret, in any encoding, with or without colors', () => {
    for (const output of [streamed, render({ chalk: colored, curl: true }), render({ chalk: plain, trace: false, curl: true })]) {
      for (const form of leakForms(secrets)) expect(output).not.toContain(form);
    }
  });

  it('streams the same text as rendering the recorded events', () => {
    expect(streamed).toBe(render({ chalk: plain, curl: true, startedAt: transcript.startedAt }));
  });

  it('shows one block per exchange: request line, headers, body; status, duration, response headers, pretty JSON', () => {
    expect(streamed).toContain(`→ POST ${server.origin}/token  (token request (authorization_code))`);
    expect(streamed).toMatch(/← 200 OK {2}\d+ ms\n/);
    expect(streamed).toContain(`    authorization: Basic base64(my+client%40example:${redactionMarker(secrets.clientSecret)})\n`);
    expect(streamed).toContain(`    code_verifier = ${redactionMarker(secrets.verifier)}\n`);
    expect(streamed).toContain(`\n    {\n      "note": "issued ${redactionMarker(secrets.accessToken)}",\n      "access_token": "${redactionMarker(secrets.accessToken)}",\n`);
    expect(streamed).toContain(`  query:\n    refresh = 1\n`);
    expect(streamed).toContain('← 400 Bad Request');
    expect(streamed).toMatch(/✗ userinfo: cannot reach 127\.0\.0\.1:\d+ \(connection refused\)/);
  });

  it('shows the authorization request and the callback with their parameters, and the checks', () => {
    expect(streamed).toContain(`• authorization request ${server.origin}/authorize`);
    expect(streamed).toContain(`    state = ${redactionMarker(secrets.state)}\n`);
    expect(streamed).toContain(`    code_challenge_method = S256\n`);
    expect(streamed).toContain('• authorization response http://127.0.0.1:4999/auth');
    expect(streamed).toMatch(/ {2}pass {2}state: \d+ characters/);
    expect(streamed).toContain(`  pass  id_token nonce: = "${redactionMarker(secrets.nonce)}"`);
  });

  it('colors only when given a coloring chalk', () => {
    expect(streamed).not.toContain('\u001b[');
    expect(render({ chalk: colored })).toContain('\u001b[');
  });

  it('--curl adds a curl line under each request; without --trace only the curl lines are printed', () => {
    expect(render({ chalk: plain })).not.toContain('$ curl');
    expect(streamed.match(/^\$ curl /gm)).toHaveLength(5);
    const curlOnly = render({ chalk: plain, trace: false, curl: true });
    expect(curlOnly).not.toContain('→');
    expect(curlOnly).not.toContain('pass');
    expect(curlOnly.match(/^\$ curl /gm)).toHaveLength(5);
    expect(curlOnly).toContain('# token request (refresh_token)\n');
    expect(curlOnly).toContain(`# set first: REFRESH_TOKEN ${redactionMarker(secrets.refreshToken)}`);
    expect(render({ chalk: plain, trace: false })).toBe('');
  });

  it('with --trace-secrets shows the values, after a warning', async () => {
    const local = new Transcript({ redactor: createRedactor({ revealSecrets: true }) });
    let out = revealWarning(plain);
    local.listen(tracePrinter((text) => (out += text), { chalk: plain }));
    await runTracedFlow(local, server, secrets);
    expect(out.startsWith('warning: --trace-secrets shows')).toBe(true);
    expect(out).toContain(`    code_verifier = ${secrets.verifier}\n`);
    expect(out).toContain(`"access_token": "${secrets.accessToken}"`);
  });
});
