// oauthd.json as a newcomer meets it, through the commands run in-process (runInProcess: the real
// command table, an in-memory vault) and `serve` as the built CLI in a child process: found from any
// subfolder (as git finds its repository), an unknown provider said before a missing file,
// suggestions only when close, domains normalized or refused, every problem of a broken file,
// and `providers validate oauthd.json` checking it as what it is.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, type RunCliResult } from '../helpers/run-cli.js';
import { runInProcess } from '../helpers/fake-factory.js';
import { startServe } from '../helpers/serve.js';

interface Check {
  id: string;
  status: string;
  detail: string;
  fix?: string;
}

const inhouse = {
  id: 'inhouse',
  name: 'In-house IdP',
  docs: 'https://idp.example/docs',
  oauth2: {
    authorizeUrl: 'https://idp.example/authorize',
    tokenUrl: 'https://idp.example/token',
    clientAuth: 'client_secret_basic',
    pkce: 'supported',
    scopes: { separator: ' ', default: ['read'] },
  },
};

/** A project at <tmp>/app with a provider file in app/oauthd-providers/ and a keyset for it, and a deep subfolder. */
async function project(initArgs: string[] = []) {
  const root = (await makeTempDir()).path;
  const dir = join(root, 'app');
  const sub = join(dir, 'web', 'src');
  await mkdir(sub, { recursive: true });
  await mkdir(join(dir, 'oauthd-providers'));
  await writeFile(join(dir, 'oauthd-providers', 'inhouse.json'), JSON.stringify(inhouse));
  const env = { HOME: root, XDG_DATA_HOME: join(root, 'data'), INHOUSE_SECRET: 's3cret' };
  const run = (args: string[], cwd = dir, extra: Record<string, string> = {}) => runInProcess(args, { cwd, env: { ...env, ...extra } });
  const init = await run(['init', '--yes', '--json', ...initArgs]);
  expect(init.code, init.stderr).toBe(0);
  const { key } = JSON.parse(init.stdout) as { key: string };
  return { root, dir, sub, env, run, key, config: join(dir, 'oauthd.json') };
}

function checksOf(result: RunCliResult): Check[] {
  try {
    return JSON.parse(result.stdout) as Check[];
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

async function editConfig(file: string, edit: (config: Record<string, any>) => void): Promise<void> {
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  edit(config);
  await writeFile(file, JSON.stringify(config, null, 2));
}

describe('the config is found like git finds its repository', () => {
  it('from a subfolder, list, doctor and serve use the oauthd.json above and the provider folder beside it', async () => {
    const p = await project(['--domain', 'http://localhost:3000']);
    const add = await p.run(['providers', 'add', 'inhouse', '--client-id', 'app', '--client-secret-env', 'INHOUSE_SECRET']);
    expect(add.code, add.stderr).toBe(0);

    // inhouse exists only in app/oauthd-providers/: listing it proves both the file and the folder were found.
    const list = await p.run(['providers', 'list', '--configured'], p.sub);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^● inhouse\s+In-house IdP/m);
    expect(list.stderr).toContain(`● = configured in ${p.config}`);

    const doctor = await p.run(['doctor', '--json'], p.sub);
    const checks = checksOf(doctor);
    expect(checks.find((check) => check.id === 'config')?.detail).toBe(
      `${p.config} (found above the working folder ${p.sub}): app "app" (client flow), 1 domain, 1 provider`,
    );
    expect(checks.find((check) => check.id === 'provider:inhouse:provider')?.status).toBe('pass');

    const broker = await startServe({ cwd: p.sub, env: p.env, args: ['--port', '0'] });
    try {
      expect(broker.stderr()).toContain(`config ${p.config}`);
      const response = await fetch(`${broker.origin}/auth/inhouse?k=${p.key}`, { redirect: 'manual', headers: { referer: 'http://localhost:3000/' } });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toMatch(/^https:\/\/idp\.example\/authorize\?/);
    } finally {
      expect(await broker.stop()).toBe(0);
    }
  });

  it('--config and OAUTHD_CONFIG still come first', async () => {
    const p = await project();
    await writeFile(join(p.sub, 'other.json'), (await readFile(p.config, 'utf8')).replace('"name": "app"', '"name": "other"'));
    const byFlag = await p.run(['doctor', '--json', '--config', 'other.json'], p.sub);
    expect(checksOf(byFlag).find((check) => check.id === 'config')?.detail).toMatch(
      new RegExp(`^${join(p.sub, 'other.json')} \\(from --config\\): app "other"`),
    );
    const byEnv = await p.run(['doctor', '--json'], p.sub, { OAUTHD_CONFIG: 'other.json' });
    expect(checksOf(byEnv).find((check) => check.id === 'config')?.detail).toMatch(
      new RegExp(`^${join(p.sub, 'other.json')} \\(from \\$OAUTHD_CONFIG\\): app "other"`),
    );
    // A named file that does not exist is not replaced by the one above.
    const missing = await p.run(['serve'], p.sub, { OAUTHD_CONFIG: 'nope.json' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error: no config file at ${join(p.sub, 'nope.json')} (from $OAUTHD_CONFIG)`);
  });

  it('init in a subfolder creates ./oauthd.json there and names the parent\'s file it takes over from', async () => {
    const p = await project();
    const init = await p.run(['init', '--yes'], p.sub);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(`warning: ${p.config} already configures this folder`);
    expect(init.stdout).toContain(`Created ${join(p.sub, 'oauthd.json')}`);
    expect(JSON.parse(await readFile(join(p.sub, 'oauthd.json'), 'utf8'))).toMatchObject({ app: { name: 'src' } });
    // The parent's file is untouched, and the subfolder now uses its own.
    expect(JSON.parse(await readFile(p.config, 'utf8'))).toMatchObject({ app: { name: 'app' } });
    const doctor = await p.run(['doctor', '--json'], p.sub);
    expect(checksOf(doctor).find((check) => check.id === 'config')?.detail).toMatch(new RegExp(`^${join(p.sub, 'oauthd.json')}: app "src"`));
  });

  it('with no file anywhere, says where it looked', async () => {
    const dir = (await makeTempDir()).path;
    const result = await runInProcess(['serve'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: no config file: no oauthd.json in ${dir} nor in any folder above it`);
    const list = await runInProcess(['providers', 'list', '--configured'], { cwd: dir });
    expect(list.stdout).toMatch(/^● sandbox/m);
    expect(list.stderr).toContain(`note: no config file: no oauthd.json in ${dir} nor in any folder above it; only the built-in sandbox is configured`);
  });
});

describe('an unknown provider is said first, with suggestions only when close', () => {
  it('login and providers add without a config: the unknown name, not the missing file', async () => {
    const dir = (await makeTempDir()).path;
    const login = await runInProcess(['login', 'no-such-provider'], { cwd: dir });
    expect(login.code).toBe(2);
    expect(login.stderr).toContain('error: unknown provider "no-such-provider"');
    expect(login.stderr).not.toContain('no config file');

    const typo = await runInProcess(['login', 'gihtub'], { cwd: dir });
    expect(typo.stderr).toContain('error: unknown provider "gihtub"');
    expect(typo.stderr).toContain('hint: did you mean github? (oauthd-cli providers list shows them all)');

    // Far from every name: no "did you mean adobe, apple, box".
    const far = await runInProcess(['login', 'nope'], { cwd: dir });
    expect(far.stderr).toContain('error: unknown provider "nope"');
    expect(far.stderr).toContain('hint: oauthd-cli providers list shows them all');
    expect(far.stderr).not.toContain('did you mean');

    const add = await runInProcess(['providers', 'add', 'gihtub', '--client-id', 'x'], { cwd: dir });
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('error: "gihtub" is not in the catalog');
    expect(add.stderr).toContain('hint: did you mean github?');

    // A known provider without a config: now the missing file is the problem.
    const known = await runInProcess(['login', 'github'], { cwd: dir });
    expect(known.code).toBe(2);
    expect(known.stderr).toContain('error: no config file: no oauthd.json in');
  });
});

describe('domains', () => {
  it('init writes http://localhost:3000/ as the origin, refuses a path without a scheme, warns about a path entry', async () => {
    const p = await project(['--domain', 'http://localhost:3000/']);
    expect(JSON.parse(await readFile(p.config, 'utf8')).app.domains).toEqual(['http://localhost:3000']);

    const refused = await p.run(['init', '--yes', '--force', '--domain', 'localhost:3000/app']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error: "localhost:3000/app" has a path but no scheme');
    expect(JSON.parse(await readFile(p.config, 'utf8')).app.domains).toEqual(['http://localhost:3000']);

    const path = await p.run(['init', '--yes', '--force', '--domain', 'https://app.example.com/cb']);
    expect(path.code, path.stderr).toBe(0);
    expect(path.stderr).toContain('warning: the domain https://app.example.com/cb has a path');
  });

  it('doctor warns when an entry with a path can never match the Origin of API calls', async () => {
    const p = await project();
    await editConfig(p.config, (config) => (config.app.domains = ['https://app.example.com:8443/app/cb']));
    const warned = checksOf(await p.run(['doctor', '--json'])).find((check) => check.id === 'config');
    expect(warned?.status).toBe('warn');
    expect(warned?.detail).toContain('https://app.example.com:8443/app/cb has a path');
    expect(warned?.fix).toBe(`if the page calls APIs through the broker, add https://app.example.com:8443 to app.domains in ${p.config}`);

    await editConfig(p.config, (config) => config.app.domains.push('https://app.example.com:8443'));
    expect(checksOf(await p.run(['doctor', '--json'])).find((check) => check.id === 'config')?.status).toBe('pass');
  });

  it('an entry written with a trailing "/" in the file allows the page\'s API calls (the Origin header)', async () => {
    const p = await project();
    await editConfig(p.config, (config) => (config.app.domains = ['http://localhost:3000/']));
    const broker = await startServe({ cwd: p.dir, env: p.env, args: ['--port', '0', '--sandbox'] });
    try {
      // The CORS preflight of the SDK's /me call carries only an Origin: before, a path "/" never matched it.
      const preflight = await fetch(`${broker.origin}/auth/sandbox/me`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': 'oauthio' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    } finally {
      expect(await broker.stop()).toBe(0);
    }
  });
});

describe('a broken oauthd.json: every problem', () => {
  it('in the CLI and in doctor', async () => {
    const p = await project();
    await editConfig(p.config, (config) => {
      config.app.flow = 'implicit';
      config.app.domains = ['ftp://example.com'];
      config.broker.colour = 'red';
    });
    const list = await p.run(['providers', 'list'], p.sub);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain(
      [
        `error: ${p.config} has 3 problems:`,
        '  /app/flow must be one of "client", "server"',
        '  /broker has an unknown field "colour"',
        '  /app/domains/0 "ftp://example.com" has the scheme ftp: only http and https pages use the broker',
      ].join('\n'),
    );
    expect(list.stderr).not.toContain('more problem');

    const doctor = await p.run(['doctor'], p.sub);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`^✗ config\\s+${p.config} has 3 problems:$`, 'm'));
    expect(doctor.stdout).toMatch(/^\s+\/app\/flow must be one of "client", "server"$/m);
    expect(doctor.stdout).toMatch(/^\s+\/broker has an unknown field "colour"$/m);
    expect(doctor.stdout).toMatch(/^\s+\/app\/domains\/0 "ftp:\/\/example\.com" has the scheme ftp/m);
  });
});

describe('providers validate oauthd.json', () => {
  it('says it is an app config and checks it as one', async () => {
    const p = await project();
    const valid = await p.run(['providers', 'validate', 'oauthd.json']);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stderr).toContain('note: oauthd.json is an app config (oauthd.json), not a provider file: checked as an app config');
    expect(valid.stderr).toContain('✓ oauthd.json: valid app config');
    expect(valid.stderr).not.toContain('/oauth2');

    await editConfig(p.config, (config) => {
      config.app.flow = 'implicit';
      config.broker.port = 'x';
    });
    await writeFile(join(p.dir, 'copy.json'), await readFile(p.config, 'utf8'));
    const broken = await p.run(['providers', 'validate', 'oauthd.json', 'copy.json', 'oauthd-providers/inhouse.json']);
    expect(broken.code).toBe(2);
    // Recognised by its shape too (copy.json), and the provider file still checked as one.
    expect(broken.stderr).toMatch(/^oauthd\.json: \/app\/flow must be one of "client", "server"$/m);
    expect(broken.stderr).toMatch(/^oauthd\.json: \/broker\/port must be integer$/m);
    expect(broken.stderr).toMatch(/^copy\.json: \/app\/flow must be one of/m);
    expect(broken.stderr).not.toMatch(/must have required property 'id'|missing the required field "id"/);
    expect(broken.stderr).toContain('error: the app configs have 4 problems; the 1 provider file(s) are valid');
  });
});
