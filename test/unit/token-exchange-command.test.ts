// `token exchange --save` in-process (src/cli/commands/token-exchange.ts): the real command table,
// an in-memory vault, and a provider (test/helpers/fake-provider.ts) whose token endpoint also
// answers the token-exchange grant as this test says. What --save keeps, replaces and refuses;
// test/integration/token-exchange.test.ts runs it against node-oidc-provider.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/oauth/http.js';
import { commandContext, jsonResponse, MemoryVault, memoryVaults } from '../helpers/fake-factory.js';
import { CLIENT, FakeProvider, IDP, providerFile } from '../helpers/fake-provider.js';
import { makeTempDir } from '../helpers/run-cli.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

async function project(issuedTokenType: string, options: { keychain?: boolean } = {}) {
  const dir = (await makeTempDir()).path;
  const provider = new FakeProvider();
  const vaults = memoryVaults(options.keychain ? { keychain: new MemoryVault('keychain', 'Secret Service (GNOME Keyring / KWallet)') } : {});
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), IDP_SECRET: CLIENT.secret, OAUTHD_PROVIDERS_DIR: join(dir, 'providers') };
  await mkdir(join(dir, 'providers'));
  await writeFile(join(dir, 'providers', 'myidp.json'), JSON.stringify({ ...providerFile(), oidc: { issuer: IDP } }));
  const exchanges: URLSearchParams[] = [];
  // The fake provider, with a token exchange: a live subject token for a new token of the same user.
  const http: HttpClient = async (request) => {
    const form = new URLSearchParams(request.body ?? '');
    if (request.url === `${IDP}/token` && form.get('grant_type') === GRANT) {
      exchanges.push(form);
      const subject = provider.access.get(form.get('subject_token') ?? '');
      if (!subject?.active) return jsonResponse(request, 400, { error: 'invalid_grant' });
      const issued = provider.issue(subject.sub, 'openid profile');
      return jsonResponse(request, 200, { access_token: issued.access_token, issued_token_type: issuedTokenType, token_type: 'Bearer', expires_in: 600, scope: 'openid profile' });
    }
    return provider.http(request);
  };
  const run = async (args: string[]) => {
    const t = commandContext({ cwd: dir, env, http, vault: vaults.open });
    const code = await t.cli(args);
    return { code, stdout: t.stdout(), stderr: t.stderr() };
  };
  for (const args of [['init', '--yes'], ['providers', 'add', 'myidp', '--client-id', CLIENT.id, '--client-secret-env', 'IDP_SECRET']]) {
    const result = await run(args);
    expect(result.code, result.stderr).toBe(0);
  }
  return { provider, vaults, exchanges, run };
}

describe('token exchange --save, in-process', () => {
  it('--store chooses where --save keeps the token, as for login; without --save it is refused before anything is sent', async () => {
    const p = await project('urn:ietf:params:oauth:token-type:access_token', { keychain: true });
    const subject = p.provider.issue('alice').access_token;
    const inKeychain = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--save', 'k']);
    expect(inKeychain.code, inKeychain.stderr).toBe(0);
    expect(p.vaults.keychain!.entries.has('token:myidp:k')).toBe(true);
    const inFile = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--save', 'f', '--store', 'file']);
    expect(inFile.code, inFile.stderr).toBe(0);
    expect(p.vaults.file.entries.has('token:myidp:f')).toBe(true);
    expect(p.vaults.keychain!.entries.has('token:myidp:f')).toBe(false);
    expect(inFile.stderr).toContain('Kept the exchanged token in');

    const sent = p.exchanges.length;
    const alone = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--store', 'file']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^error: --store says where --save keeps the token, and there is no --save\nhint: add --save PROFILE, or drop --store\n$/);
    const bad = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--save', 'x', '--store', 'disk']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'disk'");
    expect(p.exchanges.length).toBe(sent);
  });

  it('keeps the token under the profile (--json stays pure JSON), me --profile uses it, a second --save replaces it and says so', async () => {
    const p = await project('urn:ietf:params:oauth:token-type:access_token');
    const subject = p.provider.issue('alice').access_token;
    const first = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--audience', 'a', '--audience', 'b', '--save', 'narrow', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const token = JSON.parse(first.stdout) as { access_token: string };
    expect(p.exchanges[0]!.getAll('audience')).toEqual(['a', 'b']);
    const kept = JSON.parse(p.vaults.file.entries.get('token:myidp:narrow')!) as { token: { access_token: string }; issuer: string; subject?: string };
    expect(kept.token.access_token).toBe(token.access_token);
    expect(kept.issuer).toBe(IDP);
    expect(kept.subject).toBeUndefined();
    expect(first.stderr).toContain('profile "narrow"');
    expect(first.stderr).not.toContain('replaced');

    const me = await p.run(['me', 'myidp', '--profile', 'narrow', '--json']);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: 'alice' });

    const second = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--save', 'narrow']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('it replaced the myidp token kept there before');
    expect(second.stdout).toContain('kept in');
    expect(JSON.parse(p.vaults.file.entries.get('token:myidp:narrow')!).token.access_token).not.toBe(token.access_token);
  });

  it('an issued token that is not an access token is printed, not kept, exit 1; asking for one with --save is refused before sending', async () => {
    const p = await project('urn:ietf:params:oauth:token-type:id_token');
    const subject = p.provider.issue('bob').access_token;
    const result = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--save', 'idt']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Exchanged at');
    expect(result.stderr).toMatch(/^error: not kept: issued_token_type is id_token, not an access token$/m);
    expect(p.vaults.file.entries.has('token:myidp:idt')).toBe(false);

    const asked = await p.run(['token', 'exchange', 'myidp', '--subject-token', subject, '--requested-token-type', 'refresh_token', '--save', 'rt']);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('--save keeps access tokens, and --requested-token-type asks for urn:ietf:params:oauth:token-type:refresh_token');
    expect(p.exchanges).toHaveLength(1);
  });
});
