// Driving the embedded sandbox's own sign-in pages in a real browser page (playwright-core): the
// popup an SDK opened, or the main page in redirect mode.
import type { LaunchOptions, Page } from 'playwright-core';

/** Debian's Chromium, headless, as test/helpers/browser.mjs launches it. */
export const CHROMIUM: LaunchOptions = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** Signs in as `user` on the sandbox's sign-in page, then consents (after `beforeConsent`, when given). */
export async function signIn(page: Page, user = 'alice', beforeConsent?: () => Promise<void>): Promise<void> {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', user);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-sandbox-step=consent]');
  await beforeConsent?.();
  await page.click('form[action$="/confirm"] button[type=submit]');
}

/**
 * Watches the demo page (`/demo`) and the popup it opened, from before the sign-in: `succeeded`
 * waits until the page shows a successful sign-in, and on a timeout says what the page showed,
 * where the popup was and what both pages logged ("timeout" alone tells nothing).
 */
export function watchDemo(page: Page, popup: Page): { succeeded(brokerLog: () => string): Promise<void> } {
  const logged: string[] = [];
  for (const [name, source] of [['page', page], ['popup', popup]] as const) {
    source.on('console', (message) => logged.push(`${name} ${message.type()}: ${message.text()}`));
    source.on('pageerror', (error) => logged.push(`${name} error: ${error.message}`));
    source.on('framenavigated', (frame) => frame === source.mainFrame() && logged.push(`${name} at ${frame.url().split('?')[0]}`));
  }
  return {
    async succeeded(brokerLog) {
      try {
        await page.waitForSelector('#result[data-demo-result=success]', { timeout: 20_000 });
      } catch (error) {
        const shown = await page.textContent('#result').catch(() => '(page gone)');
        const popupAt = popup.isClosed() ? '(popup closed)' : popup.url();
        throw new Error([(error as Error).message, `page shows: ${shown}`, `popup: ${popupAt}`, `seen: ${logged.join(' | ') || '(nothing)'}`, 'broker log:', brokerLog()].join('\n'));
      }
    },
  };
}
