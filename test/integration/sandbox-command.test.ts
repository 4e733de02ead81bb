// `oauthd-cli sandbox` as an app developer runs it (the built CLI, a private HOME): what it
// prints, what it refuses, its users, its pages, its Host check, and that `serve --sandbox` has
// none of its faults.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, makeTempDir, runCli } from '../helpers/run-cli.js';
import { independentClient, startMockSandbox } from '../helpers/mock-sandbox.js';
import { startServe } from '../helpers/serve.js';
import { FAULTS } from '../../src/sandbox/fault-catalog.js';

describe('sandbox --json', () => {
  it('prints one JSON line once it listens: issuer, discovery, client id and secret; SIGTERM stops it with 0', async () => {
    const sandbox = await startMockSandbox();
    try {
      expect(sandbox.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox$/);
      expect(sandbox.discovery).toBe(`${sandbox.issuer}/.well-known/openid-configuration`);
      expect(sandbox.clientId).toBe('oauthd-cli-sandbox');
      expect(sandbox.clientSecret).toMatch(/^[\w-]{43}$/);
      const metadata = (await (await fetch(sandbox.discovery)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ issuer: sandbox.issuer, token_endpoint: `${sandbox.issuer}/token`, authorization_response_iss_parameter_supported: true });
      // Nothing else on stderr with --json: the line is the whole output.
      expect(sandbox.stderr()).toBe('');
    } finally {
      expect(await sandbox.stop()).toBe(0);
    }
  });

  it('the ready client takes any loopback redirect URI and client_secret_post, and the sandbox approves by itself when headless', async () => {
    const sandbox = await startMockSandbox();
    try {
      for (const redirectUri of ['http://localhost:5173/api/auth/callback/oauthd', 'http://127.0.0.1:3000/cb', 'http://[::1]:8080/x/y']) {
        const url = new URL(`${sandbox.issuer}/auth`);
        url.search = new URLSearchParams({ client_id: sandbox.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's' }).toString();
        const answer = await fetch(url, { redirect: 'manual' });
        expect(answer.status).toBe(302);
        const back = new URL(answer.headers.get('location')!);
        expect(`${back.origin}${back.pathname}`).toBe(redirectUri.replace(/\?.*/, ''));
        expect(back.searchParams.get('code')).toBeTruthy();
        expect(back.searchParams.get('iss')).toBe(sandbox.issuer);
      }
      // Not loopback: refused (oidc-provider's own page, never a redirect).
      const outside = new URL(`${sandbox.issuer}/auth`);
      outside.search = new URLSearchParams({ client_id: sandbox.clientId, redirect_uri: 'https://app.example/cb', response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
      const refused = await fetch(outside, { redirect: 'manual' });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('redirect_uri');

      // client_secret_post, as openid-client's default and many apps send it.
      const token = await fetch(`${sandbox.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox.clientId, client_secret: sandbox.clientSecret }),
      });
      expect(token.status).toBe(200);
      expect(await token.json()).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
    } finally {
      await sandbox.stop();
    }
  });
});

describe('sandbox --as', () => {
  it('adds the look-alike and where each of its origins is served to the JSON line', async () => {
    const sandbox = await startMockSandbox(['--as', 'github']);
    try {
      const origin = new URL(sandbox.issuer).origin;
      const line = JSON.parse(sandbox.line()) as Record<string, unknown>;
      expect(line).toMatchObject({ as: 'github', origins: { 'https://github.com': `${origin}/sandbox/github.com`, 'https://api.github.com': `${origin}/sandbox/api.github.com` } });
      // GitHub's token endpoint, at its own path, answering form-encoded unless asked for JSON.
      const token = await fetch(`${origin}/sandbox/github.com/login/oauth/access_token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox.clientId, client_secret: sandbox.clientSecret }),
      });
      expect(token.status).toBe(200);
      expect(token.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    } finally {
      await sandbox.stop();
    }
  });
});

describe('sandbox without --json', () => {
  it('shows the issuer, the client and how to switch faults on stderr, nothing on stdout', async () => {
    const home = (await makeTempDir()).path;
    const child = spawn(process.execPath, [CLI_BIN, 'sandbox', '--port', '0', '--fault', 'latency:5', '--fault', 'html-502'], {
      env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), NO_COLOR: '1', DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(stderr)), 20_000);
      child.stderr.on('data', () => {
        if (stderr.includes('Press Ctrl-C to stop.')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(stderr).toMatch(/^ {2}issuer {9}http:\/\/127\.0\.0\.1:\d+\/sandbox$/m);
    expect(stderr).toMatch(/^ {2}client id {6}oauthd-cli-sandbox$/m);
    expect(stderr).toMatch(/^ {2}faults {9}latency:5, html-502$/m);
    expect(stderr).toMatch(/^ {2}sign-in {8}approved by itself/m);
    expect(stderr).toContain('/sandbox/_control/faults');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toBe('');
  });
});

describe('sandbox refuses bad input with one line and exit 2', () => {
  it.each([
    [['--fault', 'latency:abc'], /^error: --fault: latency takes a whole number of milliseconds, not "abc"; as in latency:500$/m],
    [['--fault', 'html-503'], new RegExp(`^error: --fault: unknown fault "html-503"; the faults are ${FAULTS.map((fault) => fault.name).join(', ')}$`, 'm')],
    [['--fault', 'clock-skew'], /^error: --fault: clock-skew needs a value in seconds/m],
    [['--users', 'missing.json'], /^error: cannot read the users file missing\.json: ENOENT$/m],
  ])('%j', async (args, message) => {
    const result = await runCli(['sandbox', '--port', '0', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^hint: \S/m);
    expect(result.stdout).toBe('');
  });

  it('--provider-file without --as', async () => {
    const result = await runCli(['sandbox', '--port', '0', '--provider-file', 'oauthd-providers/x.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --provider-file needs --as: it writes the look-alike's provider description$/m);
    expect(result.stderr).toMatch(/^hint: oauthd-cli sandbox --as slack --provider-file oauthd-providers\/slack\.json$/m);
    expect(result.stdout).toBe('');
  });

  it('--as a provider that is not in the catalog', async () => {
    const result = await runCli(['sandbox', '--port', '0', '--as', 'slak']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --as: no provider "slak" in the catalog$/m);
    expect(result.stderr).toMatch(/^hint: .*slack/m);
  });

  it('a users file that is not an object of claims', async () => {
    const dir = (await makeTempDir()).path;
    for (const [content, message] of [
      ['{"alice": ', /is not JSON/],
      ['[]', /must hold an object of user name → claims/],
      ['{"al ice": {}}', /has the user name "al ice"/],
      ['{"alice": {"exp": 1}}', /"alice" sets exp, which the sandbox sets on each token/],
    ] as const) {
      await writeFile(join(dir, 'users.json'), content);
      const result = await runCli(['sandbox', '--port', '0', '--users', join(dir, 'users.json')]);
      expect(result.code, content).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['sandbox', '--port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 is in use$`, 'm'));
    } finally {
      blocker.close();
    }
  });

  it('sandbox --help lists every fault', async () => {
    const result = await runCli(['sandbox', '--help']);
    expect(result.code).toBe(0);
    for (const fault of FAULTS) expect(result.stdout).toContain(fault.name);
    expect(result.stdout).toContain('latency:MS');
    expect(result.stdout).toContain('_control/faults');
  });
});

describe('sandbox --users', () => {
  it('only the listed users sign in, with their claims (custom ones too); login_hint picks one', async () => {
    const dir = (await makeTempDir()).path;
    const users = {
      alice: { name: 'Alice Liddell', email: 'alice@example.test', email_verified: true, roles: ['admin'] },
      bob: { email: 'bob@example.test', sub: 'u-0002' },
    };
    await writeFile(join(dir, 'users.json'), JSON.stringify(users));
    const sandbox = await startMockSandbox(['--users', join(dir, 'users.json')]);
    try {
      const [alice, info, bob, nobody] = await independentClient(sandbox, [
        { do: 'code', loginHint: 'alice' },
        { do: 'userinfo' },
        { do: 'code', loginHint: 'bob' },
        { do: 'code', loginHint: 'mallory' },
      ]);
      expect(alice!.claims).toMatchObject({ sub: 'alice', roles: ['admin'] });
      expect(info!.userinfo).toEqual({ sub: 'alice', name: 'Alice Liddell', email: 'alice@example.test', email_verified: true, roles: ['admin'] });
      expect(bob!.claims.sub).toBe('u-0002');
      // An unknown hint: the default user, the file's first.
      expect(nobody!.claims.sub).toBe('alice');
    } finally {
      await sandbox.stop();
    }
  });

  it('with the pages shown, another name is refused on the sign-in page', async () => {
    const dir = (await makeTempDir()).path;
    await writeFile(join(dir, 'users.json'), JSON.stringify({ alice: { email: 'alice@example.test' } }));
    const sandbox = await startMockSandbox(['--users', join(dir, 'users.json'), '--no-auto-approve']);
    try {
      const url = new URL(`${sandbox.issuer}/auth`);
      url.search = new URLSearchParams({ client_id: sandbox.clientId, redirect_uri: 'http://127.0.0.1:9/cb', response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
      const start = await fetch(url, { redirect: 'manual' });
      expect(start.status).toBe(303);
      const cookie = start.headers.getSetCookie().map((value) => value.split(';')[0]).join('; ');
      const interaction = new URL(start.headers.get('location')!, sandbox.issuer);
      const page = await fetch(interaction, { headers: { cookie } });
      expect(page.status).toBe(200);
      // The pages carry the broker's headers.
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-/);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(await page.text()).toContain('data-sandbox-step="login"');
      const refused = await fetch(`${interaction}/login`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=mallory', redirect: 'manual' });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('There is no user &quot;mallory&quot; here; sign in as one of: alice.');
    } finally {
      await sandbox.stop();
    }
  });
});

describe('the standalone sandbox\'s surface', () => {
  it('refuses a Host that is not its own (DNS rebinding), with the security headers', async () => {
    const sandbox = await startMockSandbox();
    try {
      const { port } = new URL(sandbox.issuer);
      const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port: Number(port), path: '/sandbox/.well-known/openid-configuration', headers: { host: `evil.example:${port}` } }, (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, headers: response.headers });
        });
        request.on('error', reject);
        request.end();
      });
      expect(answer.status).toBe(421);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['cache-control']).toBe('no-store');
    } finally {
      await sandbox.stop();
    }
  });

  it('serve --sandbox has no control endpoint and no fault', async () => {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
    expect((await runCli(['init', '--yes'], { cwd: dir, env })).code).toBe(0);
    const serve = await startServe({ cwd: dir, env, args: ['--port', '0', '--sandbox', '--quiet'] });
    try {
      const control = `${serve.origin}/sandbox/_control/faults`;
      expect((await fetch(control)).status).toBe(404);
      const post = await fetch(control, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fault":"html-502"}' });
      expect(post.status).toBe(404);
      const token = await fetch(`${serve.origin}/sandbox/token`, { method: 'POST' });
      expect(token.status).toBe(400);
      expect(await token.json()).toMatchObject({ error: 'invalid_request' });
    } finally {
      await serve.stop();
    }
  });
});

