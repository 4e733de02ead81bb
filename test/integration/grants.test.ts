// The "keep and use tokens" protocol modules against a real authorization server
// (node-oidc-provider in its own process, test/helpers/oidc-server.ts): the device flow completed by
// headless Chromium (RFC 8628), the client credentials grant (RFC 6749 §4.4), revocation (RFC 7009)
// checked by introspection (RFC 7662), and the OpenID userinfo profile (sub → id).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsGrant } from '../../src/oauth/client-credentials.js';
import { pollDeviceToken, requestDeviceAuthorization, type PendingPoll } from '../../src/oauth/device.js';
import { fetchClient, type HttpClient } from '../../src/oauth/http.js';
import { introspectToken } from '../../src/oauth/introspect.js';
import { discover } from '../../src/oauth/oidc/discovery.js';
import { fetchProfile } from '../../src/oauth/profile.js';
import { revokeToken } from '../../src/oauth/revoke.js';
import { specFromMetadata } from '../../src/providers/discovered.js';
import { resolveProvider, type ResolvedOAuth2, type ResolvedProvider } from '../../src/providers/resolve.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { makeTempDir, REPO_ROOT } from '../helpers/run-cli.js';

const chromium = requireComponent('chromium', hasChromium());
const BROWSER = path.join(REPO_ROOT, 'test', 'helpers', 'browser.mjs');
// The fixture's default client (test/fixtures/oidc-server.mjs): confidential, client_secret_basic.
const CLIENT = { clientId: 'test-client', clientSecret: 'test-secret' };

interface BrowserExit {
  code: number | null;
  log: string;
}

/** Runs the test browser on `url` (approve: sign in as alice, consent); resolves when it exits. */
function runBrowser(url: string, logFile: string): Promise<BrowserExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROWSER, url], { env: { ...process.env, BROWSER_LOG: logFile }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', async (code) => resolve({ code, log: await readFile(logFile, 'utf8').catch(() => '(no browser log)') }));
  });
}

describe('grants against node-oidc-provider', () => {
  let server: OidcServer;
  let http: HttpClient;
  let provider: ResolvedProvider;
  let oauth2: ResolvedOAuth2;

  beforeAll(async () => {
    // No redirect happens in these grants, but the fixture's client needs one registered.
    server = await startOidcServer({ redirectUris: ['http://127.0.0.1:9/auth'] });
    http = fetchClient({ timeoutMs: 10_000 });
    const metadata = await discover(http, server.issuer);
    provider = resolveProvider(specFromMetadata('fixture', 'Fixture IdP', metadata), { clientId: CLIENT.clientId }, 'issuer');
    oauth2 = provider.oauth2!;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('discovery gives the endpoints these tests need', () => {
    expect(oauth2.deviceAuthorizationUrl).toBe(`${server.issuer}/device/auth`);
    expect(oauth2.revoke).toEqual({ url: `${server.issuer}/token/revocation`, method: 'POST', auth: 'client_secret_basic', tokenParam: 'token', body: 'form' });
    expect(oauth2.introspectUrl).toBe(`${server.issuer}/token/introspection`);
  });

  it('client credentials → a token the server calls active; revoked → inactive; revoking again still succeeds', async () => {
    const { token } = await clientCredentialsGrant(http, oauth2, CLIENT, []);
    expect(token.access_token).toEqual(expect.any(String));
    expect(token.refresh_token).toBeUndefined(); // RFC 6749 §4.4.3

    const before = await introspectToken(http, oauth2.introspectUrl!, CLIENT, token.access_token, 'access_token', oauth2.clientAuth);
    expect(before).toMatchObject({ active: true, client_id: CLIENT.clientId });

    await revokeToken(http, oauth2.revoke!, CLIENT, token.access_token, 'access_token');
    const after = await introspectToken(http, oauth2.introspectUrl!, CLIENT, token.access_token, 'access_token', oauth2.clientAuth);
    expect(after).toEqual({ active: false });

    // RFC 7009 §2.2: an invalid token is answered with 200 too.
    await expect(revokeToken(http, oauth2.revoke!, CLIENT, token.access_token, 'access_token')).resolves.toBeUndefined();
  });

  it('a wrong client secret is refused with the server message', async () => {
    const wrong = { clientId: CLIENT.clientId, clientSecret: 'not-the-secret' };
    await expect(clientCredentialsGrant(http, oauth2, wrong, [])).rejects.toMatchObject({ code: 'invalid_client' });
    await expect(introspectToken(http, oauth2.introspectUrl!, wrong, 'anything')).rejects.toMatchObject({ code: 'invalid_client' });
  });

  it.skipIf(!chromium)(
    'device flow: user code approved in Chromium → tokens; userinfo profile (sub → id); refresh token revoked → inactive',
    async () => {
      const authorization = await requestDeviceAuthorization(http, { ...oauth2, deviceAuthorizationUrl: oauth2.deviceAuthorizationUrl! }, CLIENT, [
        'openid',
        'profile',
        'email',
      ]);
      expect(authorization.verification_uri).toBe(`${server.issuer}/device`);
      expect(authorization.interval).toBe(5); // the fixture sends none: RFC 8628 §3.2 default

      const tmp = await makeTempDir();
      let browser: Promise<BrowserExit> | undefined;
      let browserExit: BrowserExit | undefined;
      const pendings: PendingPoll[] = [];
      const result = await pollDeviceToken(http, oauth2, CLIENT, authorization.device_code, {
        interval: authorization.interval,
        expiresIn: authorization.expires_in,
        // Real waiting, shortened: the fixture never answers slow_down, and the test stays quick.
        sleep: async (ms) => {
          if (browserExit && browserExit.code !== 0) throw new Error(`the test browser failed:\n${browserExit.log}`);
          await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 250)));
        },
        onPending: (poll) => {
          pendings.push(poll);
          // The user starts only after the server has said authorization_pending once, so that
          // answer is seen for sure.
          browser ??= runBrowser(authorization.verification_uri_complete!, path.join(tmp.path, 'browser.log')).then((exit) => (browserExit = exit));
        },
      });
      const exit = await browser!;
      expect(exit.code, exit.log).toBe(0);
      expect(pendings[0]).toMatchObject({ attempt: 1, slowDown: false, intervalSeconds: 5 });

      const { token } = result;
      expect(token.access_token).toEqual(expect.any(String));
      expect(token.id_token).toEqual(expect.any(String));
      expect(token.refresh_token).toEqual(expect.any(String));

      const profile = await fetchProfile(http, provider, token);
      expect(profile).toEqual({
        id: 'alice',
        name: 'Test User alice',
        email: 'alice@example.test',
        raw: { sub: 'alice', name: 'Test User alice', email: 'alice@example.test' },
      });

      const refreshToken = token.refresh_token!;
      expect(await introspectToken(http, oauth2.introspectUrl!, CLIENT, refreshToken, 'refresh_token')).toMatchObject({ active: true });
      await revokeToken(http, oauth2.revoke!, CLIENT, refreshToken, 'refresh_token');
      expect(await introspectToken(http, oauth2.introspectUrl!, CLIENT, refreshToken, 'refresh_token')).toEqual({ active: false });
    },
  );
});
