// The catalog's PAR declarations at work (RFC 9126), against a real sandbox process answering as
// the entry (`oauthd-cli sandbox --as auth0 --provider-file …`, node-oidc-provider behind it: the
// look-alike serves PAR at the entry's parUrl and, when the entry says requirePar, refuses every
// authorization request that was not pushed, as node-oidc-provider's own switch does):
//   - auth0 as the catalog ships it: `login auth0 --par` pushes to its declared /oauth/par;
//   - an Auth0 application set to "Require Pushed Authorization Requests" (the entry with
//     requirePar: true, as a project's own copy): `login auth0` pushes with no flag, and the
//     look-alike refuses the plain request a login that ignored requirePar would send.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startMockSandbox, type MockSandbox } from '../helpers/mock-sandbox.js';

const REDIRECT_BROWSER = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'test', 'helpers', 'redirect-browser.mjs'))}`;
/** The look-alike fills {domain} with the entry's example: the keyset names the same tenant. */
const DOMAIN = 'dev-abc123.us.auth0.com';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Project {
  sandbox: MockSandbox;
  spec: { oauth2: { authorizeUrl: string; parUrl?: string; requirePar?: boolean } };
  login(extra: string[]): Promise<RunCliResult>;
}

/** The look-alike of auth0 (the catalog's entry, or `entry` as a project's own copy) and a project signed up to it. */
async function auth0Project(entry?: Record<string, unknown>): Promise<Project> {
  const temp = await makeTempDir();
  cleanups.push(() => temp.cleanup());
  let env: Record<string, string> = {};
  if (entry) {
    const own = join(temp.path, 'entries');
    await mkdir(own, { recursive: true });
    await writeFile(join(own, 'auth0.json'), JSON.stringify(entry));
    env = { OAUTHD_PROVIDERS_DIR: own };
  }
  const file = join(temp.path, 'oauthd-providers', 'auth0.json');
  const sandbox = await startMockSandbox(['--as', 'auth0', '--auto-approve', '--provider-file', file], { env });
  cleanups.push(() => sandbox.stop());
  const projectEnv = { HOME: temp.path, XDG_DATA_HOME: join(temp.path, 'data'), MOCK_SECRET: sandbox.clientSecret, BROWSER: REDIRECT_BROWSER };
  const cli = (args: string[]) => runCli(args, { cwd: temp.path, env: projectEnv, timeoutMs: 90_000 });
  expect((await cli(['init', '--yes'])).code).toBe(0);
  const add = await cli(['providers', 'add', 'auth0', '--client-id', sandbox.clientId, '--client-secret-env', 'MOCK_SECRET', '--param', `domain=${DOMAIN}`]);
  expect(add.code, add.stderr).toBe(0);
  return {
    sandbox,
    spec: JSON.parse(await readFile(file, 'utf8')) as Project['spec'],
    login: (extra) => cli(['login', 'auth0', '--port', '0', '--timeout', '40', '--no-save', '--verbose', ...extra]),
  };
}

const pushedTo = (url: string) => new RegExp(`pass\\s+PAR: pushed to ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; request_uri \\d+ characters, valid \\d+ s`);

describe('the catalog\'s PAR endpoints (RFC 9126) against the sandbox\'s look-alike of the entry', () => {
  it('auth0 as shipped: login --par pushes to its declared /oauth/par, and the browser carries only client_id and request_uri', async () => {
    const project = await auth0Project();
    const parUrl = `${new URL(project.sandbox.issuer).origin}/sandbox/${DOMAIN}/oauth/par`;
    expect(project.spec.oauth2.parUrl).toBe(parUrl);
    const login = await project.login(['--par']);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(pushedTo(parUrl));
    expect(login.stderr).toMatch(/the browser carried only client_id and request_uri/);
    // Optional there: without --par the same entry signs in the plain way.
    const plain = await project.login([]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(/PAR: pushed/);
  });

  it('an Auth0 application that requires PAR (requirePar in the entry): login pushes with no flag; a request not pushed is refused', async () => {
    const catalog = JSON.parse(await readFile(join(REPO_ROOT, 'providers', 'auth0.json'), 'utf8')) as { oauth2: Record<string, unknown> };
    const project = await auth0Project({ ...catalog, oauth2: { ...catalog.oauth2, requirePar: true } });
    expect(project.spec.oauth2.requirePar).toBe(true);

    // What a login that ignored requirePar would send: refused by the server (RFC 9126 §5).
    const authorize = new URL(project.spec.oauth2.authorizeUrl);
    Object.entries({ client_id: project.sandbox.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid', state: 'abcdefgh', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).forEach(([name, value]) => authorize.searchParams.set(name, value));
    const toSandbox = await fetch(authorize, { redirect: 'manual' });
    expect(toSandbox.status).toBe(302);
    const refused = await fetch(new URL(toSandbox.headers.get('location')!, authorize), { redirect: 'manual' });
    const callback = new URL(refused.headers.get('location') ?? 'http://invalid/');
    expect(callback.origin).toBe('http://127.0.0.1:9');
    expect(Object.fromEntries(callback.searchParams)).toMatchObject({ error: 'invalid_request', error_description: 'Pushed Authorization Request must be used', state: 'abcdefgh' });

    const login = await project.login([]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(pushedTo(project.spec.oauth2.parUrl!));
  });
});
