// The OAuth 1.0a client (src/oauth/oauth1.ts) against an independent provider:
// test/fixtures/oauth1-server.mjs builds base strings and percent-encodings with its own code, so
// every passing request here is two implementations of RFC 5849 agreeing.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchClient } from '../../src/oauth/http.js';
import {
  authorizationUrl,
  readAuthorizationCallback,
  requestTemporaryCredentials,
  requestTokenCredentials,
  signRequest,
  type ConsumerCredentials,
  type Credentials,
  type OAuth1Endpoints,
  type SignatureMethod,
} from '../../src/oauth/oauth1.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { startOAuth1Server, type OAuth1Server } from '../helpers/oauth1-server.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir, REPO_ROOT } from '../helpers/run-cli.js';
import { caughtCliError } from '../unit/errors.js';

const httpClient = fetchClient({ timeoutMs: 10_000 });
/** Never contacted: the tests read the provider's redirect instead of following it. */
const CALLBACK = 'http://127.0.0.1:9/auth?flow=abc';

function endpoints(server: OAuth1Server, signatureMethod: SignatureMethod): OAuth1Endpoints & { authorizeUrl: string } {
  return {
    requestTokenUrl: server.requestTokenUrl,
    authorizeUrl: server.authorizeUrl,
    accessTokenUrl: server.accessTokenUrl,
    signatureMethod,
  };
}

/** Plays the user on the fixture's authorize page with plain fetch; returns the redirect target. */
async function approve(url: string, login = 'alice'): Promise<URL> {
  const page = await fetch(url);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  expect(html).toContain('<input name="login"');
  const token = /name="oauth_token" value="([^"]+)"/.exec(html)?.[1];
  expect(token).toBeDefined();
  const submitted = await fetch(new URL('/oauth/authorize', url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ oauth_token: token!, login }),
    redirect: 'manual',
  });
  expect(submitted.status).toBe(302);
  return new URL(submitted.headers.get('location')!);
}

/** A signed call to the protected resource, sent with fetch. */
async function callMe(server: OAuth1Server, method: SignatureMethod, consumer: ConsumerCredentials, token: Credentials) {
  const request = { method: 'GET', url: server.meUrl };
  const authorization = signRequest(method, consumer, token, request);
  const response = await fetch(server.meUrl, { headers: { authorization } });
  return { status: response.status, text: await response.text() };
}


/** The whole three-legged flow (§2.1 → §2.2 → §2.3) and a signed API call (§3). */
async function threeLegged(server: OAuth1Server, method: SignatureMethod, consumer: ConsumerCredentials) {
  const spec = endpoints(server, method);
  const temporary = await requestTemporaryCredentials(httpClient, spec, consumer, CALLBACK);
  expect(temporary.callbackConfirmed).toBe(true);
  expect(temporary.deviations).toEqual([]);

  const landing = await approve(authorizationUrl(spec, temporary.token));
  // §2.2: back at the registered callback, its own query kept, the OAuth parameters appended.
  expect(`${landing.origin}${landing.pathname}`).toBe('http://127.0.0.1:9/auth');
  expect(landing.searchParams.get('flow')).toBe('abc');
  const verifier = readAuthorizationCallback(landing.searchParams, temporary.token);

  const tokens = await requestTokenCredentials(httpClient, spec, consumer, temporary, verifier);
  expect(tokens.token).not.toBe(temporary.token);
  expect(tokens.extra.screen_name).toBe('alice');

  const me = await callMe(server, method, consumer, tokens);
  expect(me.status, `${me.text}\n${server.stderr()}`).toBe(200);
  expect(JSON.parse(me.text)).toEqual({ id: tokens.extra.user_id, name: 'Alice', screen_name: 'alice' });
  return { spec, temporary, verifier, tokens };
}

describe('OAuth 1.0a against the independent fixture provider', () => {
  let server: OAuth1Server;
  let consumer: ConsumerCredentials;

  beforeAll(async () => {
    server = await startOAuth1Server();
    consumer = { key: server.consumerKey, secret: server.consumerSecret };
  });

  afterAll(async () => {
    await server?.stop();
  });

  for (const method of ['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT'] as const) {
    it(`completes the three-legged flow and calls /api/me with ${method}`, async () => {
      await threeLegged(server, method, consumer);
    });
  }

  it('signs query parameters and a form body the fixture recomputes the same way (§3.4.1.3)', async () => {
    const { tokens } = await threeLegged(server, 'HMAC-SHA1', consumer);
    // RFC 5849 §3.1's tricky parameters: encoded "=" and "%", "@" in a name, "+" and "%20" spaces,
    // a name without "=", a name repeated across query and body; plus non-ASCII.
    const url = `${server.meUrl}?b5=%3D%253D&a3=a&c%40=&a2=r%20b&city=Z%C3%BCrich`;
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = 'c2&a3=2+q&note=caf%C3%A9+%26+cr%C3%A8me~*';
    const authorization = signRequest('HMAC-SHA1', consumer, tokens, { method: 'POST', url, headers, body });

    const accepted = await fetch(url, { method: 'POST', headers: { ...headers, authorization }, body });
    expect(accepted.status, `${await accepted.clone().text()}\n${server.stderr()}`).toBe(200);

    // The same signature over a different body: the fixture's own base string differs.
    const authorization2 = signRequest('HMAC-SHA1', consumer, tokens, { method: 'POST', url, headers, body });
    const tampered = await fetch(url, { method: 'POST', headers: { ...headers, authorization: authorization2 }, body: body.replace('2+q', '3+q') });
    expect(tampered.status).toBe(401);
    expect(Object.fromEntries(new URLSearchParams(await tampered.text())).oauth_problem).toBe('signature_invalid');
  });

  it('is refused with oauth_problem=signature_invalid when the consumer secret is wrong', async () => {
    const wrong = { key: server.consumerKey, secret: 'not-the-secret' };
    const error = await caughtCliError(() => requestTemporaryCredentials(httpClient, endpoints(server, 'HMAC-SHA1'), wrong, CALLBACK));
    expect(error.code).toBe('signature_invalid');
    expect(error.message).toMatch(/^the request-token endpoint refused: oauth_problem=signature_invalid .*\[HTTP 401\]$/);
    expect(error.hint).toMatch(/consumer secret/);
    expect(`${error.message} ${error.hint}`).not.toContain('not-the-secret');
  });

  it('is refused with consumer_key_unknown for another consumer key', async () => {
    const error = await caughtCliError(() => 
      requestTemporaryCredentials(httpClient, endpoints(server, 'HMAC-SHA1'), { key: 'someone-else', secret: server.consumerSecret }, CALLBACK),
    );
    expect(error.code).toBe('consumer_key_unknown');
  });

  it('refuses a replayed request (same nonce, timestamp and token): nonce_used', async () => {
    // An HttpClient that sends every request twice and returns the second answer: a replay.
    let first: number | undefined;
    const replaying = async (request: Parameters<typeof httpClient>[0]) => {
      first = (await httpClient(request)).status;
      return httpClient(request);
    };
    const error = await caughtCliError(() => requestTemporaryCredentials(replaying, endpoints(server, 'HMAC-SHA1'), consumer, CALLBACK));
    expect(first).toBe(200);
    expect(error.code).toBe('nonce_used');
    expect(error.message).toContain('oauth_problem=nonce_used');

    // The same on the protected resource.
    const { tokens } = await threeLegged(server, 'HMAC-SHA1', consumer);
    const authorization = signRequest('HMAC-SHA1', consumer, tokens, { method: 'GET', url: server.meUrl });
    expect((await fetch(server.meUrl, { headers: { authorization } })).status).toBe(200);
    const replayed = await fetch(server.meUrl, { headers: { authorization } });
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toContain('oauth_problem=nonce_used');
  });

  it('refuses a stale timestamp: timestamp_refused with the acceptable range', async () => {
    const request = { method: 'GET', url: server.meUrl };
    const { tokens } = await threeLegged(server, 'HMAC-SHA1', consumer);
    const stale = signRequest('HMAC-SHA1', consumer, tokens, request, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const response = await fetch(server.meUrl, { headers: { authorization: stale } });
    const problem = Object.fromEntries(new URLSearchParams(await response.text()));
    expect(response.status).toBe(401);
    expect(problem.oauth_problem).toBe('timestamp_refused');
    expect(problem.oauth_acceptable_timestamps).toMatch(/^\d+-\d+$/);
  });

  it('spends the temporary credentials once, and checks the verifier', async () => {
    const { spec, temporary, verifier } = await threeLegged(server, 'HMAC-SHA1', consumer);
    const reused = await caughtCliError(() => requestTokenCredentials(httpClient, spec, consumer, temporary, verifier));
    expect(reused.code).toBe('token_rejected');

    const fresh = await requestTemporaryCredentials(httpClient, spec, consumer, CALLBACK);
    await approve(authorizationUrl(spec, fresh.token));
    const wrongVerifier = await caughtCliError(() => requestTokenCredentials(httpClient, spec, consumer, fresh, 'guessed'));
    expect(wrongVerifier.code).toBe('verifier_invalid');
    expect(wrongVerifier.message).toBe('the access-token endpoint refused: oauth_problem=verifier_invalid — the verifier does not match [HTTP 401]');
  });

  it('refuses an access token signed with the wrong token secret', async () => {
    const { tokens } = await threeLegged(server, 'HMAC-SHA1', consumer);
    const me = await callMe(server, 'HMAC-SHA1', consumer, { token: tokens.token, tokenSecret: 'wrong' });
    expect(me.status).toBe(401);
    expect(me.text).toContain('oauth_problem=signature_invalid');
  });

  it('redirects a denial with denied=<token>, which the callback reader reports (?deny=1 and the Deny button)', async () => {
    const spec = endpoints(server, 'HMAC-SHA1');
    const viaQuery = await requestTemporaryCredentials(httpClient, spec, consumer, CALLBACK);
    const denied = await fetch(`${authorizationUrl(spec, viaQuery.token)}&deny=1`, { redirect: 'manual' });
    expect(denied.status).toBe(302);
    const landing = new URL(denied.headers.get('location')!);
    expect(landing.searchParams.get('denied')).toBe(viaQuery.token);
    expect(landing.searchParams.get('flow')).toBe('abc');
    expect(() => readAuthorizationCallback(landing.searchParams, viaQuery.token)).toThrow(expect.objectContaining({ code: 'access_denied' }));
    // The denied temporary credentials are gone.
    expect((await caughtCliError(() => requestTokenCredentials(httpClient, spec, consumer, viaQuery, 'x'))).code).toBe('token_rejected');

    const viaButton = await requestTemporaryCredentials(httpClient, spec, consumer, CALLBACK);
    const pressed = await fetch(server.authorizeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ oauth_token: viaButton.token, abort: '1' }),
      redirect: 'manual',
    });
    expect(new URL(pressed.headers.get('location')!).searchParams.get('denied')).toBe(viaButton.token);
  });
});

describe('OAuth 1.0a fixture options', () => {
  it('RSA-SHA1: signs with the private key, the fixture verifies with the public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const server = await startOAuth1Server({
      consumerSecret: '',
      rsaPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    try {
      const consumer = { key: server.consumerKey, secret: '', privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
      await threeLegged(server, 'RSA-SHA1', consumer);

      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const error = await caughtCliError(() => 
        requestTemporaryCredentials(httpClient, endpoints(server, 'RSA-SHA1'), { ...consumer, privateKeyPem: other }, CALLBACK),
      );
      expect(error.code).toBe('signature_invalid');
    } finally {
      await server.stop();
    }
  });

  it('a provider without oauth_callback_confirmed: the flow works, with a deviation', async () => {
    const server = await startOAuth1Server({ env: { OAUTH1_OMIT_CALLBACK_CONFIRMED: '1' } });
    try {
      const temporary = await requestTemporaryCredentials(
        httpClient,
        endpoints(server, 'HMAC-SHA1'),
        { key: server.consumerKey, secret: server.consumerSecret },
        CALLBACK,
      );
      expect(temporary.callbackConfirmed).toBe(false);
      expect(temporary.deviations.map((d) => d.code)).toEqual(['callback-not-confirmed']);
    } finally {
      await server.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The fixture's authorize page with the real test browser, as the broker's e2e tests will use it.

const BROWSER = path.join(REPO_ROOT, 'test', 'helpers', 'browser.mjs');

function runBrowser(url: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROWSER, url], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe.skipIf(!requireComponent('chromium', hasChromium()))('OAuth 1.0a fixture + test browser', () => {
  let server: OAuth1Server;
  let callbackServer: http.Server;
  let callbackUrl: string;
  const hits: URLSearchParams[] = [];

  beforeAll(async () => {
    server = await startOAuth1Server();
    const port = await freePort();
    callbackServer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      if (url.pathname === '/auth') hits.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>done</title>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${port}/auth`;
  });

  afterAll(async () => {
    await server?.stop();
    callbackServer?.closeAllConnections();
    await new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()));
  });

  for (const action of ['approve', 'deny'] as const) {
    it(`BROWSER_ACTION=${action} lands on the callback with ${action === 'approve' ? 'oauth_token + oauth_verifier' : 'denied=<token>'}`, async () => {
      const consumer = { key: server.consumerKey, secret: server.consumerSecret };
      const spec = endpoints(server, 'HMAC-SHA1');
      const temporary = await requestTemporaryCredentials(httpClient, spec, consumer, callbackUrl);
      const log = path.join((await makeTempDir()).path, 'browser.log');
      const before = hits.length;

      const code = await runBrowser(authorizationUrl(spec, temporary.token), { BROWSER_ACTION: action, BROWSER_LOG: log });
      const browserLog = await readFile(log, 'utf8').catch(() => '(no browser log)');
      expect(code, browserLog).toBe(0);
      const hit = hits[before];
      expect(hit, browserLog).toBeDefined();

      if (action === 'deny') {
        expect(hit!.get('denied')).toBe(temporary.token);
        return;
      }
      const verifier = readAuthorizationCallback(hit!, temporary.token);
      const tokens = await requestTokenCredentials(httpClient, spec, consumer, temporary, verifier);
      expect(tokens.extra.screen_name).toBe('alice'); // browser.mjs signs in as BROWSER_LOGIN (alice)
    });
  }
});
