// A user agent for the embedded sandbox without a browser, for tests that need the pages a flow
// ends on: it follows redirects from a start URL with a cookie jar, signs in and consents on the
// sandbox's own forms (as src/sandbox/auto-approve.ts does), and returns every URL it visited and
// the body of the first page that is not a sandbox page (the broker's callback page).
import { CookieJar } from 'tough-cookie';

export interface SandboxVisit {
  /** Every URL requested, in order (redirect targets included). */
  visited: URL[];
  /** The body of the page the flow ended on. */
  page: string;
  status: number;
}

export async function signInOnSandbox(startUrl: string, options: { login?: string; headers?: Record<string, string> } = {}): Promise<SandboxVisit> {
  const jar = new CookieJar();
  const visited: URL[] = [];
  let url = new URL(startUrl);
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 25; step++) {
    visited.push(url);
    const cookie = await jar.getCookieString(url.toString());
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        ...(step === 0 ? options.headers : {}),
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url.toString(), { ignoreError: true });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const text = await response.text();
    const page = /data-sandbox-step="([a-z-]+)"/.exec(text)?.[1];
    const uid = /\/sandbox\/interaction\/([^/"]+)\//.exec(text)?.[1];
    if ((page === 'login' || page === 'consent') && uid) {
      url = new URL(`/sandbox/interaction/${uid}/${page === 'login' ? 'login' : 'confirm'}`, url);
      method = 'POST';
      body = page === 'login' ? new URLSearchParams({ login: options.login ?? 'alice' }).toString() : '';
      continue;
    }
    return { visited, page: text, status: response.status };
  }
  throw new Error(`no end page within 25 steps (last ${url})`);
}
