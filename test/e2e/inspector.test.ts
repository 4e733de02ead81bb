// The inspector in real Chromium, on the real `serve --sandbox` process and a real `login
// --inspect`: flows appear in the list as they happen (Server-Sent Events, no reload), a flow's
// timeline shows each step, failures (a forged state, a refused id_token, a redirect URI the
// provider refuses) show their failing step first with the CLI's explanation, and no token value
// is in the page until a deliberate click reveals it. The guards answer 401/403/421 to the real
// process, and the secret never reaches the request log.
//
// INSPECTOR_SCREENSHOTS=docs/images writes the screenshots the README shows.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CLI_BIN, makeTempDir, REPO_ROOT, runCli, type TempDir } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { startMockSandbox, type MockSandbox } from '../helpers/mock-sandbox.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { CHROMIUM, signIn, watchDemo } from '../helpers/sandbox-pages.js';
import { rawRequest } from '../helpers/raw-http.js';

const available = requireComponent('chromium', hasChromium());
const SCREENSHOTS = process.env.INSPECTOR_SCREENSHOTS ? resolve(REPO_ROOT, process.env.INSPECTOR_SCREENSHOTS) : undefined;

let project: TempDir;
let mock: MockSandbox;
let broker: ServeProcess;
let browser: Browser;
let context: BrowserContext;
let inspector: Page;
let inspectorUrl: string;
let appKey: string;
/** The SDK popup flow, for the actions test. */
let popupFlow: string;

/** The visible part of the page: what a developer sees first. */
async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The ids of the rows in the list now. */
async function rowIds(page: Page): Promise<Set<string>> {
  return new Set(await page.$$eval('tr[data-flow-id]', (rows) => rows.map((row) => (row as HTMLElement).dataset.flowId as string)));
}

/** Waits for a row that was not there before, with these attributes; returns its id. */
async function newRow(page: Page, before: Set<string>, attributes: string): Promise<string> {
  const handle = await page.waitForFunction(
    ([known, selector]) => {
      for (const row of document.querySelectorAll<HTMLElement>(`tr[data-flow-id]${selector}`)) if (!known.includes(row.dataset.flowId!)) return row.dataset.flowId;
      return undefined;
    },
    [[...before], attributes] as const,
    { timeout: 20_000 },
  );
  return (await handle.jsonValue()) as string;
}

async function openFlow(page: Page, id: string): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/inspector/#/flow/${id}`);
  await page.waitForSelector(`article.flow[data-flow-id="${id}"]`);
}

beforeAll(async () => {
  if (!available) return;
  mock = await startMockSandbox(['--auto-approve']);
  project = await makeTempDir('oauthd-inspector-');
  const env = { HOME: project.path, XDG_DATA_HOME: join(project.path, 'data'), MOCK_SECRET: mock.clientSecret };
  expect((await runCli(['init', '--yes'], { cwd: project.path, env })).code).toBe(0);
  const add = await runCli(['providers', 'add', 'mock', '--issuer', mock.issuer, '--client-id', mock.clientId, '--client-secret-env', 'MOCK_SECRET'], { cwd: project.path, env });
  expect(add.code, add.stderr).toBe(0);
  broker = await startServe({ cwd: project.path, env, args: ['--sandbox', '--inspect', '--port', '0'] });
  inspectorUrl = /inspector\s+(http:\/\/\S+)/.exec(broker.stderr())![1]!;
  appKey = /app key\s+(\S+)/.exec(broker.stderr())![1]!;
  browser = await chromium.launch(CHROMIUM);
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  inspector = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  expect(await broker?.stop()).toBe(0);
  await mock?.stop();
  await project?.cleanup();
});

describe.skipIf(!available)('the inspector in Chromium', () => {
  it('opens from the printed URL, which it drops from the address bar; the secret is not in the request log', async () => {
    expect(inspectorUrl).toMatch(new RegExp(`^${broker.origin}/inspector\\?secret=[A-Za-z0-9_-]{43}$`));
    const problems: string[] = [];
    inspector.on('pageerror', (error) => problems.push(error.message));
    inspector.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await inspector.goto(inspectorUrl);
    expect(inspector.url()).toBe(`${broker.origin}/inspector/`);
    await inspector.waitForSelector('#live[data-live=live]');
    const secret = new URL(inspectorUrl).searchParams.get('secret')!;
    // Printed once, in the banner; the request log has the path only.
    expect(broker.stderr().split(secret).length - 1).toBe(1);
    expect(broker.stderr()).toMatch(/GET \/inspector 303/);
    expect(problems).toEqual([]);
  });

  it('answers 401 without the secret, 403 to a foreign Origin, 421 to a foreign Host', async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    expect((await page.goto(`${broker.origin}/inspector/`))?.status()).toBe(401);
    expect((await page.goto(`${broker.origin}/inspector?secret=not-this-runs-secret`))?.status()).toBe(401);
    await stranger.close();
    const port = Number(new URL(broker.origin).port);
    const cookie = (await context.cookies()).find((entry) => entry.name === `oauthd_inspector_${port}`);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/inspector' });
    const ask = (headers: string) => rawRequest(port, `GET /inspector/api/flows HTTP/1.1\r\n${headers}Cookie: ${cookie!.name}=${cookie!.value}\r\nConnection: close\r\n\r\n`, { timeoutMs: 5000 });
    expect((await ask(`Host: 127.0.0.1:${port}\r\n`)).status).toBe(200);
    expect((await ask(`Host: 127.0.0.1:${port}\r\nOrigin: http://evil.example\r\n`)).status).toBe(403);
    expect((await ask(`Host: evil.example:${port}\r\n`)).status).toBe(421);
  });

  it('an SDK popup flow appears live, and its timeline shows each step, checks and the decoded id_token; tokens only on a click', async () => {
    await inspector.goto(`${broker.origin}/inspector/#/`);
    await inspector.waitForSelector('#live[data-live=live]');
    await inspector.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const before = await rowIds(inspector);

    const demo = await context.newPage();
    await demo.goto(`${broker.origin}/demo`);
    const popupOpened = context.waitForEvent('page');
    await demo.click('#signin');
    const popup = await popupOpened;
    // The flow is in the list while the user is still on the sign-in page.
    const id = await newRow(inspector, before, '[data-kind=client][data-provider=sandbox][data-status=pending]');
    const result = watchDemo(demo, popup);
    await signIn(popup);
    await result.succeeded(() => broker.stderr());
    await inspector.waitForSelector(`tr[data-flow-id="${id}"][data-status=ok]`);
    // Live: no reload happened.
    expect(await inspector.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    popupFlow = id;

    await openFlow(inspector, id);
    const steps = await inspector.$$eval('.timeline [data-step], .timeline [data-http]', (nodes) => nodes.map((node) => (node as HTMLElement).dataset.step ?? (node as HTMLElement).dataset.http));
    expect(steps).toEqual(expect.arrayContaining(['authorization request', 'authorization response', 'token request (authorization_code)', 'JWKS']));
    // The /me the demo page made with the token joined the flow that obtained it.
    await inspector.waitForSelector('.timeline [data-http^="profile"]');
    for (const check of ['state', 'PKCE', 'redirect_uri', 'nonce', 'id_token signature', 'id_token aud']) {
      expect(await inspector.getAttribute(`.timeline [data-check="${check}"]`, 'data-ok'), check).toBe('true');
    }
    expect(await inspector.textContent('.timeline [data-step="authorization request"]')).toContain('PKCE: the hash of a secret verifier');
    expect(await inspector.getAttribute('.jwt .signature', 'data-signature')).toBe('verified');
    expect(await inspector.textContent('.jwt .signature')).toMatch(/key \S+ · RS256/);
    expect(await inspector.textContent('.jwt')).toMatch(/exp\s*\d{4}-\d\d-\d\dT[\d:.]+Z\s*in (59|60) min/);
    await screenshot(inspector, 'inspector-flow');

    // No token value in the DOM before the click; after it, the real token (the broker takes it).
    const html = await inspector.content();
    await inspector.click('button[data-reveal=access_token]');
    await inspector.waitForSelector('[data-token=access_token][data-revealed=true]');
    const accessToken = (await inspector.textContent('[data-token=access_token]'))!;
    expect(accessToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(html).not.toContain(accessToken);
    const me = await fetch(`${broker.origin}/auth/sandbox/me`, { headers: { oauthio: `k=${appKey}&access_token=${accessToken}` } });
    expect(me.status).toBe(200);
    await inspector.click('button[data-reveal=id_token]');
    await inspector.waitForSelector('[data-token=id_token][data-revealed=true]');
    const idToken = (await inspector.textContent('[data-token=id_token]'))!;
    expect(idToken.split('.')).toHaveLength(3);
    expect(html).not.toContain(idToken);
    expect(html).not.toContain(idToken.split('.')[2]);
    // Nowhere in the URL or the page's storage either.
    expect(inspector.url()).not.toContain(accessToken);
    expect(await inspector.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).toBe('{}{}');
    await demo.close();
  });

  it('actions: download the HAR, copy a step as curl, call /me again, refresh with the flow\'s refresh token', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: broker.origin });
    await openFlow(inspector, popupFlow);
    const [download] = await Promise.all([inspector.waitForEvent('download'), inspector.click('a[download]')]);
    const har = JSON.parse(await readFile((await download.path())!, 'utf8')) as { log: { entries: Array<{ request: { url: string } }> } };
    expect(har.log.entries.map((entry) => new URL(entry.request.url).pathname)).toEqual(expect.arrayContaining(['/sandbox/token', '/sandbox/jwks']));

    await inspector.click('.timeline [data-http="token request (authorization_code)"] .copy-curl');
    const curl = await inspector.evaluate(() => navigator.clipboard.readText());
    expect(curl).toMatch(/curl -X POST '?http:\/\/127\.0\.0\.1:\d+\/sandbox\/token'?/);
    expect(curl).toContain('"$CODE"');
    expect(curl).toMatch(/# CODE=… {3}# \[redacted 43 chars #[0-9a-f]{6}\]/);

    const profiles = await inspector.$$eval('.timeline [data-http^="profile"]', (nodes) => nodes.length);
    await inspector.click('.actions button:has-text("Call /me")');
    await inspector.waitForFunction((count) => document.querySelectorAll('.timeline [data-http^="profile"]').length > count, profiles);

    await inspector.click('.actions button:has-text("Refresh")');
    await inspector.waitForSelector('article.flow[data-status=ok] .timeline [data-http="token request (refresh_token)"]');
    expect(await inspector.textContent('article.flow h2')).toContain('refresh');
  });

  it('a forged state shows the state check as the failing step, with the CLI\'s explanation', async () => {
    await inspector.goto(`${broker.origin}/inspector/#/`);
    await inspector.waitForSelector('#live[data-live=live]');
    const before = await rowIds(inspector);
    const attacker = await context.newPage();
    await attacker.goto(`${broker.origin}/auth?code=forged-code&state=forged-state-${Date.now()}`);
    const id = await newRow(inspector, before, '[data-kind=callback][data-status=failed]');
    await attacker.close();
    await openFlow(inspector, id);
    expect(await inspector.getAttribute('.failing [data-check]', 'data-check')).toBe('state');
    expect(await inspector.textContent('.explanation .error')).toMatch(/^error: state mismatch: the callback's state was not issued by this broker/);
    expect(await inspector.textContent('.explanation .hint')).toMatch(/^hint: start the sign-in again/);
    // The failing step comes before the tokens and the timeline.
    expect(await inspector.$eval('article.flow', (article) => [...article.children].map((child) => child.className).filter(Boolean).join(' '))).toMatch(/explanation failing.*timeline/);
  });

  it('a refused id_token shows the failing claim first, the explanation, and the token decoded', async () => {
    await mock.fault({ fault: 'id-token-wrong-aud', count: 1 });
    await inspector.goto(`${broker.origin}/inspector/#/`);
    await inspector.waitForSelector('#live[data-live=live]');
    const before = await rowIds(inspector);
    const app = await context.newPage();
    await app.goto(`${broker.origin}/auth/mock?k=${appKey}&d=${encodeURIComponent('http://localhost:3000')}`);
    const id = await newRow(inspector, before, '[data-provider=mock][data-status=failed]');
    await app.close();
    await openFlow(inspector, id);
    expect(await inspector.getAttribute('.failing [data-check]', 'data-check')).toBe('id_token aud');
    expect(await inspector.textContent('.explanation .error')).toContain('error: id_token rejected: aud is "another-client", expected to contain');
    expect(await inspector.textContent('.explanation .hint')).toMatch(/^hint: /);
    expect(await inspector.textContent('.tokens .jwt')).toContain('another-client');
    await screenshot(inspector, 'inspector-failure');
  });

  it('a redirect URI the provider refuses shows the callback as the failing step, with the diagnosis and the value to register', async () => {
    await inspector.goto(`${broker.origin}/inspector/#/`);
    await inspector.waitForSelector('#live[data-live=live]');
    const before = await rowIds(inspector);
    const started = await fetch(`${broker.origin}/auth/mock?k=${appKey}&d=${encodeURIComponent('http://localhost:3000')}`, { redirect: 'manual' });
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    // What GitHub does with a redirect URI it does not know: back to the broker with the error.
    const page = await context.newPage();
    await page.goto(`${broker.origin}/auth?${new URLSearchParams({ state, error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' })}`);
    await page.close();
    const id = await newRow(inspector, before, '[data-provider=mock][data-status=failed]');
    await openFlow(inspector, id);
    expect(await inspector.getAttribute('.failing [data-step]', 'data-step')).toBe('authorization response');
    const diagnosis = (await inspector.textContent('.explanation pre.redirect'))!;
    expect(diagnosis).toContain('refused the redirect URI: it is not registered exactly, character for character.');
    expect(diagnosis).toContain(`Paste this line into`);
    expect(diagnosis).toContain(`  ${broker.origin}/auth`);
  });

  it('shows the app config at a glance: domains, flow, providers with secret references only, the redirect URI', async () => {
    await inspector.goto(`${broker.origin}/inspector/#/config`);
    await inspector.waitForSelector('table.providers');
    const text = (await inspector.textContent('main'))!;
    expect(text).toContain('http://localhost:3000');
    expect(text).toContain('env:MOCK_SECRET');
    expect(text).not.toContain(mock.clientSecret);
    expect(await inspector.getAttribute('[data-redirect-uri]', 'data-redirect-uri')).toBe(`${broker.origin}/auth`);
    await screenshot(inspector, 'inspector-config');
    await inspector.goto(`${broker.origin}/inspector/#/`);
    await inspector.waitForSelector('tr[data-status=failed]');
    await screenshot(inspector, 'inspector-list');
  });

  it('login --inspect: a sandbox login appears live in its own inspector, which stays open until Ctrl-C', async () => {
    const home = await makeTempDir('oauthd-inspector-login-');
    const env: Record<string, string | undefined> = { ...process.env, HOME: home.path, XDG_DATA_HOME: join(home.path, 'data'), NO_COLOR: '1' };
    for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'OAUTHD_CONFIG']) delete env[name];
    const child = spawn(process.execPath, [CLI_BIN, 'login', 'sandbox', '--inspect', '--no-browser', '--no-save', '--json', '--port', '0'], { cwd: home.path, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const printed = async (pattern: RegExp) => {
        for (let waited = 0; waited < 20_000; waited += 100) {
          const match = pattern.exec(stderr);
          if (match) return match[1]!;
          await new Promise((done) => setTimeout(done, 100));
        }
        throw new Error(`not printed: ${pattern}\n${stderr}`);
      };
      const url = await printed(/^inspector {2}(http:\/\/\S+)$/m);
      const authorize = await printed(/open this URL in a browser to sign in:\n {2}(\S+)/i);
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector('#live[data-live=live]');
      const id = await newRow(page, new Set(), '[data-kind=login][data-provider=sandbox][data-status=pending]');
      const signInPage = await context.newPage();
      await signInPage.goto(authorize);
      await signIn(signInPage);
      await page.waitForSelector(`tr[data-flow-id="${id}"][data-status=ok]`, { timeout: 20_000 });
      await printed(/(Press Ctrl-C to stop it\.)/);
      expect(JSON.parse(stdout)).toMatchObject({ token_type: 'Bearer' });
      await openFlow(page, id);
      expect(await page.textContent('.flow h2')).toContain('cli login');
      expect(await page.$$eval('.timeline [data-check]', (nodes) => nodes.every((node) => (node as HTMLElement).dataset.ok === 'true'))).toBe(true);
      expect(await page.content()).not.toContain(JSON.parse(stdout).access_token);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).not.toContain('cancelled');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await home.cleanup();
    }
  });
});
