// Commands take what they build their work from out of the context's factory (src/cli/factory.ts):
// the prompts of init and providers add, login's browser opener and vault, the HTTP client. Each run
// here is in-process, with a fake in the factory; a command that reached for @inquirer/prompts,
// `open`, the real vault or a client of its own would not see it (and would hang on a prompt, open
// nothing, or write a file this test finds absent).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchClient } from '../../src/oauth/http.js';
import { autoApprove } from '../../src/sandbox/auto-approve.js';
import { commandContext, memoryVaults } from '../helpers/fake-factory.js';
import { makeTempDir } from '../helpers/run-cli.js';

describe('the factory on the context', () => {
  it('init asks its questions through the factory\'s prompter and keeps the app secret in the factory\'s vault', async () => {
    const dir = (await makeTempDir()).path;
    const vaults = memoryVaults();
    const asked: string[] = [];
    const t = commandContext({
      cwd: dir,
      env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data') },
      vault: vaults.open,
      stdinIsTTY: true,
      prompter: {
        input: async ({ message }) => {
          asked.push(message);
          return message === 'App name' ? 'demo' : 'http://localhost:3000, https://app.example.com';
        },
        select: async <Value extends string>({ message }: { message: string }) => {
          asked.push(message);
          return 'server' as Value;
        },
      },
    });
    expect(await t.cli(['init', '--json']), t.stderr()).toBe(0);
    expect(asked).toEqual(['App name', 'Flow', 'Allowed domains (comma-separated; host, scheme://host, scheme://host:port or a full URL)']);
    const config = JSON.parse(await readFile(join(dir, 'oauthd.json'), 'utf8')) as { app: { name: string; flow: string; key: string; domains: string[] } };
    expect(config.app).toMatchObject({ name: 'demo', flow: 'server', domains: ['http://localhost:3000', 'https://app.example.com'] });
    const printed = JSON.parse(t.stdout()) as { key: string; secret: string };
    expect(vaults.file.entries.get(`app-secret:${config.app.key}`)).toBe(printed.secret);
    expect(existsSync(join(dir, 'data', 'oauthd-cli', 'secrets.json'))).toBe(false);
  });

  it('providers add --client-secret-stdin on a terminal reads the secret with the factory\'s password prompt', async () => {
    const dir = (await makeTempDir()).path;
    const vaults = memoryVaults();
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
    expect(await commandContext({ cwd: dir, env, vault: vaults.open }).cli(['init', '--yes'])).toBe(0);
    const prompts: Array<{ message: string; mask?: string | boolean }> = [];
    const t = commandContext({
      cwd: dir,
      env,
      vault: vaults.open,
      stdinIsTTY: true,
      prompter: {
        password: async (config) => {
          prompts.push({ message: config.message, mask: config.mask ?? false });
          return 's3cret';
        },
      },
    });
    expect(await t.cli(['providers', 'add', 'github', '--client-id', 'Iv1.abc', '--client-secret-stdin']), t.stderr()).toBe(0);
    expect(prompts).toEqual([{ message: 'Client secret for GitHub', mask: '*' }]);
    expect(vaults.file.entries.get('ref:github')).toBe('s3cret');
    expect(t.stdout()).toContain(`client secret  kept in ${vaults.file.location} (mode 0600)`);
  });

  it('login opens the sign-in with the factory\'s browser opener, and keeps the token in the factory\'s vault', async () => {
    const dir = (await makeTempDir()).path;
    const vaults = memoryVaults();
    const opened: string[] = [];
    const t = commandContext({
      cwd: dir,
      // A display: login opens a browser instead of signing in to the sandbox by itself.
      env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), DISPLAY: ':0' },
      vault: vaults.open,
      http: fetchClient(),
      openBrowser: async (url) => {
        opened.push(url);
        // The sandbox's own user agent plays the person at the browser.
        void autoApprove(url);
        return 'the test browser';
      },
    });
    expect(await t.cli(['login', 'sandbox', '--port', '0', '--json']), t.stderr()).toBe(0);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(t.stderr()).toContain(`Opened the test browser at ${opened[0]}`);
    const token = JSON.parse(t.stdout()) as { access_token: string };
    const kept = JSON.parse(vaults.file.entries.get('token:sandbox:default') as string) as { token: { access_token: string }; subject: string };
    expect(kept.token.access_token).toBe(token.access_token);
    expect(kept.subject).toBe('developer');
    expect(existsSync(join(dir, 'data', 'oauthd-cli', 'secrets.json'))).toBe(false);
  });
});
