// The pages node-oidc-provider renders for the sandbox (the device flow's verification pages, its
// error pages, the logout pages) and the sandbox's own sign-in pages carry the headers of the broker's own pages: a CSP with nonces
// and frame-ancestors 'none', X-Frame-Options, no-store, no Referer, nosniff. Checked on the wire
// against a real `serve --sandbox` process, and in real Chromium: a page on another origin cannot
// frame /sandbox/device, and the pages work under their CSP (oidc-provider's self-submitting form
// runs under the hash it adds to the policy).
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { makeTempDir, runCli, type TempDir } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { hasChromium, requireComponent } from '../helpers/components.js';

const browserAvailable = requireComponent('chromium', hasChromium());

/** A tiny cookie jar: the sandbox's session cookie carries the device form's CSRF secret. */
class Cookies {
  private readonly values = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = (pair ?? '').indexOf('=');
      if (at > 0) this.values.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  }
  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** The headers every HTML page of the broker carries (src/util/html.ts sendPage, src/broker/app.ts). */
function expectPageHeaders(response: Response, body: string, what: string): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp, what).toMatch(/default-src 'none'/);
  expect(csp, what).toMatch(/frame-ancestors 'none'/);
  expect(csp, what).toMatch(/form-action 'self'/);
  expect(csp, what).toMatch(/base-uri 'none'/);
  expect(response.headers.get('x-frame-options'), what).toBe('DENY');
  expect(response.headers.get('cache-control'), what).toBe('no-store');
  expect(response.headers.get('referrer-policy'), what).toBe('no-referrer');
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(response.headers.get('content-type'), what).toMatch(/^text\/html/);
  // The page's own style runs under this response's nonce.
  const styleNonce = /<style nonce="([^"]+)">/.exec(body)?.[1];
  if (styleNonce !== undefined) expect(csp, what).toContain(`'nonce-${styleNonce}'`);
}

function step(body: string): string | undefined {
  return /data-sandbox-step="([a-z-]+)"/.exec(body)?.[1];
}

function hidden(body: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1];
  if (value === undefined) throw new Error(`no hidden field ${name} in:\n${body}`);
  return value;
}

describe('the sandbox pages oidc-provider renders', () => {
  let home: TempDir;
  let serve: ServeProcess;
  let issuer: string;
  let clientSecret: string;

  beforeAll(async () => {
    home = await makeTempDir();
    const env = { HOME: home.path, XDG_DATA_HOME: join(home.path, 'data') };
    const init = await runCli(['init', '--yes'], { cwd: home.path, env });
    expect(init.code, init.stderr).toBe(0);
    serve = await startServe({ cwd: home.path, env, args: ['--sandbox', '--port', '0'] });
    issuer = `${serve.origin}/sandbox`;
    const keys = JSON.parse(await readFile(join(home.path, 'data', 'oauthd-cli', 'sandbox', 'keys.json'), 'utf8')) as { clientSecret: string };
    clientSecret = keys.clientSecret;
  });
  afterAll(async () => {
    await serve?.stop();
    await home?.cleanup();
  });

  /** RFC 8628 §3.1, as the broker's client: a fresh device code and its user code. */
  async function deviceAuthorization(): Promise<{ user_code: string; verification_uri_complete: string }> {
    const response = await fetch(`${issuer}/device/auth`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`oauthd-cli-sandbox:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ scope: 'openid' }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { user_code: string; verification_uri_complete: string };
  }

  it('device input, a wrong code, confirmation, sign-in, consent, done, logout, signed out, the self-submitting form and error pages all carry the page headers', async () => {
    const { user_code: userCode } = await deviceAuthorization();
    const cookies = new Cookies();
    /** One request with the jar's cookies, then the redirects a browser would follow. */
    const send = async (url: string, fields?: Record<string, string>, headers: Record<string, string> = {}) => {
      let target = new URL(url, issuer);
      let body = fields === undefined ? undefined : new URLSearchParams(fields);
      for (;;) {
        const response = await fetch(target, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { cookie: cookies.header(), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }), ...headers },
          body,
          redirect: 'manual',
        });
        cookies.take(response);
        const location = response.headers.get('location');
        if (location === null) return { response, body: await response.text(), url: target };
        target = new URL(location, target);
        body = undefined;
      }
    };
    const get = (path: string, headers: Record<string, string> = {}) => send(`${issuer}${path}`, undefined, headers);
    const post = (path: string, fields: Record<string, string>) => send(`${issuer}${path}`, fields);

    // The verification URI that carries the code is oidc-provider's own self-submitting form: its
    // inline script is allowed by the hash it adds to our CSP.
    const selfSubmitting = await get(`/device?user_code=${encodeURIComponent(userCode)}`);
    expect(selfSubmitting.body).toContain('document.forms[0].submit()');
    expectPageHeaders(selfSubmitting.response, selfSubmitting.body, 'GET /sandbox/device?user_code=…');
    expect(selfSubmitting.response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+' 'sha256-[A-Za-z0-9+/=]+'/);

    const input = await get('/device');
    expect(step(input.body)).toBe('device-input');
    expectPageHeaders(input.response, input.body, 'GET /sandbox/device');

    const wrong = await post('/device', { xsrf: hidden(input.body, 'xsrf'), user_code: 'BCDF-GHJK' });
    expect(step(wrong.body)).toBe('device-input');
    expect(wrong.body).toContain('That code is not valid');
    expectPageHeaders(wrong.response, wrong.body, 'POST /sandbox/device with a wrong code');

    const confirm = await post('/device', { xsrf: hidden(wrong.body, 'xsrf'), user_code: userCode });
    expect(step(confirm.body)).toBe('device-confirm');
    expect(confirm.body).toContain(userCode);
    expectPageHeaders(confirm.response, confirm.body, 'the device confirmation');

    // Continue: sign in and consent (the sandbox's own pages), then the device flow's last page.
    const signIn = await post('/device', { xsrf: hidden(confirm.body, 'xsrf'), user_code: userCode, confirm: 'yes' });
    expect(step(signIn.body)).toBe('login');
    expectPageHeaders(signIn.response, signIn.body, 'the sign-in page');
    const consent = await send(signIn.url.pathname.replace(/\/?$/, '/login'), { login: 'alice' });
    expect(step(consent.body)).toBe('consent');
    expectPageHeaders(consent.response, consent.body, 'the consent page');
    const done = await send(consent.url.pathname.replace(/\/?$/, '/confirm'), {});
    expect(step(done.body)).toBe('device-done');
    expectPageHeaders(done.response, done.body, 'the device flow\'s last page');

    // Signed in now: RP-initiated logout asks first, then says it is done.
    const logout = await get('/session/end');
    expect(step(logout.body)).toBe('logout');
    expectPageHeaders(logout.response, logout.body, 'GET /sandbox/session/end');
    const signedOut = await post('/session/end/confirm', { xsrf: hidden(logout.body, 'xsrf'), logout: 'yes' });
    expect(signedOut.body).toContain('You are signed out of the sandbox');
    expectPageHeaders(signedOut.response, signedOut.body, 'the signed-out page');

    const error = await get('/auth?client_id=nobody&response_type=code&scope=openid', { accept: 'text/html' });
    expect(error.response.status).toBe(400);
    expect(step(error.body)).toBe('message');
    expectPageHeaders(error.response, error.body, 'an error page');

    // JSON answers of oidc-provider get the broker's headers too.
    const metadata = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(metadata.headers.get('cache-control')).toBe('no-store');
    expect(metadata.headers.get('referrer-policy')).toBe('no-referrer');
    expect(metadata.headers.get('x-content-type-options')).toBe('nosniff');
  });

  describe.skipIf(!browserAvailable)('in Chromium', () => {
    let browser: Browser;
    let foreign: Server;
    let foreignOrigin: string;

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      // Another origin (localhost, another port) that tries to frame the sandbox.
      foreign = createServer((_request, response) => {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end(`<!doctype html><title>framer</title><iframe id="victim" src="${issuer}/device" width="600" height="400"></iframe>`);
      });
      await new Promise<void>((resolve) => foreign.listen(0, 'localhost', resolve));
      foreignOrigin = `http://localhost:${(foreign.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await browser?.close();
      foreign?.close();
    });

    it('a page on another origin cannot frame /sandbox/device', async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const console: string[] = [];
        page.on('console', (message) => console.push(message.text()));
        await page.goto(foreignOrigin, { waitUntil: 'load' });
        const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
        expect(frame).toBeDefined();
        const rendered = await frame!.evaluate(() => document.querySelector('[data-sandbox-step]') !== null).catch(() => false);
        expect(rendered).toBe(false);
        // Blocked by the policy (not by a network error): Chromium says which.
        expect(console.join('\n')).toMatch(/frame-ancestors 'none'|X-Frame-Options/);
      } finally {
        await context.close();
      }
    });

    it('the pages work under their CSP: the input page styles, the self-submitting form posts, no violation', async () => {
      const { verification_uri_complete: complete, user_code: userCode } = await deviceAuthorization();
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const violations: string[] = [];
        page.on('console', (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
        });
        await page.goto(`${issuer}/device`);
        await page.waitForSelector('[data-sandbox-step=device-input]');
        // The nonced stylesheet applied (system-ui, 36rem max width).
        expect(await page.evaluate(() => getComputedStyle(document.body).maxWidth)).not.toBe('none');

        await page.goto(complete);
        await page.waitForSelector('[data-sandbox-step=device-confirm]');
        expect(await page.textContent('main')).toContain(userCode);
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    });
  });
});
