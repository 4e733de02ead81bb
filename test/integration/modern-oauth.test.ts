// Modern OAuth in `login` (docs/modern-oauth.md), each feature against node-oidc-provider in its own
// process with the feature on and, where there is one, its "required" switch set for the client:
// PAR (RFC 9126), client authentication with a key (RFC 7523), DPoP (RFC 9449), resource
// indicators (RFC 8707) and rich authorization requests (RFC 9396). The CLI runs as a user runs
// it (the built CLI as a child process, headless Chromium as $BROWSER).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, generateKeyPair, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Each test runs the CLI several times (a login, then me, refresh, or several bad inputs); on a
// machine shared with other test runs one CLI run can take 10 s.
vi.setConfig({ testTimeout: 180_000 });
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, requireComponent } from '../helpers/components.js';
import { newProject, type Project } from '../helpers/project.js';

const chromium = requireComponent('chromium', hasChromium());

const SECRET = 'test-secret';
const RESOURCE = 'https://api.example.test/';

function json(result: RunCliResult): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** The URLs the test browser was sent to (redirects included), from its log. */
async function navigations(log: string): Promise<URL[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return [...text.matchAll(/navigate (\S+)/g)].map((match) => new URL(match[1]!));
}

/** A client of the fixture, registered for the broker on `port`. */
function client(port: number, id: string, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: id,
    client_secret: SECRET,
    redirect_uris: [`http://127.0.0.1:${port}/auth`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...metadata,
  };
}

async function add(project: Project, id: string, issuer: string, clientId: string, extra: string[] = []): Promise<void> {
  const result = await runCli(['providers', 'add', id, '--issuer', issuer, '--client-id', clientId, '--client-secret-env', 'IDP_SECRET', ...extra], { cwd: project.dir, env: project.env });
  expect(result.code, result.stderr).toBe(0);
}

describe.skipIf(!chromium)('modern OAuth against node-oidc-provider (each feature required for its client)', () => {
  let server: OidcServer;
  let port = 0;
  let keyPem = '';
  let keyJwk: Record<string, unknown> = {};

  beforeAll(async () => {
    port = await freePort();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    keyPem = await exportPKCS8(privateKey);
    keyJwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', use: 'sig', alg: 'ES256' };
    server = await startOidcServer({
      clients: [
        client(port, 'par-client', { require_pushed_authorization_requests: true }),
        client(port, 'jwt-client', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [publicJwk] } }),
        client(port, 'dpop-client', { dpop_bound_access_tokens: true }),
        client(port, 'rar-client', { authorization_details_types: ['account_information'] }),
        client(port, 'jar-client', { require_signed_request_object: true, request_object_signing_alg: 'ES256', jwks: { keys: [publicJwk] } }),
        client(port, 'jarm-client', { authorization_signed_response_alg: 'RS256' }),
      ],
      env: {
        OIDC_FEATURES: JSON.stringify({ requestObjects: { request: true, requestUri: false }, jwtResponseModes: { enabled: true } }),
        OIDC_DPOP_NONCE: '1', OIDC_RESOURCES: RESOURCE, OIDC_RAR_TYPES: 'account_information,payment_initiation' },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('PAR (RFC 9126)', () => {
    it('login --par: the request is pushed, the browser carries only client_id and request_uri, and the token comes back', async () => {
      const project = await newProject();
      await add(project, 'paridp', server.issuer, 'par-client');
      const log = join(project.dir, 'browser.log');
      const result = await runCli(['login', 'paridp', '--par', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(result.code, result.stderr).toBe(0);
      expect(json(result).access_token).toEqual(expect.any(String));
      expect(result.stderr).toMatch(/pass\s+PAR: pushed to http:\/\/127\.0\.0\.1:\d+\/request; request_uri \d+ characters, valid \d+ s/);
      // What the browser was sent to at the provider: client_id and request_uri, nothing else.
      const atProvider = (await navigations(log)).filter((url) => url.origin === server.issuer && url.pathname === '/auth');
      expect(atProvider.length).toBeGreaterThan(0);
      for (const url of atProvider) expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(atProvider[0]!.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    });

    it('without --par, the client that must push is refused by the server (the flag is what makes it work)', async () => {
      const project = await newProject();
      await add(project, 'paridp', server.issuer, 'par-client');
      const result = await runCli(['login', 'paridp', '--port', String(port), '--timeout', '30'], { cwd: project.dir, env: project.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/invalid_request.*(P|p)ushed/);
    });

    it('--par against a provider with no PAR endpoint: exit 2 naming the metadata field, before any browser opens', async () => {
      const project = await newProject();
      const added = await runCli(['providers', 'add', 'github', '--client-id', 'x', '--client-secret-env', 'IDP_SECRET'], { cwd: project.dir, env: project.env });
      expect(added.code, added.stderr).toBe(0);
      const log = join(project.dir, 'browser.log');
      const result = await runCli(['login', 'github', '--par', '--port', '0'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('pushed_authorization_request_endpoint');
      expect(result.stderr).not.toContain('Opened');
      expect(await readFile(log, 'utf8').catch(() => '')).toBe('');
    });
  });

  describe('client authentication with a key (RFC 7523 private_key_jwt)', () => {
    it('--auth-method private_key_jwt --key FILE (PEM): the assertion is made and accepted, its claims shown by --verbose', async () => {
      const project = await newProject();
      await add(project, 'jwtidp', server.issuer, 'jwt-client');
      await writeFile(join(project.dir, 'client.pem'), keyPem, { mode: 0o600 });
      const result = await runCli(['login', 'jwtidp', '--auth-method', 'private_key_jwt', '--key', 'client.pem', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: project.env });
      expect(result.code, result.stderr).toBe(0);
      expect(json(result).access_token).toEqual(expect.any(String));
      expect(result.stderr).toMatch(new RegExp(`pass\\s+client assertion: private_key_jwt ES256: iss = sub = jwt-client, aud ${server.issuer}/token, jti 43 characters, expires 60 s after iat`));
      // A refresh authenticates the same way (the method is kept beside the token); --key was for
      // this login only, so the refresh asks for the keyset's key instead of trying another method.
      const refresh = await runCli(['token', 'refresh', 'jwtidp', '--force'], { cwd: project.dir, env: project.env });
      expect(refresh.code, refresh.stderr).toBe(2);
      expect(refresh.stderr).toContain("private_key_jwt needs the client's private key");
      expect(refresh.stderr).toContain("the keyset's clientKey");
    });

    it('the keyset holds the key as a secret reference: login and refresh work with no flag; --trace hides the assertion', async () => {
      const project = await newProject({ JWT_CLIENT_KEY: JSON.stringify(keyJwk) });
      await add(project, 'jwtidp', server.issuer, 'jwt-client');
      const file = join(project.dir, 'oauthd.json');
      const config = JSON.parse(await readFile(file, 'utf8')) as { providers: Record<string, Record<string, unknown>> };
      config.providers.jwtidp = { ...config.providers.jwtidp, authMethod: 'private_key_jwt', clientKey: 'env:JWT_CLIENT_KEY' };
      await writeFile(file, JSON.stringify(config, null, 2));
      const result = await runCli(['login', 'jwtidp', '--port', String(port), '--json', '--trace'], { cwd: project.dir, env: project.env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/client_assertion = \[redacted \d+ chars #[0-9a-f]{6}\]/);
      // No JWT of ours (assertion) or theirs (id_token) is printed whole.
      expect(result.stderr).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
      const refresh = await runCli(['token', 'refresh', 'jwtidp', '--force'], { cwd: project.dir, env: project.env });
      expect(refresh.code, refresh.stderr).toBe(0);
    });

    it('a key the server does not know: invalid_client, exit 1, with the hint', async () => {
      const project = await newProject();
      await add(project, 'jwtidp', server.issuer, 'jwt-client');
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      await writeFile(join(project.dir, 'other.pem'), await exportPKCS8(privateKey));
      const result = await runCli(['login', 'jwtidp', '--auth-method', 'private_key_jwt', '--key', 'other.pem', '--port', String(port)], { cwd: project.dir, env: project.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('invalid_client');
      expect(result.stderr).toContain('hint: the client id or secret is wrong, the client assertion was refused');
    });

    it('bad --key input exits 2 naming the file, before any browser opens', async () => {
      const project = await newProject();
      await add(project, 'jwtidp', server.issuer, 'jwt-client');
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      await writeFile(join(project.dir, 'public.pem'), await (await import('jose')).exportSPKI(publicKey));
      await writeFile(join(project.dir, 'garbage.pem'), 'not a key\n');
      const log = join(project.dir, 'browser.log');
      const cases: Array<[string[], RegExp]> = [
        [['--auth-method', 'private_key_jwt'], /--auth-method private_key_jwt needs the client's private key/],
        [['--auth-method', 'private_key_jwt', '--key', 'missing.pem'], /--key missing\.pem: no such file/],
        [['--auth-method', 'private_key_jwt', '--key', 'public.pem'], /--key public\.pem holds a public key or a certificate/],
        [['--auth-method', 'private_key_jwt', '--key', 'garbage.pem'], /--key garbage\.pem is neither a PEM private key nor a JWK/],
      ];
      for (const [flags, message] of cases) {
        const result = await runCli(['login', 'jwtidp', ...flags, '--port', '0'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
      }
      expect(await readFile(log, 'utf8').catch(() => '')).toBe('');
    });
  });

  describe('DPoP (RFC 9449), the server asking for its nonce', () => {
    it('login --dpop: proofs on the token request (retried once with the nonce), a DPoP token, and me / token refresh keep working with the kept key', async () => {
      const project = await newProject();
      await add(project, 'dpopidp', server.issuer, 'dpop-client');
      const result = await runCli(['login', 'dpopidp', '--dpop', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: project.env });
      expect(result.code, result.stderr).toBe(0);
      const token = json(result);
      expect(token.token_type).toBe('DPoP');
      expect(result.stderr).toMatch(new RegExp(`pass\\s+DPoP proof: ES256, jkt [\\w-]{8}…: htm POST, htu ${server.issuer}/token, iat \\d+, jti 43 characters \\(`));
      // use_dpop_nonce: the second proof carries the server's nonce.
      expect(result.stderr).toMatch(/pass\s+DPoP proof: .*htu \S+\/token.*the server's nonce/);
      // The key rests beside the token in the vault, and nowhere in the output.
      const vault = JSON.parse(await readFile(join(project.dir, 'data', 'oauthd-cli', 'secrets.json'), 'utf8')) as { entries: Record<string, string> };
      const stored = JSON.parse(vault.entries['token:dpopidp:default']!) as { dpopKey: { d: string; alg: string } };
      expect(stored.dpopKey.alg).toBe('ES256');
      expect(result.stderr + result.stdout).not.toContain(stored.dpopKey.d);

      const me = await runCli(['me', 'dpopidp', '--json'], { cwd: project.dir, env: project.env });
      expect(me.code, me.stderr).toBe(0);
      expect((JSON.parse(me.stdout) as { id: string }).id).toBe('alice');
      const refresh = await runCli(['token', 'refresh', 'dpopidp', '--force'], { cwd: project.dir, env: project.env });
      expect(refresh.code, refresh.stderr).toBe(0);
      const again = await runCli(['me', 'dpopidp', '--json'], { cwd: project.dir, env: project.env });
      expect(again.code, again.stderr).toBe(0);
    });

    it('without the kept key the bound token is refused: the proof is what makes it work', async () => {
      const project = await newProject();
      await add(project, 'dpopidp', server.issuer, 'dpop-client');
      const login = await runCli(['login', 'dpopidp', '--dpop', '--port', String(port)], { cwd: project.dir, env: project.env });
      expect(login.code, login.stderr).toBe(0);
      const file = join(project.dir, 'data', 'oauthd-cli', 'secrets.json');
      const vault = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, string> };
      const stored = JSON.parse(vault.entries['token:dpopidp:default']!) as Record<string, unknown>;
      delete stored.dpopKey;
      vault.entries['token:dpopidp:default'] = JSON.stringify(stored);
      await writeFile(file, JSON.stringify(vault), { mode: 0o600 });
      const me = await runCli(['me', 'dpopidp'], { cwd: project.dir, env: project.env });
      expect(me.code).toBe(1);
      expect(me.stderr).toMatch(/refused: invalid_token/);
    });

    it('without --dpop the client bound to DPoP is refused by the server', async () => {
      const project = await newProject();
      await add(project, 'dpopidp', server.issuer, 'dpop-client');
      const result = await runCli(['login', 'dpopidp', '--port', String(port)], { cwd: project.dir, env: project.env });
      // node-oidc-provider says only invalid_grant for a dpop_bound_access_tokens client without a proof.
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the token endpoint refused: invalid_grant');
    });
  });

  describe('resource indicators (RFC 8707) and rich authorization requests (RFC 9396)', () => {
    it('--resource and --authorization-details @FILE, pushed with --par: a token for that audience carrying the details granted', async () => {
      const project = await newProject();
      await add(project, 'rar', server.issuer, 'rar-client');
      const details = [{ type: 'account_information', actions: ['list_accounts'], locations: ['https://api.example.test/accounts'] }];
      await writeFile(join(project.dir, 'details.json'), JSON.stringify(details));
      const log = join(project.dir, 'browser.log');
      const result = await runCli(
        ['login', 'rar', '--par', '--resource', RESOURCE, '--authorization-details', '@details.json', '--scope', 'api:read', '--port', String(port), '--json', '--verbose'],
        { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } },
      );
      expect(result.code, result.stderr).toBe(0);
      const token = json(result);
      expect(token.authorization_details).toEqual(details);
      // RFC 8707: the access token is for the resource asked (a JWT here, aud = the resource).
      expect(decodeJwt(token.access_token as string)).toMatchObject({ aud: RESOURCE, authorization_details: details });
      expect(result.stderr).toMatch(/pass\s+authorization_details: asked account_information; granted account_information \(RFC 9396/);
      for (const url of (await navigations(log)).filter((visited) => visited.origin === server.issuer && visited.pathname === '/auth')) {
        expect(url.searchParams.has('authorization_details')).toBe(false);
        expect(url.searchParams.has('resource')).toBe(false);
      }
    });

    it('a resource the server does not know: invalid_target, exit 1, with the hint', async () => {
      const project = await newProject();
      await add(project, 'rar', server.issuer, 'rar-client');
      const result = await runCli(['login', 'rar', '--resource', 'https://unknown.example.test/', '--port', String(port)], { cwd: project.dir, env: project.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('invalid_target');
      expect(result.stderr).toContain('hint: the server does not know a --resource value');
    });

    it('bad --resource and --authorization-details exit 2 naming the flag or the metadata field, before any browser opens', async () => {
      const project = await newProject();
      await add(project, 'rar', server.issuer, 'rar-client');
      const log = join(project.dir, 'browser.log');
      const cases: Array<[string[], RegExp]> = [
        [['--resource', 'api/v1'], /--resource api\/v1: not an absolute URI/],
        [['--resource', 'https://api.example.test/#x'], /a resource URI has no fragment \(RFC 8707 §2\)/],
        [['--authorization-details', '{not json'], /--authorization-details is not JSON/],
        [['--authorization-details', '[{"actions":["x"]}]'], /element 0 has no string "type"/],
        [['--authorization-details', '@nowhere.json'], /--authorization-details @nowhere\.json: no such file\n.*hint: give the JSON file of the authorization details/],
        [['--authorization-details', '@.'], /--authorization-details @\.: a folder, not a file/],
        [['--authorization-details', '[{"type":"tax_data"}]'], /the type "tax_data" is not in the server's authorization_details_types_supported/],
      ];
      for (const [flags, message] of cases) {
        const result = await runCli(['login', 'rar', ...flags, '--port', '0'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(message);
      }
      expect(await readFile(log, 'utf8').catch(() => '')).toBe('');
    });
  });

  describe('JAR (RFC 9101) and JARM', () => {
    it('--request-object --key FILE (JWK): the browser carries client_id and the signed request only; the client that must sign gets its token', async () => {
      const project = await newProject();
      await add(project, 'jar', server.issuer, 'jar-client');
      await writeFile(join(project.dir, 'client.jwk'), JSON.stringify(keyJwk), { mode: 0o600 });
      const log = join(project.dir, 'browser.log');
      const result = await runCli(['login', 'jar', '--request-object', '--key', 'client.jwk', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(result.code, result.stderr).toBe(0);
      expect(json(result).id_token).toEqual(expect.any(String));
      expect(result.stderr).toMatch(new RegExp(`pass\\s+request object: ES256, typ oauth-authz-req\\+jwt: iss jar-client, aud ${server.issuer}, \\d+ parameters as claims`));
      const atProvider = (await navigations(log)).filter((url) => url.origin === server.issuer && url.pathname === '/auth');
      expect(atProvider.length).toBeGreaterThan(0);
      expect([...atProvider[0]!.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
      const claims = decodeJwt(atProvider[0]!.searchParams.get('request')!);
      expect(claims).toMatchObject({ iss: 'jar-client', aud: server.issuer, client_id: 'jar-client', response_type: 'code', code_challenge_method: 'S256' });
    });

    it('without --request-object, the client that must sign its requests is refused', async () => {
      const project = await newProject();
      await add(project, 'jar', server.issuer, 'jar-client');
      const result = await runCli(['login', 'jar', '--port', String(port), '--timeout', '30'], { cwd: project.dir, env: project.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/invalid_request|request object/i);
    });

    it('--response-mode jwt: the callback carries one signed response, verified check by check before its code is used', async () => {
      const project = await newProject();
      await add(project, 'jarm', server.issuer, 'jarm-client');
      const log = join(project.dir, 'browser.log');
      const result = await runCli(['login', 'jarm', '--response-mode', 'jwt', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(result.code, result.stderr).toBe(0);
      for (const check of ['alg: RS256', "signature: verified with the issuer's key set", `iss: = "${server.issuer}"`, 'aud: = "jarm-client"', 'exp: expires in']) {
        expect(result.stderr).toMatch(new RegExp(`pass\\s+JARM ${check.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
      const callback = (await navigations(log)).find((url) => url.port === String(port) && url.pathname === '/auth');
      expect(callback && [...callback.searchParams.keys()]).toEqual(['response']);
    });

    it('--request-object without a key, --response-mode jwt without an issuer: exit 2 before any browser opens', async () => {
      const project = await newProject();
      await add(project, 'jarm', server.issuer, 'jarm-client');
      const added = await runCli(['providers', 'add', 'github', '--client-id', 'x', '--client-secret-env', 'IDP_SECRET'], { cwd: project.dir, env: project.env });
      expect(added.code, added.stderr).toBe(0);
      const log = join(project.dir, 'browser.log');
      const keyless = await runCli(['login', 'jarm', '--request-object', '--port', '0'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(keyless.code, keyless.stderr).toBe(2);
      expect(keyless.stderr).toContain("--request-object is signed with the client's private key, and none was given");
      const noIssuer = await runCli(['login', 'github', '--response-mode', 'jwt', '--port', '0'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
      expect(noIssuer.code, noIssuer.stderr).toBe(2);
      expect(noIssuer.stderr).toContain('is no OpenID provider');
      expect(await readFile(log, 'utf8').catch(() => '')).toBe('');
    });
  });
});

describe.skipIf(!chromium)('PAR required by the server (require_pushed_authorization_requests in its metadata)', () => {
  let server: OidcServer;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    server = await startOidcServer({
      clients: [client(port, 'plain-client')],
      env: { OIDC_FEATURES: JSON.stringify({ pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true } }) },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('login pushes by itself when the discovery document says so, without --par', async () => {
    const project = await newProject();
    await add(project, 'strict', server.issuer, 'plain-client');
    const config = JSON.parse(await readFile(join(project.dir, 'oauthd.json'), 'utf8')) as { providers: Record<string, { discovered: Record<string, unknown> }> };
    expect(config.providers.strict!.discovered.require_pushed_authorization_requests).toBe(true);
    const log = join(project.dir, 'browser.log');
    const result = await runCli(['login', 'strict', '--port', String(port), '--json', '--verbose'], { cwd: project.dir, env: { ...project.env, BROWSER_LOG: log } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/pass\s+PAR: pushed/);
    const atProvider = (await navigations(log)).filter((url) => url.origin === server.issuer && url.pathname === '/auth');
    for (const url of atProvider) expect(url.searchParams.has('request_uri')).toBe(true);
  });

  it('--response-mode jwt against a server whose response_modes_supported has no jwt: exit 2 naming the field', async () => {
    const project = await newProject();
    await add(project, 'strict', server.issuer, 'plain-client');
    const result = await runCli(['login', 'strict', '--response-mode', 'jwt', '--port', '0'], { cwd: project.dir, env: project.env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/response_modes_supported \(.*\) has no "jwt"/);
  });
});


describe('the sandbox, offline with no configuration (--auto-approve)', () => {
  it('login sandbox --par --dpop --auth-method private_key_jwt, then me and token refresh with the kept DPoP key', async () => {
    const home = (await makeTempDir()).path;
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
    const login = await runCli(['login', 'sandbox', '--port', '0', '--par', '--dpop', '--auth-method', 'private_key_jwt', '--auto-approve', '--verbose'], { cwd: home, env });
    expect(login.code, login.stderr).toBe(0);
    for (const line of [/pass\s+PAR: pushed/, /pass\s+client assertion: private_key_jwt ES256: iss = sub = oauthd-cli-sandbox-key-jwt/, /pass\s+DPoP proof: ES256/, /pass\s+id_token aud: = "oauthd-cli-sandbox-key-jwt"/]) {
      expect(login.stderr).toMatch(line);
    }
    expect(login.stdout).toMatch(/token type\s+DPoP/);
    const me = await runCli(['me', 'sandbox', '--json'], { cwd: home, env });
    expect(me.code, me.stderr).toBe(0);
    expect((JSON.parse(me.stdout) as { id: string }).id).toBe('developer');
    const refresh = await runCli(['token', 'refresh', 'sandbox', '--force'], { cwd: home, env });
    expect(refresh.code, refresh.stderr).toBe(0);
    const request = await runCli(['request', 'sandbox', '/me'], { cwd: home, env });
    expect(request.code, request.stderr).toBe(0);
    expect(JSON.parse(request.stdout)).toMatchObject({ sub: 'developer' });
  });
});

describe('token exchange (RFC 8693) on the sandbox', () => {
  it('a kept token for a narrower one; the issued token is live at the sandbox; a wider scope, an unknown actor and a bad type are refused', async () => {
    const home = (await makeTempDir()).path;
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
    const login = await runCli(['login', 'sandbox', '--port', '0', '--auto-approve'], { cwd: home, env });
    expect(login.code, login.stderr).toBe(0);

    const exchanged = await runCli(['token', 'exchange', 'sandbox', '--subject-token', '@sandbox', '--scope', 'openid profile', '--json', '--verbose'], { cwd: home, env });
    expect(exchanged.code, exchanged.stderr).toBe(0);
    const token = json(exchanged);
    expect(token).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', scope: 'openid profile' });
    expect(exchanged.stderr).toMatch(/pass\s+token exchange: issued urn:ietf:params:oauth:token-type:access_token/);

    // The sandbox knows the new token: it is accepted as the actor of another exchange; a made-up one is not.
    const acting = await runCli(['token', 'exchange', 'sandbox', '--subject-token', '@sandbox', '--actor-token', token.access_token as string], { cwd: home, env });
    expect(acting.code, acting.stderr).toBe(0);
    expect(acting.stdout).toContain('Exchanged at oauthd-cli sandbox');
    const madeUp = await runCli(['token', 'exchange', 'sandbox', '--subject-token', '@sandbox', '--actor-token', 'not-a-token-of-the-sandbox'], { cwd: home, env });
    expect(madeUp.code).toBe(1);
    expect(madeUp.stderr).toContain('invalid_grant');

    const wider = await runCli(['token', 'exchange', 'sandbox', '--subject-token', '@sandbox', '--scope', 'openid admin'], { cwd: home, env });
    expect(wider.code).toBe(1);
    expect(wider.stderr).toContain('invalid_scope');
    const badType = await runCli(['token', 'exchange', 'sandbox', '--subject-token', '@sandbox', '--subject-token-type', 'bogus'], { cwd: home, env });
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('--subject-token-type bogus is not a token type');
  });
});
