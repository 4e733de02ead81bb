// `oauthd-cli providers list | show | validate | discover` as a user runs them: the shipped catalog,
// and a real OpenID provider (node-oidc-provider in its own process) for discovery — down to a login
// with the discovered provider, its id_token verified. The commands run in-process (runInProcess:
// the real command table and HTTP client, an in-memory vault); the catalog listing and the login
// run as the built CLI in a child process.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateProvider } from '../../src/providers/validate.js';
import { browserCommand, makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { runInProcess } from '../helpers/fake-factory.js';
import { oidcServerForBroker } from '../helpers/oidc-server.js';
import { hasChromium, requireComponent } from '../helpers/components.js';

const chromium = requireComponent('chromium', hasChromium());

function json<T = Record<string, unknown>>(result: RunCliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A folder with an oauthd.json, so commands see a project (and its oauthd-providers/ folder). */
async function project(env: Record<string, string> = {}): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = (await makeTempDir()).path;
  const all = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), ...env };
  const init = await runInProcess(['init', '--yes', '--json'], { cwd: dir, env: all });
  expect(init.code, init.stderr).toBe(0);
  return { dir, env: all };
}

describe('providers list', () => {
  it('lists the whole catalog, as a table and as JSON', async () => {
    const table = await runCli(['providers', 'list']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(220);
    const rows = json<Array<{ id: string }>>(await runInProcess(['providers', 'list', '--json']));
    expect(rows.length).toBeGreaterThanOrEqual(220);
    expect(rows.map((row) => row.id)).toEqual(expect.arrayContaining(['github', 'google', 'sandbox']));
  });

  it('filters by id or name', async () => {
    const rows = json<Array<{ id: string; name: string }>>(await runInProcess(['providers', 'list', 'git', '--json']));
    expect(rows.map((row) => row.id)).toEqual(expect.arrayContaining(['github', 'gitlab']));
    expect(rows.every((row) => `${row.id} ${row.name.toLowerCase()}`.includes('git'))).toBe(true);
    expect(rows.map((row) => row.id)).not.toContain('google');
  });
});

describe('providers show', () => {
  it('github: tells exactly what to register, and where', async () => {
    const result = await runInProcess(['providers', 'show', 'github']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/register at\s+https:\/\/github\.com\/settings\/applications\/new/);
    expect(result.stdout).toMatch(/redirect URI\s+http:\/\/127\.0\.0\.1:6284\/auth\s+← register exactly this/);
    expect(result.stdout).toContain('--port N changes the port');
    expect(result.stdout).toMatch(/token\s+https:\/\/github\.com\/login\/oauth\/access_token/);
    expect(result.stdout).toMatch(/client auth\s+client_secret_post/);
    expect(result.stdout).toMatch(/repo\s+Full control of private repositories/);
    expect(result.stdout).toMatch(/configured\s+no/);
  });

  it('uses the port of oauthd.json, fills templates with the keyset, and shows the secret only as its reference', async () => {
    const { dir, env } = await project({ MS_SECRET: 'super-secret-value' });
    const config = JSON.parse(await readFile(join(dir, 'oauthd.json'), 'utf8')) as { broker: { port: number } };
    config.broker.port = 7000;
    await writeFile(join(dir, 'oauthd.json'), JSON.stringify(config));
    const add = await runInProcess(
      ['providers', 'add', 'microsoft', '--client-id', 'cid-123', '--client-secret-env', 'MS_SECRET', '--param', 'tenant=contoso.com'],
      { cwd: dir, env },
    );
    expect(add.code, add.stderr).toBe(0);

    const result = await runInProcess(['providers', 'show', 'microsoft'], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('http://127.0.0.1:7000/auth');
    expect(result.stdout).toContain('https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token');
    expect(result.stdout).toContain('= https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token');
    expect(result.stdout).toMatch(/\{tenant\}\s+Directory \(tenant\) id/);
    expect(result.stdout).toContain('read from $MS_SECRET at run time');
    expect(result.stdout + result.stderr).not.toContain('super-secret-value');

    const described = json<Record<string, any>>(await runInProcess(['providers', 'show', 'microsoft', '--json'], { cwd: dir, env }));
    expect(described).toMatchObject({
      id: 'microsoft',
      redirectUri: 'http://127.0.0.1:7000/auth',
      configured: true,
      keyset: { clientId: 'cid-123', clientSecret: 'env:MS_SECRET', params: { tenant: 'contoso.com' } },
    });
  });

  it('--json prints the provider description as pure JSON', async () => {
    const result = await runInProcess(['providers', 'show', 'github', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const described = json<Record<string, any>>(result);
    expect(described).toMatchObject({ id: 'github', register: 'https://github.com/settings/applications/new', redirectUri: 'http://127.0.0.1:6284/auth', configured: false });
    const { redirectUri: _uri, configured: _configured, source: _source, templateValues: _values, endpoints: _endpoints, ...spec } = described;
    expect(validateProvider(spec, 'github')).toEqual([]);
  });

  it('an unknown id is a usage error naming the closest ids', async () => {
    const result = await runInProcess(['providers', 'show', 'gihtub']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown provider "gihtub"');
    expect(result.stderr).toMatch(/did you mean .*github/);
    expect(result.stdout).toBe('');
  });
});

describe('providers validate', () => {
  it('the shipped catalog is valid', async () => {
    const result = await runInProcess(['providers', 'validate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/✓ \d{3} provider file\(s\) valid/);
  });

  it('reports every problem of a broken file with its JSON path, and exits 2', async () => {
    const dir = (await makeTempDir()).path;
    const github = JSON.parse(await readFile(join('providers', 'github.json'), 'utf8')) as Record<string, any>;
    github.id = 'broken';
    github.oauth2.tokenUrl = 'ftp://github.com/login/oauth/access_token';
    github.oauth2.pkce = 'maybe';
    delete github.$schema;
    await writeFile(join(dir, 'broken.json'), JSON.stringify(github, null, 2));
    const result = await runInProcess(['providers', 'validate', 'broken.json'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^broken\.json: \/oauth2\/tokenUrl must match/m);
    expect(result.stderr).toMatch(/^broken\.json: \/oauth2\/pkce must be one of/m);
    expect(result.stderr).toContain('1 of 1 provider file(s) have problems (2 in all)');
  });

  it('checks the project\'s provider folder along with the catalog', async () => {
    const { dir, env } = await project();
    const folder = join(dir, 'oauthd-providers');
    await mkdir(folder);
    await writeFile(join(folder, 'mine.json'), '{ "id": "mine", ');
    const result = await runInProcess(['providers', 'validate'], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^oauthd-providers\/mine\.json: \/ invalid JSON at line 1/m);
  });

  it('a file that does not exist is a clear error', async () => {
    const result = await runInProcess(['providers', 'validate', 'no-such-provider.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: no such file: no-such-provider.json');
  });
});

describe('providers discover', () => {
  const oidc = oidcServerForBroker();

  it('builds a valid provider from a real discovery document', async () => {
    const result = await runInProcess(['providers', 'discover', oidc.server.issuer, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const spec = json<Record<string, any>>(result);
    expect(validateProvider(spec)).toEqual([]);
    expect(spec).toMatchObject({
      oidc: { issuer: oidc.server.issuer },
      oauth2: {
        authorizeUrl: `${oidc.server.issuer}/auth`,
        tokenUrl: `${oidc.server.issuer}/token`,
        clientAuth: 'client_secret_basic',
        pkce: 'supported',
        refresh: true,
        revoke: { url: `${oidc.server.issuer}/token/revocation` },
        scopes: { default: ['openid', 'profile', 'email'] },
      },
    });

    const summary = await runInProcess(['providers', 'discover', oidc.server.issuer]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain(`${oidc.server.issuer} is an OpenID provider`);
    expect(summary.stdout).toMatch(/token\s+http:\/\/127\.0\.0\.1:\d+\/token/);
    expect(summary.stdout).toContain('Not saved');
  });

  it('an issuer without a discovery document is a clear error', async () => {
    const result = await runInProcess(['providers', 'discover', `${oidc.server.issuer}/nothing-here`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no discovery document');
  });

  it('--save keeps a file in the project folder that show, list and validate read, and never overwrites silently', async () => {
    const { dir, env } = await project();
    const saved = await runInProcess(['providers', 'discover', oidc.server.issuer, '--save', 'myidp', '--name', 'My IdP'], { cwd: dir, env });
    expect(saved.code, saved.stderr).toBe(0);
    const file = join(dir, 'oauthd-providers', 'myidp.json');
    expect(saved.stdout).toContain(`Saved to ${file}`);
    const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(validateProvider(written, 'myidp')).toEqual([]);
    expect(written).toMatchObject({ id: 'myidp', name: 'My IdP' });

    const shown = await runInProcess(['providers', 'show', 'myidp'], { cwd: dir, env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`source         ${file}`);
    const listed = json<Array<{ id: string }>>(await runInProcess(['providers', 'list', 'myidp', '--json'], { cwd: dir, env }));
    expect(listed.map((row) => row.id)).toEqual(['myidp']);
    const validated = await runInProcess(['providers', 'validate'], { cwd: dir, env });
    expect(validated.code, validated.stderr).toBe(0);

    const again = await runInProcess(['providers', 'discover', oidc.server.issuer, '--save', 'myidp'], { cwd: dir, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists already');
    const shadow = await runInProcess(['providers', 'discover', oidc.server.issuer, '--save', 'github'], { cwd: dir, env });
    expect(shadow.code).toBe(2);
    expect(shadow.stderr).toContain('"github" is a provider of the shipped catalog');
  });

  it('--save writes into $OAUTHD_PROVIDERS_DIR when it names a folder', async () => {
    const { dir, env } = await project();
    const shared = join(dir, 'team-providers');
    const withFolder = { ...env, OAUTHD_PROVIDERS_DIR: shared };
    const saved = await runInProcess(['providers', 'discover', oidc.server.issuer, '--save', 'teamidp'], { cwd: dir, env: withFolder });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain(`Saved to ${join(shared, 'teamidp.json')}`);
    const shown = await runInProcess(['providers', 'show', 'teamidp', '--json'], { cwd: dir, env: withFolder });
    expect(json(shown).source).toEqual({ kind: 'file', file: join(shared, 'teamidp.json') });
  });

  it.skipIf(!chromium)('a provider added by discovery logs in with its id_token verified', async () => {
    const { dir, env } = await project({ IDP_SECRET: 'test-secret', BROWSER: browserCommand() });
    const saved = await runInProcess(['providers', 'discover', oidc.server.issuer, '--save', 'myidp'], { cwd: dir, env });
    expect(saved.code, saved.stderr).toBe(0);
    const add = await runInProcess(['providers', 'add', 'myidp', '--client-id', 'test-client', '--client-secret-env', 'IDP_SECRET'], { cwd: dir, env });
    expect(add.code, add.stderr).toBe(0);
    const login = await runCli(['login', 'myidp', '--port', String(oidc.port), '--json', '--no-save', '--verbose'], { cwd: dir, env });
    expect(login.code, login.stderr).toBe(0);
    expect(json(login).id_token).toEqual(expect.any(String));
    for (const check of ['id_token signature', 'id_token iss', 'id_token aud', 'id_token nonce']) {
      expect(login.stderr).toMatch(new RegExp(`pass\\s+${check}`));
    }
    expect(login.stderr).not.toContain('FAIL');
  });
});
