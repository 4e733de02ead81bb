// Registering a client that authenticates with its certificate (RFC 8705 §2.1 tls_client_auth,
// §2.2 self_signed_tls_client_auth) by `providers register --cert --key` (RFC 7591), against
// node-oidc-provider in its own process with open registration and mTLS on (an https listener
// named in mtls_endpoint_aliases, trusting the test's CA), then a real login in Chromium whose token
// request at the alias the server accepts only with that certificate. Certificates are made by the
// test (test/helpers/certificates.ts); the CLI trusts the server's through NODE_EXTRA_CA_CERTS.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issue, makeCa, type Issued } from '../helpers/certificates.js';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { newProject, type Project } from '../helpers/project.js';

vi.setConfig({ testTimeout: 180_000 });

const chromium = requireComponent('chromium', hasChromium());

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

describe('providers register --cert --key (RFC 8705) against node-oidc-provider over https', () => {
  let server: OidcServer;
  let mtlsPort = 0;
  let ca: Issued;
  let issued: Issued;
  let selfSigned: Issued;
  let files = '';

  beforeAll(async () => {
    mtlsPort = await freePort();
    ca = await makeCa();
    const serverCert = await issue('CN=127.0.0.1', { ca, ip: '127.0.0.1' });
    issued = await issue('CN=registered-mtls-client', { ca });
    selfSigned = await issue('CN=registered-self-signed-client');
    files = (await makeTempDir()).path;
    await writeFile(join(files, 'ca.pem'), ca.cert);
    await writeFile(join(files, 'server.pem'), serverCert.cert);
    await writeFile(join(files, 'server.key'), serverCert.key);
    server = await startOidcServer({
      clients: [],
      env: {
        OIDC_REGISTRATION: 'open',
        OIDC_MTLS_PORT: String(mtlsPort),
        OIDC_MTLS_CERT: join(files, 'server.pem'),
        OIDC_MTLS_KEY: join(files, 'server.key'),
        OIDC_MTLS_CA: join(files, 'ca.pem'),
        OIDC_CONFIG: JSON.stringify({ clientAuthMethods: ['tls_client_auth', 'self_signed_tls_client_auth', 'client_secret_basic', 'none'] }),
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function project(): Promise<Project> {
    const made = await newProject({ NODE_EXTRA_CA_CERTS: join(files, 'ca.pem') });
    for (const [name, cert] of [['issued', issued], ['self', selfSigned]] as const) {
      await writeFile(join(made.dir, `${name}.crt`), cert.cert);
      await writeFile(join(made.dir, `${name}.key`), cert.key, { mode: 0o600 });
    }
    return made;
  }

  async function atServer(clientId: string): Promise<Record<string, any>> {
    const registration = ((await (await fetch(`${server.issuer}/_test/registrations`)).json()) as Array<{ client_id: string; registration_access_token: string }>).find(
      (entry) => entry.client_id === clientId,
    )!;
    return (await (await fetch(`${server.issuer}/reg/${clientId}`, { headers: { authorization: `Bearer ${registration.registration_access_token}` } })).json()) as Record<string, any>;
  }

  it.skipIf(!chromium)('self_signed_tls_client_auth: the certificate is registered (x5c, no private part), the keyset names the files, a login shows it at the token alias; another certificate is refused', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    const registered = await run(['providers', 'register', server.issuer, '--save', 'selfreg', '--auth-method', 'self_signed_tls_client_auth', '--cert', 'self.crt', '--key', 'self.key', '--json']);
    expect(registered.code, registered.stderr).toBe(0);
    const answer = json(registered);
    expect(answer).toMatchObject({ token_endpoint_auth_method: 'self_signed_tls_client_auth' });
    expect(answer.client_secret).toBeUndefined();
    const held = await atServer(answer.client_id as string);
    expect(held.jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', x5c: [selfSigned.cert.replace(/-----[^-]+-----|\s/g, '')] });
    expect(held.jwks.keys[0].d).toBeUndefined();
    const config = JSON.parse(await readFile(join(p.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, Record<string, any>> };
    expect(config.providers.selfreg).toMatchObject({ authMethod: 'self_signed_tls_client_auth', clientCert: `file:${join(p.dir, 'self.crt')}`, clientKey: `file:${join(p.dir, 'self.key')}` });

    const login = await run(['login', 'selfreg', '--port', '0', '--json', '--verbose']);
    expect(login.code, login.stderr).toBe(0);
    expect(json(login).access_token).toEqual(expect.any(String));
    expect(login.stderr).toContain(`x5t#S256 ${selfSigned.thumbprint}: authenticates the client (self_signed_tls_client_auth)`);

    // The CA-issued certificate is not the registered one: the token endpoint refuses it.
    const other = await run(['login', 'selfreg', '--port', '0', '--cert', 'issued.crt', '--key', 'issued.key', '--json']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('invalid_client');
    oneLineError(other);
  });

  it.skipIf(!chromium)('tls_client_auth: the subject DN is registered, a login with the CA-issued certificate works', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    const registered = await run(['providers', 'register', server.issuer, '--save', 'tlsreg', '--auth-method', 'tls_client_auth', '--cert', 'issued.crt', '--key', 'issued.key', '--json']);
    expect(registered.code, registered.stderr).toBe(0);
    const held = await atServer(json(registered).client_id as string);
    expect(held).toMatchObject({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=registered-mtls-client' });
    const login = await run(['login', 'tlsreg', '--port', '0', '--json']);
    expect(login.code, login.stderr).toBe(0);
    expect(json(login).access_token).toEqual(expect.any(String));
  });

  it('refusals before any request: no --cert, --cert with another method, a key that is not the certificate\'s', async () => {
    const p = await project();
    const run = (args: string[]) => runCli(args, { cwd: p.dir, env: p.env });
    const before = ((await (await fetch(`${server.issuer}/_test/registrations`)).json()) as unknown[]).length;
    const cases: Array<[string[], string]> = [
      [['--auth-method', 'tls_client_auth'], '--auth-method tls_client_auth needs --cert FILE --key FILE'],
      [['--cert', 'issued.crt', '--key', 'issued.key'], '--cert goes with --auth-method tls_client_auth or self_signed_tls_client_auth'],
      [['--auth-method', 'self_signed_tls_client_auth', '--cert', 'self.crt', '--key', 'issued.key'], '--cert self.crt does not match --key issued.key'],
      [['--auth-method', 'self_signed_tls_client_auth', '--cert', 'missing.crt', '--key', 'self.key'], '--cert missing.crt: no such file'],
    ];
    for (const [flags, message] of cases) {
      const result = await run(['providers', 'register', server.issuer, '--save', 'bad', ...flags]);
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(message);
      oneLineError(result);
    }
    expect(((await (await fetch(`${server.issuer}/_test/registrations`)).json()) as unknown[]).length).toBe(before);
  });
});
