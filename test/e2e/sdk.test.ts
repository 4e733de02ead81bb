// oauthd's own SDKs against our broker, unchanged: a page on a whitelisted origin loads
// oauthio-web 0.6.2 from npm, headless Chromium clicks through the embedded sandbox's sign-in, and
// for the server-side flow the Node SDK oauthio 0.3.5 trades the page's code. `serve --sandbox`
// runs as a child process, as an app developer would run it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { freePort } from '../helpers/ports.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { startAppServer, type AppServer } from '../helpers/app-server.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { CHROMIUM, signIn } from '../helpers/sandbox-pages.js';

const available = requireComponent('chromium', hasChromium());

interface Setup {
  broker: ServeProcess;
  app: AppServer;
  key: string;
  secret: string;
}

/** init + serve --sandbox for an app whose only allowed origin is http://localhost:<appPort>. */
async function setUp(flow: 'client' | 'server', extraConfig: Record<string, unknown> = {}): Promise<Setup> {
  const dir = (await makeTempDir('oauthd-sdk-')).path;
  const appPort = await freePort();
  const brokerPort = await freePort();
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
  const init = await runCli(['init', '--yes', '--json', '--flow', flow, '--domain', `http://localhost:${appPort}`], { cwd: dir, env });
  expect(init.code, init.stderr).toBe(0);
  const { key, secret } = JSON.parse(init.stdout) as { key: string; secret: string };
  const configPath = join(dir, 'oauthd.json');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { app: Record<string, unknown> };
  Object.assign(config.app, extraConfig);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const broker = await startServe({ cwd: dir, env, args: ['--sandbox', '--port', String(brokerPort)] });
  const app = await startAppServer({ host: 'localhost', port: appPort, broker: broker.origin, key, secret });
  return { broker, app, key, secret };
}

describe.skipIf(!available)("oauthd's SDKs against the broker, in a real browser", () => {
  let browser: Browser;
  let context: BrowserContext;
  let setup: Setup | undefined;

  beforeAll(async () => {
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await context?.close();
    await setup?.app.close();
    expect(await setup?.broker.stop()).toBe(0);
    setup = undefined;
  });

  async function openApp(origin: string): Promise<Page> {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(origin);
    return page;
  }

  it('client flow: OAuth.popup returns a token, the state the SDK made comes back, result.me() works', async () => {
    setup = await setUp('client');
    const page = await openApp(setup.app.origin);
    const popupOpened = context.waitForEvent('page');
    const result = page.evaluate(
      () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const w = window as unknown as { OAuth: { popup(p: string): { done(f: (r: Record<string, unknown>) => void): { fail(f: (e: Error) => void): void } } } };
          w.OAuth.popup('sandbox')
            .done((r) => {
              const me = (r as unknown as { me(): { done(f: (p: unknown) => void): { fail(f: (e: unknown) => void): void } } }).me();
              me.done((profile) => resolve({ access_token: r.access_token, token_type: r.token_type, id_token: r.id_token, refresh_token: r.refresh_token ?? null, provider: r.provider, profile }))
                .fail((e) => reject(new Error(`me failed: ${JSON.stringify(e)}`)));
            })
            .fail((e) => reject(new Error(e.message)));
        }),
    );
    await signIn(await popupOpened);
    const token = await result;
    expect(token.provider).toBe('sandbox');
    expect(token.token_type).toBe('Bearer');
    expect(token.access_token).toEqual(expect.any(String));
    expect(token.id_token).toEqual(expect.any(String));
    // Refresh tokens reach the page only when the app opts in (oauthd #109); this one did not.
    expect(token.refresh_token).toBeNull();
    expect(token.profile).toMatchObject({ id: 'alice', email: 'alice@sandbox.test' });
  });

  it('client flow with refreshTokensToClient: the page receives the refresh token too', async () => {
    setup = await setUp('client', { refreshTokensToClient: true });
    const page = await openApp(setup.app.origin);
    const popupOpened = context.waitForEvent('page');
    const result = page.evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          (window as unknown as { OAuth: { popup(p: string): { done(f: (r: { refresh_token?: string }) => void): { fail(f: (e: Error) => void): void } } } }).OAuth
            .popup('sandbox')
            .done((r) => resolve(r.refresh_token ?? null))
            .fail((e) => reject(new Error(e.message)));
        }),
    );
    await signIn(await popupOpened);
    expect(await result).toEqual(expect.any(String));
  });

  it('redirect mode: OAuth.redirect then OAuth.callback() on the landing page', async () => {
    setup = await setUp('client');
    const page = await openApp(setup.app.origin);
    await page.evaluate((target) => {
      (window as unknown as { OAuth: { redirect(p: string, url: string): void } }).OAuth.redirect('sandbox', target);
    }, `${setup.app.origin}/landing`);
    await signIn(page);
    await page.waitForURL(/\/landing/);
    const token = await page.evaluate(
      () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          (window as unknown as { OAuth: { callback(p: string): { done(f: (r: Record<string, unknown>) => void): { fail(f: (e: Error) => void): void } } } }).OAuth
            .callback('sandbox')
            .done((r) => resolve({ access_token: r.access_token, provider: r.provider }))
            .fail((e) => reject(new Error(e.message)));
        }),
    );
    expect(token.provider).toBe('sandbox');
    expect(token.access_token).toEqual(expect.any(String));
    // The SDK removed the result from the fragment; nothing token-like stays in the address bar.
    expect(page.url()).not.toContain('access_token');
  });

  it('server flow: the page gets only a code, the Node SDK trades it with the state, a replay is refused', async () => {
    setup = await setUp('server');
    const page = await openApp(setup.app.origin);
    const popupOpened = context.waitForEvent('page');
    const result = page.evaluate(
      async () => {
        const { state } = (await (await fetch('/state')).json()) as { state: string };
        return new Promise<Record<string, unknown>>((resolve, reject) => {
          (window as unknown as { OAuth: { popup(p: string, o: object): { done(f: (r: Record<string, unknown>) => void): { fail(f: (e: Error) => void): void } } } }).OAuth
            .popup('sandbox', { state })
            .done((r) => resolve({ code: r.code, access_token: r.access_token ?? null }))
            .fail((e) => reject(new Error(e.message)));
        });
      },
    );
    await signIn(await popupOpened);
    const fromPage = await result;
    expect(fromPage.access_token).toBeNull();
    expect(fromPage.code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const exchange = await (await fetch(`${setup.app.origin}/exchange?code=${fromPage.code as string}`)).json() as Record<string, unknown>;
    expect(exchange.error).toBeUndefined();
    expect(exchange.provider).toBe('sandbox');
    expect(exchange.access_token).toEqual(expect.any(String));
    expect(exchange.refresh_token).toEqual(expect.any(String));

    const replay = await (await fetch(`${setup.app.origin}/exchange?code=${fromPage.code as string}`)).json() as Record<string, unknown>;
    expect(String(replay.error)).toContain('invalid or expired code');
  });

  it('server flow without a state from the back end is refused', async () => {
    setup = await setUp('server');
    const page = await openApp(setup.app.origin);
    const popupOpened = context.waitForEvent('page');
    const result = page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          (window as unknown as { OAuth: { popup(p: string): { done(f: () => void): { fail(f: (e: Error) => void): void } } } }).OAuth
            .popup('sandbox')
            .done(() => resolve('resolved'))
            .fail((e) => resolve(e.message));
        }),
    );
    await popupOpened;
    expect(await result).toContain('the server-side flow needs a state from your back end');
  });

  it('a page on an origin outside the whitelist gets nothing', async () => {
    setup = await setUp('client');
    // Same server, other origin: 127.0.0.1 is not "localhost" in the whitelist.
    const outsider = setup.app.origin.replace('localhost', '127.0.0.1');
    const page = await openApp(outsider);
    const popupOpened = context.waitForEvent('page');
    await page.evaluate(() => {
      const w = window as unknown as { OAuth: { popup(p: string): { done(f: (r: unknown) => void): void } }; got?: unknown };
      w.OAuth.popup('sandbox').done((r) => {
        w.got = r;
      });
    });
    const popup = await popupOpened;
    await popup.waitForSelector('[data-oauthd-result=error]');
    const text = await popup.textContent('main');
    expect(text).toMatch(new RegExp(`${outsider.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/? \\(from (Referer|Origin|d)\\)`));
    expect(text).toContain('is not allowed to use the app');
    expect(text).toContain(setup.app.origin);
    expect(await page.evaluate(() => (window as unknown as { got?: unknown }).got ?? null)).toBeNull();
  });
});
