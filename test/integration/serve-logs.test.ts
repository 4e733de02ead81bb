// What `serve` says: one log line per request on stderr (the broker's pino logger), with the flow
// step and never a secret; the address it is bound to; and `doctor` recognising it on its port.
// Everything runs against the real `serve --sandbox` process; the sign-in is driven over HTTP on
// the sandbox's own pages, and the server flow goes to its end (code exchange, refresh, /me, API).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { freePort } from '../helpers/ports.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { signInOnSandbox } from '../helpers/sandbox-user.js';

const APP_ORIGIN = 'http://localhost:3000';

interface Project {
  dir: string;
  env: Record<string, string>;
  key: string;
  secret: string;
}

async function project(flow: 'client' | 'server' = 'server'): Promise<Project> {
  const dir = (await makeTempDir('oauthd-serve-log-')).path;
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
  const init = await runCli(['init', '--yes', '--json', '--flow', flow, '--domain', APP_ORIGIN], { cwd: dir, env });
  expect(init.code, init.stderr).toBe(0);
  const { key, secret } = JSON.parse(init.stdout) as { key: string; secret: string };
  return { dir, env, key, secret };
}

/** The lines `serve` wrote after its banner (the request log, and the stop message). */
function afterBanner(stderr: string): string[] {
  const [, rest = ''] = stderr.split('Press Ctrl-C to stop.\n');
  return rest.split('\n').filter((line) => line !== '' && !line.startsWith('\nSIGTERM') && !line.startsWith('SIGTERM: stopping'));
}

async function form(url: string, fields: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields) });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

let serving: ServeProcess | undefined;
afterEach(async () => {
  expect(await serving?.stop()).toBe(0);
  serving = undefined;
});

describe('serve: the request log', () => {
  it('--log json: one JSON line per request with its step, through a whole server flow, and no code, state, token or secret in any line', async () => {
    const p = await project('server');
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--sandbox', '--port', '0', '--log', 'json'] });
    const broker = serving.origin;
    const appState = 'app-state-7Yq2xW9pLm3nB5vC';

    // The popup's start, as the SDK sends it, then the sandbox's sign-in and consent.
    const start = `${broker}/auth/sandbox?k=${p.key}&d=${encodeURIComponent(`${APP_ORIGIN}/`)}&opts=${encodeURIComponent(JSON.stringify({ state: appState }))}`;
    const visit = await signInOnSandbox(start, { headers: { referer: `${APP_ORIGIN}/` } });
    expect(visit.status).toBe(200);
    const authorize = visit.visited.find((url) => url.pathname === '/sandbox/auth' && url.searchParams.has('code_challenge')) as URL;
    const callback = visit.visited.find((url) => url.pathname === '/auth' && url.searchParams.has('code')) as URL;
    expect(authorize).toBeDefined();
    expect(callback).toBeDefined();

    // The popup page carries oauthd's result: a single-use code for the back end (server flow).
    const message = /var message=("(?:[^"\\]|\\.)*");/.exec(visit.page)?.[1] as string;
    const result = JSON.parse(JSON.parse(message) as string) as { status: string; state: string; data: { code: string } };
    expect(result).toMatchObject({ status: 'success', state: appState });

    const tokens = await form(`${broker}/auth/access_token`, { code: result.data.code, key: p.key, secret: p.secret });
    const refreshed = await form(`${broker}/auth/refresh_token/sandbox`, { token: tokens.refresh_token as string, key: p.key, secret: p.secret });
    const oauthio = `k=${p.key}&access_token=${refreshed.access_token as string}`;
    const me = await fetch(`${broker}/auth/sandbox/me`, { headers: { oauthio } });
    expect(me.status).toBe(200);
    // The proxy with the token in the header (the sandbox's API is on loopback, which the proxy's
    // SSRF guard refuses: the answer does not matter here, the header does).
    const api = await fetch(`${broker}/request/sandbox/${encodeURIComponent('/me')}`, { headers: { oauthio } });
    expect(await serving.stop()).toBe(0);

    const lines = afterBanner(serving.stderr());
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = entries.filter((entry) => entry.msg === 'request');
    // One line per request: nothing else was logged, and each line has what a developer reads.
    expect(requests).toHaveLength(entries.length);
    for (const entry of requests) {
      expect(entry).toMatchObject({ level: 30, method: expect.any(String), path: expect.stringMatching(/^\/[^?#]*$/), status: expect.any(Number), ms: expect.any(Number) });
    }
    const steps = requests.map((entry) => `${entry.method as string} ${entry.path as string} ${entry.status as number} ${(entry.step as string | undefined) ?? ''}`);
    for (const expected of [
      'GET /auth/sandbox 302 flow start sandbox',
      'GET /sandbox/auth 303 sandbox',
      'POST /sandbox/token 200 sandbox',
      'GET /auth 200 callback',
      'POST /auth/access_token 200 code exchange',
      'POST /auth/refresh_token/sandbox 200 refresh sandbox',
      'GET /auth/sandbox/me 200 profile sandbox',
      `GET /request/sandbox/${encodeURIComponent('/me')} ${api.status} api sandbox`,
    ]) {
      expect(steps).toContain(expected);
    }

    const secrets: Record<string, string> = {
      'app key (k)': p.key,
      'app secret': p.secret,
      'app state': appState,
      'broker state': callback.searchParams.get('state') as string,
      'authorization code': callback.searchParams.get('code') as string,
      nonce: authorize.searchParams.get('nonce') as string,
      'PKCE challenge': authorize.searchParams.get('code_challenge') as string,
      'oauthd code': result.data.code,
      'access token': tokens.access_token as string,
      'refresh token': tokens.refresh_token as string,
      'id_token': tokens.id_token as string,
      'refreshed access token': refreshed.access_token as string,
    };
    const log = lines.join('\n');
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toEqual(expect.any(String));
      expect(value.length, name).toBeGreaterThan(8);
      expect(log.includes(value), `${name} appears in the log`).toBe(false);
    }
  });

  it('by default: one readable line per request, the query left out; --quiet: none', async () => {
    const p = await project('client');
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--sandbox', '--port', '0'] });
    expect(serving.stderr()).toContain('request log    one line per request on stderr');
    await fetch(`${serving.origin}/api/providers?filter=query-value-never-logged`);
    await fetch(`${serving.origin}/auth/sandbox?k=${p.key}&opts=%7B%22state%22%3A%22opts-state-never-logged%22%7D`);
    await fetch(`${serving.origin}/no/such/route?code=code-never-logged`);
    expect(await serving.stop()).toBe(0);
    const lines = afterBanner(serving.stderr());
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d GET \/api\/providers 200 \d+ ms · describe$/);
    // No Referer nor d: the start is refused, and the line says where in the flow it was.
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d GET \/auth\/sandbox 403 \d+ ms · flow start sandbox$/);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d GET \/no\/such\/route 404 \d+ ms$/);
    expect(lines.join('\n')).not.toMatch(/never-logged|\x1b\[/);

    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--sandbox', '--port', '0', '--quiet'] });
    expect(serving.stderr()).toContain('request log    off (--quiet)');
    expect((await fetch(`${serving.origin}/api/providers`)).status).toBe(200);
    expect(await serving.stop()).toBe(0);
    expect(afterBanner(serving.stderr())).toEqual([]);
  });
  it('an answer written on the raw response (the inspector\'s event stream) gets its line when it ends', async () => {
    const p = await project('client');
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--inspect', '--port', '0', '--log', 'json'] });
    const inspectorUrl = /inspector\s+(http:\/\/\S+)/.exec(serving.stderr())?.[1] as string;
    const entry = await fetch(inspectorUrl, { redirect: 'manual' });
    const cookie = (entry.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/=/);
    const events = await fetch(`${serving.origin}/inspector/api/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');
    // The stream never ends by itself: stopping the broker ends it, and its line is written then.
    expect(await serving.stop()).toBe(0);
    const requests = afterBanner(serving.stderr()).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(requests).toContainEqual(expect.objectContaining({ msg: 'request', method: 'GET', path: '/inspector/api/events', status: 200, step: 'inspector' }));
  });
});

describe('serve: the request log under a flood', () => {
  it('prints the first lines of a second and sums the rest up in one line, with every request counted', async () => {
    const p = await project('client');
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--port', '0'] });
    const flood = 300;
    await Promise.all(Array.from({ length: flood }, () => fetch(`${serving!.origin}/api/providers`).then((response) => response.arrayBuffer())));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await serving.stop()).toBe(0);
    const lines = afterBanner(serving.stderr());
    const single = lines.filter((line) => / GET \/api\/providers 200 \d+ ms · describe$/.test(line));
    const summaries = lines.map((line) => /\+ ([\d,]+) more requests that second: GET \/api\/providers 200 ×([\d,]+) · describe$/.exec(line)).filter((match) => match !== null);
    expect(summaries.length).toBeGreaterThan(0);
    expect(single.length).toBeLessThanOrEqual(20 * (summaries.length + 1));
    const summed = summaries.reduce((total, match) => total + Number((match[2] as string).replace(/,/g, '')), 0);
    expect(single.length + summed).toBe(flood);
  });
});

describe('serve: where it listens', () => {
  it('--host 0.0.0.0 shows the address it is bound to, and where this machine reaches it', async () => {
    const p = await project('client');
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--host', '0.0.0.0', '--port', '0', '--quiet'] });
    const port = new URL(serving.origin).port;
    expect(serving.origin).toBe(`http://0.0.0.0:${port}`);
    expect(serving.stderr()).toContain(`listening      http://0.0.0.0:${port}   (not loopback: other machines can connect; this machine: http://127.0.0.1:${port})`);
    expect(serving.stderr()).toContain(`redirect URI   http://127.0.0.1:${port}/auth`);
  });

  it('on loopback, the banner shows the bound address without a warning', async () => {
    const p = await project('client');
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--host', 'localhost', '--port', '0', '--quiet'] });
    expect(serving.stderr()).toMatch(/listening {6}http:\/\/(127\.0\.0\.1|\[::1\]):\d+\n/);
  });
});

describe('doctor while serve runs', () => {
  it('recognises the broker on its port instead of failing the port check', async () => {
    const p = await project('client');
    const port = await freePort();
    const file = join(p.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as { broker: { port: number } };
    config.broker.port = port;
    await writeFile(file, JSON.stringify(config, null, 2));
    serving = await startServe({ cwd: p.dir, env: p.env, args: ['--sandbox', '--quiet'] });
    const doctor = await runCli(['doctor'], { cwd: p.dir, env: p.env });
    const line = doctor.stdout.split('\n').find((text) => text.includes('broker port')) ?? '';
    expect(line).toMatch(new RegExp(`^i broker port\\s+127\\.0\\.0\\.1:${port} is in use by an oauthd broker that answers there \\(serving sandbox\\)`));
    expect(line).toContain('oauthd-cli serve');
    expect(doctor.stdout).not.toMatch(/^✗ broker port/m);
  });
});
