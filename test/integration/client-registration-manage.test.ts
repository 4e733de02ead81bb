// Managing a registered client (RFC 7592) and registering one that authenticates with a key
// (RFC 7591 jwks, RFC 7523 private_key_jwt), against node-oidc-provider in its own process with
// open registration and management on (test/fixtures/oidc-server.mjs), then real logins in
// Chromium with the client as the server now knows it. The vault is the 0600 file here
// (OAUTHD_STORE=file), so the test can see that a rotated token went there and nowhere else.
import { generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { newProject, type Project } from '../helpers/project.js';
import { hasChromium, requireComponent } from '../helpers/components.js';

vi.setConfig({ testTimeout: 180_000 });

const chromium = requireComponent('chromium', hasChromium());

interface Registration {
  client_id: string;
  client_secret?: string;
  registration_access_token?: string;
}

async function registrations(server: OidcServer): Promise<Registration[]> {
  return (await (await fetch(`${server.issuer}/_test/registrations`)).json()) as Registration[];
}

function json(result: RunCliResult): Record<string, any> {
  try {
    return JSON.parse(result.stdout) as Record<string, any>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

function oneLineError(result: RunCliResult): void {
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
}

/** The 0600 file vault's entries (src/vault/file.ts). */
async function vaultEntries(project: Project): Promise<Record<string, string>> {
  return (JSON.parse(await readFile(join(project.env.XDG_DATA_HOME!, 'oauthd-cli', 'secrets.json'), 'utf8')) as { entries: Record<string, string> }).entries;
}

/** Every file of the project but the vault, read whole. */
async function filesBesideTheVault(project: Project): Promise<Array<{ path: string; text: string }>> {
  const files: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(project.dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name === 'secrets.json') continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ path, text: await readFile(path, 'latin1').catch(() => '') });
  }
  return files;
}

/**
 * The authorization endpoint's own view of a redirect URI for the client (RFC 6749 §3.1.2.3): a
 * registered one is taken (a redirect to the sign-in), another refused with an error page (400).
 */
async function authorizationStatus(server: OidcServer, clientId: string, redirectUri: string): Promise<number> {
  const url = new URL(`${server.issuer}/auth`);
  url.search = new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 'test-state-0123456789' }).toString();
  return (await fetch(url, { redirect: 'manual' })).status;
}

describe('RFC 7592 and private_key_jwt registration against node-oidc-provider', () => {
  let server: OidcServer;
  beforeAll(async () => {
    server = await startOidcServer({ clients: [], env: { OIDC_REGISTRATION: 'open', OIDC_CIBA: '1' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function project(): Promise<Project> {
    const made = await newProject({ OAUTHD_STORE: 'file' });
    return made;
  }

  it('providers registration reads the registered metadata (§2.1): what the server holds, the secrets as references', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    const registered = await run(['providers', 'register', server.issuer, '--save', 'readme', '--redirect-uri', 'http://127.0.0.1:9/first', '--client-name', 'first name', '--scope', 'openid email']);
    expect(registered.code, registered.stderr).toBe(0);
    const answer = (await registrations(server)).at(-1)!;

    const read = await run(['providers', 'registration', 'readme', '--json']);
    expect(read.code, read.stderr).toBe(0);
    expect(json(read)).toMatchObject({
      provider: 'readme',
      client_id: answer.client_id,
      client_secret: 'keychain:readme',
      registration_access_token: 'keychain:readme.registration',
      registration_client_uri: `${server.issuer}/reg/${answer.client_id}`,
      redirect_uris: ['http://127.0.0.1:9/first'],
      client_name: 'first name',
      scope: 'openid email',
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'native',
    });
    // Never a secret on stdout or stderr.
    for (const secret of [answer.client_secret!, answer.registration_access_token!]) {
      expect(read.stdout + read.stderr).not.toContain(secret);
    }
    const readable = await run(['providers', 'registration', 'readme']);
    expect(readable.code, readable.stderr).toBe(0);
    expect(readable.stdout).toMatch(/redirect URIs\s+http:\/\/127\.0\.0\.1:9\/first/);
    expect(readable.stdout).toMatch(/client name\s+first name/);

    // A keyset that providers register did not make has no client configuration endpoint here.
    const add = await run(['providers', 'add', 'plain', '--issuer', server.issuer, '--client-id', 'someone', '--client-secret-env', 'IDP_SECRET']);
    expect(add.code, add.stderr).toBe(0);
    const notRegistered = await run(['providers', 'registration', 'plain']);
    expect(notRegistered.code).toBe(2);
    expect(notRegistered.stderr).toContain('plain was not registered by oauthd-cli');
    oneLineError(notRegistered);
  });

  it.skipIf(!chromium)('providers registration --redirect-uri updates the client at the server (§2.2): the new URI signs in, the old is refused, the rotated token is kept in the vault only', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    // Registered with a redirect URI login does not use: the authorization endpoint refuses login's.
    const registered = await run(['providers', 'register', server.issuer, '--save', 'moving', '--redirect-uri', 'http://127.0.0.1:9/old-callback', '--json']);
    expect(registered.code, registered.stderr).toBe(0);
    const answer = (await registrations(server)).at(-1)!;
    const clientId = answer.client_id;
    expect(await authorizationStatus(server, clientId, 'http://127.0.0.1:9/old-callback')).toBe(303);
    expect(await authorizationStatus(server, clientId, 'http://127.0.0.1:9/auth')).toBe(400);
    expect((await vaultEntries(p))['ref:moving.registration']).toBe(answer.registration_access_token);

    const updated = await run(['providers', 'registration', 'moving', '--redirect-uri', 'http://127.0.0.1:9/auth', '--client-name', 'moved']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/Updated client/);
    expect(updated.stdout).toMatch(/redirect URIs\s+http:\/\/127\.0\.0\.1:9\/auth$/m);
    // node-oidc-provider rotates the registration access token on every update (RFC 7592 §2.2).
    expect(updated.stdout).toContain('rotated');

    // The server's view: the new URI (any loopback port: a native client, RFC 8252 §7.3) is taken, the old refused.
    expect(await authorizationStatus(server, clientId, 'http://127.0.0.1:9/auth')).toBe(303);
    expect(await authorizationStatus(server, clientId, 'http://127.0.0.1:9/old-callback')).toBe(400);
    // The old registration access token is dead; the new one rests in the vault, under the same reference, and nowhere else.
    const old = await fetch(`${server.issuer}/reg/${clientId}`, { headers: { authorization: `Bearer ${answer.registration_access_token}` } });
    expect(old.status).toBe(401);
    const rotated = (await vaultEntries(p))['ref:moving.registration']!;
    expect(rotated).toEqual(expect.any(String));
    expect(rotated).not.toBe(answer.registration_access_token);
    const atServer = await fetch(`${server.issuer}/reg/${clientId}`, { headers: { authorization: `Bearer ${rotated}` } });
    expect(atServer.status).toBe(200);
    expect(await atServer.json()).toMatchObject({ client_name: 'moved', redirect_uris: ['http://127.0.0.1:9/auth'], token_endpoint_auth_method: 'client_secret_basic' });
    const config = JSON.parse(await readFile(join(p.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, Record<string, any>> };
    expect(config.providers.moving).toMatchObject({ clientSecret: 'keychain:moving', registration: { accessToken: 'keychain:moving.registration' } });
    expect(updated.stdout + updated.stderr).not.toContain(rotated);
    for (const file of await filesBesideTheVault(p)) expect(file.text.includes(rotated), file.path).toBe(false);

    // A real sign-in with the client as it is now (the secret was kept: the update does not send or lose it).
    const login = await run(['login', 'moving', '--port', '0', '--json', '--no-save']);
    expect(login.code, login.stderr).toBe(0);
    expect(json(login).access_token).toEqual(expect.any(String));

    // Reading again works with the rotated token; unregister too.
    const reread = await run(['providers', 'registration', 'moving', '--json']);
    expect(reread.code, reread.stderr).toBe(0);
    expect(json(reread).client_name).toBe('moved');
    const unregistered = await run(['providers', 'unregister', 'moving']);
    expect(unregistered.code, unregistered.stderr).toBe(0);
  });

  it('private_key_jwt: the public JWK is registered (kid, alg, no private part), the key kept in the vault; a login authenticates with the assertion, another key is refused', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await writeFile(join(p.dir, 'client.pem'), pem, { mode: 0o600 });

    const registered = await run(['providers', 'register', server.issuer, '--save', 'keyed', '--auth-method', 'private_key_jwt', '--key', 'client.pem', '--json']);
    expect(registered.code, registered.stderr).toBe(0);
    const answer = json(registered);
    expect(answer).toMatchObject({ provider: 'keyed', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', client_key: 'keychain:keyed.key' });
    expect(answer.client_secret).toBeUndefined();
    const [jwk] = answer.jwks.keys as Array<Record<string, string>>;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', x: publicKey.export({ format: 'jwk' }).x });
    expect(jwk!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jwk!.d).toBeUndefined();
    // The server holds the same public key.
    const held = (await registrations(server)).at(-1)!;
    const atServer = (await (await fetch(`${server.issuer}/reg/${held.client_id}`, { headers: { authorization: `Bearer ${held.registration_access_token}` } })).json()) as Record<string, any>;
    expect(atServer.jwks.keys[0]).toMatchObject({ kid: jwk!.kid, x: jwk!.x, y: jwk!.y });
    expect(JSON.stringify(atServer.jwks)).not.toContain('"d"');

    // oauthd.json names the key by reference; the key itself is in the vault only.
    const config = JSON.parse(await readFile(join(p.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, Record<string, any>> };
    expect(config.providers.keyed).toMatchObject({ authMethod: 'private_key_jwt', clientKey: 'keychain:keyed.key' });
    const privateD = privateKey.export({ format: 'jwk' }).d!;
    expect(JSON.parse((await vaultEntries(p))['ref:keyed.key']!)).toMatchObject({ d: privateD, kid: jwk!.kid, alg: 'ES256' });
    for (const file of await filesBesideTheVault(p)) {
      expect(file.text.includes(privateD), file.path).toBe(false);
      expect(file.text.includes('PRIVATE KEY') && !file.path.endsWith('client.pem'), file.path).toBe(false);
    }

    // A login whose requests carry assertions signed with the registered key (RFC 7523): the
    // server has no secret for this client, so only the assertion authenticates it. CIBA needs no
    // browser; the code flow (below) does.
    const known = ((await (await fetch(`${server.issuer}/_test/ciba`)).json()) as unknown[]).length;
    const ciba = runCli(['login', 'keyed', '--ciba', '--login-hint', 'erin', '--json', '--verbose'], { cwd: p.dir, env: p.env });
    let uid: string | undefined;
    for (let tries = 0; tries < 300 && uid === undefined; tries += 1) {
      const pending = ((await (await fetch(`${server.issuer}/_test/ciba`)).json()) as Array<{ uid: string; clientId: string }>).slice(known);
      uid = pending.find((entry) => entry.clientId === held.client_id)?.uid;
      if (uid === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(uid).toBeDefined();
    await fetch(`${server.issuer}/_test/ciba/${uid}/approve`, { method: 'POST' });
    const cibaResult = await ciba;
    expect(cibaResult.code, cibaResult.stderr).toBe(0);
    expect(cibaResult.stderr).toMatch(new RegExp(`pass\\s+client assertion: private_key_jwt ES256: iss = sub = ${held.client_id}, aud ${server.issuer}/token`));

    // Another key (not the registered one): the server refuses the assertion.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await writeFile(join(p.dir, 'other.pem'), other, { mode: 0o600 });
    const refused = await run(['login', 'keyed', '--ciba', '--login-hint', 'erin', '--key', 'other.pem']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/invalid_client/);
    oneLineError(refused);

    if (chromium) {
      // The code flow in Chromium: the token request at /token authenticates with the vault's key.
      const update = await run(['providers', 'registration', 'keyed', '--redirect-uri', 'http://127.0.0.1:9/auth']);
      expect(update.code, update.stderr).toBe(0);
      const login = await run(['login', 'keyed', '--port', '0', '--json', '--verbose']);
      expect(login.code, login.stderr).toBe(0);
      expect(json(login).access_token).toEqual(expect.any(String));
      expect(login.stderr).toMatch(new RegExp(`pass\\s+client assertion: private_key_jwt ES256: iss = sub = ${held.client_id}, aud ${server.issuer}/token`));
    }

    // unregister deletes the key from the vault with the rest.
    const unregistered = await run(['providers', 'unregister', 'keyed']);
    expect(unregistered.code, unregistered.stderr).toBe(0);
    expect((await vaultEntries(p))['ref:keyed.key']).toBeUndefined();
  });

  it('private_key_jwt refusals, each one line naming the file or flag, exit 2, nothing registered', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(p.dir, 'public.pem'), publicKey.export({ format: 'pem', type: 'spki' }) as string);
    await writeFile(join(p.dir, 'public.jwk'), JSON.stringify(publicKey.export({ format: 'jwk' })));
    await writeFile(join(p.dir, 'private.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const before = (await registrations(server)).length;

    const cases: Array<[string[], RegExp]> = [
      [['--auth-method', 'private_key_jwt', '--key', 'public.pem'], /--key public\.pem holds a public key or a certificate/],
      [['--auth-method', 'private_key_jwt', '--key', 'public.jwk'], /--key public\.jwk is a public JWK/],
      [['--auth-method', 'private_key_jwt', '--key', 'missing.pem'], /--key missing\.pem: no such file/],
      [['--auth-method', 'private_key_jwt'], /--auth-method private_key_jwt needs --key FILE/],
      [['--key', 'private.pem'], /--key goes with --auth-method private_key_jwt/],
    ];
    for (const [flags, message] of cases) {
      const result = await run(['providers', 'register', server.issuer, '--save', 'bad', ...flags]);
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      oneLineError(result);
    }
    expect(await registrations(server)).toHaveLength(before);
    const config = JSON.parse(await readFile(join(p.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, unknown> };
    expect(config.providers.bad).toBeUndefined();
  });
});
