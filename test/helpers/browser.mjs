#!/usr/bin/env node
// A complete `$BROWSER` for tests: BROWSER="node test/helpers/browser.mjs"; the CLI appends the URL.
//
//   node test/helpers/browser.mjs [ignored args...] <URL>
//
// It launches Debian's Chromium headless through playwright-core, opens <URL> and plays the user:
// on every page it fills the sign-in fields and presses the first submit button, until the
// browser lands on the broker's callback (path /auth on 127.0.0.1 or localhost, not itself an
// authorization request) and that page has loaded. Then it closes Chromium and exits 0.
// Anything else (stuck page, failed navigation, hard time limit) closes Chromium and exits 1.
//
// It works with node-oidc-provider's devInteractions pages and with simple HTML sandbox pages:
//   - visible input[name=login], input[name=username], input[type=email] <- BROWSER_LOGIN
//   - visible input[type=password]                                      <- BROWSER_PASSWORD
//   - then click the first visible submit button that belongs to a form (directly, or through a
//     form="..." attribute as on oidc-provider's consent/device pages) and is not named
//     abort/deny/cancel/decline.
//
// Environment:
//   BROWSER_LOGIN            default "alice" (oidc-provider uses it as the account id / `sub`)
//   BROWSER_PASSWORD         default "secret"
//   BROWSER_ACTION           approve (default) | deny | forge-state | ignore
//       deny         sign in, then on the consent page press the button named `abort` (or, when
//                    there is no such button, follow a Cancel/Deny/Abort link, which is what
//                    oidc-provider 8's consent page has); the AS answers error=access_denied.
//       forge-state  follow redirects from <URL> to the first URL carrying redirect_uri, then
//                    navigate to <redirect_uri>?code=forged-code&state=<new random value> and stop.
//                    This happens in the same browser, so any broker cookie set on the way is
//                    sent with the forged callback: only the state check can reject it.
//       ignore       open <URL>, then do nothing for BROWSER_IGNORE_SECONDS (default 30), exit 0.
//       capture-callback  sign in like approve, but never load the callback: its URL is written
//                    to BROWSER_CAPTURE_FILE and the navigation is aborted (a browser that cannot
//                    reach the CLI's loopback port, as over SSH: the user pastes that URL).
//   BROWSER_LOG              append one line per step (visit, action, error) to this file.
//                            Nothing is ever written to stdout/stderr: the CLI ignores them.
//   BROWSER_TIMEOUT_SECONDS  hard overall limit, default 40 (in ignore mode at least
//                            BROWSER_IGNORE_SECONDS + 10); on expiry: close Chromium, exit 1.
//   BROWSER_DONE_PATH        callback path, default /auth.
//   BROWSER_VISIT_FIRST      a URL to load (until its load event) before <URL>: a foreign page
//                            the user happens to have open, e.g. one with <img src=broker/auth?state=x>.
//
// Extra: requests for page resources (fonts, scripts, images) on non-loopback hosts are aborted:
// the test machines have no internet, and oidc-provider's pages @import Google Fonts, which would
// otherwise delay every page's load event. Navigations are never blocked.
import { appendFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const env = process.env;
const START_URL = process.argv.at(-1);
const LOGIN = env.BROWSER_LOGIN ?? 'alice';
const PASSWORD = env.BROWSER_PASSWORD ?? 'secret';
const ACTION = (env.BROWSER_ACTION || 'approve').toLowerCase();
const LOG_FILE = env.BROWSER_LOG;
const DONE_PATH = (env.BROWSER_DONE_PATH || '/auth').replace(/\/+$/, '') || '/';
const IGNORE_SECONDS = seconds(env.BROWSER_IGNORE_SECONDS, 30);
const TIMEOUT_SECONDS =
  ACTION === 'ignore'
    ? Math.max(seconds(env.BROWSER_TIMEOUT_SECONDS, 40), IGNORE_SECONDS + 10)
    : seconds(env.BROWSER_TIMEOUT_SECONDS, 40);

/** A page with nothing to click gets this long to navigate by itself (JS or meta redirect). */
const STUCK_MS = 10_000;
/** After a click, the navigation it triggers gets this long to commit. */
const AFTER_ACTION_MS = 15_000;
/** Guard against a page that keeps coming back (e.g. rejected credentials). */
const MAX_ACTIONS = 20;
/** Attribute used to point Playwright at the elements chosen inside the page. */
const MARK = 'data-test-browser-target';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function seconds(value, fallback) {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
}

function log(message) {
  if (!LOG_FILE) return;
  try {
    appendFileSync(LOG_FILE, `${new Date().toISOString()} [browser ${process.pid}] ${message}\n`);
  } catch {
    // Logging must never break the flow (and stderr is off limits).
  }
}

function errorText(err) {
  return String(err?.message ?? err).split('\n')[0];
}

// Keep stdout/stderr silent: route console output and Node warnings to the log instead.
for (const method of ['log', 'info', 'warn', 'error', 'debug']) console[method] = (...args) => log(`console.${method}: ${args.join(' ')}`);
process.removeAllListeners('warning');
process.on('warning', (w) => log(`node warning: ${w.name}: ${w.message}`));

// ---------------------------------------------------------------------------------------------
// Lifetime: exactly one way out, and it always closes Chromium.

let launching; // Promise<Browser> while launching, so a finish() during launch still closes it
let finishing = false;

async function finish(code, reason) {
  if (finishing) return;
  finishing = true;
  log(`exit ${code}: ${reason}`);
  // If close() itself hangs, leave anyway; playwright kills the browser's process group on exit.
  setTimeout(() => process.exit(code), 5000).unref();
  try {
    const browser = await launching;
    await browser?.close();
  } catch (err) {
    log(`closing Chromium failed: ${errorText(err)}`);
  }
  process.exit(code);
}

process.on('uncaughtException', (err) => void finish(1, `uncaught exception: ${err?.stack ?? err}`));
process.on('unhandledRejection', (err) => void finish(1, `unhandled rejection: ${err?.stack ?? err}`));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => void finish(1, `got ${signal}`));
setTimeout(() => void finish(1, `hard time limit of ${TIMEOUT_SECONDS}s reached`), TIMEOUT_SECONDS * 1000);

// ---------------------------------------------------------------------------------------------
// Helpers

function parseUrl(href) {
  try {
    return new URL(href);
  } catch {
    return undefined;
  }
}

function isLoopback(url) {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost');
}

/**
 * The broker's callback: loopback host, path /auth. node-oidc-provider's own authorization
 * endpoint is also /auth on 127.0.0.1, so an authorization request (it always carries
 * response_type) is not a callback.
 */
function isCallback(href) {
  const url = parseUrl(href);
  if (!url || !LOOPBACK_HOSTS.has(url.hostname)) return false;
  const path = url.pathname.replace(/\/+$/, '') || '/';
  return path === DONE_PATH && !url.searchParams.has('response_type');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = predicate();
    if (value) return value;
    await sleep(50);
  }
  return predicate();
}

// ---------------------------------------------------------------------------------------------
// Browser setup

async function openPage() {
  launching = chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // Signals are handled above so that the exit code and the log stay ours.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const browser = await launching;
  log(`Chromium ${browser.version()} launched`);
  // A fresh context: no cookies or storage from anywhere else (playwright also uses a temp profile).
  const context = await browser.newContext({ ignoreHTTPSErrors: true });

  await context.route(
    (url) => (url.protocol === 'http:' || url.protocol === 'https:') && !isLoopback(url),
    (route) => {
      const request = route.request();
      if (request.isNavigationRequest()) return route.continue();
      log(`blocked external resource ${request.url()}`);
      return route.abort('blockedbyclient');
    },
  );

  let page;
  context.on('page', (p) => {
    if (page && p !== page) log(`a new window was opened (not followed): ${p.url()}`);
  });

  page = await context.newPage();
  page.on('dialog', (dialog) => {
    log(`dialog ${dialog.type()}: ${dialog.message()} -> accept`);
    dialog.accept().catch(() => {});
  });
  page.on('requestfailed', (request) => {
    if (request.isNavigationRequest()) log(`navigation failed: ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => {
    const request = response.request();
    if (request.isNavigationRequest() && response.status() >= 400) log(`HTTP ${response.status()} for ${response.url()}`);
  });
  return page;
}

// ---------------------------------------------------------------------------------------------
// approve / deny: drive the sign-in pages until the callback

/**
 * Looks at the current document and marks the elements to use. Runs inside the page.
 * Returns ids (values of the MARK attribute) or null.
 */
function inspectPage({ mark, deny }) {
  for (const el of document.querySelectorAll(`[${mark}]`)) el.removeAttribute(mark);
  let next = 0;
  const tag = (el) => {
    const id = String(next++);
    el.setAttribute(mark, id);
    return id;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const editable = (el) => visible(el) && !el.disabled && !el.readOnly;
  const name = (el) => (el.getAttribute('name') || '').toLowerCase();

  const logins = [...document.querySelectorAll('input[name=login], input[name=username], input[type=email]')].filter(editable);
  const passwords = [...document.querySelectorAll('input[type=password]')].filter(editable);
  // el.form resolves both an enclosing <form> and a form="id" attribute; a submit button with
  // neither does nothing, so it is not a candidate.
  const submits = [...document.querySelectorAll('button, input[type=submit], input[type=image]')].filter(
    (el) => visible(el) && !el.disabled && (el.type === 'submit' || el.type === 'image') && el.form,
  );
  const abort = submits.find((el) => name(el) === 'abort');
  const approve = submits.find((el) => !['abort', 'deny', 'cancel', 'decline'].includes(name(el)));

  let cancelLink;
  if (deny && !abort && logins.length === 0 && passwords.length === 0) {
    // oidc-provider 8's consent page has no abort button, only "[ Cancel ]" -> /interaction/<uid>/abort.
    cancelLink = [...document.querySelectorAll('a[href]')].find(
      (a) =>
        visible(a) &&
        (/\/(abort|deny|cancel|decline)\/?$/i.test(a.pathname) || /^\W*(cancel|deny|abort|decline)\W*$/i.test(a.textContent.trim())),
    );
  }

  const describe = (el) => el && `${el.tagName.toLowerCase()}${el.name ? `[name=${el.name}]` : ''} "${(el.textContent || el.value || '').trim().slice(0, 40)}"`;
  return {
    title: document.title,
    logins: logins.map(tag),
    passwords: passwords.map(tag),
    approve: approve ? { id: tag(approve), text: describe(approve) } : null,
    abort: abort ? { id: tag(abort), text: describe(abort) } : null,
    cancelLink: cancelLink ? { id: tag(cancelLink), text: describe(cancelLink) } : null,
  };
}

/** Performs one step on the current page. Returns a description, or null if nothing applies. */
async function act(page) {
  const deny = ACTION === 'deny';
  const info = await page.evaluate(inspectPage, { mark: MARK, deny });
  const target = (id) => page.locator(`[${MARK}="${id}"]`);
  log(`page "${info.title}": ${info.logins.length} login field(s), ${info.passwords.length} password field(s), submit: ${info.approve?.text ?? 'none'}${info.abort ? `, abort: ${info.abort.text}` : ''}`);

  if (deny && (info.abort || info.cancelLink)) {
    const choice = info.abort ?? info.cancelLink;
    await target(choice.id).click({ timeout: 5000 });
    return `deny: clicked ${choice.text}`;
  }

  const filled = [];
  for (const id of info.logins) {
    await target(id).fill(LOGIN, { timeout: 5000 });
    filled.push(`login=${LOGIN}`);
  }
  for (const id of info.passwords) {
    await target(id).fill(PASSWORD, { timeout: 5000 });
    filled.push('password=***');
  }
  const what = filled.length ? `filled ${filled.join(', ')}; ` : '';

  if (info.approve) {
    await target(info.approve.id).click({ timeout: 5000 });
    return `${what}clicked ${info.approve.text}`;
  }
  if (filled.length) {
    // A form without a submit button: submit it the way a user would.
    const last = info.passwords.at(-1) ?? info.logins.at(-1);
    await target(last).press('Enter', { timeout: 5000 });
    return `${what}pressed Enter`;
  }
  return null;
}

async function drive(page) {
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame !== page.mainFrame()) return;
    navigations++;
    log(`visit ${frame.url()}`);
  });
  // Every URL the browser is sent to, redirects included (what a URL carries is what a test checks).
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) log(`navigate ${request.url()}`);
  });

  log(`open ${START_URL}`);
  await page.goto(START_URL, { waitUntil: 'domcontentloaded', timeout: 20_000 }).catch((err) => log(`goto: ${errorText(err)}`));

  let actions = 0;
  for (;;) {
    await page.waitForLoadState('domcontentloaded', { timeout: 10_000 }).catch((err) => log(`waiting for page: ${errorText(err)}`));
    // Counted before reading the URL: a navigation that commits from here on (even while we act
    // on the old document) ends the wait below at once, and the next round sees the new page.
    const before = navigations;
    const url = page.url();

    // Chromium's own error page (connection refused, DNS failure...): the flow cannot continue.
    if (url.startsWith('chrome-error://')) return finish(1, 'a navigation failed (Chromium error page); see "navigation failed" above');

    if (isCallback(url)) {
      await page.waitForLoadState('load', { timeout: 10_000 }).catch((err) => log(`callback page load: ${errorText(err)}`));
      return finish(0, `reached callback ${url}`);
    }

    let done = null;
    try {
      done = await act(page);
    } catch (err) {
      // Typically the document went away under us (a navigation started); the check below tells.
      log(`action failed on ${url}: ${errorText(err)}`);
    }
    if (done) {
      log(`action: ${done}`);
      if (++actions > MAX_ACTIONS) return finish(1, `gave up after ${MAX_ACTIONS} actions; last page ${url}`);
    }

    // oidc-provider's device flow ends on a plain "Sign-in Success" page under /device: no callback.
    const devicePage = !done && /^\/device(\/|$)/.test(parseUrl(url)?.pathname ?? '');
    const moved = await waitFor(() => navigations > before, done ? AFTER_ACTION_MS : devicePage ? 1000 : STUCK_MS);
    if (!moved) {
      if (devicePage) return finish(0, `device flow finished on ${url}`);
      return finish(1, done ? `no navigation after "${done}" on ${url}` : `nothing to do on ${url} and it did not navigate`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// forge-state: send the broker a callback with a state it never issued

async function forgeState(page) {
  let authorize;
  page.on('request', (request) => {
    if (authorize || !request.isNavigationRequest()) return;
    const url = parseUrl(request.url());
    log(`request ${request.url()}`);
    if (url?.searchParams.has('redirect_uri')) authorize = url;
  });

  log(`open ${START_URL}`);
  // Not awaited: the authorize request is all we need; whatever page it leads to is irrelevant.
  const first = page.goto(START_URL, { waitUntil: 'commit', timeout: 20_000 }).catch((err) => log(`goto: ${errorText(err)}`));
  await waitFor(() => authorize, 20_000);
  if (!authorize) {
    await first;
    return finish(1, `no request carrying redirect_uri seen (last page ${page.url()})`);
  }

  const realState = authorize.searchParams.get('state');
  let forged;
  do forged = randomBytes(16).toString('base64url');
  while (forged === realState);

  const callback = new URL(authorize.searchParams.get('redirect_uri'));
  callback.searchParams.set('code', 'forged-code');
  callback.searchParams.set('state', forged);
  log(`forge-state: real state ${realState}, sending ${callback.href}`);

  await first; // let the first navigation settle so the next goto does not race it
  try {
    const response = await page.goto(callback.href, { waitUntil: 'load', timeout: 15_000 });
    return finish(0, `forged callback delivered (HTTP ${response?.status()})`);
  } catch (err) {
    return finish(1, `forged callback failed: ${errorText(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// ignore: a user who never finishes (timeout tests)

async function ignore(page) {
  log(`open ${START_URL}`);
  await page.goto(START_URL, { waitUntil: 'domcontentloaded', timeout: 20_000 }).catch((err) => log(`goto: ${errorText(err)}`));
  log(`ignoring the page for ${IGNORE_SECONDS}s`);
  await sleep(IGNORE_SECONDS * 1000);
  return finish(0, 'done ignoring');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  log(`start: action=${ACTION} url=${START_URL}`);
  if (!START_URL || !parseUrl(START_URL)) return finish(1, `usage: browser.mjs <URL> (got ${JSON.stringify(START_URL)})`);
  if (!['approve', 'deny', 'forge-state', 'ignore', 'capture-callback'].includes(ACTION)) return finish(1, `unknown BROWSER_ACTION ${ACTION}`);

  const page = await openPage();
  if (env.BROWSER_VISIT_FIRST) {
    log(`visit first ${env.BROWSER_VISIT_FIRST}`);
    await page.goto(env.BROWSER_VISIT_FIRST, { waitUntil: 'load', timeout: 15_000 }).catch((err) => log(`visit first: ${errorText(err)}`));
  }
  if (ACTION === 'capture-callback') {
    // Playwright's route() never sees the hops of a server redirect, and the callback is always
    // one; Chromium's own Fetch domain does, so it pauses the callback before it is sent.
    const cdp = await page.context().newCDPSession(page);
    cdp.on('Fetch.requestPaused', async ({ requestId, request }) => {
      if (!isCallback(request.url)) return cdp.send('Fetch.continueRequest', { requestId }).catch(() => {});
      writeFileSync(env.BROWSER_CAPTURE_FILE, request.url);
      await cdp.send('Fetch.failRequest', { requestId, errorReason: 'ConnectionRefused' }).catch(() => {});
      await finish(0, `captured callback ${request.url}`);
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/auth?*', requestStage: 'Request' }] });
  }
  if (ACTION === 'forge-state') return forgeState(page);
  if (ACTION === 'ignore') return ignore(page);
  return drive(page);
}

main().catch((err) => finish(1, `error: ${err?.stack ?? err}`));
