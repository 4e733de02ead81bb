// OpenID CIBA Core §7.1's three hints in `login --ciba`: --login-hint, --id-token-hint (a JWT, or
// `@provider[:profile]` for a kept token's id_token) and --login-hint-token, exactly one. Against
// node-oidc-provider in its own process (test/fixtures/oidc-server.mjs), which validates an
// id_token_hint itself (signature, issuer, audience) and names the user by its `sub`; the test is
// the user's authentication device.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { newProject, type Project } from '../helpers/project.js';

vi.setConfig({ testTimeout: 120_000 });

interface CibaRequest {
  uid: string;
  accountId: string;
  clientId: string;
  userCode?: string;
  polls: number[];
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
const OTHER_CLIENT = { ...CIBA_CLIENT, client_id: 'other-client' };

async function requests(server: OidcServer): Promise<CibaRequest[]> {
  return (await (await fetch(`${server.issuer}/_test/ciba`)).json()) as CibaRequest[];
}

/** Approves the first request after `known` once it reaches the provider; returns it. */
async function approveNext(server: OidcServer, known: number): Promise<CibaRequest> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [found] = (await requests(server)).slice(known);
    if (found) {
      const response = await fetch(`${server.issuer}/_test/ciba/${found.uid}/approve`, { method: 'POST' });
      expect(response.status).toBe(200);
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the CLI\'s backchannel request never reached the provider');
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

async function addProvider(project: Project, server: OidcServer, id: string, clientId = 'ciba-client'): Promise<void> {
  const added = await runCli(['providers', 'add', id, '--issuer', server.issuer, '--client-id', clientId, '--client-secret-env', 'IDP_SECRET'], { cwd: project.dir, env: project.env });
  expect(added.code, added.stderr).toBe(0);
}

/** A CIBA login with `hint` flags, approved on the "device"; the request the provider saw and the result. */
async function approvedLogin(server: OidcServer, project: Project, args: string[]): Promise<{ request: CibaRequest; result: RunCliResult }> {
  const known = (await requests(server)).length;
  const login = runCli(['login', ...args], { cwd: project.dir, env: project.env });
  const request = await approveNext(server, known);
  return { request, result: await login };
}

describe('login --ciba hints against node-oidc-provider (OpenID CIBA Core §7.1)', () => {
  let server: OidcServer;
  let other: OidcServer;
  beforeAll(async () => {
    [server, other] = await Promise.all([
      startOidcServer({ clients: [CIBA_CLIENT, OTHER_CLIENT], env: { OIDC_CIBA: '1', OIDC_CIBA_INTERVAL: '1' } }),
      startOidcServer({ clients: [CIBA_CLIENT], env: { OIDC_CIBA: '1', OIDC_CIBA_INTERVAL: '1' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
  });

  it('--id-token-hint @provider: the kept token\'s id_token names the user; the provider validates it and asks that user', async () => {
    const project = await newProject();
    await addProvider(project, server, 'bank');
    // A first login keeps a token with an id_token for dana.
    const first = await approvedLogin(server, project, ['bank', '--ciba', '--login-hint', 'dana', '--json']);
    expect(first.result.code, first.result.stderr).toBe(0);
    const keptIdToken = json(first.result).id_token as string;
    expect(decodeJwt(keptIdToken).sub).toBe('dana');

    // The second names nobody by name: the provider finds dana from the id_token (its sub).
    const second = await approvedLogin(server, project, ['bank', '--ciba', '--id-token-hint', '@bank', '--binding-message', 'again', '--json', '--verbose', '--no-save']);
    expect(second.result.code, second.result.stderr).toBe(0);
    expect(second.request).toMatchObject({ accountId: 'dana', clientId: 'ciba-client' });
    expect(decodeJwt(json(second.result).id_token as string).sub).toBe('dana');
    expect(second.result.stderr).toMatch(/pass\s+CIBA request: id_token_hint: the user of an id_token, the kept bank token's \(profile default\): sub dana/);
    // The hint is a token: never on stderr.
    expect(second.result.stderr).not.toContain(keptIdToken);

    // The same id_token given by value works too.
    const byValue = await approvedLogin(server, project, ['bank', '--ciba', '--id-token-hint', keptIdToken, '--json', '--no-save']);
    expect(byValue.result.code, byValue.result.stderr).toBe(0);
    expect(byValue.request.accountId).toBe('dana');

    // An id_token of another issuer (a second provider) or of another client is refused before it is sent.
    await addProvider(project, other, 'elsewhere');
    const known = (await requests(other)).length;
    const wrongIssuer = await runCli(['login', 'elsewhere', '--ciba', '--id-token-hint', '@bank', '--no-save'], { cwd: project.dir, env: project.env });
    expect(wrongIssuer.code).toBe(2);
    expect(wrongIssuer.stderr).toContain(`--id-token-hint @bank: the id_token was issued by ${server.issuer}, not by`);
    oneLineError(wrongIssuer);
    expect(await requests(other)).toHaveLength(known);
    await addProvider(project, server, 'sibling', 'other-client');
    const wrongClient = await runCli(['login', 'sibling', '--ciba', '--id-token-hint', '@bank', '--no-save'], { cwd: project.dir, env: project.env });
    expect(wrongClient.code).toBe(2);
    expect(wrongClient.stderr).toContain('the id_token was issued to ciba-client, not to this client (other-client)');
    oneLineError(wrongClient);
  });

  it('--login-hint-token: sent as login_hint_token, the provider\'s own format names the user', async () => {
    const project = await newProject();
    await addProvider(project, server, 'bank');
    const { request, result } = await approvedLogin(server, project, ['bank', '--ciba', '--login-hint-token', 'lht-frank', '--json', '--no-save']);
    expect(result.code, result.stderr).toBe(0);
    expect(request.accountId).toBe('frank');
    expect(decodeJwt(json(result).id_token as string).sub).toBe('frank');
  });

  it('--user-code: sent as user_code where the metadata says backchannel_user_code_parameter_supported, refused before sending where it does not', async () => {
    const project = await newProject();
    await addProvider(project, server, 'bank');
    const { request, result } = await approvedLogin(server, project, ['bank', '--ciba', '--login-hint', 'gina', '--user-code', '7391', '--json', '--no-save', '--trace']);
    expect(result.code, result.stderr).toBe(0);
    expect(request).toMatchObject({ accountId: 'gina', userCode: '7391' });
    // A secret the user knows: redacted in the trace.
    expect(result.stderr).toContain('user_code');
    expect(result.stderr).not.toContain('7391');

    // The cached discovery document without the field (§4: then false).
    const configPath = join(project.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { providers: Record<string, { discovered: Record<string, unknown> }> };
    expect(config.providers.bank!.discovered.backchannel_user_code_parameter_supported).toBe(true);
    delete config.providers.bank!.discovered.backchannel_user_code_parameter_supported;
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const known = (await requests(server)).length;
    const refused = await runCli(['login', 'bank', '--ciba', '--login-hint', 'gina', '--user-code', '7391'], { cwd: project.dir, env: project.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--user-code: ');
    expect(refused.stderr).toContain('takes no user code (its metadata has no backchannel_user_code_parameter_supported: true)');
    oneLineError(refused);
    expect(await requests(server)).toHaveLength(known);
  });

  it('exactly one hint, each mistake one line and exit 2 before anything is sent', async () => {
    const project = await newProject();
    await addProvider(project, server, 'bank');
    const known = (await requests(server)).length;
    const cases: Array<[string[], string]> = [
      [['--ciba'], '--ciba needs one of --login-hint, --id-token-hint or --login-hint-token'],
      [['--ciba', '--login-hint', 'a', '--id-token-hint', '@bank'], '--ciba takes one hint, not --login-hint and --id-token-hint (OpenID CIBA Core §7.1: one and only one)'],
      [['--ciba', '--login-hint', 'a', '--login-hint-token', 'lht-a'], '--ciba takes one hint, not --login-hint and --login-hint-token'],
      [['--id-token-hint', '@bank'], '--id-token-hint goes with --ciba'],
      [['--login-hint-token', 'lht-a'], '--login-hint-token goes with --ciba'],
      [['--user-code', '1'], '--user-code goes with --ciba'],
      [['--ciba', '--id-token-hint', 'not-a-jwt'], '--id-token-hint is not an ID Token (a JWT)'],
      [['--ciba', '--id-token-hint', '@bank'], '--id-token-hint @bank: no token for bank (profile default)'],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli(['login', 'bank', ...flags], { cwd: project.dir, env: project.env });
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr, flags.join(' ')).toContain(message);
      oneLineError(result);
    }
    expect(await requests(server)).toHaveLength(known);
  });
});
