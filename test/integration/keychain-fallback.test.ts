// Where secrets go when the OS keychain is missing, as a newcomer meets it: the fallback to the
// 0600 file is said once per data folder in plain words (doctor keeps the raw reason), and a
// keychain forced with OAUTHD_STORE that is not there stops login before the sign-in, not after
// it. "No keychain" is real here: the CLI runs without a session bus; "a keychain" is a real
// Secret Service (gnome-keyring in a private D-Bus session, test/helpers/with-keyring.sh).
import { access, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { hasSecretService, requireComponent } from '../helpers/components.js';

const keyring = requireComponent('secret-service', hasSecretService());
const NOTICE = 'No OS keychain here';

async function project() {
  const home = (await makeTempDir()).path;
  const data = join(home, 'data');
  const env = { HOME: home, XDG_DATA_HOME: data };
  return { home, env, dataDir: join(data, 'oauthd-cli') };
}

function ok(result: RunCliResult): RunCliResult {
  expect(result.code, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
  return result;
}

const exists = (path: string) => access(path).then(() => true, () => false);

describe('no OS keychain: the file fallback', () => {
  it('is said once per data folder, in plain words, across saving commands; doctor keeps the reason', async () => {
    const p = await project();
    const run = (args: string[], input?: string) => runCli(args, { cwd: p.home, env: p.env, ...(input !== undefined ? { input } : {}) });
    const init = ok(await run(['init', '--yes']));
    const first = ok(await run(['login', 'sandbox', '--port', '0', '--auto-approve', '--profile', 'one']));
    const second = ok(await run(['login', 'sandbox', '--port', '0', '--auto-approve', '--profile', 'two']));
    const third = ok(await run(['providers', 'add', 'github', '--client-id', 'Iv1.test', '--client-secret-stdin'], 'a-client-secret'));

    const all = [first, second, third].map((result) => result.stderr).join('\n');
    // init stored the app secret, so init said it; nothing after it says it again.
    expect(init.stderr.match(new RegExp(NOTICE, 'g'))).toHaveLength(1);
    expect(all).not.toContain(NOTICE);
    const said = (await readFile(join(p.dataDir, 'no-keychain-notice'), 'utf8'));
    expect(said).toContain('no OS keychain answered');
    // Plain words only: no raw library error reaches the notice.
    expect([init.stderr, all].join('\n')).not.toMatch(/zbus|D-Bus|dbus/i);

    const doctor = await run(['doctor']);
    expect(doctor.stdout).toMatch(/store\s+0600 file .*secrets\.json \(\d+ entries\); no OS keychain answered \(.+\)/);
  });

  it('says it on the first saving command of a fresh data folder, and only there', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.home, env: p.env });
    const first = ok(await run(['login', 'sandbox', '--port', '0', '--auto-approve']));
    expect(first.stderr.match(new RegExp(NOTICE, 'g'))).toHaveLength(1);
    expect(first.stderr).toContain(`${join(p.dataDir, 'secrets.json')}, readable only by you (mode 0600)`);
    expect(first.stderr).not.toMatch(/zbus/i);
    const again = ok(await run(['login', 'sandbox', '--port', '0', '--auto-approve']));
    expect(again.stderr).not.toContain(NOTICE);
    // --debug shows the raw reason every time, for whoever asks.
    const debug = ok(await run(['--debug', 'login', 'sandbox', '--port', '0', '--auto-approve']));
    expect(debug.stderr).toMatch(/debug: no OS keychain answered: .+/);
    expect(debug.stderr).not.toContain(NOTICE);
  });

  it('OAUTHD_STORE=keychain stops login before the sign-in, and no token is half-kept', async () => {
    const p = await project();
    const result = await runCli(['login', 'sandbox', '--port', '0', '--auto-approve'], { cwd: p.home, env: { ...p.env, OAUTHD_STORE: 'keychain' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: the OS keychain is not available');
    expect(result.stderr).toContain('OAUTHD_STORE=file');
    // The sign-in never started: no broker, no sandbox page, nothing written.
    expect(result.stderr).not.toContain('Completing the sandbox sign-in');
    expect(result.stdout).toBe('');
    expect(await exists(join(p.dataDir, 'secrets.json'))).toBe(false);
  });
});

describe.skipIf(!keyring)('with a real Secret Service', () => {
  it('OAUTHD_STORE=keychain keeps the token there; no fallback notice, and a later fallback is news again', async () => {
    const p = await project();
    // As if the fallback had been said in an earlier session without a keychain.
    await mkdir(p.dataDir, { recursive: true });
    await writeFile(join(p.dataDir, 'no-keychain-notice'), 'said\n');
    const keyringDir = (await makeTempDir('oauthd-keyring-')).path;
    const env = { ...p.env, OAUTHD_STORE: 'keychain', WITH_KEYRING_DIR: keyringDir };
    const login = ok(await runCli(['login', 'sandbox', '--port', '0', '--auto-approve'], { cwd: p.home, env, wrap: ['test/helpers/with-keyring.sh'] }));
    expect(login.stdout).toMatch(/saved\s+the Secret Service/);
    expect(login.stderr).not.toContain(NOTICE);
    expect(await exists(join(p.dataDir, 'secrets.json'))).toBe(false);
    expect(await exists(join(p.dataDir, 'no-keychain-notice'))).toBe(false);

    const list = ok(await runCli(['token', 'list'], { cwd: p.home, env, wrap: ['test/helpers/with-keyring.sh'] }));
    expect(list.stdout).toMatch(/^sandbox\s+default\s+developer\s+keychain\s+/m);

    // The keychain gone again: said again, once.
    const fallback = ok(await runCli(['login', 'sandbox', '--port', '0', '--auto-approve'], { cwd: p.home, env: p.env }));
    expect(fallback.stderr.match(new RegExp(NOTICE, 'g'))).toHaveLength(1);
  });
});
