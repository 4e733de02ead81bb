// `oauthd-cli doctor` as a user runs it: the built CLI as a child process in a project folder, a
// real port held by this process, a real OpenID provider for discovery (node-oidc-provider in its own
// process), and a real Secret Service (test/helpers/with-keyring.sh) for the keychain line.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasSecretService, requireComponent } from '../helpers/components.js';

const keyring = requireComponent('secret-service', hasSecretService());
const WITH_KEYRING = ['test/helpers/with-keyring.sh'];
const SECRET = 'gho_doctor-must-never-print-this';

interface Check {
  id: string;
  label: string;
  status: 'pass' | 'warn' | 'fail' | 'info';
  detail: string;
  fix?: string;
}

function checksOf(result: RunCliResult): Check[] {
  try {
    return JSON.parse(result.stdout) as Check[];
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

function statusOf(checks: Check[], id: string): Check['status'] | undefined {
  return checks.find((check) => check.id === id)?.status;
}

interface Project {
  dir: string;
  env: Record<string, string>;
  port: number;
  run(args: string[], extra?: { env?: Record<string, string>; input?: string }): Promise<RunCliResult>;
  editConfig(edit: (config: Record<string, any>) => void): Promise<void>;
}

/** A project folder with oauthd.json (init --yes), its own HOME and data folder, and a free broker port. */
async function project(options: { wrap?: string[]; env?: Record<string, string> } = {}): Promise<Project> {
  const dir = (await makeTempDir()).path;
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), ...options.env };
  const port = await freePort();
  const run = (args: string[], extra: { env?: Record<string, string>; input?: string } = {}) =>
    runCli(args, {
      cwd: dir,
      env: { ...env, ...extra.env },
      ...(options.wrap ? { wrap: options.wrap } : {}),
      ...(extra.input !== undefined ? { input: extra.input } : {}),
    });
  const init = await run(['init', '--yes']);
  expect(init.code, init.stderr).toBe(0);
  const editConfig = async (edit: (config: Record<string, any>) => void) => {
    const file = join(dir, 'oauthd.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    edit(config);
    await writeFile(file, JSON.stringify(config, null, 2));
  };
  await editConfig((config) => {
    config.broker.port = port;
  });
  return { dir, env, port, run, editConfig };
}

/** A provider file for the project's oauthd-providers/ folder. */
function providerFile(id: string, baseUrl: string, params?: Record<string, { description: string }>) {
  return {
    id,
    name: `${id} test provider`,
    docs: 'https://docs.example.com/oauth',
    register: 'https://console.example.com/apps',
    ...(params ? { params } : {}),
    oauth2: {
      authorizeUrl: `${baseUrl}/authorize`,
      tokenUrl: `${baseUrl}/token`,
      clientAuth: 'client_secret_post',
      pkce: 'supported',
      scopes: { separator: ' ', default: ['read'] },
    },
  };
}

/** A port held by something that is not a broker: it takes connections and never answers. */
function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Reading lets each socket see its peer's FIN and close, so close() below does not wait forever
    // for the connection doctor opens to ask whether a broker is there.
    const server = createServer((socket) => socket.resume());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('oauthd-cli doctor', () => {
  it('a healthy setup: one ✓ line per check, exit 0, and the secret never printed', async () => {
    const p = await project();
    const add = await p.run(['providers', 'add', 'github', '--client-id', 'Iv1.abc', '--client-secret-env', 'GH_SECRET']);
    expect(add.code, add.stderr).toBe(0);

    const result = await p.run(['doctor'], { env: { GH_SECRET: SECRET } });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^✓ Node\.js\s+\d+\.\d+\.\d+ \(needs 20\.17 or later\)$/m);
    expect(out).toMatch(new RegExp(`^✓ config\\s+${escape(join(p.dir, 'oauthd.json'))}: app ".+" \\(client flow\\), 1 domain, 1 provider$`, 'm'));
    // No Secret Service in this session: the 0600 file, named with its path.
    expect(out).toMatch(new RegExp(`^✓ store\\s+0600 file ${escape(join(p.dir, 'data', 'oauthd-cli', 'secrets.json'))} \\(1 entry\\); no OS keychain answered`, 'm'));
    expect(out).toMatch(/^✓ app secret\s+in .*secrets\.json \(mode 0600\)$/m);
    expect(out).toMatch(/^✓ github: provider\s+GitHub from .*providers\/github\.json$/m);
    expect(out).toMatch(/^✓ github: client secret\s+\$GH_SECRET is set \(env:GH_SECRET\)$/m);
    expect(out).toMatch(/^✓ github: endpoints\s+\d+ https$/m);
    expect(out).toMatch(/^✓ provider folder\s+none \(.*oauthd-providers\): the shipped catalog only$/m);
    expect(out).toMatch(new RegExp(`^✓ broker port\\s+127\\.0\\.0\\.1:${p.port} is free \\(redirect URI http://127\\.0\\.0\\.1:${p.port}/auth\\)$`, 'm'));
    expect(out).toMatch(/^i browser\s+no display .*login prints the sign-in URL/m);
    expect(out).not.toMatch(/^[✗!]/m);
    expect(result.stderr).toMatch(/✓ no check failed \(\d+ passed\)/);
    expect(out + result.stderr).not.toContain(SECRET);

    const json = await p.run(['doctor', '--json'], { env: { GH_SECRET: SECRET } });
    expect(json.code, json.stderr).toBe(0);
    const checks = checksOf(json);
    expect(checks.map((check) => check.id)).toEqual([
      'node', 'config', 'store', 'app-secret',
      'provider:github:provider', 'provider:github:client secret', 'provider:github:endpoints',
      'provider-folder', 'port', 'browser',
    ]);
    expect(checks.filter((check) => check.status === 'fail')).toEqual([]);
    expect(json.stdout).not.toContain(SECRET);
  });

  it('a broken setup: each failing line with its fix, warnings that do not fail, exit 1', async () => {
    const p = await project();
    const folder = join(p.dir, 'oauthd-providers');
    await mkdir(folder);
    await writeFile(join(folder, 'acme.json'), JSON.stringify(providerFile('acme', 'https://{tenant}.acme.example', { tenant: { description: 'Your Acme tenant' } })));
    await writeFile(join(folder, 'plain.json'), JSON.stringify(providerFile('plain', 'http://auth.plain.example')));
    const add = await p.run(['providers', 'add', 'github', '--client-id', 'Iv1.abc', '--client-secret-env', 'GH_SECRET']);
    expect(add.code, add.stderr).toBe(0);
    const plain = await p.run(['providers', 'add', 'plain', '--client-id', 'p1', '--client-secret-env', 'PLAIN_SECRET']);
    expect(plain.code, plain.stderr).toBe(0);
    // `providers add acme` would refuse a keyset without its tenant; a hand-edited file has one.
    await p.editConfig((config) => {
      config.providers.acme = { clientId: 'a1', clientSecret: 'env:ACME_SECRET' };
    });
    await chmod(join(p.dir, 'data', 'oauthd-cli', 'secrets.json'), 0o644);
    const held = await holdPort(p.port);
    try {
      const result = await p.run(['doctor'], { env: { PLAIN_SECRET: 's', ACME_SECRET: 's' } });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      const lines = result.stdout.split('\n');
      const fixAfter = (pattern: RegExp) => lines[lines.findIndex((line) => pattern.test(line)) + 1];

      expect(result.stdout).toMatch(/^✗ store\s+file .*secrets\.json has mode 0644: other users can read the secrets in it$/m);
      expect(fixAfter(/^✗ store/)).toMatch(/^\s+fix: chmod 600 .*secrets\.json$/);

      expect(result.stdout).toMatch(/^✗ github: client secret\s+the client secret of github comes from \$GH_SECRET, which is not set$/m);
      expect(fixAfter(/^✗ github: client secret/)).toMatch(/^\s+fix: export GH_SECRET=… before running$/);

      expect(result.stdout).toMatch(/^✗ acme: parameters\s+acme: .*tenant/m);
      expect(fixAfter(/^✗ acme: parameters/)).toMatch(/^\s+fix: set it with: oauthd-cli providers add acme --param tenant=…$/);

      expect(result.stdout).toMatch(/^! plain: endpoints\s+plain http, not https: authorize http:\/\/auth\.plain\.example\/authorize, token http:\/\/auth\.plain\.example\/token/m);
      expect(fixAfter(/^! plain: endpoints/)).toMatch(/^\s+fix: use the provider's https URLs \(edit .*oauthd-providers\/plain\.json\)$/);

      expect(result.stdout).toMatch(new RegExp(`^✗ broker port\\s+127\\.0\\.0\\.1:${p.port} is in use`, 'm'));
      expect(fixAfter(/^✗ broker port/)).toMatch(/^\s+fix: stop the other process, or set another broker\.port/);

      expect(result.stdout).toMatch(/^✓ provider folder\s+.*oauthd-providers: 2 provider files valid$/m);
      expect(result.stderr).toMatch(/^error: 4 of \d+ checks failed, 1 warned$/m);
      expect(result.stderr).toContain('hint: apply the fix under each ✗ line');

      const checks = checksOf(await p.run(['doctor', '--json'], { env: { PLAIN_SECRET: 's', ACME_SECRET: 's' } }));
      expect(checks.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual([
        'store', 'provider:github:client secret', 'provider:acme:parameters', 'port',
      ]);
      expect(statusOf(checks, 'provider:plain:endpoints')).toBe('warn');
      expect(checks.find((check) => check.id === 'port')?.fix).toContain('broker.port');
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  });

  it('without a usable config: says how to make one; over SSH, says how login reaches a browser', async () => {
    const dir = (await makeTempDir()).path;
    const missing = await runCli(['doctor'], { cwd: dir, env: { HOME: dir, SSH_CONNECTION: '10.0.0.2 50000 10.0.0.1 22' } });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(new RegExp(`^✗ config\\s+no config file: no oauthd\\.json in ${escape(dir)} nor in any folder above it$`, 'm'));
    expect(missing.stdout).toMatch(/^\s+fix: run `oauthd-cli init` in your project folder/m);
    expect(missing.stdout).toMatch(/^i browser\s+SSH session: login prints the sign-in URL .*ssh -L 6284:127\.0\.0\.1:6284/m);

    await writeFile(join(dir, 'oauthd.json'), '{ "app": ');
    await mkdir(join(dir, 'oauthd-providers'));
    await writeFile(join(dir, 'oauthd-providers', 'mine.json'), '{ "id": "mine" }');
    const broken = await runCli(['doctor'], { cwd: dir, env: { HOME: dir } });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^✗ config\s+.*oauthd\.json: invalid JSON/m);
    // Every problem of the file, not the first and a count.
    expect(broken.stdout).toMatch(/^✗ provider folder\s+.*mine\.json has 4 problems:$/m);
    for (const field of ['oauth2', 'oauth1', 'name', 'docs']) {
      expect(broken.stdout).toMatch(new RegExp(`^\\s+/ is missing the required field "${field}"$`, 'm'));
    }
    expect(broken.stdout).toMatch(/^\s+fix: fix each file \(oauthd-cli providers validate checks them again\)/m);
  });

  it('an issuer provider: discovery answers; offline, a warning instead of a hang or a failure', async () => {
    const p = await project();
    const server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${p.port}/auth`] });
    try {
      const add = await p.run(['providers', 'add', 'myidp', '--issuer', server.issuer, '--client-id', 'test-client', '--client-secret-env', 'IDP_SECRET']);
      expect(add.code, add.stderr).toBe(0);
      const online = await p.run(['doctor'], { env: { IDP_SECRET: 'test-secret' } });
      expect(online.code, online.stdout + online.stderr).toBe(0);
      expect(online.stdout).toMatch(new RegExp(`^✓ myidp: provider\\s+issuer ${escape(server.issuer)}, endpoints cached \\d{4}-\\d{2}-\\d{2}$`, 'm'));
      expect(online.stdout).toMatch(/^✓ myidp: endpoints\s+\d+ https or loopback \(\d+ on plain http, local only\)$/m);
      expect(online.stdout).toMatch(new RegExp(`^✓ myidp: discovery\\s+${escape(server.issuer)} answers \\(authorize ${escape(server.issuer)}/`, 'm'));
    } finally {
      await server.stop();
    }
    const offline = await p.run(['doctor'], { env: { IDP_SECRET: 'test-secret' } });
    expect(offline.code, offline.stdout + offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/^! myidp: discovery\s+cannot read http:\/\/127\.0\.0\.1:\d+\/.well-known\/openid-configuration: discovery: cannot reach 127\.0\.0\.1:\d+ \(connection refused\)$/m);
    expect(offline.stdout).toMatch(/^\s+fix: check the network/m);
    expect(offline.stderr).toMatch(/no check failed \(\d+ passed, 1 warning\)/);
  });

  describe.skipIf(!keyring)('with a Secret Service', () => {
    it('names the keychain backend, and finds the secrets kept in it', async () => {
      const keyringDir = (await makeTempDir('oauthd-cli-keyring-')).path;
      const p = await project({ wrap: WITH_KEYRING, env: { WITH_KEYRING_DIR: keyringDir } });
      const add = await p.run(['providers', 'add', 'github', '--client-id', 'Iv1.abc', '--client-secret-stdin'], { input: SECRET });
      expect(add.code, add.stderr).toBe(0);

      const result = await p.run(['doctor']);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^✓ store\s+OS keychain: Secret Service \(GNOME Keyring \/ KWallet\) \(2 entries of oauthd-cli\)$/m);
      expect(result.stdout).toMatch(/^✓ app secret\s+in the Secret Service/m);
      expect(result.stdout).toMatch(/^✓ github: client secret\s+in the Secret Service .*\(keychain:github\)$/m);
      expect(result.stdout).not.toContain('0600 file');
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
