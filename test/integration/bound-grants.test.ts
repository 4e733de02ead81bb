// Two refusals of issue 13 against node-oidc-provider in its own process, through `login` and
// headless Chromium:
//   - JARM downgrade: the flow asked for response_mode=jwt and the server answered with plain
//     query parameters (the fixture drops response_mode from the request: OIDC_DOWNGRADE_JARM);
//     the broker refuses the response by name and exchanges nothing.
//   - a DPoP-bound grant refused with invalid_grant: the hint says the grant is bound to a DPoP
//     key, not the generic "the code expired" (the refresh went without the key it needs).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { newProject, type Project } from '../helpers/project.js';

vi.setConfig({ testTimeout: 180_000 });

const chromium = requireComponent('chromium', hasChromium());

describe.skipIf(!chromium)('refusals of bound and signed responses, against node-oidc-provider', () => {
  let server: OidcServer;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    const client = (id: string, metadata: Record<string, unknown>) => ({
      client_id: id,
      client_secret: 'test-secret',
      redirect_uris: [`http://127.0.0.1:${port}/auth`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...metadata,
    });
    server = await startOidcServer({
      clients: [client('jarm-client', { authorization_signed_response_alg: 'RS256' }), client('dpop-client', { dpop_bound_access_tokens: true })],
      env: { OIDC_FEATURES: JSON.stringify({ jwtResponseModes: { enabled: true }, dPoP: { enabled: true } }), OIDC_DOWNGRADE_JARM: '1' },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function project(id: string, clientId: string): Promise<Project> {
    const made = await newProject();
    const added = await runCli(['providers', 'add', id, '--issuer', server.issuer, '--client-id', clientId, '--client-secret-env', 'IDP_SECRET'], { cwd: made.dir, env: made.env });
    expect(added.code, added.stderr).toBe(0);
    return made;
  }

  it('JARM downgrade: plain query parameters where response_mode=jwt was asked are refused by name, nothing exchanged', async () => {
    const made = await project('jarmidp', 'jarm-client');
    const result = await runCli(['login', 'jarmidp', '--response-mode', 'jwt', '--port', String(port), '--timeout', '60'], { cwd: made.dir, env: made.env });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('the authorization response is not the signed JWT this flow asked for (response_mode=jwt); nothing was exchanged');
    // Nothing was exchanged: the provider saw no token request.
    const grants = (await (await fetch(`${server.issuer}/_test/grants`)).json()) as Record<string, number>;
    expect(grants.authorization_code ?? 0).toBe(0);
  });

  it('a DPoP-bound grant refused with invalid_grant: the hint names the DPoP key', async () => {
    const made = await project('dpopidp', 'dpop-client');
    const login = await runCli(['login', 'dpopidp', '--dpop', '--port', String(port)], { cwd: made.dir, env: made.env });
    expect(login.code, login.stderr).toBe(0);
    // The key is lost (the entry copied without it): the refresh goes without a proof.
    const file = join(made.dir, 'data', 'oauthd-cli', 'secrets.json');
    const vault = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, string> };
    const stored = JSON.parse(vault.entries['token:dpopidp:default']!) as Record<string, unknown>;
    delete stored.dpopKey;
    vault.entries['token:dpopidp:default'] = JSON.stringify(stored);
    await writeFile(file, JSON.stringify(vault), { mode: 0o600 });
    const refresh = await runCli(['token', 'refresh', 'dpopidp', '--force'], { cwd: made.dir, env: made.env });
    expect(refresh.code).toBe(1);
    expect(refresh.stderr).toContain('invalid_grant');
    expect(refresh.stderr).toContain('hint: the grant is bound to a DPoP key (RFC 9449)');
  });
});
