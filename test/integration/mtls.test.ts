// Mutual TLS (RFC 8705) in `login` and the token commands, against node-oidc-provider in its own
// process with its mTLS feature on: an https listener that asks for a client certificate, trusts
// the test's CA (tls_client_auth), binds the tokens it issues to the certificate (cnf.x5t#S256),
// and is named in discovery as the mtls_endpoint_aliases (§5). The issuer itself stays on plain
// http, where the browser signs in. Certificates are made by the test (test/helpers/certificates.ts);
// the CLI trusts the server's through NODE_EXTRA_CA_CERTS, as a user would.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issue, makeCa, type Issued } from '../helpers/certificates.js';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { newProject, type Project } from '../helpers/project.js';

vi.setConfig({ testTimeout: 180_000 });

const chromium = requireComponent('chromium', hasChromium());

function json(result: RunCliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A POST or GET to the fixture's mTLS listener, with or without a client certificate. */
function callMtls(url: string, options: { ca: string; client?: Issued; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, ca: options.ca, ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}), timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(options.body);
  });
}

async function vaultEntry(project: Project, account: string): Promise<Record<string, unknown>> {
  const vault = JSON.parse(await readFile(join(project.dir, 'data', 'oauthd-cli', 'secrets.json'), 'utf8')) as { entries: Record<string, string> };
  return JSON.parse(vault.entries[account]!) as Record<string, unknown>;
}

describe.skipIf(!chromium)('mTLS (RFC 8705) against node-oidc-provider over https', () => {
  let server: OidcServer;
  let port = 0;
  let mtlsPort = 0;
  let ca: Issued;
  let client: Issued;
  let selfSigned: Issued;
  let stranger: Issued;
  let files = '';

  beforeAll(async () => {
    port = await freePort();
    mtlsPort = await freePort();
    ca = await makeCa();
    const serverCert = await issue('CN=127.0.0.1', { ca, ip: '127.0.0.1' });
    client = await issue('CN=oauthd-cli-mtls-client', { ca });
    // Same subject, but from no CA the server trusts: tls_client_auth must refuse it.
    stranger = await issue('CN=oauthd-cli-mtls-client');
    selfSigned = await issue('CN=self-signed-client');
    files = (await makeTempDir()).path;
    await writeFile(join(files, 'ca.pem'), ca.cert);
    await writeFile(join(files, 'server.pem'), serverCert.cert);
    await writeFile(join(files, 'server.key'), serverCert.key);
    const base = {
      redirect_uris: [`http://127.0.0.1:${port}/auth`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      tls_client_certificate_bound_access_tokens: true,
    };
    server = await startOidcServer({
      clients: [
        { ...base, client_id: 'mtls-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: client.subject },
        {
          ...base,
          client_id: 'self-signed-client',
          token_endpoint_auth_method: 'self_signed_tls_client_auth',
          jwks: { keys: [{ kty: 'EC', crv: 'P-256', ...(await exportPublic(selfSigned)), x5c: [selfSigned.cert.replace(/-----[^-]+-----|\s/g, '')] }] },
        },
      ],
      env: {
        OIDC_MTLS_PORT: String(mtlsPort),
        OIDC_MTLS_CERT: join(files, 'server.pem'),
        OIDC_MTLS_KEY: join(files, 'server.key'),
        OIDC_MTLS_CA: join(files, 'ca.pem'),
        // Short-lived tokens: `me` after a while would refresh first.
        OIDC_CONFIG: JSON.stringify({ clientAuthMethods: ['tls_client_auth', 'self_signed_tls_client_auth', 'client_secret_basic', 'none'] }),
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A project whose CLI trusts the test CA (the mTLS listener's certificate), with the fixture added by discovery. */
  async function project(id: string, clientId: string): Promise<Project> {
    const made = await newProject({ NODE_EXTRA_CA_CERTS: join(files, 'ca.pem') });
    const added = await runCli(['providers', 'add', id, '--issuer', server.issuer, '--client-id', clientId], { cwd: made.dir, env: made.env });
    expect(added.code, added.stderr).toBe(0);
    await writeFile(join(made.dir, 'client.pem'), client.cert);
    await writeFile(join(made.dir, 'client.key'), client.key, { mode: 0o600 });
    return made;
  }

  it('login --auth-method tls_client_auth --cert --key: the token endpoint alias authenticates the certificate, and the token is bound to it', async () => {
    const made = await project('mtlsidp', 'mtls-client');
    const config = JSON.parse(await readFile(join(made.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, { discovered?: Record<string, unknown> }> };
    // RFC 8705 §5: the aliases are cached with the discovery document.
    expect(config.providers.mtlsidp!.discovered!.mtls_endpoint_aliases).toMatchObject({ token_endpoint: `https://127.0.0.1:${mtlsPort}/token` });

    const result = await runCli(['login', 'mtlsidp', '--auth-method', 'tls_client_auth', '--cert', 'client.pem', '--key', 'client.key', '--port', String(port), '--json', '--verbose'], {
      cwd: made.dir,
      env: made.env,
    });
    expect(result.code, result.stderr).toBe(0);
    const token = json(result);
    expect(token.access_token).toEqual(expect.any(String));
    expect(result.stderr).toContain(`pass  client certificate: CN=oauthd-cli-mtls-client from --cert client.pem, x5t#S256 ${client.thumbprint}: authenticates the client (tls_client_auth)`);

    // The server's own view: the token is bound to this certificate (introspection with it).
    const introspection = await callMtls(`https://127.0.0.1:${mtlsPort}/token/introspection`, {
      ca: ca.cert,
      client,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: token.access_token as string, client_id: 'mtls-client' }).toString(),
    });
    expect(introspection.status, introspection.body).toBe(200);
    expect(JSON.parse(introspection.body)).toMatchObject({ active: true, cnf: { 'x5t#S256': client.thumbprint } });

    // Where the certificate is rests beside the token (never the key itself).
    const stored = await vaultEntry(made, 'token:mtlsidp:default');
    expect(stored.clientCertificate).toEqual({ 'x5t#S256': client.thumbprint, cert: `file:${join(made.dir, 'client.pem')}`, key: `file:${join(made.dir, 'client.key')}` });
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');

    // The server refuses the bound token on a connection without the certificate…
    const bare = await callMtls(`https://127.0.0.1:${mtlsPort}/me`, { ca: ca.cert, headers: { authorization: `Bearer ${token.access_token as string}` } });
    expect(bare.status).toBe(401);
    expect(String(bare.headers['www-authenticate'])).toContain('invalid_token');
    // …and a later process finds the certificate from the token's entry: me, refresh and introspect show it.
    const me = await runCli(['me', 'mtlsidp', '--json'], { cwd: made.dir, env: made.env });
    expect(me.code, me.stderr).toBe(0);
    expect((JSON.parse(me.stdout) as { id: string }).id).toBe('alice');
    const refresh = await runCli(['token', 'refresh', 'mtlsidp', '--force', '--json'], { cwd: made.dir, env: made.env });
    expect(refresh.code, refresh.stderr).toBe(0);
    const introspect = await runCli(['token', 'introspect', 'mtlsidp', '--json'], { cwd: made.dir, env: made.env });
    expect(introspect.code, introspect.stderr).toBe(0);
    expect(JSON.parse(introspect.stdout)).toMatchObject({ active: true, cnf: { 'x5t#S256': client.thumbprint } });
    const again = await runCli(['me', 'mtlsidp', '--json'], { cwd: made.dir, env: made.env });
    expect(again.code, again.stderr).toBe(0);

    // Another certificate in the file: said by the CLI, naming the file, before the server refuses.
    await writeFile(join(made.dir, 'client.pem'), selfSigned.cert);
    await writeFile(join(made.dir, 'client.key'), selfSigned.key);
    const moved = await runCli(['me', 'mtlsidp'], { cwd: made.dir, env: made.env });
    expect(moved.code).toBe(2);
    expect(moved.stderr).toContain(`${join(made.dir, 'client.pem')} is not the certificate the mtlsidp token is bound to`);
  });

  it('a certificate from no CA the server trusts is refused by the server: invalid_client, exit 1', async () => {
    const made = await project('mtlsidp', 'mtls-client');
    await writeFile(join(made.dir, 'stranger.pem'), stranger.cert);
    await writeFile(join(made.dir, 'stranger.key'), stranger.key);
    const result = await runCli(['login', 'mtlsidp', '--auth-method', 'tls_client_auth', '--cert', 'stranger.pem', '--key', 'stranger.key', '--port', String(port), '--timeout', '60'], {
      cwd: made.dir,
      env: made.env,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('invalid_client');
    expect(result.stderr).toMatch(/hint: .*certificate/);
  });

  it('self_signed_tls_client_auth, from the keyset (clientCert and clientKey as file: references): login, me and refresh with no flag', async () => {
    const made = await project('selfidp', 'self-signed-client');
    await writeFile(join(made.dir, 'self.pem'), selfSigned.cert);
    await writeFile(join(made.dir, 'self.key'), selfSigned.key, { mode: 0o600 });
    const file = join(made.dir, 'oauthd.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as { providers: Record<string, Record<string, unknown>> };
    config.providers.selfidp = { ...config.providers.selfidp, authMethod: 'self_signed_tls_client_auth', clientCert: 'file:self.pem', clientKey: 'file:self.key' };
    await writeFile(file, JSON.stringify(config, null, 2));
    const validate = await runCli(['providers', 'validate'], { cwd: made.dir, env: made.env });
    expect(validate.code, validate.stderr + validate.stdout).toBe(0);

    const result = await runCli(['login', 'selfidp', '--port', String(port), '--json'], { cwd: made.dir, env: made.env });
    expect(result.code, result.stderr).toBe(0);
    const stored = await vaultEntry(made, 'token:selfidp:default');
    expect(stored.clientCertificate).toEqual({ 'x5t#S256': selfSigned.thumbprint });
    const me = await runCli(['me', 'selfidp', '--json'], { cwd: made.dir, env: made.env });
    expect(me.code, me.stderr).toBe(0);
    const refresh = await runCli(['token', 'refresh', 'selfidp', '--force'], { cwd: made.dir, env: made.env });
    expect(refresh.code, refresh.stderr).toBe(0);
  });

  it('bad certificate input exits 2 naming the file or flag, before any browser opens', async () => {
    const made = await project('mtlsidp', 'mtls-client');
    await writeFile(join(made.dir, 'other.key'), stranger.key);
    await writeFile(join(made.dir, 'garbage.pem'), 'not a certificate\n');
    const log = join(made.dir, 'browser.log');
    const cases: Array<[string[], RegExp]> = [
      [['--auth-method', 'tls_client_auth'], /--auth-method tls_client_auth needs the client certificate \(RFC 8705 §2\)/],
      [['--auth-method', 'tls_client_auth', '--cert', 'client.pem'], /--cert client\.pem needs --key FILE/],
      [['--auth-method', 'tls_client_auth', '--cert', 'client.pem', '--key', 'other.key'], /--cert client\.pem does not match --key other\.key/],
      [['--auth-method', 'tls_client_auth', '--cert', 'missing.pem', '--key', 'client.key'], /--cert missing\.pem: no such file/],
      [['--auth-method', 'tls_client_auth', '--cert', 'garbage.pem', '--key', 'client.key'], /--cert garbage\.pem is not a PEM certificate/],
      [['--auth-method', 'tls_client_auth', '--cert', 'client.key', '--key', 'client.key'], /--cert client\.key holds a private key, not a certificate/],
      [['--auth-method', 'tls_client_auth', '--cert', 'client.pem', '--key', 'client.pem'], /--key client\.pem holds a certificate, not the certificate's private key/],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli(['login', 'mtlsidp', ...flags, '--port', '0'], { cwd: made.dir, env: { ...made.env, BROWSER_LOG: log } });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n').filter((line) => !line.startsWith('hint:')).length, result.stderr).toBe(1);
      expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    expect(await readFile(log, 'utf8').catch(() => '')).toBe('');
  });
});

/** The public half of a test certificate's key, as JWK fields. */
async function exportPublic(issued: Issued): Promise<Record<string, string>> {
  const { webcrypto } = await import('node:crypto');
  const { x, y } = (await webcrypto.subtle.exportKey('jwk', issued.keys.publicKey)) as { x: string; y: string };
  return { x, y };
}
