// Ctrl-C and Ctrl-D at every prompt, typed on a real pseudo-terminal: the init wizard and the
// client-secret prompt (@inquirer/prompts, raw mode), and the pasted-URL prompt of login (cooked
// mode: the terminal turns ^C into SIGINT and ^D into the end of input). Each ends with a quiet
// "cancelled", 130 for Ctrl-C and 1 for Ctrl-D, and leaves every file as it was.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { CTRL_C, CTRL_D, runInPty, type PtyResult } from '../helpers/pty.js';
import { onPath, requireComponent } from '../helpers/components.js';

const hasScript = requireComponent('script', onPath('script'));

interface Home {
  root: string;
  app: string;
  env: Record<string, string | undefined>;
}

/** A private HOME (no keychain: the 0600 file holds secrets) with an empty app folder in it. */
async function newHome(): Promise<Home> {
  const root = (await makeTempDir('oauthd-cli-pty-')).path;
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: root,
    XDG_DATA_HOME: join(root, '.local/share'),
    XDG_CONFIG_HOME: join(root, '.config'),
    XDG_STATE_HOME: join(root, '.local/state'),
    XDG_CACHE_HOME: join(root, '.cache'),
    NO_COLOR: '1',
  };
  // Without CI too: under CI=true the spinner would not draw (nor hide the cursor) as it does for a
  // person at a terminal.
  for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'SSH_CONNECTION', 'OAUTHD_CONFIG', 'OAUTHD_APP_SECRET', 'OAUTHD_PROVIDERS_DIR', 'OAUTHD_STORE', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'FORCE_COLOR', 'CI']) {
    delete env[name];
  }
  const app = join(root, 'app');
  await mkdir(app);
  return { root, app, env };
}

/** Every file under the HOME with its content: what "nothing half-written" compares. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path)] = await readFile(path, 'utf8');
  }
  return files;
}

function expectCancelled(result: PtyResult, code: number): void {
  expect(result.timedOut, result.output).toBe(false);
  expect(result.code, result.output).toBe(code);
  expect(result.output).toMatch(/cancelled\r?\n/);
  // Whole words only: the printed authorization URL carries random state and PKCE values ("…r6BUGvMS…").
  expect(result.output).not.toMatch(/\bbug\b|force closed|error:/i);
}

describe.skipIf(!hasScript)('Ctrl-C and Ctrl-D at a prompt', () => {
  describe('the init wizard', () => {
    it('Ctrl-C at the first question: cancelled, 130, no oauthd.json and no app secret', async () => {
      const home = await newHome();
      const result = await runInPty(['init'], { cwd: home.app, env: home.env, steps: [{ waitFor: 'App name', send: CTRL_C }] });
      expectCancelled(result, 130);
      expect(await snapshot(home.root)).toEqual({});
    });

    it('Ctrl-C at the last question, after two answers: still nothing written', async () => {
      const home = await newHome();
      const result = await runInPty(['init'], {
        cwd: home.app,
        env: home.env,
        steps: [
          { waitFor: 'App name', send: 'demo\r' },
          { waitFor: 'Flow', send: '\r' },
          { waitFor: 'Allowed domains', send: CTRL_C },
        ],
      });
      expectCancelled(result, 130);
      expect(await snapshot(home.root)).toEqual({});
    });

    it('Ctrl-D (end of input) at a question: cancelled, 1, nothing written', async () => {
      const home = await newHome();
      const result = await runInPty(['init'], {
        cwd: home.app,
        env: home.env,
        steps: [
          { waitFor: 'App name', send: 'demo\r' },
          { waitFor: 'Flow', send: CTRL_D },
        ],
      });
      expectCancelled(result, 1);
      expect(await snapshot(home.root)).toEqual({});
    });
  });

  describe('providers add --client-secret-stdin on a terminal', () => {
    for (const [key, name, code] of [[CTRL_C, 'Ctrl-C', 130], [CTRL_D, 'Ctrl-D', 1]] as const) {
      it(`${name} at the secret prompt: cancelled, ${code}, no keyset added and no secret stored`, async () => {
        const home = await newHome();
        const init = await runCli(['init', '--yes'], { cwd: home.app, env: home.env });
        expect(init.code, init.stderr).toBe(0);
        const before = await snapshot(home.root);

        const result = await runInPty(['providers', 'add', 'github', '--client-id', 'Iv1.abc', '--client-secret-stdin'], {
          cwd: home.app,
          env: home.env,
          steps: [{ waitFor: 'Client secret for GitHub', send: key }],
        });
        expectCancelled(result, code);
        expect(await snapshot(home.root)).toEqual(before);
      });
    }
  });

  describe('the pasted-URL prompt of login', () => {
    for (const [key, name, code] of [[CTRL_C, 'Ctrl-C', 130], [CTRL_D, 'Ctrl-D', 1]] as const) {
      it(`${name} while login waits for a pasted URL: cancelled, ${code}, no token kept, the cursor shown again`, async () => {
        const home = await newHome();
        const result = await runInPty(['login', 'sandbox', '--no-browser', '--port', '0'], {
          cwd: home.app,
          env: home.env,
          steps: [{ waitFor: 'paste that whole address here', send: key }],
        });
        expectCancelled(result, code);
        // The waiting spinner hid the cursor; whoever ends the wait gives it back.
        expect(result.output).toContain('\x1b[?25l');
        expect(result.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(result.output.lastIndexOf('\x1b[?25l'));

        const tokens = await runCli(['token', 'list', '--json'], { cwd: home.app, env: home.env });
        expect(tokens.code, tokens.stderr).toBe(0);
        expect(JSON.parse(tokens.stdout)).toEqual([]);
      });
    }
  });
});
