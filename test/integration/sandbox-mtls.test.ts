// The sandbox's own mTLS (RFC 8705), offline on a fresh data folder: `login sandbox --auth-method
// tls_client_auth|self_signed_tls_client_auth` shows the sandbox's client certificate on its https
// listener, the token is bound to it (introspection's cnf, and the sandbox refuses it over a
// connection without that certificate), and `me`, `token refresh` and `request` work in later
// processes, both when they start the sandbox themselves and when another process runs it.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';
import { startStandaloneSandbox } from '../../src/sandbox/standalone.js';
import { FaultSet } from '../../src/sandbox/faults.js';

interface PemPair {
  cert: string;
  key: string;
}
interface Certificates {
  ca: string;
  server: PemPair;
  client: PemPair;
  selfSigned: PemPair;
}

const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

async function freshHome() {
  const home = (await makeTempDir()).path;
  const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
  const sandboxDir = join(home, 'data', 'oauthd-cli', 'sandbox');
  return { home, env, sandboxDir };
}

describe('mTLS on the sandbox (RFC 8705), offline with no configuration', () => {
  it('login sandbox --auth-method tls_client_auth: a certificate-bound token; me, token refresh and request in later processes', async () => {
    const { home, env, sandboxDir } = await freshHome();
    const login = await runCli(['login', 'sandbox', '--port', '0', '--auth-method', 'tls_client_auth', '--auto-approve', '--verbose'], { cwd: home, env });
    expect(login.code, login.stderr).toBe(0);

    // The certificates the sandbox made in its folder, private to the user.
    const file = join(sandboxDir, 'mtls.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const certificates = JSON.parse(await readFile(file, 'utf8')) as Certificates;
    const client = new X509Certificate(certificates.client.cert);
    expect(client.subject).toBe('CN=oauthd-cli sandbox client');
    expect(client.checkIssued(new X509Certificate(certificates.ca))).toBe(true);
    expect(new X509Certificate(certificates.server.cert).checkIP('127.0.0.1')).toBe('127.0.0.1');
    const expected = thumbprint(certificates.client.cert);
    expect(login.stderr).toMatch(new RegExp(`pass\\s+client certificate: CN=oauthd-cli sandbox client .*x5t#S256 ${expected}: authenticates the client \\(tls_client_auth\\)`));
    expect(login.stderr).toMatch(/pass\s+id_token aud: = "oauthd-cli-sandbox-tls"/);

    // §3: the sandbox bound the token to that certificate.
    const introspect = await runCli(['token', 'introspect', 'sandbox', '--json'], { cwd: home, env });
    expect(introspect.code, introspect.stderr).toBe(0);
    expect(JSON.parse(introspect.stdout)).toMatchObject({ active: true, client_id: 'oauthd-cli-sandbox-tls', cnf: { 'x5t#S256': expected } });

    const me = await runCli(['me', 'sandbox', '--json'], { cwd: home, env });
    expect(me.code, me.stderr).toBe(0);
    expect((JSON.parse(me.stdout) as { id: string }).id).toBe('developer');
    const refresh = await runCli(['token', 'refresh', 'sandbox', '--force'], { cwd: home, env });
    expect(refresh.code, refresh.stderr).toBe(0);
    // The sandbox's API is itself: a bound token goes to its mTLS listener there too.
    const request = await runCli(['request', 'sandbox', '/me'], { cwd: home, env });
    expect(request.code, request.stderr).toBe(0);
    expect(JSON.parse(request.stdout)).toMatchObject({ sub: 'developer' });
    // The refreshed token is bound to the same certificate.
    const again = await runCli(['token', 'introspect', 'sandbox', '--json'], { cwd: home, env });
    expect(JSON.parse(again.stdout)).toMatchObject({ active: true, cnf: { 'x5t#S256': expected } });
  });

  it('the sandbox refuses the bound token without its certificate; a later command finds the mTLS listener of a sandbox another process runs', async () => {
    const { home, env, sandboxDir } = await freshHome();
    const login = await runCli(['login', 'sandbox', '--port', '0', '--auth-method', 'self_signed_tls_client_auth', '--auto-approve', '--json'], { cwd: home, env });
    expect(login.code, login.stderr).toBe(0);
    const accessToken = (JSON.parse(login.stdout) as { access_token: string }).access_token;
    const show = await runCli(['token', 'show', 'sandbox', '--json'], { cwd: home, env });
    const issuer = (JSON.parse(show.stdout) as { issuer: string }).issuer;
    const port = Number(new URL(issuer).port);
    const certificates = JSON.parse(await readFile(join(sandboxDir, 'mtls.json'), 'utf8')) as Certificates;

    // The same sandbox (same folder, same issuer), run by this process now.
    const running = await startStandaloneSandbox({ dir: sandboxDir, port, mock: { faults: new FaultSet() } });
    const agents: Agent[] = [];
    try {
      const mtlsOrigin = running.sandbox.mtlsOrigin;
      expect(mtlsOrigin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
      expect(metadata.mtls_endpoint_aliases).toMatchObject({ userinfo_endpoint: `${mtlsOrigin}/sandbox/me`, token_endpoint: `${mtlsOrigin}/sandbox/token` });

      const userinfo = async (url: string, pair?: PemPair) => {
        const agent = new Agent({ connect: { ca: certificates.ca, ...(pair ? { cert: pair.cert, key: pair.key } : {}) } });
        agents.push(agent);
        const response = await undiciFetch(url, { headers: { authorization: `Bearer ${accessToken}` }, dispatcher: agent });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      // §3: over the plain endpoint, and over mTLS with no or another certificate: refused.
      const plain = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(plain.status).toBe(401);
      expect((await userinfo(`${mtlsOrigin}/sandbox/me`)).status).toBe(401);
      expect((await userinfo(`${mtlsOrigin}/sandbox/me`, certificates.client)).status).toBe(401);
      // With the certificate it is bound to: accepted.
      const bound = await userinfo(`${mtlsOrigin}/sandbox/me`, certificates.selfSigned);
      expect(bound).toMatchObject({ status: 200, body: { sub: 'developer' } });

      // The port is taken by this sandbox: a later command uses it, its mTLS listener from its discovery document.
      const me = await runCli(['me', 'sandbox', '--json'], { cwd: home, env });
      expect(me.code, me.stderr).toBe(0);
      expect((JSON.parse(me.stdout) as { id: string }).id).toBe('developer');
    } finally {
      await Promise.all(agents.map((agent) => agent.close()));
      await running.close();
    }
  });

  it('a login without an mTLS method shows no certificate and gets an unbound token', async () => {
    const { home, env } = await freshHome();
    const login = await runCli(['login', 'sandbox', '--port', '0', '--auto-approve', '--verbose'], { cwd: home, env });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).not.toMatch(/client certificate/);
    const introspect = await runCli(['token', 'introspect', 'sandbox', '--json'], { cwd: home, env });
    expect(introspect.code, introspect.stderr).toBe(0);
    const claims = JSON.parse(introspect.stdout) as Record<string, unknown>;
    expect(claims).toMatchObject({ active: true, client_id: 'oauthd-cli-sandbox' });
    expect(claims.cnf).toBeUndefined();
  });
});
