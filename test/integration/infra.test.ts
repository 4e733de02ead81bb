// Smoke test of the test infrastructure itself, without the CLI: the OIDC fixture, the test
// browser and the keyring wrapper must work together before any CLI test can be trusted.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, hasSecretService, requireComponent } from '../helpers/components.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir, REPO_ROOT } from '../helpers/run-cli.js';

const BROWSER = path.join(REPO_ROOT, 'test', 'helpers', 'browser.mjs');
const WITH_KEYRING = path.join(REPO_ROOT, 'test', 'helpers', 'with-keyring.sh');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command asynchronously (the fixture and callback server must keep serving meanwhile). */
function run(command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 50_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A stand-in for the broker's callback: records the query of every request to /auth. */
async function startCallbackServer() {
  const port = await freePort();
  const hits: URLSearchParams[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname === '/auth') {
      hits.push(url.searchParams);
      waiters.splice(0).forEach((w) => w());
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>done</title><p>You can close this window.</p>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    redirectUri: `http://127.0.0.1:${port}/auth`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorizeRequest(issuer: string, redirectUri: string) {
  const state = crypto.randomBytes(16).toString('base64url');
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'test-client',
    redirect_uri: redirectUri,
    scope: 'openid',
    state,
    nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, state, verifier };
}

async function browserLog(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '(no browser log)');
}

describe.skipIf(!requireComponent('chromium', hasChromium()))('OIDC fixture + test browser', () => {
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let oidc: OidcServer;

  beforeAll(async () => {
    callback = await startCallbackServer();
    oidc = await startOidcServer({ redirectUris: [callback.redirectUri] });
  });

  afterAll(async () => {
    await oidc?.stop();
    await callback?.close();
  });

  it('signs in, consents and comes back with a code that the token endpoint exchanges', async () => {
    const tmp = await makeTempDir();
    const log = path.join(tmp.path, 'browser.log');
    const request = authorizeRequest(oidc.issuer, callback.redirectUri);
    const before = callback.hits.length;

    const browser = await run(process.execPath, [BROWSER, request.url], { BROWSER_LOG: log });
    expect(browser.code, await browserLog(log)).toBe(0);
    // The browser must stay silent: the CLI ignores its output.
    expect(browser.stdout + browser.stderr).toBe('');

    const hit = callback.hits[before];
    expect(hit, await browserLog(log)).toBeDefined();
    expect(hit!.get('state')).toBe(request.state);
    const code = hit!.get('code');
    expect(code).toBeTruthy();

    const discovery = (await (await fetch(`${oidc.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('test-client:test-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: callback.redirectUri,
        code_verifier: request.verifier,
      }),
    });
    const tokens = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.id_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String)); // issueRefreshToken: always
    const claims = JSON.parse(Buffer.from(String(tokens.id_token).split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.sub).toBe('alice');
  });

  it('BROWSER_ACTION=deny brings error=access_denied back to the callback', async () => {
    const tmp = await makeTempDir();
    const log = path.join(tmp.path, 'browser.log');
    const request = authorizeRequest(oidc.issuer, callback.redirectUri);
    const before = callback.hits.length;

    const browser = await run(process.execPath, [BROWSER, request.url], { BROWSER_LOG: log, BROWSER_ACTION: 'deny' });
    expect(browser.code, await browserLog(log)).toBe(0);

    const hit = callback.hits[before];
    expect(hit, await browserLog(log)).toBeDefined();
    expect(hit!.get('error')).toBe('access_denied');
    expect(hit!.get('state')).toBe(request.state);
    expect(hit!.has('code')).toBe(false);
  });
});

describe.skipIf(!requireComponent('secret-service', hasSecretService()))('with-keyring.sh', () => {
  it('gives @napi-rs/keyring a working Secret Service', async () => {
    const script =
      "import('@napi-rs/keyring/keytar.js').then(async (k) => {" +
      "  await k.setPassword('oauthd-cli-infra-test', 'account', 'p4ss w0rd');" +
      "  console.log(await k.getPassword('oauthd-cli-infra-test', 'account'));" +
      '})';
    const result = await run(WITH_KEYRING, [process.execPath, '-e', script]);
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'p4ss w0rd\n' });
    // The wrapper drops dbus-daemon's root-only "fd limit" warning, so stderr stays clean.
    expect(result.stderr).toBe('');
  });

  it('passes the exit code through', async () => {
    const result = await run(WITH_KEYRING, ['sh', '-c', 'exit 3']);
    expect(result.code, result.stderr).toBe(3);
  });
});
