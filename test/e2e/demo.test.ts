// The demo page `serve --sandbox` mounts at /demo: a newcomer opens it, clicks, signs in on the
// sandbox in the popup, and sees the client-side flow's result on the page. Real Chromium, the
// real `serve` process, oauthd's own SDK (oauthio-web) served by the broker, and the config
// `init --yes` writes, whose domains (http://localhost:3000) do not include the broker's origin.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { CHROMIUM, signIn, watchDemo } from '../helpers/sandbox-pages.js';

const available = requireComponent('chromium', hasChromium());

async function serveSandbox(initArgs: string[]): Promise<ServeProcess> {
  const dir = (await makeTempDir('oauthd-demo-')).path;
  const env = { HOME: dir, XDG_DATA_HOME: `${dir}/data` };
  const init = await runCli(['init', '--yes', ...initArgs], { cwd: dir, env });
  expect(init.code, init.stderr).toBe(0);
  return startServe({ cwd: dir, env, args: ['--sandbox', '--port', '0'] });
}

describe.skipIf(!available)('serve --sandbox: the demo page at /demo, in a real browser', () => {
  let browser: Browser;
  let context: BrowserContext | undefined;
  let broker: ServeProcess | undefined;

  beforeAll(async () => {
    browser = await chromium.launch(CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await context?.close();
    expect(await broker?.stop()).toBe(0);
    broker = undefined;
  });

  for (const [flow, initArgs] of [
    ['client', []],
    ['server', ['--flow', 'server']],
  ] as const) {
    it(`signs in with the popup and shows the token and profile on the page (config from init --yes, ${flow} flow)`, async () => {
      broker = await serveSandbox([...initArgs]);
      expect(broker.stderr()).toContain(`demo           ${broker.origin}/demo`);
      context = await browser.newContext();
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));

      await page.goto(`${broker.origin}/demo`);
      expect(await page.getAttribute('#result', 'data-demo-result')).toBe('idle');
      const popupOpened = context.waitForEvent('page');
      await page.click('#signin');
      const popup = await popupOpened;
      const demo = watchDemo(page, popup);
      await signIn(popup);

      await demo.succeeded(() => broker!.stderr());
      const shown = (await page.textContent('#result')) ?? '';
      expect(shown).toMatch(/provider\s+sandbox/);
      expect(shown).toMatch(/token_type\s+Bearer/);
      expect(shown).toMatch(/access_token\s+\S{6}…\S{4}/);
      // result.me() went through the broker's /auth/sandbox/me with the token.
      expect(shown).toMatch(/id\s+alice/);
      expect(shown).toMatch(/email\s+alice@sandbox\.test/);
      // The SDK ran under the page's CSP without a violation or an error.
      expect(problems).toEqual([]);
      // And the request log followed the flow, step by step.
      const log = broker.stderr();
      for (const step of ['GET /demo 200', 'GET /demo/oauth.js 200', 'flow start sandbox', 'callback', 'profile sandbox']) expect(log).toContain(step);
    });
  }

  // oauthio-web polls popup.closed every 500 ms and gives up with "The popup was closed" when the
  // window is gone before its message handler ran (the handler closes the popup itself). A page
  // busy with a long task when the result comes runs that overdue poll first, unless the popup is
  // still open then: the result page closes itself only later (src/broker/pages.ts).
  it('the result page stays open after it posts until the SDK closes it, so a page busy at that moment still gets the result', async () => {
    broker = await serveSandbox([]);
    context = await browser.newContext();

    // Without the SDK (nobody closes the popup on receipt): still open 600 ms after the result arrived, closed later by itself.
    const plain = await context.newPage();
    await plain.goto(`${broker.origin}/demo`);
    const key = /OAuth\.initialize\("([^"]+)"\)/.exec((await plain.textContent('pre code')) ?? '')?.[1];
    expect(key).toBeDefined();
    const opened = context.waitForEvent('page');
    await plain.evaluate(({ origin, key }) => {
      const seen = window as unknown as { openAfter600?: boolean };
      // As the SDK does: the page's URL in `d` (the page sends no Referer).
      const popup = window.open(`${origin}/auth/sandbox?k=${key}&d=${encodeURIComponent(`${origin}/`)}&opts=${encodeURIComponent(JSON.stringify({ state: 'plain-state', state_type: 'client' }))}`);
      window.addEventListener('message', () => setTimeout(() => (seen.openAfter600 = popup?.closed === false), 600), { once: true });
    }, { origin: broker.origin, key });
    const plainPopup = await opened;
    await signIn(plainPopup);
    await plain.waitForFunction(() => (window as unknown as { openAfter600?: boolean }).openAfter600 !== undefined);
    expect(await plain.evaluate(() => (window as unknown as { openAfter600?: boolean }).openAfter600)).toBe(true);
    if (!plainPopup.isClosed()) await plainPopup.waitForEvent('close', { timeout: 5_000 });

    // With the SDK, a page in a long task while the popup posts its result and would close: the result arrives.
    for (let round = 0; round < 3; round++) {
      // A context of its own each time: no sandbox session, so the sign-in page shows again.
      await context.close();
      context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${broker.origin}/demo`);
      const popupOpened = context.waitForEvent('page');
      await page.click('#signin');
      const popup = await popupOpened;
      const demo = watchDemo(page, popup);
      await signIn(popup, 'alice', () =>
        page.evaluate(() => {
          setTimeout(() => {
            const end = Date.now() + 2500;
            while (Date.now() < end);
          }, 300);
        }),
      );
      await demo.succeeded(() => broker!.stderr());
    }
  });
});
