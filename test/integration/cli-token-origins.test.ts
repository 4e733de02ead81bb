// The CLI's `me` and `request` hold a kept token to the same rules as the broker (issue 9, §1 and
// §4): a token field naming an origin the provider file does not allow (tokenOrigins) is refused
// before anything is sent, and a path may not climb out of the API's base path. The built CLI runs
// as a child process on a kept token written into its 0600 vault file; an internal service on
// loopback counts every request it gets.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type RunCliResult, type TempDir } from '../helpers/run-cli.js';

let hits = 0;
const internal = createServer((_request, response) => {
  hits += 1;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"secret":"internal-only"}');
});
let port: number;
let home: TempDir;
let env: Record<string, string>;

const run = (args: string[]): Promise<RunCliResult> => runCli(args, { cwd: home.path, env });

/** Writes kept tokens straight into the vault file, as `login` would have left them. */
async function keep(tokens: Record<string, Record<string, string>>): Promise<void> {
  const dir = join(env.XDG_DATA_HOME as string, 'oauthd-cli');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const entries: Record<string, string> = {};
  for (const [provider, extra] of Object.entries(tokens)) {
    entries[`token:${provider}:default`] = JSON.stringify({
      version: 1,
      provider,
      profile: 'default',
      token: { access_token: 'kept-token', token_type: 'Bearer', extra },
      obtainedAt: '2026-01-01T00:00:00.000Z',
      requestedScopes: [],
    });
  }
  const file = join(dir, 'secrets.json');
  await writeFile(file, JSON.stringify({ version: 1, entries }));
  await chmod(file, 0o600);
}

function refused(result: RunCliResult, code: number, message: string): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  port = (internal.address() as AddressInfo).port;
  home = await makeTempDir();
  env = { HOME: home.path, XDG_DATA_HOME: join(home.path, 'data'), OAUTHD_STORE: 'file', SF_SECRET: 'unused' };
  for (const args of [['init', '--yes'], ['providers', 'add', 'salesforce', '--client-id', 'sf-client', '--client-secret-env', 'SF_SECRET'], ['providers', 'add', 'pipedrive', '--client-id', 'pd-client', '--client-secret-env', 'SF_SECRET']]) {
    const result = await run(args);
    expect(result.code, result.stderr).toBe(0);
  }
});
afterAll(async () => {
  await new Promise<void>((resolve) => internal.close(() => resolve()));
  await home?.cleanup();
});

describe('the CLI with a kept token', () => {
  it('me and request refuse an instance_url the provider file does not allow, and send nothing', async () => {
    for (const instance of [`http://127.0.0.1:${port}/secret#`, `https://acme.my.salesforce.com@127.0.0.1:${port}`]) {
      await keep({ salesforce: { instance_url: instance } });
      refused(await run(['me', 'salesforce']), 1, 'refusing to send a Salesforce token');
      const request = await run(['request', 'salesforce', '/services/data']);
      refused(request, 1, 'from {token.instance_url}');
      expect(request.stderr).toContain('tokenOrigins.instance_url');
    }
    expect(hits).toBe(0);
  });

  it('request keeps the path under the API base path', async () => {
    await keep({ pipedrive: { api_domain: 'https://acme.pipedrive.com' } });
    for (const path of ['../v2/deals', '%2e%2e/%2e%2e/admin', 'deals/..%2F..%2F..%2Fadmin']) {
      const result = await run(['request', 'pipedrive', path]);
      expect(result.code, path).toBe(2);
      expect(result.stderr, path).toMatch(/outside the API's base path \/api\/v1|decodes to "\." or "\.\."/);
    }
  });
});
