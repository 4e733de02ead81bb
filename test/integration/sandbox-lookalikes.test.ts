// Look-alikes as processes (issue 14), through our own CLI and a client that is not ours.
//
// Provider error shapes: `oauthd-cli sandbox --as slack|github` answers
// the token endpoint's errors as the catalog entry says the provider does (tokenResponse.error:
// Slack's HTTP 200 {"ok": false, "error": "invalid_code"}, GitHub's HTTP 200 bad_verification_code,
// form-encoded unless asked for JSON). Seen twice, against one real sandbox process per provider:
//   - by our own `login` (the built CLI, the provider file the sandbox wrote with --provider-file
//     in the project's oauthd-providers/), which must refuse with the provider's words and the
//     hint of the RFC 6749 §5.2 code the entry maps them to;
//   - by a client that is not ours (test/fixtures/plain-oauth-client.mjs: plain fetch, as an app
//     wired to the provider by hand), which must get the provider's own shape on the wire.
//
// Twitter (OAuth 1.0a) and Salesforce (instance_url on the sandbox) through `login`, `me` and
// `request`, with the provider file `--provider-file` wrote: the three legs and each signature,
// the token endpoint's own loopback origin accepted by the CLI as by the broker.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startMockSandbox, type MockSandbox } from '../helpers/mock-sandbox.js';

const REDIRECT_BROWSER = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'test', 'helpers', 'redirect-browser.mjs'))}`;
const INVALID_GRANT_HINT = 'hint: the code expired or was used already, or redirect_uri / code_verifier differ from the authorization request; start the login again';

interface Setup {
  sandbox: MockSandbox;
  project: { dir: string; env: Record<string, string>; cleanup(): Promise<void> };
  /** The sandbox's origin and the provider's URLs there, from the provider file it wrote. */
  spec: Record<string, any>;
}

async function setUp(id: string): Promise<Setup> {
  const temp = await makeTempDir();
  const file = join(temp.path, 'oauthd-providers', `${id}.json`);
  const sandbox = await startMockSandbox(['--as', id, '--auto-approve', '--provider-file', file]);
  const env = { HOME: temp.path, XDG_DATA_HOME: join(temp.path, 'data'), MOCK_SECRET: sandbox.clientSecret, BROWSER: REDIRECT_BROWSER };
  const project = { dir: temp.path, env, cleanup: temp.cleanup };
  expect((await runCli(['init', '--yes'], { cwd: temp.path, env })).code).toBe(0);
  const add = await runCli(['providers', 'add', id, '--client-id', sandbox.clientId, '--client-secret-env', 'MOCK_SECRET'], { cwd: temp.path, env });
  expect(add.code, add.stderr).toBe(0);
  return { sandbox, project, spec: JSON.parse(await readFile(file, 'utf8')) as Record<string, any> };
}

function cli(setup: Setup, args: string[]): Promise<RunCliResult> {
  return runCli(args, { cwd: setup.project.dir, env: setup.project.env, timeoutMs: 90_000 });
}

function login(setup: Setup, id: string, extra = ['--no-save']): Promise<RunCliResult> {
  return cli(setup, ['login', id, '--port', '0', '--timeout', '40', ...extra]);
}

/** Our login refused: exit 1, the provider's words on one line, the §5.2 code's hint, no stack, nothing on stdout. */
function refused(result: RunCliResult, message: string): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toContain(`error: ${message}\n`);
  expect(result.stderr).toContain(`${INVALID_GRANT_HINT}\n`);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

/** The plain-fetch client's code exchange against the look-alike. */
async function plainClient(setup: Setup, plan: Record<string, unknown>): Promise<{ status: number; contentType: string; body: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'test', 'fixtures', 'plain-oauth-client.mjs'), JSON.stringify({ clientId: setup.sandbox.clientId, clientSecret: setup.sandbox.clientSecret, redirectUri: 'http://127.0.0.1:9/callback', ...plan })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as { status: number; contentType: string; body: string };
}

async function invalidGrantOnce(setup: Setup): Promise<void> {
  const answer = await setup.sandbox.fault({ fault: 'invalid-grant', count: 1 });
  expect(answer.status, JSON.stringify(answer.json)).toBe(201);
}

describe('sandbox --as slack: errors as HTTP 200 {"ok": false, "error": …}', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('slack');
  });
  afterAll(async () => {
    await setup?.sandbox.stop();
    await setup?.project.cleanup();
  });

  it('the provider file points at the sandbox, and our login signs in through it', async () => {
    const origin = new URL(setup.sandbox.issuer).origin;
    expect(setup.spec.oauth2.tokenUrl).toBe(`${origin}/sandbox/slack.com/api/oauth.v2.access`);
    expect(setup.spec.oauth2.tokenResponse.error).toMatchObject({ status: 200, fields: { ok: false } });
    const result = await login(setup, 'slack');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Signed in to Slack (user token)');
  });

  it('invalid-grant: our login names Slack\'s invalid_code and explains it as invalid_grant', async () => {
    await invalidGrantOnce(setup);
    refused(await login(setup, 'slack'), 'the token endpoint refused: invalid_code — the code was refused (sandbox fault invalid-grant) [HTTP 200]');
  });

  it('invalid-grant: a plain fetch client gets HTTP 200 and {"ok": false, "error": "invalid_code"}', async () => {
    await invalidGrantOnce(setup);
    const answer = await plainClient(setup, { authorizeUrl: setup.spec.oauth2.authorizeUrl, tokenUrl: setup.spec.oauth2.tokenUrl, scope: 'identity.basic', scopeParam: 'user_scope' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(Object.entries(body).slice(0, 2)).toEqual([['ok', false], ['error', 'invalid_code']]);
  });
});

describe('sandbox --as github: errors as HTTP 200 bad_verification_code, form-encoded unless asked for JSON', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('github');
  });
  afterAll(async () => {
    await setup?.sandbox.stop();
    await setup?.project.cleanup();
  });

  it('invalid-grant: our login (which asks for JSON) names bad_verification_code and explains it as invalid_grant', async () => {
    await invalidGrantOnce(setup);
    refused(await login(setup, 'github'), 'the token endpoint refused: bad_verification_code — the code was refused (sandbox fault invalid-grant) [HTTP 200]');
  });

  it('invalid-grant: a plain fetch client that does not ask for JSON gets HTTP 200, form-encoded error=bad_verification_code', async () => {
    await invalidGrantOnce(setup);
    const answer = await plainClient(setup, { authorizeUrl: setup.spec.oauth2.authorizeUrl, tokenUrl: setup.spec.oauth2.tokenUrl, scope: 'read:user' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(answer.body))).toMatchObject({ error: 'bad_verification_code', error_description: 'the code was refused (sandbox fault invalid-grant)' });
  });

  it('without the fault, the same client gets its token (form-encoded, as GitHub answers by default)', async () => {
    const answer = await plainClient(setup, { authorizeUrl: setup.spec.oauth2.authorizeUrl, tokenUrl: setup.spec.oauth2.tokenUrl, scope: 'read:user' });
    expect(answer.status).toBe(200);
    expect(new URLSearchParams(answer.body).get('access_token')).toBeTruthy();
  });
});

describe('sandbox --as twitter (OAuth 1.0a) through our login, me and request', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('twitter');
  });
  afterAll(async () => {
    await setup?.sandbox.stop();
    await setup?.project.cleanup();
  });

  it('the three legs, then /me and an API call signed with the token credentials', async () => {
    const origin = new URL(setup.sandbox.issuer).origin;
    expect(setup.spec.oauth1).toMatchObject({ requestTokenUrl: `${origin}/sandbox/api.x.com/oauth/request_token`, signatureMethod: 'HMAC-SHA1' });
    const signedIn = await login(setup, 'twitter', []);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toContain('OAuth 1.0a token credentials');
    const me = await cli(setup, ['me', 'twitter', '--json']);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: 'developer', alias: 'developer', email: 'developer@sandbox.test' });
    const api = await cli(setup, ['request', 'twitter', '/1.1/statuses/home_timeline.json?count=2']);
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({ method: 'GET', path: '/1.1/statuses/home_timeline.json', query: '?count=2', sub: 'developer' });
  });

  it('invalid-grant at the access-token step: our login names oauth_problem=token_rejected, with its hint', async () => {
    await invalidGrantOnce(setup);
    const result = await login(setup, 'twitter');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('error: the access-token endpoint refused: oauth_problem=token_rejected — the request token was refused (sandbox fault invalid-grant) [HTTP 401]\n');
    expect(result.stderr).toContain('hint: the provider does not know this token; start the login again\n');
  });
});

describe('sandbox --as salesforce through our login and me: instance_url on the sandbox', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('salesforce');
  });
  afterAll(async () => {
    await setup?.sandbox.stop();
    await setup?.project.cleanup();
  });

  it('login verifies the id_token with the sandbox\'s keys; me follows instance_url, the token endpoint\'s own loopback origin', async () => {
    const origin = new URL(setup.sandbox.issuer).origin;
    expect(setup.spec.oidc).toEqual({ issuer: 'https://{login_host}', jwksUri: `${origin}/sandbox/jwks` });
    const signedIn = await login(setup, 'salesforce', []);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    const me = await cli(setup, ['me', 'salesforce', '--json']);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: 'developer', email: 'developer@sandbox.test' });
  });
});
