// The sandbox's file-backed oidc-provider adapter (src/sandbox/adapter.ts), on a real folder: what
// two processes sharing it see, expiry and sweeping, and what the files hold.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileAdapter, sweep } from '../../src/sandbox/adapter.js';
import { makeTempDir } from '../helpers/run-cli.js';

const ISSUER = 'http://127.0.0.1:6284/sandbox';

async function folder(): Promise<string> {
  return (await makeTempDir('oauthd-sandbox-records-')).path;
}

async function texts(dir: string): Promise<string[]> {
  return Promise.all((await readdir(dir)).map((name) => readFile(join(dir, name), 'utf8')));
}

describe('the sandbox adapter', () => {
  it('keeps a record in a 0600 file named by a hash, without the id, and gives the id back on find', async () => {
    const dir = await folder();
    const AccessToken = new (fileAdapter(dir, ISSUER))('AccessToken');
    const id = 'AT-value-the-client-holds-0123456789abcdefgh';
    await AccessToken.upsert(id, { jti: id, kind: 'AccessToken', grantId: 'g1', accountId: 'alice' }, 3600);

    expect(await AccessToken.find(id)).toEqual({ jti: id, kind: 'AccessToken', grantId: 'g1', accountId: 'alice' });
    const [name] = await readdir(dir);
    expect(name).toMatch(/^AccessToken\.[0-9a-f]{64}\.json$/);
    expect((await stat(join(dir, name!))).mode & 0o777).toBe(0o600);
    for (const text of await texts(dir)) expect(text).not.toContain(id);
  });

  it('caches nothing: what one process writes, destroys or consumes, another sees at its next find', async () => {
    const dir = await folder();
    const here = new (fileAdapter(dir, ISSUER))('AuthorizationCode');
    const there = new (fileAdapter(dir, ISSUER))('AuthorizationCode');
    await here.upsert('code-1', { jti: 'code-1', grantId: 'g' }, 60);
    expect(await there.find('code-1')).toMatchObject({ jti: 'code-1' });
    await there.consume('code-1');
    expect(await here.find('code-1')).toMatchObject({ consumed: expect.any(Number) });
    await here.destroy('code-1');
    expect(await there.find('code-1')).toBeUndefined();
  });

  it('finds a session by its uid and a device code by its user code', async () => {
    const dir = await folder();
    const Adapter = fileAdapter(dir, ISSUER);
    await new Adapter('Session').upsert('session-id', { jti: 'session-id', uid: 'uid-1', accountId: 'alice' }, 3600);
    await new Adapter('DeviceCode').upsert('device-code', { jti: 'device-code', userCode: 'BCDFGHJK', grantId: 'g' }, 600);
    expect(await new Adapter('Session').findByUid('uid-1')).toMatchObject({ jti: 'session-id', accountId: 'alice' });
    expect(await new Adapter('DeviceCode').findByUserCode('BCDFGHJK')).toMatchObject({ jti: 'device-code' });
    expect(await new Adapter('DeviceCode').findByUserCode('XXXXXXXX')).toBeUndefined();
  });

  it('a record of one issuer (another port) is unknown to another', async () => {
    const dir = await folder();
    await new (fileAdapter(dir, ISSUER))('AccessToken').upsert('at', { jti: 'at' }, 3600);
    expect(await new (fileAdapter(dir, 'http://127.0.0.1:7000/sandbox'))('AccessToken').find('at')).toBeUndefined();
    expect(await new (fileAdapter(dir, ISSUER))('RefreshToken').find('at')).toBeUndefined();
  });

  it('revokeByGrantId deletes every record of the grant, whatever its model, and nothing else', async () => {
    const dir = await folder();
    const Adapter = fileAdapter(dir, ISSUER);
    await new Adapter('AccessToken').upsert('at-1', { jti: 'at-1', grantId: 'g1' }, 3600);
    await new Adapter('RefreshToken').upsert('rt-1', { jti: 'rt-1', grantId: 'g1' }, 3600);
    await new Adapter('AccessToken').upsert('at-2', { jti: 'at-2', grantId: 'g2' }, 3600);
    await new Adapter('AccessToken').revokeByGrantId('g1');
    expect(await new Adapter('AccessToken').find('at-1')).toBeUndefined();
    expect(await new Adapter('RefreshToken').find('rt-1')).toBeUndefined();
    expect(await new Adapter('AccessToken').find('at-2')).toBeDefined();
  });

  it('an expired record is gone when read, and swept from the folder with its index files', async () => {
    const dir = await folder();
    let now = 1_000_000;
    const Adapter = fileAdapter(dir, ISSUER, () => now);
    await new Adapter('AccessToken').upsert('short', { jti: 'short' }, 10);
    await new Adapter('Session').upsert('s', { jti: 's', uid: 'u' }, 10);
    await new Adapter('Grant').upsert('long', { jti: 'long' }, 1000);
    now += 11_000;
    expect(await new Adapter('AccessToken').find('short')).toBeUndefined();
    expect((await readdir(dir)).some((name) => name.startsWith('AccessToken.'))).toBe(false);
    await sweep(dir, () => now);
    expect((await readdir(dir)).map((name) => name.split('.')[0])).toEqual(['Grant']);
    expect(await new Adapter('Grant').find('long')).toMatchObject({ jti: 'long' });
  });
});
