// Tokens for kubectl: `token print --format exec-credential` and `token kubeconfig`, read by a
// consumer that does what kubectl's exec credential plugin client does (k8s.io/client-go
// plugin/pkg/client/auth/exec): find the user in the kubeconfig, run its command with its args from
// another folder with KUBERNETES_EXEC_INFO set, and decode the ExecCredential it prints, refusing
// a wrong apiVersion or kind, a missing token, or an expirationTimestamp that is not RFC 3339.
import { spawn } from 'node:child_process';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expire, grantCounts, login, ok, tokenProject, type TokenProject } from '../helpers/kept-tokens.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';

const chromium = requireComponent('chromium', hasChromium());

/** RFC 3339 date-time (§5.6), as Go's time.RFC3339 reads it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface ExecConfig {
  apiVersion: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  interactiveMode?: string;
}

/** What kubectl gets from the exec plugin of user `name` in `kubeconfig`, or why it refuses it. */
async function kubectlCredential(kubeconfig: string, name: string, env: Record<string, string>): Promise<{ token: string; expiry?: Date }> {
  const config = parse(kubeconfig) as { users: Array<{ name: string; user: { exec?: ExecConfig } }> };
  const exec = config.users.find((user) => user.name === name)?.user.exec;
  if (!exec) throw new Error(`no user ${name} with exec in the kubeconfig`);
  // client.authentication.k8s.io/v1 makes interactiveMode required.
  if (exec.apiVersion === 'client.authentication.k8s.io/v1' && exec.interactiveMode === undefined) throw new Error('exec: interactiveMode must be specified for v1');
  const elsewhere = (await makeTempDir()).path;
  const execInfo = JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec: { interactive: false } });
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(exec.command, exec.args ?? [], {
      cwd: elsewhere,
      env: { ...process.env, ...env, ...Object.fromEntries((exec.env ?? []).map((entry) => [entry.name, entry.value])), KUBERNETES_EXEC_INFO: execInfo },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exec plugin exited ${code}: ${err}`))));
  });
  const credential = JSON.parse(stdout) as { apiVersion?: string; kind?: string; status?: { token?: string; expirationTimestamp?: string } };
  if (credential.apiVersion !== exec.apiVersion) throw new Error(`exec plugin is configured to use API version ${exec.apiVersion}, plugin returned version ${credential.apiVersion}`);
  if (credential.kind !== 'ExecCredential') throw new Error(`exec plugin returned kind ${credential.kind}`);
  if (!credential.status?.token) throw new Error('exec plugin didn\'t return a token or cert/key pair');
  const stamp = credential.status.expirationTimestamp;
  if (stamp !== undefined && !RFC3339.test(stamp)) throw new Error(`expirationTimestamp ${stamp} is not RFC 3339`);
  return { token: credential.status.token, ...(stamp !== undefined ? { expiry: new Date(stamp) } : {}) };
}

describe.skipIf(!chromium)('kubectl exec credentials from kept tokens', () => {
  let server: OidcServer;
  let port: number;
  let p: TokenProject;

  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`], env: { OIDC_ROTATE_REFRESH_TOKEN: '1' } });
    p = await tokenProject(server);
    await login(p, port);
    await login(p, port, 'work', 'bob');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('token print --format exec-credential: an ExecCredential v1 with the token and its expiry', async () => {
    const kept = await p.kept();
    const credential = JSON.parse(ok(await p.run(['token', 'print', 'myidp', '--format', 'exec-credential'])).stdout) as Record<string, any>;
    expect(credential).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: kept.token.access_token, expirationTimestamp: expect.stringMatching(RFC3339) },
    });
    expect(Date.parse(credential.status.expirationTimestamp)).toBe(Math.floor(Date.parse(kept.expiresAt as string) / 1000) * 1000);
  });

  it('token kubeconfig: the users: entry kubectl runs from any folder, per profile; an expired token is refreshed first', async () => {
    const yaml = ok(await p.run(['token', 'kubeconfig', 'myidp'])).stdout;
    const alice = await p.kept();
    const got = await kubectlCredential(yaml, 'oauthd-myidp', p.env);
    expect(got.token).toBe(alice.token.access_token);
    expect(got.expiry?.getTime()).toBe(Math.floor(Date.parse(alice.expiresAt as string) / 1000) * 1000);

    const work = ok(await p.run(['token', 'kubeconfig', 'myidp', '--profile', 'work', '--name', 'bob@work'])).stdout;
    expect((await kubectlCredential(work, 'bob@work', p.env)).token).toBe((await p.kept('work')).token.access_token);

    // kubectl runs the plugin again once the token it has expired: it gets a refreshed one, though
    // it runs in a folder without oauthd.json (the entry names the project's config).
    await p.edit('default', expire);
    const refreshes = (await grantCounts(server)).refresh_token ?? 0;
    const renewed = await kubectlCredential(yaml, 'oauthd-myidp', p.env);
    expect(renewed.token).not.toBe(alice.token.access_token);
    expect(renewed.token).toBe((await p.kept()).token.access_token);
    expect(renewed.expiry!.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect((await grantCounts(server)).refresh_token).toBe(refreshes + 1);
  });
});
