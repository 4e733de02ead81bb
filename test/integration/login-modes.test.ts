// The other ways `login` gets a token, each against a real server: the pasted-URL fallback over
// SSH (stdin), the device grant, client credentials, response_mode=form_post, OAuth 1.0a, and a
// trace + HAR that hold no secret of the flow.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { oidcServerForBroker, startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { startOAuth1Server, type OAuth1Server } from '../helpers/oauth1-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { addIssuer, newProject, type Project } from '../helpers/project.js';

const chromium = requireComponent('chromium', hasChromium());

async function project(setup: (dir: string, env: Record<string, string>) => Promise<void>): Promise<Project> {
  const created = await newProject();
  await setup(created.dir, created.env);
  return created;
}

const withIssuer = (issuer: string) => (dir: string, env: Record<string, string>) => addIssuer({ dir, env }, issuer);

/** The CLI with stdin kept open; resolves once `pattern` shows on stderr. */
function interactiveCli(args: string[], cwd: string, env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', BROWSER: undefined, DISPLAY: undefined, DBUS_SESSION_BUS_ADDRESS: undefined, ...env } as NodeJS.ProcessEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
      for (let i = 0; i < 300; i++) {
        const match = pattern.exec(stderr);
        if (match) return match;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill();
      throw new Error(`never saw ${pattern} on stderr:\n${stderr}`);
    },
  };
}

function runBrowser(url: string, env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/browser.mjs'), url], { env: { ...process.env, ...env }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe.skipIf(!chromium)('login modes against node-oidc-provider', () => {
  const oidc = oidcServerForBroker();

  it('over SSH: prints the authorization URL and an ssh -L hint, and finishes with the final URL pasted on stdin', async () => {
    const { dir, env } = await project(withIssuer(oidc.server.issuer));
    const cli = interactiveCli(['login', 'myidp', '--port', String(oidc.port), '--json', '--no-save'], dir, {
      ...env,
      BROWSER: undefined,
      DISPLAY: ':0',
      SSH_CONNECTION: '203.0.113.7 52000 198.51.100.2 22',
    });
    const [, authorizeUrl] = await cli.waitFor(/sign in:\n {2}(\S+)/);
    const { stderr } = cli.output();
    expect(stderr).toContain('This is an SSH session');
    expect(stderr).toContain(`ssh -L ${oidc.port}:127.0.0.1:${oidc.port} <this host>`);
    expect(stderr).toContain('oauthd-cli login myidp --device');
    expect(new URL(authorizeUrl as string).origin).toBe(oidc.server.issuer);

    // The browser on "the other machine" signs in, but never reaches the callback.
    const captured = join(dir, 'callback.txt');
    expect(await runBrowser(authorizeUrl as string, { BROWSER_ACTION: 'capture-callback', BROWSER_CAPTURE_FILE: captured})).toBe(0);
    const callback = await readFile(captured, 'utf8');
    expect(callback).toContain(`http://127.0.0.1:${oidc.port}/auth?code=`);

    cli.child.stdin.write('not a url\n');
    cli.child.stdin.write(`${callback}\n`);
    expect(await cli.exited).toBe(0);
    expect(cli.output().stderr).toContain('that is not the callback URL');
    expect(JSON.parse(cli.output().stdout)).toMatchObject({ token_type: 'Bearer', scope: 'openid profile email' });
  });

  it('--device: shows the code, polls, and verifies the id_token', async () => {
    const { dir, env } = await project(withIssuer(oidc.server.issuer));
    const cli = interactiveCli(['login', 'myidp', '--device', '--json', '--no-save', '--verbose'], dir, { ...env, BROWSER: undefined });
    const [, complete] = await cli.waitFor(/\(or open (\S+), which carries the code\)/);
    expect(cli.output().stderr).toMatch(/enter the code {2}[A-Z]{4}-[A-Z]{4}/);
    expect(await runBrowser(complete as string, {})).toBe(0);
    expect(await cli.exited).toBe(0);
    const token = JSON.parse(cli.output().stdout) as Record<string, unknown>;
    expect(token.id_token).toEqual(expect.any(String));
    expect(cli.output().stderr).toMatch(/pass\s+grant: device_code/);
    expect(cli.output().stderr).toMatch(/pass\s+id_token signature/);
  });

  it('--client-credentials: a token without a user', async () => {
    const { dir, env } = await project(withIssuer(oidc.server.issuer));
    const result = await runCli(['login', 'myidp', '--client-credentials', '--json', '--no-save'], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    const token = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(token.access_token).toEqual(expect.any(String));
    expect(token.refresh_token).toBeUndefined();
  });

  it('--trace and --har: every step shown, and no secret of the flow in either', async () => {
    const { dir, env } = await project(withIssuer(oidc.server.issuer));
    const har = join(dir, 'flow.har');
    const result = await runCli(['login', 'myidp', '--port', String(oidc.port), '--json', '--trace', '--har', har, '--curl'], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    const token = JSON.parse(result.stdout) as Record<string, string>;
    const harText = await readFile(har, 'utf8');
    const parsed = JSON.parse(harText) as { log: { version: string; entries: Array<{ request: { url: string } }> } };
    expect(parsed.log.version).toBe('1.2');
    expect(parsed.log.entries.some((entry) => entry.request.url.endsWith('/token'))).toBe(true);
    expect(result.stderr).toContain('authorization request');
    expect(result.stderr).toContain('→ POST');
    expect(result.stderr).toContain('curl ');
    for (const secret of ['test-secret', token.access_token, token.refresh_token, token.id_token]) {
      expect(result.stderr).not.toContain(secret);
      expect(harText).not.toContain(secret);
    }
  });
});

describe.skipIf(!chromium)('a redirect URI the provider does not know', () => {
  it('no callback comes back: the timeout explains the redirect URI sent and what to register', async () => {
    const port = await freePort();
    // Registered with localhost; the CLI sends 127.0.0.1 (the classic mismatch).
    const server = await startOidcServer({ redirectUris: [`http://localhost:${port}/auth`] });
    try {
      const { dir, env } = await project(withIssuer(server.issuer));
      const result = await runCli(['login', 'myidp', '--port', String(port), '--timeout', '6'], { cwd: dir, env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('No callback came back from myidp');
      expect(result.stderr).toContain(`sent        http://127.0.0.1:${port}/auth`);
      expect(result.stderr).toContain(`Paste this line`);
      expect(result.stderr).toContain('error: no sign-in came back within 6 s');
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!chromium)('response_mode=form_post (the way Apple answers)', () => {
  let server: OidcServer;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({ redirectUris: [`http://127.0.0.1:${port}/auth`] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the broker accepts the callback as a POSTed form', async () => {
    const { dir, env } = await project(async (d) => {
      await mkdir(join(d, 'oauthd-providers'));
      await writeFile(
        join(d, 'oauthd-providers', 'formpost.json'),
        JSON.stringify({
          id: 'formpost',
          name: 'Form post IdP',
          docs: 'https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html',
          oidc: { issuer: server.issuer },
          oauth2: {
            authorizeUrl: `${server.issuer}/auth`,
            tokenUrl: `${server.issuer}/token`,
            clientAuth: 'client_secret_basic',
            pkce: 'supported',
            responseMode: 'form_post',
            scopes: { separator: ' ', default: ['openid', 'email'] },
          },
        }),
      );
    });
    expect((await runCli(['providers', 'add', 'formpost', '--client-id', 'test-client', '--client-secret-env', 'IDP_SECRET'], { cwd: dir, env })).code).toBe(0);
    const result = await runCli(['login', 'formpost', '--port', String(port), '--json', '--no-save', '--trace'], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('response_mode = form_post');
    expect(result.stderr).toMatch(/authorization response \(POST\)|authorization response/);
    expect(JSON.parse(result.stdout)).toMatchObject({ token_type: 'Bearer', scope: 'openid email' });
  });
});

describe.skipIf(!chromium)('OAuth 1.0a through login (an independent provider checks every signature)', () => {
  let server: OAuth1Server;
  beforeAll(async () => {
    server = await startOAuth1Server();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('request token, authorization in the browser, access token: token credentials printed and kept', async () => {
    const { dir, env } = await project(async (d) => {
      await mkdir(join(d, 'oauthd-providers'));
      await writeFile(
        join(d, 'oauthd-providers', 'oldschool.json'),
        JSON.stringify({
          id: 'oldschool',
          name: 'Old School',
          docs: 'https://www.rfc-editor.org/rfc/rfc5849',
          oauth1: { requestTokenUrl: server.requestTokenUrl, authorizeUrl: server.authorizeUrl, accessTokenUrl: server.accessTokenUrl, signatureMethod: 'HMAC-SHA1' },
          api: { baseUrl: server.origin },
          profile: { url: server.meUrl, map: { id: 'id', name: 'name', alias: 'screen_name' } },
        }),
      );
    });
    const secretEnv = { ...env, OLD_SECRET: server.consumerSecret };
    expect((await runCli(['providers', 'add', 'oldschool', '--client-id', server.consumerKey, '--client-secret-env', 'OLD_SECRET'], { cwd: dir, env: secretEnv })).code).toBe(0);
    const result = await runCli(['login', 'oldschool', '--port', '0', '--verbose'], { cwd: dir, env: secretEnv });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('OAuth 1.0a token credentials');
    expect(result.stderr).toMatch(/pass\s+state: .*matched a pending flow/);
    const vault = JSON.parse(await readFile(join(dir, 'data', 'oauthd-cli', 'secrets.json'), 'utf8')) as { entries: Record<string, string> };
    const stored = JSON.parse(vault.entries['token:oldschool:default'] as string) as { token: { token_secret: string; token_type: string } };
    expect(stored.token.token_type).toBe('OAuth1');
    expect(stored.token.token_secret).toEqual(expect.any(String));
  });
});
