// OpenID CIBA in `login` (poll mode, docs/modern-oauth.md), against node-oidc-provider in its own
// process with its `ciba` feature on (test/fixtures/oidc-server.mjs): the test is the user's
// authentication device, approving or denying through the provider's own backchannelResult. And
// against the sandbox, whose approval page the CLI prints (or uses itself with --auto-approve).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_BIN, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { newProject, type Project } from '../helpers/project.js';

vi.setConfig({ testTimeout: 120_000 });

interface CibaRequest {
  uid: string;
  accountId: string;
  clientId: string;
  scope: string;
  bindingMessage?: string;
  polls: number[];
  decided: boolean;
}

const CIBA_CLIENT = {
  client_id: 'ciba-client',
  client_secret: 'test-secret',
  grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
  response_types: [],
  redirect_uris: [],
  backchannel_token_delivery_mode: 'poll',
  token_endpoint_auth_method: 'client_secret_basic',
};

async function requests(server: OidcServer): Promise<CibaRequest[]> {
  return (await (await fetch(`${server.issuer}/_test/ciba`)).json()) as CibaRequest[];
}

/** Waits until the CLI's request reaches the provider and has been polled `polls` times; returns it. */
async function pendingRequest(server: OidcServer, known: number, polls = 0): Promise<CibaRequest> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const fresh = (await requests(server)).slice(known);
    const found = fresh.find((request) => request.polls.length >= polls);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the CLI\'s backchannel request never reached the provider');
}

async function decide(server: OidcServer, uid: string, decision: 'approve' | 'deny'): Promise<void> {
  const response = await fetch(`${server.issuer}/_test/ciba/${uid}/${decision}`, { method: 'POST' });
  expect(response.status).toBe(200);
}

async function addCiba(project: Project, server: OidcServer, id = 'cibaidp'): Promise<void> {
  const added = await runCli(['providers', 'add', id, '--issuer', server.issuer, '--client-id', 'ciba-client', '--client-secret-env', 'IDP_SECRET'], { cwd: project.dir, env: project.env });
  expect(added.code, added.stderr).toBe(0);
}

function json(result: RunCliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

function oneLineError(result: RunCliResult): void {
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
}

describe('login --ciba against node-oidc-provider (poll mode)', () => {
  let server: OidcServer;
  let slow: OidcServer;
  let short: OidcServer;

  beforeAll(async () => {
    [server, slow, short] = await Promise.all([
      startOidcServer({ clients: [CIBA_CLIENT], env: { OIDC_CIBA: '1', OIDC_CIBA_INTERVAL: '1' } }),
      startOidcServer({ clients: [CIBA_CLIENT], env: { OIDC_CIBA: '1', OIDC_CIBA_INTERVAL: '1', OIDC_CIBA_SLOW_DOWN: '1' } }),
      startOidcServer({ clients: [CIBA_CLIENT], env: { OIDC_CIBA: '1', OIDC_CIBA_INTERVAL: '1', OIDC_CONFIG: JSON.stringify({ ttl: { BackchannelAuthenticationRequest: 3 } }) } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), slow?.stop(), short?.stop()]);
  });

  it('approved on the authentication device: the token comes back, its id_token is checked, it is kept, and --verbose names each step', async () => {
    const project = await newProject();
    await addCiba(project, server);
    const known = (await requests(server)).length;
    const login = runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'alice', '--binding-message', 'Order-42', '--json', '--verbose'], { cwd: project.dir, env: project.env });
    const request = await pendingRequest(server, known);
    // What the provider received: the user, the binding message, an OpenID scope (CIBA Core §7.1).
    expect(request).toMatchObject({ accountId: 'alice', clientId: 'ciba-client', bindingMessage: 'Order-42' });
    expect(request.scope.split(' ')).toContain('openid');
    await decide(server, request.uid, 'approve');
    const result = await login;
    expect(result.code, result.stderr).toBe(0);
    const token = json(result);
    expect(token.access_token).toEqual(expect.any(String));
    expect(decodeJwt(token.id_token as string).sub).toBe('alice');
    expect(result.stderr).toMatch(/pass\s+CIBA request: login_hint alice, binding_message "Order-42".*\(OpenID CIBA Core §7\.1\)/);
    expect(result.stderr).toMatch(/pass\s+CIBA acknowledgement: auth_req_id \d+ characters.*poll every 1 s \(OpenID CIBA Core §7\.3\)/);
    expect(result.stderr).toMatch(/pass\s+id_token signature/);
    // Kept like any login's token.
    const printed = await runCli(['token', 'print', 'cibaidp'], { cwd: project.dir, env: project.env });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toBe(token.access_token);
  });

  it('slow_down: the next poll waits the interval plus 5 s, as the provider measures it (CIBA Core §11)', async () => {
    const project = await newProject();
    await addCiba(project, slow);
    const known = (await requests(slow)).length;
    const login = runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'bob', '--json'], { cwd: project.dir, env: project.env });
    // The first poll was answered slow_down; wait for the second, then approve.
    const request = await pendingRequest(slow, known, 2);
    await decide(slow, request.uid, 'approve');
    const result = await login;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('The provider asked to slow down: polling every 6 s.');
    const polls = (await requests(slow)).find((entry) => entry.uid === request.uid)!.polls;
    // The provider's own clock: 1 s before the first poll, then 1 + 5 s (a little slack for timers).
    expect(polls[1]! - polls[0]!).toBeGreaterThanOrEqual(5_900);
  });

  it('denied on the authentication device: exit 1, one line saying so', async () => {
    const project = await newProject();
    await addCiba(project, server);
    const known = (await requests(server)).length;
    const login = runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'carol'], { cwd: project.dir, env: project.env });
    await decide(server, (await pendingRequest(server, known)).uid, 'deny');
    const result = await login;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the user denied the request on their authentication device');
    expect(result.stdout).toBe('');
    oneLineError(result);
  });

  it('nobody approves before the request expires: exit 1, saying how long it lived', async () => {
    const project = await newProject();
    await addCiba(project, short);
    const result = await runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'dave'], { cwd: project.dir, env: project.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the backchannel authentication request expired before the user approved it (it lived 3 s)');
    oneLineError(result);
  });

  it('an unknown user: the provider\'s unknown_user_id, explained', async () => {
    const project = await newProject();
    await addCiba(project, server);
    const result = await runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'nobody'], { cwd: project.dir, env: project.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown_user_id');
    expect(result.stderr).toContain('--login-hint');
    oneLineError(result);
  });

  it('--trace hides the auth_req_id (a polling credential) in the acknowledgement and in every poll', async () => {
    const project = await newProject();
    await addCiba(project, server);
    const known = (await requests(server)).length;
    const login = runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'erin', '--trace', '--no-save'], { cwd: project.dir, env: project.env });
    await decide(server, (await pendingRequest(server, known, 1)).uid, 'approve');
    const result = await login;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/"auth_req_id": "\[redacted \d+ chars #[0-9a-f]{6}\]"/);
    expect(result.stderr).toMatch(/auth_req_id = \[redacted \d+ chars #[0-9a-f]{6}\]/);
    expect(result.stderr).not.toMatch(/auth_req_id["=:\s]+[A-Za-z0-9_-]{20,}/);
  });

  it('bad input is refused with exit 2 before anything is sent: no --login-hint, a server that only pings, a server without CIBA', async () => {
    const project = await newProject();
    await addCiba(project, server);
    const before = (await requests(server)).length;

    const noHint = await runCli(['login', 'cibaidp', '--ciba'], { cwd: project.dir, env: project.env });
    expect(noHint.code).toBe(2);
    expect(noHint.stderr).toContain('--ciba needs one of --login-hint, --id-token-hint or --login-hint-token');
    oneLineError(noHint);

    // The cached discovery document says the server delivers by ping only.
    const configPath = join(project.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { providers: Record<string, { discovered: Record<string, unknown> }> };
    config.providers.cibaidp!.discovered.backchannel_token_delivery_modes_supported = ['ping'];
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const pingOnly = await runCli(['login', 'cibaidp', '--ciba', '--login-hint', 'alice'], { cwd: project.dir, env: project.env });
    expect(pingOnly.code).toBe(2);
    expect(pingOnly.stderr).toContain('backchannel_token_delivery_modes_supported has no "poll"');
    oneLineError(pingOnly);
    expect((await requests(server)).length).toBe(before);

    const plain = await startOidcServer({ clients: [{ ...CIBA_CLIENT, grant_types: ['refresh_token'] }] });
    try {
      await addCiba(project, plain, 'plainidp');
      const noEndpoint = await runCli(['login', 'plainidp', '--ciba', '--login-hint', 'alice'], { cwd: project.dir, env: project.env });
      expect(noEndpoint.code).toBe(2);
      expect(noEndpoint.stderr).toContain('its metadata has no backchannel_authentication_endpoint');
      oneLineError(noEndpoint);
    } finally {
      await plain.stop();
    }
  });

  it('Ctrl-C while polling ends the login quietly with 130', async () => {
    const project = await newProject();
    await addCiba(project, server);
    const known = (await requests(server)).length;
    const child = spawn(process.execPath, [CLI_BIN, 'login', 'cibaidp', '--ciba', '--login-hint', 'frank'], {
      cwd: project.dir,
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...project.env, BROWSER: undefined } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await pendingRequest(server, known, 1);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain('error:');
  });
});

describe('login sandbox --ciba (offline)', () => {
  it('--auto-approve: the CLI approves on the sandbox\'s approval page itself, as the login hint', async () => {
    const project = await newProject();
    const result = await runCli(['login', 'sandbox', '--ciba', '--login-hint', 'alice', '--auto-approve', '--json', '--no-save'], { cwd: project.dir, env: project.env });
    expect(result.code, result.stderr).toBe(0);
    expect(decodeJwt(json(result).id_token as string).sub).toBe('alice');
    expect(result.stderr).toContain('Approving on the sandbox\'s approval page in the CLI (--auto-approve), as "alice"');
  });

  it('with a browser but no display: the approval page\'s URL is printed, the user approves there (it shows the binding message), the token comes', async () => {
    const project = await newProject();
    // $BROWSER is set, so the CLI does not approve by itself; with no display it opens nothing.
    const child = spawn(process.execPath, [CLI_BIN, 'login', 'sandbox', '--ciba', '--login-hint', 'grace', '--binding-message', 'Order 42', '--json', '--no-save'], {
      cwd: project.dir,
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...project.env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    let page: string | undefined;
    while (page === undefined && Date.now() < deadline) {
      page = /approval page \(the user's authentication device\): (\S+)/.exec(stderr)?.[1];
      if (page === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(page, stderr).toBeDefined();
    const html = await (await fetch(page!)).text();
    expect(html).toContain('Order 42');
    expect(html).toContain('grace');
    expect(new URL(page!).pathname).toMatch(/^\/sandbox\/ciba\/[A-Za-z0-9_-]{20,}$/);
    const approved = await fetch(`${page!}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    // Decided once: the page is gone (the CLI is still between two polls).
    expect((await fetch(`${page!}/deny`, { method: 'POST' })).status).toBe(404);
    expect(await exited, stderr).toBe(0);
    expect(decodeJwt((JSON.parse(stdout) as { id_token: string }).id_token).sub).toBe('grace');
  });
});
