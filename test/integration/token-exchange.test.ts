// `token exchange` (RFC 8693, docs/modern-oauth.md) against node-oidc-provider in its own process
// (test/fixtures/oidc-server.mjs with OIDC_TOKEN_EXCHANGE: a registerGrantType grant that checks the
// subject token and records what it received). The subject token is a real one of that server,
// got by a CIBA login the test approves. Proves: repeated --audience and --resource arrive as
// repeated parameters (the server parses them as arrays), --save keeps a token that works on the
// server's userinfo through `me`, the subject's own profile is never replaced, traces show the
// repeated parameters with the tokens hidden, and bad input is one line.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { newProject, type Project } from '../helpers/project.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const EXCHANGE_CLIENT = {
  client_id: 'exchange-client',
  client_secret: 'test-secret',
  grant_types: ['urn:openid:params:grant-type:ciba', TOKEN_EXCHANGE, 'refresh_token'],
  response_types: [],
  redirect_uris: [],
  backchannel_token_delivery_mode: 'poll',
  token_endpoint_auth_method: 'client_secret_basic',
};

interface Received {
  audience: string | string[] | null;
  resource: string | string[] | null;
  scope: string | null;
  accountId?: string;
}

async function received(server: OidcServer): Promise<Received[]> {
  return (await (await fetch(`${server.issuer}/_test/token-exchanges`)).json()) as Received[];
}

function json(result: RunCliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

function oneLineError(result: RunCliResult, code: number): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
}

/** A CIBA login of `user` at the fixture, approved by the test: a real access token of the server, kept as exidp's default profile. */
async function cibaLogin(server: OidcServer, project: Project, user: string): Promise<string> {
  const known = (await (await fetch(`${server.issuer}/_test/ciba`)).json() as unknown[]).length;
  const login = runCli(['login', 'exidp', '--ciba', '--login-hint', user, '--scope', 'openid profile email', '--json'], { cwd: project.dir, env: project.env });
  const deadline = Date.now() + 60_000;
  let uid: string | undefined;
  while (uid === undefined && Date.now() < deadline) {
    const fresh = ((await (await fetch(`${server.issuer}/_test/ciba`)).json()) as Array<{ uid: string }>).slice(known);
    uid = fresh[0]?.uid;
    if (uid === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(uid, 'the CIBA request never reached the server').toBeDefined();
  expect((await fetch(`${server.issuer}/_test/ciba/${uid}/approve`, { method: 'POST' })).status).toBe(200);
  const result = await login;
  expect(result.code, result.stderr).toBe(0);
  return json(result).access_token as string;
}

describe('token exchange against node-oidc-provider (RFC 8693)', () => {
  let server: OidcServer;
  let project: Project;
  let subjectToken: string;
  const cli = (args: string[]) => runCli(args, { cwd: project.dir, env: project.env });

  beforeAll(async () => {
    server = await startOidcServer({ clients: [EXCHANGE_CLIENT], env: { OIDC_CIBA: '1', OIDC_CIBA_INTERVAL: '1', OIDC_TOKEN_EXCHANGE: '1' } });
    project = await newProject();
    const added = await cli(['providers', 'add', 'exidp', '--issuer', server.issuer, '--client-id', 'exchange-client', '--client-secret-env', 'IDP_SECRET']);
    expect(added.code, added.stderr).toBe(0);
    subjectToken = await cibaLogin(server, project, 'alice');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('two --audience and two --resource arrive as repeated parameters; --save keeps a token that works on userinfo; the subject stays', async () => {
    const before = (await received(server)).length;
    const exchanged = await cli([
      'token', 'exchange', 'exidp', '--subject-token', '@exidp',
      '--audience', 'billing', '--audience', 'ledger',
      '--resource', 'https://billing.example.test/', '--resource', 'urn:example:ledger',
      '--scope', 'openid profile', '--save', 'narrow', '--json',
    ]);
    expect(exchanged.code, exchanged.stderr).toBe(0);
    // --json: stdout is the token response and nothing else.
    const token = json(exchanged);
    expect(token.access_token).toEqual(expect.any(String));
    expect(token.access_token).not.toBe(subjectToken);
    expect(exchanged.stderr).toContain('profile "narrow"');

    // The server's own record: each parameter repeated (node-oidc-provider parses a repeated one as an array).
    const got = (await received(server)).slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      audience: ['billing', 'ledger'],
      resource: ['https://billing.example.test/', 'urn:example:ledger'],
      scope: 'openid profile',
      accountId: 'alice',
    });

    // Kept: `token print --profile` gives it, `me --profile` uses it at the server's userinfo.
    const printed = await cli(['token', 'print', 'exidp', '--profile', 'narrow']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toBe(token.access_token);
    const me = await cli(['me', 'exidp', '--profile', 'narrow', '--json']);
    expect(me.code, me.stderr).toBe(0);
    expect(json(me)).toMatchObject({ id: 'alice', name: 'Test User alice' });
    // The narrowed token has no email scope: the server's userinfo leaves the email out.
    expect(json(me).email).toBeUndefined();

    // The subject token is where it was, unchanged.
    const subject = await cli(['token', 'print', 'exidp']);
    expect(subject.stdout.trim()).toBe(subjectToken);
  });

  it('without --save the token is printed, not kept; --save naming the subject token\'s own profile is refused before anything is sent', async () => {
    const kept = async () => {
      const list = await cli(['token', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      return (JSON.parse(list.stdout) as Array<{ provider: string; profile: string }>).map((entry) => `${entry.provider}:${entry.profile}`);
    };
    const keptBefore = await kept();
    expect(keptBefore).toContain('exidp:default');
    const printedOnly = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidp', '--audience', 'billing']);
    expect(printedOnly.code, printedOnly.stderr).toBe(0);
    expect(printedOnly.stdout).toContain('not kept');
    expect(await kept()).toEqual(keptBefore);

    const before = (await received(server)).length;
    const own = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidp:default', '--save', 'default']);
    oneLineError(own, 2);
    expect(own.stderr).toContain('--save default would replace the token --subject-token names (exidp, profile default)');
    // The same token pasted by value: the entry holds it, so it is refused too.
    const pasted = await cli(['token', 'exchange', 'exidp', '--subject-token', subjectToken, '--save', 'default']);
    oneLineError(pasted, 2);
    expect(pasted.stderr).toContain('--save default would replace the token --subject-token names');
    expect((await received(server)).length).toBe(before);
    expect((await cli(['token', 'print', 'exidp'])).stdout.trim()).toBe(subjectToken);
  });

  it('--curl, --trace and --har show each audience and resource, and hide the subject token, the new token and the client secret', async () => {
    const har = join(project.dir, 'exchange.har');
    const traced = await cli([
      'token', 'exchange', 'exidp', '--subject-token', subjectToken,
      '--audience', 'billing', '--audience', 'ledger', '--resource', 'https://billing.example.test/', '--resource', 'urn:example:ledger',
      '--trace', '--curl', '--har', har, '--json',
    ]);
    expect(traced.code, traced.stderr).toBe(0);
    const issued = json(traced).access_token as string;
    // curl: one --data-urlencode per value, repeated.
    expect(traced.stderr.match(/--data-urlencode '?audience=/g)).toHaveLength(2);
    expect(traced.stderr).toContain('audience=ledger');
    expect(traced.stderr.match(/--data-urlencode '?resource=/g)).toHaveLength(2);
    expect(traced.stderr).toContain('resource=urn:example:ledger');
    const harText = await readFile(har, 'utf8');
    expect(harText).toContain('audience=billing&audience=ledger');
    expect(harText).toContain(`resource=${encodeURIComponent('https://billing.example.test/')}&resource=${encodeURIComponent('urn:example:ledger')}`);
    for (const output of [traced.stderr, harText]) {
      expect(output).not.toContain(subjectToken);
      expect(output).not.toContain(issued);
      expect(output).not.toContain('test-secret');
    }
  });

  it('bad input gets one line: an unknown @provider, a profile with no token, a resource that is not an absolute URI or has a fragment', async () => {
    const unknown = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidpp']);
    oneLineError(unknown, 2);
    expect(unknown.stderr).toMatch(/exidpp/);
    expect(unknown.stderr).toMatch(/exidp\b/);

    const ghost = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidp:ghost']);
    oneLineError(ghost, 2);
    expect(ghost.stderr).toContain('no token for exidp (profile ghost)');

    const before = (await received(server)).length;
    const relative = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidp', '--resource', 'https://ok.example.test/', '--resource', '/api']);
    oneLineError(relative, 2);
    expect(relative.stderr).toContain('--resource /api: not an absolute URI');
    const fragment = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidp', '--resource', 'https://api.example.test/#part']);
    oneLineError(fragment, 2);
    expect(fragment.stderr).toContain('--resource https://api.example.test/#part: a resource URI has no fragment');
    const badProfile = await cli(['token', 'exchange', 'exidp', '--subject-token', '@exidp', '--save', 'no spaces']);
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toContain('--save');
    expect((await received(server)).length).toBe(before);
  });
});

describe('token exchange on the sandbox: repeated audience and resource, --save', () => {
  it('the sandbox takes two of each, and the kept token works for me --profile', async () => {
    const project = await newProject();
    const cli = (args: string[]) => runCli(args, { cwd: project.dir, env: project.env });
    const login = await cli(['login', 'sandbox', '--port', '0', '--auto-approve']);
    expect(login.code, login.stderr).toBe(0);
    const exchanged = await cli([
      'token', 'exchange', 'sandbox', '--subject-token', '@sandbox',
      '--audience', 'billing', '--audience', 'ledger', '--resource', 'https://billing.example.test/', '--resource', 'https://ledger.example.test/',
      '--scope', 'openid profile', '--save', 'narrow',
    ]);
    expect(exchanged.code, exchanged.stderr).toBe(0);
    expect(exchanged.stdout).toContain('profile "narrow"');
    const me = await cli(['me', 'sandbox', '--profile', 'narrow', '--json']);
    expect(me.code, me.stderr).toBe(0);
    expect(json(me)).toMatchObject({ id: 'developer' });
  });
});
