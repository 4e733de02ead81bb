// `oauthd-cli serve` picks up edits of oauthd.json while it runs (a real serve child process, the
// file saved as an editor does): a valid edit applies at the next request, a broken one is
// reported with every problem on stderr and the last good config keeps serving, and what a
// running broker cannot change says "restart to apply".
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';
import { writeFileAtomic } from '../../src/util/fs.js';

async function until(check: () => Promise<boolean> | boolean, what: string, broker: ServeProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; serve said:\n${broker.stderr()}`);
}

describe('serve reloads oauthd.json', () => {
  it('applies a valid edit, keeps the last good config on a broken one, and says what needs a restart', async () => {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
    const init = await runCli(['init', '--yes', '--json', '--domain', 'http://localhost:3000'], { cwd: dir, env });
    expect(init.code, init.stderr).toBe(0);
    const { key } = JSON.parse(init.stdout) as { key: string };
    const file = join(dir, 'oauthd.json');
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    const save = (edit: (config: Record<string, any>) => void) => {
      const config = structuredClone(original);
      edit(config);
      return writeFileAtomic(file, JSON.stringify(config, null, 2));
    };

    const broker = await startServe({ cwd: dir, env, args: ['--port', '0', '--sandbox'] });
    try {
      /** The popup's first request, from a page at `page`: its status and, for a refusal, the whitelist named. */
      const start = async (page: string) => {
        const response = await fetch(`${broker.origin}/auth/sandbox?k=${key}`, { redirect: 'manual', headers: { referer: page } });
        const body = await response.text();
        return { status: response.status, whitelist: /now: ([^)]*)\)/.exec(body)?.[1] };
      };
      expect(await start('http://app.test:5000/')).toEqual({ status: 403, whitelist: 'http://localhost:3000' });

      // A valid edit: the new domain is accepted from the next request on.
      await save((config) => config.app.domains.push('http://app.test:5000'));
      await until(async () => (await start('http://app.test:5000/')).status === 302, 'the new domain', broker);
      expect(broker.stderr()).toContain(`${file} reloaded: app.domains changed; domains now http://localhost:3000, http://app.test:5000.`);
      // The refusal page names the whitelist now in force.
      expect(await start('http://evil.test/')).toEqual({ status: 403, whitelist: 'http://localhost:3000, http://app.test:5000' });

      // A broken edit: every problem on stderr, and the last good config keeps serving.
      await save((config) => {
        config.app.domains = ['http://other.test'];
        config.app.flow = 'both';
        config.broker.colour = 'red';
      });
      await until(() => broker.stderr().includes('still serving the last good config'), 'the broken-file warning', broker);
      expect(broker.stderr()).toContain(
        [
          `warning: ${file} has 2 problems; still serving the last good config:`,
          '  /app/flow must be one of "client", "server"',
          '  /broker has an unknown field "colour"',
        ].join('\n'),
      );
      expect((await start('http://app.test:5000/')).status).toBe(302);
      expect((await start('http://other.test/')).status).toBe(403);

      // Fixed, with a broker change that cannot apply live.
      await save((config) => {
        config.app.domains = ['http://other.test'];
        config.broker.port = 1;
      });
      await until(async () => (await start('http://other.test/')).status === 302, 'the fixed file', broker);
      await until(() => broker.stderr().includes('restart serve to apply'), 'the restart notice', broker);
      expect(broker.stderr()).toContain(`warning: broker.port changed in ${file}: restart serve to apply`);
      expect((await start('http://app.test:5000/')).status).toBe(403);
      // Still answering where it listened.
      expect((await fetch(`${broker.origin}/sandbox/.well-known/openid-configuration`)).status).toBe(200);
    } finally {
      expect(await broker.stop()).toBe(0);
    }
  });
});
