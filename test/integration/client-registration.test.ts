// Dynamic client registration (RFC 7591, RFC 7592): `providers register` against node-oidc-provider
// in its own process with registration behind an initial access token, then a login with the new
// client in Chromium, and `providers unregister`; the secrets rest in a real Secret Service and in
// no file. And offline: a client registered at the `sandbox` command's provider, then `login`.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { newProject, type Project } from '../helpers/project.js';
import { startMockSandbox, type MockSandbox } from '../helpers/mock-sandbox.js';
import { hasChromium, hasSecretService, requireComponent } from '../helpers/components.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

vi.setConfig({ testTimeout: 180_000 });

const chromium = requireComponent('chromium', hasChromium());
const keyring = requireComponent('secret-service', hasSecretService());

const INITIAL_ACCESS_TOKEN = 'iat-for-oauthd-cli-tests-0123456789';

interface Registration {
  client_id: string;
  client_secret?: string;
  registration_access_token?: string;
}

async function registrations(server: OidcServer): Promise<Registration[]> {
  return (await (await fetch(`${server.issuer}/_test/registrations`)).json()) as Registration[];
}

/** Every file under `dir`, read whole (the project, its HOME and its data folder). */
async function filesUnder(dir: string): Promise<Array<{ path: string; text: string }>> {
  const files: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, text: await readFile(path, 'latin1').catch(() => '') });
  }
  return files;
}

function oneLineError(result: RunCliResult): void {
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
}

describe.skipIf(!chromium || !keyring)('providers register against node-oidc-provider (RFC 7591, an initial access token required)', () => {
  let server: OidcServer;
  beforeAll(async () => {
    server = await startOidcServer({ clients: [], env: { OIDC_REGISTRATION: INITIAL_ACCESS_TOKEN } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a wrong initial access token: refused, explained, nothing kept', async () => {
    const project = await newProject();
    const before = await readFile(join(project.dir, 'oauthd.json'), 'utf8');
    const result = await runCli(['providers', 'register', server.issuer, '--save', 'myreg', '--initial-access-token-stdin'], { cwd: project.dir, env: project.env, input: 'not-the-token\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/registration endpoint refused/);
    expect(result.stderr).toMatch(/initial access token/);
    oneLineError(result);
    expect(await readFile(join(project.dir, 'oauthd.json'), 'utf8')).toBe(before);
    expect(await registrations(server)).toHaveLength(0);
  });

  it('registered with the right token: login works with the new client at once, no secret in any file, unregister deletes it at the provider', async () => {
    const project = await newProject();
    const keyringDir = (await makeTempDir('oauthd-cli-keyring-')).path;
    const env = { ...project.env, WITH_KEYRING_DIR: keyringDir };
    const run = (args: string[], input?: string) => runCli(args, { cwd: project.dir, env, wrap: ['test/helpers/with-keyring.sh'], ...(input !== undefined ? { input } : {}) });

    const registered = await run(['providers', 'register', server.issuer, '--save', 'myreg', '--initial-access-token-stdin'], INITIAL_ACCESS_TOKEN);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toContain('kept in the Secret Service');
    const [answer] = await registrations(server);
    expect(answer?.client_secret).toEqual(expect.any(String));
    expect(answer?.registration_access_token).toEqual(expect.any(String));

    // oauthd.json: the client id, references, the management URI; never a secret.
    const config = JSON.parse(await readFile(join(project.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, Record<string, any>> };
    expect(config.providers.myreg).toMatchObject({
      clientId: answer!.client_id,
      clientSecret: 'keychain:myreg',
      issuer: server.issuer,
      registration: { clientUri: `${server.issuer}/reg/${answer!.client_id}`, accessToken: 'keychain:myreg.registration' },
    });

    // The new client signs in (Chromium at the provider's own pages), with the loopback redirect URI registered.
    const login = await run(['login', 'myreg', '--port', '0', '--json']);
    expect(login.code, login.stderr).toBe(0);
    expect((JSON.parse(login.stdout) as { access_token?: string }).access_token).toEqual(expect.any(String));

    // Neither secret rests in any file of the project, its HOME or its data folder.
    for (const file of await filesUnder(project.dir)) {
      expect(file.text.includes(answer!.client_secret!), file.path).toBe(false);
      expect(file.text.includes(answer!.registration_access_token!), file.path).toBe(false);
    }

    const unregistered = await run(['providers', 'unregister', 'myreg']);
    expect(unregistered.code, unregistered.stderr).toBe(0);
    // RFC 7592 §2.3: the provider no longer has the client.
    const read = await fetch(`${server.issuer}/reg/${answer!.client_id}`, { headers: { authorization: `Bearer ${answer!.registration_access_token}` } });
    expect(read.status).toBe(401);
    const after = JSON.parse(await readFile(join(project.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, unknown> };
    expect(after.providers.myreg).toBeUndefined();
  });

  it('a server without a registration endpoint: exit 2 naming the metadata field, nothing registered', async () => {
    const plain = await startOidcServer({ clients: [] });
    try {
      const project = await newProject();
      const result = await runCli(['providers', 'register', plain.issuer, '--save', 'x'], { cwd: project.dir, env: project.env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('its metadata has no registration_endpoint');
      oneLineError(result);
    } finally {
      await plain.stop();
    }
  });
});

describe('providers register at the sandbox (offline)', () => {
  let sandbox: MockSandbox;
  beforeAll(async () => {
    sandbox = await startMockSandbox(['--auto-approve']);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('register --save mysb, then login mysb: the registered client gets a token, then CIBA works with it too', async () => {
    const project: Project = await newProject({ BROWSER: `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'test', 'helpers', 'redirect-browser.mjs'))}` });
    const registered = await runCli(['providers', 'register', sandbox.issuer, '--save', 'mysb', '--json'], { cwd: project.dir, env: project.env });
    expect(registered.code, registered.stderr).toBe(0);
    const answer = JSON.parse(registered.stdout) as Record<string, unknown>;
    expect(answer).toMatchObject({ provider: 'mysb', client_secret: 'keychain:mysb', registration_access_token: 'keychain:mysb.registration' });
    // Not the sandbox's built-in client: a new one.
    expect(answer.client_id).not.toBe(sandbox.clientId);
    expect(answer.grant_types).toContain('urn:openid:params:grant-type:ciba');

    const login = await runCli(['login', 'mysb', '--port', '0', '--json', '--no-save'], { cwd: project.dir, env: project.env });
    expect(login.code, login.stderr).toBe(0);
    expect((JSON.parse(login.stdout) as { access_token?: string }).access_token).toEqual(expect.any(String));

    const ciba = await runCli(['login', 'mysb', '--ciba', '--login-hint', 'alice', '--json', '--no-save'], { cwd: project.dir, env: project.env });
    expect(ciba.code, ciba.stderr).toBe(0);
  });
});
