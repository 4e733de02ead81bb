/**
 * The sandbox sign-in completed by the CLI itself, for machines with no display and no $BROWSER
 * (and `login sandbox --auto-approve`). It is a small user agent, not a shortcut: it follows the
 * redirects a browser would, with a cookie jar, and submits the sandbox's own forms, CSRF fields
 * included:
 *
 *   code flow    broker /auth/sandbox → authorize → sign-in → consent → broker callback
 *   device flow  verification page (RFC 8628 §3.3) → confirm the user code → sign-in → consent
 *                → "device signed in"
 *   CIBA         the approval page of a backchannel request → Approve → "Approved"
 *
 * Never used for a real provider: the CLI calls it for the sandbox only, and it never leaves the
 * origin it starts on (the broker's, where the sandbox is mounted).
 */
import { CookieJar } from 'tough-cookie';
import { SANDBOX_PATH } from './spec.js';

const MAX_STEPS = 25;

/** The code flow: from the broker's start URL until the broker's callback page. */
export async function autoApprove(startUrl: string, login = 'developer'): Promise<void> {
  await drive(startUrl, { login, done: (url) => url.pathname === '/auth' });
}

/**
 * The device flow: from the verification URI (the complete one, which carries the code, when the
 * sandbox sent it) until the sandbox says the device is signed in.
 */
export async function autoApproveDevice(verificationUrl: string, userCode: string, login = 'developer', headers?: Record<string, string>): Promise<void> {
  await drive(verificationUrl, { login, userCode, ...(headers ? { headers } : {}), done: (_url, step) => step === 'device-done' });
}

/**
 * OpenID CIBA: the user's answer on the sandbox's approval page (its authentication device), from
 * the approval_uri of the acknowledgement until the page says it is approved.
 */
export async function autoApproveBackchannel(approvalUrl: string): Promise<void> {
  await drive(approvalUrl, { login: '', done: (_url, step) => step === 'ciba-done' });
}

/**
 * The sandbox approving an authorization request by itself (`sandbox --auto-approve`): the same
 * user agent, started at the sandbox's own authorization endpoint (requests marked with
 * `headers`, so the sandbox lets them through to its pages), until the redirect that leaves the
 * sandbox: the authorization response, returned for the client's own request to follow.
 */
export async function approveAuthorizationRequest(authorizeUrl: string, login: string, headers: Record<string, string>): Promise<string> {
  const sandbox = new URL(authorizeUrl);
  const leaves = (url: URL) => url.origin !== sandbox.origin || !(url.pathname === SANDBOX_PATH || url.pathname.startsWith(`${SANDBOX_PATH}/`));
  const response = await drive(authorizeUrl, { login, headers, leaves, done: () => false });
  if (!response) throw new Error('the sign-in never redirected back to the client');
  return response.toString();
}

interface Drive {
  login: string;
  /** Headers of every request (the sandbox's own mark for its auto-approval). */
  headers?: Record<string, string>;
  /** When a redirect to `url` ends the drive: its URL is returned (the sandbox approving by itself). */
  leaves?(url: URL): boolean;
  userCode?: string;
  /** True once the page at `url` (marked `step`, when it is one of the sandbox's) ends the drive. */
  done(url: URL, step: string | undefined): boolean;
}

interface Submission {
  url: URL;
  fields: URLSearchParams;
}

async function drive(startUrl: string, options: Drive): Promise<URL | undefined> {
  const jar = new CookieJar();
  const origin = new URL(startUrl).origin;
  let url = new URL(startUrl);
  let body: URLSearchParams | undefined;

  for (let step = 0; step < MAX_STEPS; step++) {
    if (url.origin !== origin) throw new Error(`the sign-in left the sandbox for ${url.origin}`);
    const cookie = await jar.getCookieString(url.toString());
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      headers: {
        ...options.headers,
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
      if (options.leaves?.(url)) {
        await response.body?.cancel();
        return url;
      }
      body = undefined;
      continue;
    }
    const page = await response.text();
    const marker = /data-sandbox-step="([a-z-]+)"/.exec(page)?.[1];
    if (options.done(url, marker)) return undefined;
    const next = nextSubmission(page, marker, url, options);
    if (!next) throw new Error(`the sandbox answered an unexpected page (HTTP ${response.status} at ${url.pathname}${marker === 'message' ? `: ${pageText(page)}` : ''})`);
    ({ url, fields: body } = next);
  }
  throw new Error(`the sandbox sign-in did not finish within ${MAX_STEPS} steps`);
}

/** What a user would submit on this page, or undefined when there is nothing to submit. */
function nextSubmission(page: string, marker: string | undefined, url: URL, options: Drive): Submission | undefined {
  switch (marker) {
    case 'login':
    case 'consent': {
      const uid = new RegExp(`${SANDBOX_PATH}/interaction/([^/"]+)/`).exec(page)?.[1];
      if (!uid) return undefined;
      const action = new URL(`${SANDBOX_PATH}/interaction/${uid}/${marker === 'login' ? 'login' : 'confirm'}`, url);
      return { url: action, fields: new URLSearchParams(marker === 'login' ? { login: options.login } : {}) };
    }
    case 'device-input': {
      // oidc-provider's form: its CSRF field, and the code typed in.
      const form = readForm(page, url, 'op.deviceInputForm');
      if (!form || options.userCode === undefined) return undefined;
      form.fields.set('user_code', options.userCode);
      return form;
    }
    case 'ciba-approve':
      return readForm(page, url, 'approve');
    case 'device-confirm':
      // "Continue": the form's own fields (CSRF, user_code, confirm=yes), not the Abort button's.
      return readForm(page, url, 'op.deviceConfirmForm');
    case undefined:
      // oidc-provider's self-submitting form (the verification URI that carries the code posts
      // it with the CSRF field); a browser runs its script, we submit it as <noscript> would.
      return readForm(page, url);
    default:
      return undefined;
  }
}

/** A form's action and hidden fields, read from markup oidc-provider and pages.ts write. */
function readForm(page: string, base: URL, id?: string): Submission | undefined {
  for (const match of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attributes = readAttributes(match[1] ?? '');
    if (id !== undefined && attributes.id !== id) continue;
    if ((attributes.method ?? '').toLowerCase() !== 'post' || attributes.action === undefined) continue;
    const fields = new URLSearchParams();
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
      const field = readAttributes(input[1] ?? '');
      if (field.type === 'hidden' && field.name !== undefined) fields.append(field.name, field.value ?? '');
    }
    return { url: new URL(attributes.action, base), fields };
  }
  return undefined;
}

function readAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*"([^"]*)"/g)) {
    attributes[(name as string).toLowerCase()] = unescapeHtml(value as string);
  }
  return attributes;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeHtml(value: string): string {
  return value.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (entity, name: string) => {
    if (!name.startsWith('#')) return ENTITIES[name.toLowerCase()] ?? entity;
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/** The words of a sandbox message page, for an error line. */
function pageText(page: string): string {
  const main = /<main\b[^>]*>([\s\S]*?)<\/main>/.exec(page)?.[1] ?? '';
  return unescapeHtml(main.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 200);
}
