// Issue 9 §4 "Secret namespaces", end to end: the real CLI, a real 0600 vault file and a real token
// endpoint on loopback that records what it receives. A keyset whose client secret is
// "keychain:app:<app key>" (or env:OAUTHD_APP_SECRET) once made `login --client-credentials` send
// the app secret to the provider. Now the reference cannot reach it, for a new install and for a
// vault written by an earlier version (app secret at `secret:app:<key>`), while a provider secret
// an earlier `providers add --client-secret-stdin` stored at `secret:<id>` still works.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';

interface Received {
  authorization: string | undefined;
  body: string;
}

let server: Server;
let origin: string;
const received: Received[] = [];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
  });
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    received.push({ authorization: request.headers.authorization, body: await readBody(request) });
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ access_token: 'machine-token', token_type: 'Bearer', expires_in: 3600 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Everything the token endpoint saw, decoded (Basic credentials and the form body). */
function seenSecrets(): string {
  return received
    .map(({ authorization, body }) => {
      const basic = authorization?.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString('utf8') : '';
      return `${authorization ?? ''}\n${decodeURIComponent(basic)}\n${decodeURIComponent(body)}`;
    })
    .join('\n');
}

interface Project {
  dir: string;
  env: Record<string, string>;
  key: string;
  secret: string;
}

/** `init --yes` in a fresh folder with a private HOME and the 0600 vault file, and a provider "acme" whose token URL is the recorder. */
async function project(extraEnv: Record<string, string> = {}): Promise<Project> {
  const dir = (await makeTempDir()).path;
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), OAUTHD_STORE: 'file', OAUTHD_PROVIDERS_DIR: join(dir, 'providers'), ...extraEnv };
  await mkdir(join(dir, 'providers'));
  await writeFile(
    join(dir, 'providers', 'acme.json'),
    JSON.stringify({
      id: 'acme',
      name: 'Acme',
      docs: 'https://example.com/docs',
      oauth2: { authorizeUrl: `${origin}/authorize`, tokenUrl: `${origin}/token`, clientAuth: 'client_secret_basic', pkce: 'supported', scopes: { separator: ' ', default: ['read'] } },
    }),
  );
  const init = await runCli(['init', '--yes', '--json'], { cwd: dir, env });
  expect(init.code, init.stderr).toBe(0);
  const { key, secret } = JSON.parse(init.stdout) as { key: string; secret: string };
  return { dir, env, key, secret };
}

async function setClientSecret(p: Project, reference: string): Promise<void> {
  const path = join(p.dir, 'oauthd.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as { providers: Record<string, unknown> };
  config.providers.acme = { clientId: 'acme-client', clientSecret: reference };
  await writeFile(path, JSON.stringify(config, null, 2));
}

const vaultFile = (p: Project) => join(p.dir, 'data', 'oauthd-cli', 'secrets.json');

async function vaultEntries(p: Project): Promise<Record<string, string>> {
  return (JSON.parse(await readFile(vaultFile(p), 'utf8')) as { entries: Record<string, string> }).entries;
}

/** Rewrites the vault as an earlier version left it: app secret at secret:app:<key>, acme's secret at secret:acme. */
async function legacyVault(p: Project, providerSecret: string): Promise<void> {
  const file = { version: 1, entries: { [`secret:app:${p.key}`]: p.secret, 'secret:acme': providerSecret } };
  await writeFile(vaultFile(p), JSON.stringify(file), { mode: 0o600 });
}

const login = (p: Project, env: Record<string, string> = {}) =>
  runCli(['login', 'acme', '--client-credentials', '--json', '--no-save'], { cwd: p.dir, env: { ...p.env, ...env } });

describe('a client-secret reference aimed at the app secret', () => {
  it('keychain:app:<key> on a new install: refused as a missing secret, the app secret never sent', async () => {
    const p = await project();
    await setClientSecret(p, `keychain:app:${p.key}`);
    received.length = 0;
    for (const reference of [`keychain:app:${p.key}`, `keychain:APP:${p.key}`, `keychain:app-secret:${p.key}`]) {
      await setClientSecret(p, reference);
      const result = await login(p);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('should be in the file');
      expect(result.stderr + result.stdout).not.toContain(p.secret);
    }
    expect(received).toHaveLength(0);
    expect(seenSecrets()).not.toContain(p.secret);
  });

  it('env:OAUTHD_APP_SECRET: refused by name, even when the variable is set', async () => {
    const p = await project();
    await setClientSecret(p, 'env:OAUTHD_APP_SECRET');
    received.length = 0;
    const result = await login(p, { OAUTHD_APP_SECRET: p.secret });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("env:OAUTHD_APP_SECRET names the app secret, which is only for your back end's calls to the broker");
    expect(received).toHaveLength(0);
  });

  it('a vault written by an earlier version: keychain:app:<key> still cannot reach secret:app:<key>; the old provider secret still works', async () => {
    const p = await project();
    await legacyVault(p, 'old-acme-secret');
    received.length = 0;

    await setClientSecret(p, `keychain:app:${p.key}`);
    const refused = await login(p);
    expect(refused.code, refused.stderr).toBe(2);
    expect(received).toHaveLength(0);

    await setClientSecret(p, 'keychain:acme');
    const ok = await login(p);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ access_token: 'machine-token' });
    expect(received).toHaveLength(1);
    expect(seenSecrets()).toContain('acme-client:old-acme-secret');
    expect(seenSecrets()).not.toContain(p.secret);
  });

  it('doctor finds an app secret at its old name and moves it out of reach of references', async () => {
    const p = await project();
    await legacyVault(p, 'old-acme-secret');
    const doctor = await runCli(['doctor'], { cwd: p.dir, env: p.env });
    expect(doctor.stdout).toMatch(/✓ app secret\s+in /);
    const entries = await vaultEntries(p);
    expect(entries[`secret:app:${p.key}`]).toBeUndefined();
    expect(entries[`app-secret:${p.key}`]).toBe(p.secret);
  });
});
