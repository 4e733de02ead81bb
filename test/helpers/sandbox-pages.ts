// Driving the embedded sandbox's own sign-in pages in a real browser page (playwright-core): the
// popup an SDK opened, or the main page in redirect mode.
import type { LaunchOptions, Page } from 'playwright-core';

/** Debian's Chromium, headless, as test/helpers/browser.mjs launches it. */
export const CHROMIUM: LaunchOptions = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** Signs in as `user` on the sandbox's sign-in page, then consents. */
export async function signIn(page: Page, user = 'alice'): Promise<void> {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', user);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-sandbox-step=consent]');
  await page.click('form[action$="/confirm"] button[type=submit]');
}
