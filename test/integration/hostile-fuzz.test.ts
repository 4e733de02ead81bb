// Issue 9 §6 "Hostile input, once more": a seeded fuzz of every route of a real `serve --sandbox`
// process, with the config `init --yes` writes (temp folder, private HOME, --port 0), over real
// HTTP on loopback: fetch for ordinary requests, raw `node:net` sockets for what no client sends
// (malformed request lines and headers, foreign Host, odd methods, lying lengths).
//
// Every answer must come (no hang, no reset), be below 500, and carry no stack trace. Afterwards a
// normal sign-in through the same broker still succeeds (the sandbox client flow, completed by the
// CLI-less user agent src/sandbox/auto-approve.ts), and its token works on /auth/sandbox/me.
//
// Replay a failure: FUZZ_SEED=<seed printed in the failure> npx vitest run test/integration/hostile-fuzz.test.ts
// (FUZZ_ONLY=<case index>,<from>-<to> runs only those cases; FUZZ_COUNT changes how many are generated).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoApprove } from '../../src/sandbox/auto-approve.js';
import { makeTempDir, runCli, type TempDir } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { rawRequest } from '../helpers/raw-http.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x0a17d009) >>> 0;
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);
/** FUZZ_ONLY=12,40-60: only those cases (indices of the full seeded sequence). */
const ONLY = process.env.FUZZ_ONLY
  ? new Set(
      process.env.FUZZ_ONLY.split(',').flatMap((part) => {
        const [from, to] = part.split('-').map(Number) as [number, number | undefined];
        return to === undefined ? [from] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
      }),
    )
  : undefined;
const CONCURRENCY = 8;
const TIMEOUT_MS = 15_000; // above the broker's 10 s request timeout (error-answers.ts)
const APP_ORIGIN = 'http://localhost:3000'; // the domain `init --yes` whitelists

/**
 * Known 5xx answers and hangs in code being changed elsewhere, tolerated here so that the rest is
 * asserted, each until its fix lands (then `tolerated: false`, then removed). Only the named
 * symptom is tolerated, on the named routes: a stack trace or a reset never is.
 */
const KNOWN_ELSEWHERE: Array<{ what: string; tolerated: boolean; matches(c: Case, a: Answer): boolean; hangsOn?: (c: Case) => boolean }> = [
  // Empty: the faults it first held (an upstream refusal on /me answered 502, a token with a
  // control character answered 500, sandbox interactions that never answered, the device page's
  // 500) are fixed. A fault found in code being changed elsewhere goes here, tolerated until fixed.
];

// ---------------------------------------------------------------------------------------------
// A small PRNG (mulberry32): the same seed gives the same 3,000 requests on every machine.

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  index: number;
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Bytes sent as they are (malformed requests); overrides method/path/headers/body. */
  raw?: string;
  /** Sent over a raw socket (a foreign Host, an odd method, header bytes fetch refuses). */
  viaSocket: boolean;
}

interface Answer {
  status: number | undefined;
  body: string;
  error: string | undefined;
  timedOut: boolean;
}

interface Context {
  key: string;
  secret: string;
  port: number;
}

/** encodeURIComponent, with a lone surrogate sent as U+FFFD (its UTF-8 is what a client would send). */
const encode = (value: string) => encodeURIComponent(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

function generator(seed: number, ctx: Context) {
  const rng = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  const chance = (p: number) => rng() < p;
  const int = (max: number) => Math.floor(rng() * max);

  /** Names an object already has: a parser or a lookup that trusts them misbehaves. */
  const OBJECT_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__proto__[polluted]', 'constructor[prototype][polluted]'];
  const brokenPercent = () => pick(['%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%00', '%FF%FE', '%u0041', '%%41', '%2', 'a%', '%F0%9F%98', '%ED%A0%80']);
  const huge = () => pick(['A', 'é', '%41', '\u{1F600}', 'x"<']).repeat(pick([255, 256, 1024, 4097, 9000, 20_000, 70_000]));
  const hostile = () =>
    pick([
      '</script><script>alert(1)</script>',
      '"\'><img src=x onerror=alert(1)>',
      '\r\nSet-Cookie: pwned=1',
      '${7*7}{{7*7}}',
      '../../../../etc/passwd',
      '..%2f..%2f..%2fetc%2fpasswd',
      '\u0000',
      '\ud800',
      '\u{1F600}',
      'ＡＢＣ\u202e',
      'null',
      'undefined',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      ' ',
      'javascript:alert(1)',
      'http://127.0.0.1:1/',
      '//evil.example/x',
      'https://user:pass@evil.example',
      'A'.repeat(int(600)),
    ]);
  const junkValue = (): string => {
    const roll = rng();
    if (roll < 0.35) return hostile();
    if (roll < 0.55) return brokenPercent();
    if (roll < 0.65) return huge();
    return `${hostile()}${brokenPercent()}${hostile()}`;
  };
  /** A query value: usually encoded, sometimes raw (so broken percent-encoding reaches the parser). */
  const q = (value: string) => (chance(0.6) ? encode(value) : value.replace(/[ #\r\n]/g, (c) => encode(c)));
  const junkJson = () =>
    pick([
      '{', '}', '[', ']', 'null', 'true', '1', '-0', '1e999', '"x"', '[]', '{}', '{"state":1}', '{"state":null}', '{"state":{}}',
      '{"state":[]}', `{"state":"${'x'.repeat(600)}"}`, '{"state":"a","state":"b"}', '{"scope":1}', '{"scope":[1]}', '{"scope":{"a":"b"}}',
      '{"scope":[null]}', `{"scope":"${'s '.repeat(3000)}"}`, '{"authorize":null}', '{"authorize":[]}', '{"authorize":"x"}', '{"authorize":{"a":1}}',
      '{"authorize":{"a":{"b":"c"}}}', '{"authorize":{"__proto__":{"polluted":"1"}}}', '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}', '{"authorize":{"redirect_uri":"https://evil.example"}}', '{"authorize":{"Redirect_URI":"x"}}',
      '{"authorize":{"response_type ":"token"}}', '{"authorize":{"":""}}', '{"state_type":"client","state":"x"}', '{"state_type":{}}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`, `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`, '"\\ud800"', '{"a":"\\u0000"}', '\u0000', 'ñ{}',
      `{"authorize":{${Array.from({ length: 300 }, (_, i) => `"p${i}":"v"`).join(',')}}}`,
    ]);
  const provider = () => pick(['sandbox', 'sandbox', 'sandbox', 'github', 'nope', 'SANDBOX', 'sand%62ox', 'sandbox%2F..', '..', '%2e%2e', brokenPercent(), 'x'.repeat(pick([64, 65, 201, 5000])), '__proto__', 'a b']);
  const key = () => pick([ctx.key, ctx.key, ctx.key, '', 'x', ctx.key.toUpperCase(), `${ctx.key} `, huge(), junkValue()]);
  const origin = () => pick([APP_ORIGIN, APP_ORIGIN, 'https://evil.example', 'null', 'http://localhost:3000.evil.example', 'http://LOCALHOST:3000', 'http://localhost:3000/', 'file://', 'x', junkValue()]);
  const oauthio = () =>
    pick([
      '',
      '%ZZ',
      'k',
      'k=',
      `k=${ctx.key}`,
      `k=${ctx.key}&access_token=`,
      `k=${ctx.key}&access_token=${encode(junkValue())}`,
      `k=${ctx.key}&access_token=${junkValue()}`,
      `k=${ctx.key}&access_token=x&access_token=y`,
      `k=${ctx.key}&oauth_token=a&oauth_token_secret=b`,
      `k=${ctx.key}&k=other&access_token=x`,
      `k=${encode(junkValue())}&access_token=x`,
      `k=${ctx.key}&access_token=x&instance_url=http%3A%2F%2F127.0.0.1%3A1%2F`,
      `k=${ctx.key}&access_token=${'t'.repeat(9000)}`,
      huge(),
    ]);
  const contentType = () =>
    pick([
      'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data', 'multipart/form-data; boundary=x',
      'application/json; charset=utf-16', 'application/x-www-form-urlencoded; charset=latin1', 'application/xml', '*/*', '', 'a/b/c',
      'application/json, text/plain', `application/${'x'.repeat(300)}`, 'application/x-www-form-urlencoded; charset=' + 'u'.repeat(200),
      'APPLICATION/JSON', 'application/jsonp', 'application/vnd.api+json', 'text/html',
    ]);
  const formOrJsonBody = (fields: Record<string, unknown>, type: string) => {
    if (type.toLowerCase().includes('json')) return chance(0.7) ? JSON.stringify(fields) : junkJson();
    if (chance(0.7)) return Object.entries(fields).map(([name, value]) => `${name}=${q(String(value))}`).join('&');
    return pick([junkJson(), junkValue(), '&&&', '=', 'a=1&a=2&a=3', `${'a=1&'.repeat(2000)}`, '--x\r\nContent-Disposition: form-data; name="code"\r\n\r\nc\r\n--x--']);
  };
  const withBody = (type: string, body: string): Pick<Case, 'headers' | 'body'> => ({ headers: type === '' ? {} : { 'content-type': type }, body });

  const routes: Array<[number, () => Omit<Case, 'index' | 'viaSocket'>]> = [
    // GET /auth/:provider: flow starts with junk opts, keys, origins and redirect URIs.
    [14, () => {
      // One start in five is well formed but for hostile text where a page may put any (its state,
      // its scopes): the route's own path to a 302 is fuzzed too, whatever the seed.
      if (chance(0.2)) {
        const opts = { state: hostile(), ...(chance(0.5) ? { scope: pick(['openid', 'openid profile', hostile()]) } : {}) };
        return { route: 'start', method: 'GET', path: `/auth/sandbox?k=${ctx.key}&opts=${encode(JSON.stringify(opts))}`, headers: { origin: APP_ORIGIN } };
      }
      const params = [
        chance(0.9) ? `k=${q(key())}` : '',
        chance(0.7) ? `opts=${chance(0.8) ? q(junkJson()) : brokenPercent()}` : '',
        chance(0.3) ? `d=${q(pick([APP_ORIGIN, `${APP_ORIGIN}/`, junkValue()]))}` : '',
        chance(0.3) ? `redirect_uri=${q(pick([`${APP_ORIGIN}/cb`, 'javascript:alert(1)//localhost:3000/cb', junkValue()]))}` : '',
        chance(0.2) ? `redirect_type=${q(pick(['server', 'client', junkValue()]))}` : '',
        chance(0.2) ? `${brokenPercent()}=${brokenPercent()}` : '',
        chance(0.15) ? `${pick(OBJECT_KEYS)}=${q(junkValue())}` : '',
        chance(0.1) ? `k=${q(key())}` : '',
      ].filter(Boolean);
      const headers: Record<string, string> = {};
      if (chance(0.7)) headers.origin = origin();
      if (chance(0.4)) headers.referer = pick([`${APP_ORIGIN}/`, 'https://evil.example/', junkValue()]);
      return { route: 'start', method: 'GET', path: `/auth/${provider()}?${params.join('&')}`, headers };
    }],
    // GET /auth: the callback, with junk states, codes, errors and issuers.
    [12, () => {
      const names = ['state', 'code', 'error', 'error_description', 'error_uri', 'iss', 'oauth_token', 'oauth_verifier', 'denied', 'session_state', brokenPercent(), pick(OBJECT_KEYS)];
      const params = Array.from({ length: 1 + int(4) }, () => `${pick(names)}=${q(junkValue())}`);
      return { route: 'callback', method: 'GET', path: `/auth?${params.join('&')}`, headers: chance(0.3) ? { origin: origin() } : {} };
    }],
    // POST /auth: the form_post callback, with junk bodies and content types.
    [10, () => {
      const type = chance(0.6) ? 'application/x-www-form-urlencoded' : contentType();
      const fields: Record<string, unknown> = { state: junkValue(), code: junkValue() };
      if (chance(0.3)) fields.error = junkValue();
      if (chance(0.3)) fields.iss = junkValue();
      return { route: 'form_post', method: 'POST', path: '/auth', ...withBody(type, formOrJsonBody(fields, type)) };
    }],
    // POST /auth/access_token: junk codes, keys, secrets and bodies.
    [12, () => {
      const type = pick(['application/x-www-form-urlencoded', 'application/json', contentType()]);
      const fields: Record<string, unknown> = {};
      if (chance(0.9)) fields.code = pick([junkValue(), 'A'.repeat(43), 1, null]);
      if (chance(0.1)) fields[pick(OBJECT_KEYS)] = junkValue();
      if (chance(0.9)) fields.key = key();
      if (chance(0.9)) fields.secret = pick([ctx.secret, ctx.secret, 'wrong', '', junkValue(), huge()]);
      const body = type.includes('json') && chance(0.2) ? JSON.stringify({ ...fields, code: pick([1, [], {}, null, true]) }) : formOrJsonBody(fields, type);
      return { route: 'access_token', method: 'POST', path: '/auth/access_token', ...withBody(type, body) };
    }],
    // POST /auth/refresh_token/:provider: junk refresh tokens (the sandbox refuses them), junk bodies.
    [8, () => {
      const type = pick(['application/x-www-form-urlencoded', 'application/json', contentType()]);
      const fields: Record<string, unknown> = { token: pick([junkValue(), 'refresh', 't'.repeat(9000)]), key: key(), secret: pick([ctx.secret, ctx.secret, 'wrong', junkValue()]) };
      return { route: 'refresh', method: 'POST', path: `/auth/refresh_token/${provider()}`, ...withBody(type, formOrJsonBody(fields, type)) };
    }],
    // GET /auth/:provider/me with junk oauthio headers.
    [8, () => {
      const headers: Record<string, string> = {};
      if (chance(0.9)) headers.oauthio = oauthio();
      if (chance(0.5)) headers.origin = origin();
      return { route: 'me', method: 'GET', path: `/auth/${provider()}/me${chance(0.3) ? `?filter=${q(junkValue())}` : ''}`, headers };
    }],
    // ALL /request/:provider/*: junk paths, methods, bodies and oauthio headers.
    [8, () => {
      const headers: Record<string, string> = {};
      if (chance(0.9)) headers.oauthio = oauthio();
      if (chance(0.4)) headers.origin = origin();
      const method = pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
      const path = pick(['%2Fme', 'me', '..%2F..%2Fsecret', '%2F%2Fevil.example%2Fx', brokenPercent(), 'x?y=1&z=%ZZ', encode(junkValue()), 'a/b/c']);
      const body = method !== 'GET' && method !== 'HEAD' && chance(0.5) ? junkValue() : undefined;
      return { route: 'request', method, path: `/request/${provider()}/${path}`, headers: body !== undefined ? { ...headers, 'content-type': contentType() || 'text/plain' } : headers, ...(body !== undefined ? { body } : {}) };
    }],
    // The description routes and the retired relay.
    [6, () => {
      const path = pick(['/api/providers', `/api/providers/${provider()}`, `/api/providers/${provider()}?extend=${q(junkValue())}`, '/api/extended-endpoints', '/auth/iframe', `/api/${brokenPercent()}`, '/api/providers?%ZZ']);
      return { route: 'api', method: pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE']), path, headers: chance(0.5) ? { origin: origin() } : {} };
    }],
    // CORS preflights with junk origins and requested methods/headers.
    [6, () => ({
      route: 'preflight',
      method: 'OPTIONS',
      path: pick(['/request/sandbox/%2Fme', '/auth/sandbox/me', '/api/providers', '/auth/access_token', '/auth']),
      headers: {
        origin: origin(),
        'access-control-request-method': pick(['GET', 'POST', 'PROPFIND', '', junkValue().slice(0, 40)]),
        ...(chance(0.5) ? { 'access-control-request-headers': pick(['oauthio', 'oauthio, content-type', '*', junkValue().slice(0, 100)]) } : {}),
      },
    })],
    // The embedded provider under /sandbox.
    [10, () => {
      const roll = int(9);
      if (roll === 0) return { route: 'sandbox', method: 'GET', path: `/sandbox/auth?${['client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'code_challenge', 'nonce', 'prompt', 'request', brokenPercent()].filter(() => chance(0.6)).map((n) => `${n}=${q(pick(['oauthd-cli-sandbox', 'code', `http://127.0.0.1:${ctx.port}/auth`, 'openid', junkValue()]))}`).join('&')}`, headers: {} };
      if (roll === 1) {
        const type = pick(['application/x-www-form-urlencoded', contentType()]);
        return { route: 'sandbox', method: 'POST', path: pick(['/sandbox/token', '/sandbox/token/introspection', '/sandbox/token/revocation', '/sandbox/device/auth']), headers: { 'content-type': type, ...(chance(0.5) ? { authorization: pick([`Basic ${Buffer.from('oauthd-cli-sandbox:x').toString('base64')}`, 'Basic %%%', `Bearer ${junkValue().slice(0, 200)}`]) } : {}) }, body: formOrJsonBody({ grant_type: pick(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', junkValue()]), code: junkValue(), token: junkValue() }, type) };
      }
      if (roll === 2) return { route: 'sandbox', method: pick(['GET', 'POST']), path: '/sandbox/me', headers: { authorization: `Bearer ${pick(['x', junkValue().slice(0, 300)])}` } };
      if (roll === 3) return { route: 'sandbox-interaction', method: 'GET', path: `/sandbox/interaction/${pick(['bogus', brokenPercent(), 'x'.repeat(300), encode(junkValue())])}`, headers: {} };
      if (roll === 4) {
        const type = pick(['application/x-www-form-urlencoded', 'application/json', contentType()]);
        return { route: 'sandbox-interaction-finish', method: 'POST', path: `/sandbox/interaction/${pick(['bogus', 'x'.repeat(64)])}/${pick(['login', 'confirm', 'abort'])}`, ...withBody(type, formOrJsonBody({ login: pick(['developer', junkValue(), 5 as unknown as string]) }, type)) };
      }
      if (roll === 5) return { route: 'sandbox-device', method: 'POST', path: '/sandbox/device', ...withBody('application/x-www-form-urlencoded', `user_code=${q(junkValue())}&xsrf=${q(junkValue())}`) };
      if (roll === 6) return { route: 'sandbox', method: 'GET', path: pick(['/sandbox/device', `/sandbox/device?user_code=${q(junkValue())}`, '/sandbox/.well-known/openid-configuration', '/sandbox/jwks', `/sandbox/session/end?${brokenPercent()}`]), headers: {} };
      if (roll === 7) return { route: 'sandbox', method: pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']), path: pick(['/sandbox/token', '/sandbox/auth', '/sandbox', '/sandbox/']), headers: {} };
      return { route: 'sandbox', method: 'GET', path: `/sandbox/${pick(['reg', 'x', '..%2F..%2Fapi%2Fproviders', brokenPercent(), encode(junkValue())])}`, headers: {} };
    }],
    // Anything else: unknown routes, odd methods.
    [4, () => ({ route: 'other', method: pick(['GET', 'POST', 'PROPFIND', 'DELETE']), path: pick(['/', '/x', `/${brokenPercent()}`, '/auth/', '/auth//me', '/%2e%2e/%2e%2e/etc/passwd', `/${'a/'.repeat(500)}`, '/auth/sandbox/me/x', '/*']), headers: {} })],
  ];
  const totalWeight = routes.reduce((sum, [weight]) => sum + weight, 0);

  /** Malformed bytes only a raw socket sends. */
  const malformed = (): Omit<Case, 'index' | 'viaSocket'> => {
    const host = `127.0.0.1:${ctx.port}`;
    const raw = pick([
      `GET /auth HTTP/1.1\r\nHost: ${host}\r\n\r\n`.replace('HTTP/1.1', pick(['HTTP/9.9', 'HTTP/2.0', 'HTTP/1', 'HTTPS/1.1', 'http/1.1', ''])),
      `GET /auth\r\n\r\n`,
      `GET\r\n\r\n`,
      `GARBAGE\r\n\r\n`,
      `GET  /auth  HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /auth?state=${'%'.repeat(50)} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /au th HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET http://evil.example/auth HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET http://${host}/api/providers HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      `GET * HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `get /api/providers HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\nBad Header: x\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\n folded: x\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\nX: a\u0000b\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: y\r\n`).join('')}Host: ${host}\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\n\r\n`,
      `GET /api/providers HTTP/1.0\r\n\r\n`,
      `GET /api/providers HTTP/1.1\nHost: ${host}\n\n`,
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`,
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd`,
      `POST /auth HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\nstate=x`,
      `POST /auth HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nstate=x`,
      `POST /auth HTTP/1.1\r\nHost: ${host}\r\nExpect: teapot\r\nContent-Length: 0\r\n\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
      `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
      `\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003`,
    ]);
    return { route: 'malformed', method: /^[A-Za-z]+/.exec(raw)?.[0] ?? 'GET', path: '', headers: {}, raw };
  };

  /** Requests that stop arriving: the broker must answer 408 within its request timeout, not wait forever. */
  const stalled = (): Omit<Case, 'index' | 'viaSocket'> => {
    const host = `127.0.0.1:${ctx.port}`;
    const raw = pick([
      `POST /auth/access_token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code":"x"}`,
      `POST /auth HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstate=x\r\n`,
      `GET /api/providers HTTP/1.1\r\nHost: ${host}\r\nX-Slow: y`,
      `\r\n\r\n`,
    ]);
    return { route: 'stalled', method: /^[A-Za-z]+/.exec(raw)?.[0] ?? 'GET', path: '', headers: {}, raw };
  };

  const ODD_METHODS = ['PROPFIND', 'TRACE', 'TRACK', 'MKCOL', 'SEARCH', 'LINK', 'M-SEARCH', 'QUERY', 'FOO', 'get'];

  return (index: number): Case => {
    if (chance(0.002)) return { index, ...stalled(), viaSocket: true };
    if (chance(0.1)) return { index, ...malformed(), viaSocket: true };
    let roll = rng() * totalWeight;
    const [, make] = routes.find(([weight]) => (roll -= weight) < 0) ?? (routes[0] as (typeof routes)[number]);
    const made = make();
    const c: Case = { index, ...made, headers: { ...made.headers }, viaSocket: false };
    // Mutations on top of the route's own junk.
    if (chance(0.06)) c.method = pick(ODD_METHODS);
    if (chance(0.06)) c.headers.host = pick(['evil.example', `evil.example:${ctx.port}`, `127.0.0.1:${ctx.port + 1}`, '', `localhost:${ctx.port}.evil`, '[::1]', junkValue().slice(0, 100), `LOCALHOST:${ctx.port}`]);
    if (chance(0.05)) c.headers['x-forwarded-host'] = 'evil.example';
    if (chance(0.04)) c.headers.cookie = junkValue().slice(0, 500);
    if (chance(0.04)) c.headers['content-length'] = pick(['0', '1', '99999', 'abc']);
    if (chance(0.03)) c.headers.accept = junkValue().slice(0, 200);
    const fetchable =
      !c.headers.host &&
      !c.headers['content-length'] &&
      /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|PROPFIND)$/.test(c.method) &&
      !(c.body !== undefined && (c.method === 'GET' || c.method === 'HEAD')) &&
      Object.values(c.headers).every((value) => /^[\t\x20-\x7e]*$/.test(value)) &&
      /^[\x21-\x7e]*$/.test(c.path) &&
      !/%(?![0-9A-Fa-f]{2})/.test(c.path.split('?')[0] ?? '');
    c.viaSocket = !fetchable || chance(0.15);
    return c;
  };
}

function socketBytes(c: Case, port: number): Buffer {
  if (c.raw !== undefined) return Buffer.from(c.raw, 'utf8');
  const body = c.body !== undefined ? Buffer.from(c.body, 'utf8') : undefined;
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close', ...c.headers };
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  const head = `${c.method} ${c.path} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'utf8'), body]) : Buffer.from(head, 'utf8');
}

async function send(c: Case, origin: string, port: number, timeoutMs: number): Promise<Answer> {
  // A request expected to hang goes over a socket this test owns and destroys: a fetch aborted
  // mid-request can leave undici reconnecting during the broker's shutdown.
  if (c.viaSocket || timeoutMs < TIMEOUT_MS) {
    const answer = await rawRequest(port, socketBytes(c, port), { method: c.method, timeoutMs });
    const unanswered = !answer.timedOut && (answer.closedWithoutAnswer || answer.status === undefined);
    return { status: answer.status, body: answer.body, timedOut: answer.timedOut, error: answer.error ?? (unanswered ? 'closed without an answer' : undefined) };
  }
  try {
    const response = await fetch(`${origin}${c.path}`, {
      method: c.method,
      headers: c.headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
    return { status: response.status, body: await response.text(), timedOut: false, error: undefined };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') return { status: undefined, body: '', timedOut: true, error: undefined };
    return { status: undefined, body: '', timedOut: false, error: err.cause?.code ?? err.cause?.message ?? err.message };
  }
}

/** Frames of a JavaScript stack, or paths of the broker's own files, anywhere in an answer. */
const STACK_TRACE = /(?:^|\n|\\n)\s*at (?:async )?[^\s()]+ \((?:file:\/\/|node:|\/)[^)]*:\d+:\d+\)|(?:^|\n|\\n)\s*at (?:file:\/\/|node:|\/)\S+:\d+:\d+|node:internal|\/(?:src|dist|node_modules)\/[\w./@-]+\.(?:js|ts|mjs|cjs)\b/;

function problemWith(c: Case, a: Answer): string | undefined {
  if (STACK_TRACE.test(a.body)) return 'a stack trace or source path in the answer';
  if (a.error !== undefined) return `no answer (${a.error})`;
  if (a.timedOut) return 'no answer within the timeout (hang)';
  if (a.status === undefined) return 'no status';
  if (a.status >= 500) return `HTTP ${a.status}`;
  return undefined;
}

function describeCase(c: Case): string {
  const cut = (text: string, n = 160) => (text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text);
  if (c.raw !== undefined) return `#${c.index} raw socket: ${JSON.stringify(cut(c.raw))}`;
  const headers = Object.entries(c.headers).map(([name, value]) => `${name}: ${JSON.stringify(cut(value, 80))}`).join('; ');
  return `#${c.index} ${c.viaSocket ? 'socket' : 'fetch'} ${c.method} ${cut(c.path)}${headers ? ` [${headers}]` : ''}${c.body !== undefined ? ` body ${JSON.stringify(cut(c.body, 80))}` : ''}`;
}

/** The popup result page's message (the JSON the SDK reads). */
function resultOf(page: string): { status: string; data?: Record<string, unknown>; message?: string } | undefined {
  const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page)?.[1];
  return message ? (JSON.parse(JSON.parse(message) as string) as { status: string; data?: Record<string, unknown> }) : undefined;
}

describe('hostile requests against a real `serve --sandbox` (seeded fuzz)', () => {
  let dir: TempDir;
  let serve: ServeProcess;
  let ctx: Context;

  beforeAll(async () => {
    dir = await makeTempDir();
    const env = { HOME: dir.path, XDG_DATA_HOME: join(dir.path, 'data'), OAUTHD_STORE: 'file' };
    const init = await runCli(['init', '--yes', '--json'], { cwd: dir.path, env });
    expect(init.code, init.stderr).toBe(0);
    const { key, secret } = JSON.parse(init.stdout) as { key: string; secret: string };
    const config = JSON.parse(await readFile(join(dir.path, 'oauthd.json'), 'utf8')) as { app: { domains: string[] } };
    expect(config.app.domains).toContain(APP_ORIGIN);
    serve = await startServe({ cwd: dir.path, env, args: ['--sandbox', '--port', '0'] });
    ctx = { key, secret, port: Number(new URL(serve.origin).port) };
  });
  afterAll(async () => {
    if (serve) expect(await serve.stop()).toBe(0);
    await dir?.cleanup();
  });

  it(`${COUNT} requests: no 5xx, no reset, no hang, no stack trace (seed ${SEED})`, async () => {
    const next = generator(SEED, ctx);
    const cases = Array.from({ length: COUNT }, (_, index) => next(index)).filter((c) => !ONLY || ONLY.has(c.index));
    const failures: string[] = [];
    const tolerated = new Map<string, number>();
    const statuses = new Map<number | string, number>();
    let cursor = 0;
    const worker = async () => {
      while (cursor < cases.length) {
        const c = cases[cursor++] as Case;
        const knownHang = KNOWN_ELSEWHERE.some((known) => known.tolerated && known.hangsOn?.(c));
        const a = await send(c, serve.origin, ctx.port, knownHang ? 2_000 : TIMEOUT_MS);
        statuses.set(a.status ?? (a.timedOut ? 'timeout' : 'error'), (statuses.get(a.status ?? (a.timedOut ? 'timeout' : 'error')) ?? 0) + 1);
        const problem = problemWith(c, a);
        if (!problem) continue;
        const known = problem.startsWith('a stack trace') ? undefined : KNOWN_ELSEWHERE.find((k) => k.tolerated && k.matches(c, a));
        if (known) {
          tolerated.set(known.what, (tolerated.get(known.what) ?? 0) + 1);
          continue;
        }
        failures.push(`${problem}: ${describeCase(c)} → ${a.status ?? '-'} ${JSON.stringify(a.body.slice(0, 200))}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    if (tolerated.size > 0) {
      console.warn(`hostile fuzz (seed ${SEED}): tolerated, owned elsewhere (TODO flip in KNOWN_ELSEWHERE):\n${[...tolerated].map(([what, n]) => `  ${n}× ${what}`).join('\n')}`);
    }
    expect(
      failures,
      `seed ${SEED}: replay with FUZZ_SEED=${SEED} npx vitest run test/integration/hostile-fuzz.test.ts (FUZZ_ONLY=<#> for one case)\n${failures.slice(0, 30).join('\n')}`,
    ).toEqual([]);
    // The fuzz reached the routes' own checks, not only the framework's refusals.
    const answered = [...statuses.keys()].filter((status): status is number => typeof status === 'number');
    if (!ONLY) for (const status of [200, 302, 400, 401, 403, 404, 421]) expect(answered, `seed ${SEED}: statuses seen ${JSON.stringify([...statuses])}`).toContain(status);
  }, 240_000);

  it('afterwards, a normal sign-in through the same broker succeeds and its token works', async () => {
    const start = await fetch(`${serve.origin}/auth/sandbox?k=${ctx.key}&opts=${encodeURIComponent(JSON.stringify({ state: 'sdk-state' }))}`, {
      redirect: 'manual',
      headers: { origin: APP_ORIGIN },
    });
    expect(start.status, await start.text()).toBe(302);
    const authorizeUrl = start.headers.get('location') as string;
    expect(authorizeUrl.startsWith(`${serve.origin}/sandbox/auth?`)).toBe(true);

    // auto-approve.ts is the user agent (cookies, sign-in and consent forms); the popup page it
    // reaches at the broker's /auth is kept to read the result the SDK would receive.
    const realFetch = globalThis.fetch;
    let callbackPage: string | undefined;
    globalThis.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      if (new URL(String(input instanceof Request ? input.url : input)).pathname === '/auth') callbackPage = await response.clone().text();
      return response;
    };
    try {
      await autoApprove(authorizeUrl, 'fuzz-survivor');
    } finally {
      globalThis.fetch = realFetch;
    }
    const result = resultOf(callbackPage ?? '');
    expect(result, callbackPage).toMatchObject({ status: 'success', state: 'sdk-state', provider: 'sandbox' });
    const accessToken = result?.data?.access_token as string;
    expect(accessToken).toEqual(expect.any(String));

    const me = await fetch(`${serve.origin}/auth/sandbox/me`, { headers: { oauthio: `k=${ctx.key}&access_token=${accessToken}`, origin: APP_ORIGIN } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ status: 'success', data: { id: 'fuzz-survivor' } });
  });
});
