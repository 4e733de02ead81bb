/**
 * The sandbox sign-in completed by the CLI itself, for machines with no display and no $BROWSER
 * (and `login sandbox --auto-approve`). It is a small user agent, not a shortcut: it follows the
 * same redirects a browser would (broker /auth/sandbox → authorize → sign-in → consent → broker
 * callback), with a cookie jar, and submits the sandbox's own forms. Never used for a real provider.
 */
import { CookieJar } from 'tough-cookie';
import { SANDBOX_PATH } from './spec.js';

const MAX_STEPS = 25;

export async function autoApprove(startUrl: string, login = 'developer'): Promise<void> {
  const jar = new CookieJar();
  let url = new URL(startUrl);
  let method: 'GET' | 'POST' = 'GET';
  let body: string | undefined;

  for (let step = 0; step < MAX_STEPS; step++) {
    const cookie = await jar.getCookieString(url.toString());
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const setCookie of response.headers.getSetCookie()) {
      await jar.setCookie(setCookie, url.toString(), { ignoreError: true });
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const text = await response.text();
    // The broker's callback page: the flow is in the broker's hands now.
    if (url.pathname === '/auth') return;
    const page = /data-sandbox-step="([a-z-]+)"/.exec(text)?.[1];
    const uid = new RegExp(`${SANDBOX_PATH}/interaction/([^/"]+)/`).exec(text)?.[1];
    if ((page === 'login' || page === 'consent') && uid) {
      url = new URL(`${SANDBOX_PATH}/interaction/${uid}/${page === 'login' ? 'login' : 'confirm'}`, url);
      method = 'POST';
      body = page === 'login' ? new URLSearchParams({ login }).toString() : '';
      continue;
    }
    throw new Error(`the sandbox answered an unexpected page (HTTP ${response.status} at ${url.pathname})`);
  }
  throw new Error(`the sandbox sign-in did not reach the callback within ${MAX_STEPS} steps`);
}
