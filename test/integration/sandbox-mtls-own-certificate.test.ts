// mTLS on the sandbox with the user's own certificate (RFC 8705 §2.2 self_signed_tls_client_auth),
// offline: a self-signed certificate made by openssl, registered with `sandbox --register-cert`,
// signs in with `login sandbox --cert/--key` over the sandbox's https listener; the token is bound
// to that certificate (introspection's cnf), and `me` and `token refresh` in later processes show
// it again. An unregistered certificate is refused by the authorization server (invalid_client),
// and tls_client_auth (§2.1, PKI) still takes only certificates of the sandbox's CA.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/run-cli.js';

const run = promisify(execFile);
const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

/** A self-signed EC P-256 certificate and its key, as a user makes them. */
async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-days', '30']);
  return { cert, key };
}

async function freshHome() {
  const home = (await makeTempDir()).path;
  const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
  return { home, env, sandboxDir: join(home, 'data', 'oauthd-cli', 'sandbox') };
}

const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('error:'));

describe('login sandbox --cert/--key with a self-signed certificate of the user\'s own (RFC 8705 §2.2)', () => {
  it('registered with sandbox --register-cert, it signs in; the token is bound to it; me and token refresh show it in later processes', async () => {
    const { home, env, sandboxDir } = await freshHome();
    const mine = await selfSigned(home, 'me');
    const expected = thumbprint(await readFile(mine.cert, 'utf8'));

    const register = await runCli(['sandbox', '--register-cert', mine.cert, '--json'], { cwd: home, env });
    expect(register.code, register.stderr).toBe(0);
    expect(JSON.parse(register.stdout)).toEqual({ client_id: 'oauthd-cli-sandbox-self-signed-tls', subject: 'CN=me', 'x5t#S256': expected, added: true });
    expect((await stat(join(sandboxDir, 'client-certificates.json'))).mode & 0o777).toBe(0o600);
    // Twice is once.
    const again = await runCli(['sandbox', '--register-cert', mine.cert, '--json'], { cwd: home, env });
    expect(JSON.parse(again.stdout)).toMatchObject({ added: false });

    const login = await runCli(
      ['login', 'sandbox', '--port', '0', '--auth-method', 'self_signed_tls_client_auth', '--cert', mine.cert, '--key', mine.key, '--auto-approve', '--verbose'],
      { cwd: home, env },
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(new RegExp(`pass\\s+client certificate: CN=me from --cert .*x5t#S256 ${expected}: authenticates the client \\(self_signed_tls_client_auth\\)`));
    expect(login.stderr).toMatch(/pass\s+id_token aud: = "oauthd-cli-sandbox-self-signed-tls"/);

    // §3: bound to the user's certificate (not the sandbox's own self-signed one).
    const introspect = await runCli(['token', 'introspect', 'sandbox', '--json'], { cwd: home, env });
    expect(introspect.code, introspect.stderr).toBe(0);
    expect(JSON.parse(introspect.stdout)).toMatchObject({ active: true, client_id: 'oauthd-cli-sandbox-self-signed-tls', cnf: { 'x5t#S256': expected } });

    // Later processes read the certificate files again and meet the sandbox's listener with them.
    const me = await runCli(['me', 'sandbox', '--json'], { cwd: home, env });
    expect(me.code, me.stderr).toBe(0);
    expect((JSON.parse(me.stdout) as { id: string }).id).toBe('developer');
    const refresh = await runCli(['token', 'refresh', 'sandbox', '--force'], { cwd: home, env });
    expect(refresh.code, refresh.stderr).toBe(0);
    const refreshed = await runCli(['token', 'introspect', 'sandbox', '--json'], { cwd: home, env });
    expect(JSON.parse(refreshed.stdout)).toMatchObject({ active: true, cnf: { 'x5t#S256': expected } });
  });

  it('an unregistered certificate is refused by the server with one error line; tls_client_auth takes only the sandbox CA\'s certificates', async () => {
    const { home, env } = await freshHome();
    const mine = await selfSigned(home, 'me');
    const stranger = await selfSigned(home, 'stranger');
    expect((await runCli(['sandbox', '--register-cert', mine.cert], { cwd: home, env })).code).toBe(0);

    const refused = await runCli(
      ['login', 'sandbox', '--port', '0', '--auth-method', 'self_signed_tls_client_auth', '--cert', stranger.cert, '--key', stranger.key, '--auto-approve'],
      { cwd: home, env },
    );
    expect(refused.code, refused.stderr).toBe(1);
    expect(errorLines(refused.stderr)).toEqual([expect.stringMatching(/^error: the token endpoint refused: invalid_client/)]);
    expect(refused.stderr).toMatch(/client certificate is not the one registered/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    // §2.1: a registered self-signed certificate is still no certificate of the sandbox's CA.
    const pki = await runCli(
      ['login', 'sandbox', '--port', '0', '--auth-method', 'tls_client_auth', '--cert', mine.cert, '--key', mine.key, '--auto-approve'],
      { cwd: home, env },
    );
    expect(pki.code, pki.stderr).toBe(1);
    expect(errorLines(pki.stderr)).toEqual([expect.stringMatching(/^error: the token endpoint refused: invalid_client/)]);
    const tokens = await runCli(['token', 'list', '--json'], { cwd: home, env });
    expect(tokens.stdout).not.toMatch(/sandbox/);
  });

  it('sandbox --register-cert refuses what is no certificate, naming the file, exit 2', async () => {
    const { home, env, sandboxDir } = await freshHome();
    const mine = await selfSigned(home, 'me');
    const key = await runCli(['sandbox', '--register-cert', mine.key], { cwd: home, env });
    expect(key.code).toBe(2);
    expect(errorLines(key.stderr)).toEqual([`error: ${mine.key} holds a private key, not a certificate (the sandbox registers the certificate; the key stays with you for login --key)`]);
    const missing = await runCli(['sandbox', '--register-cert', join(home, 'nope.crt')], { cwd: home, env });
    expect(missing.code).toBe(2);
    expect(errorLines(missing.stderr)).toEqual([expect.stringMatching(/^error: --register-cert: cannot read .*nope\.crt: ENOENT$/)]);
    // A broken registration file: said, with the fix, before anything else.
    await writeFile(join(home, 'garbage.crt'), 'hello');
    const garbage = await runCli(['sandbox', '--register-cert', join(home, 'garbage.crt')], { cwd: home, env });
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/is not a PEM certificate/);
    // A key a JWK cannot carry would stop every sandbox on the folder from starting: refused here.
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-nodes', '-keyout', join(home, 'k1.key'), '-out', join(home, 'k1.crt'), '-subj', '/CN=k1', '-days', '3']);
    const k1 = await runCli(['sandbox', '--register-cert', join(home, 'k1.crt')], { cwd: home, env });
    expect(k1.code).toBe(2);
    expect(errorLines(k1.stderr)).toEqual([`error: the key of ${join(home, 'k1.crt')} (ec secp256k1) is not one the sandbox can register (RSA, EC P-256/P-384/P-521 or Ed25519)`]);
    // It registers and exits: a flag of the running sandbox beside it is a usage error.
    const withPort = await runCli(['sandbox', '--register-cert', mine.cert, '--port', '0'], { cwd: home, env });
    expect(withPort.code).toBe(2);
    expect(errorLines(withPort.stderr)).toEqual(['error: --register-cert registers the certificate and exits, so it does not go with --port']);
    await expect(stat(join(sandboxDir, 'client-certificates.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
