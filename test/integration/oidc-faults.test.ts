// `oauthd-cli login --verbose` against an OpenID provider that gets one thing wrong on purpose
// (test/fixtures/faulty-oidc-server.mjs): every id_token check of OIDC Core §3.1.3.7 and the
// RFC 9207 iss parameter must stop the login (exit 1), name the claim with the expected and the
// received value, show the failed check as a FAIL line, and keep nothing in the vault.
// The commands run in-process with a factory whose browser only follows redirects (the provider has
// no UI), whose HTTP client is the real one, and whose vault is in memory; the sound login also runs
// as the built CLI in a child process, with the same browser as $BROWSER.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchClient } from '../../src/oauth/http.js';
import { commandContext, memoryVaults, type MemoryVault } from '../helpers/fake-factory.js';
import { makeTempDir, REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { FAULTY_VALUES, startFaultyOidcServer, type Fault, type FaultyOidcServer } from '../helpers/faulty-oidc-server.js';
import { freePort } from '../helpers/ports.js';

const CLIENT_ID = 'test-client';
const REDIRECT_BROWSER = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'test', 'helpers', 'redirect-browser.mjs'))}`;
/** Every id_token check a sound token passes, in the order login prints them. */
const ALL_CHECKS = ['alg', 'signature', 'iss', 'aud', 'exp', 'iat', 'nonce', 'at_hash'];

let server: FaultyOidcServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

interface Login {
  result: { code: number | null; stdout: string; stderr: string };
  dir: string;
  issuer: string;
  /** The vault of an in-process run (the process run's is its 0600 file, in `dir`). */
  vault?: MemoryVault;
}

/**
 * A fresh project with `myidp` added by issuer, then `login myidp --verbose` against the fault:
 * in-process (the factory's browser GETs the URL and follows every redirect, as
 * test/helpers/redirect-browser.mjs does), or with `process: true` as the built CLI.
 */
async function login(fault: Fault, options: { rotate?: boolean; providerFile?: boolean; process?: boolean } = {}): Promise<Login> {
  const port = await freePort();
  server = await startFaultyOidcServer({ fault, rotate: options.rotate, redirectUris: [`http://127.0.0.1:${port}/auth`] });
  const dir = (await makeTempDir()).path;
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), IDP_SECRET: 'test-secret', BROWSER: REDIRECT_BROWSER };
  const vaults = memoryVaults();
  const cli = async (args: string[]): Promise<Login['result']> => {
    if (options.process) return runCli(args, { cwd: dir, env });
    const t = commandContext({
      cwd: dir,
      env,
      vault: vaults.open,
      http: fetchClient(),
      now: Date.now(),
      openBrowser: async (url) => {
        void fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(30_000) })
          .then((response) => response.text())
          .catch(() => undefined);
        return '$BROWSER (redirect-browser)';
      },
    });
    const code = await t.cli(args);
    return { code, stdout: t.stdout(), stderr: t.stderr() };
  };
  const init = await cli(['init', '--yes', '--json']);
  expect(init.code, init.stderr).toBe(0);
  if (options.providerFile) {
    // A provider file as the catalog's are (Apple, Microsoft): it names jwksUri, so login never
    // reads the discovery document, and says itself that the server sends iss (RFC 9207).
    const issuer = server.issuer;
    const file = {
      id: 'myidp',
      name: 'My IdP',
      docs: 'https://idp.example/docs',
      oidc: { issuer, jwksUri: `${issuer}/jwks`, authorizationResponseIss: true },
      oauth2: {
        authorizeUrl: `${issuer}/authorize`,
        tokenUrl: `${issuer}/token`,
        clientAuth: 'client_secret_basic',
        pkce: 'supported',
        scopes: { separator: ' ', default: ['openid'] },
      },
    };
    await mkdir(join(dir, 'oauthd-providers'));
    await writeFile(join(dir, 'oauthd-providers', 'myidp.json'), JSON.stringify(file));
  }
  const add = await cli(['providers', 'add', 'myidp', ...(options.providerFile ? [] : ['--issuer', server.issuer]), '--client-id', CLIENT_ID, '--client-secret-env', 'IDP_SECRET']);
  expect(add.code, add.stderr).toBe(0);
  const result = await cli(['login', 'myidp', '--port', String(port), '--verbose', '--timeout', '30']);
  return { result, dir, issuer: server.issuer, ...(options.process ? {} : { vault: vaults.file }) };
}

/** Where a token entry was kept: some file of the project (config, vault fallback file), or the in-memory vault. */
async function storedTokens({ dir, vault }: Login): Promise<string[]> {
  const found: string[] = vault ? [...vault.entries.keys()].filter((account) => account.startsWith('token:myidp')) : [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path, 'utf8').catch(() => '')).includes('token:myidp')) found.push(path);
  }
  return found;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The verbose line of one id_token check: "  pass  id_token aud: = \"test-client\" (…)". */
const checkLine = (verdict: 'pass' | 'FAIL', name: string) => new RegExp(`^\\s+${verdict}\\s+id_token ${escape(name)}: `, 'm');

async function expectRefused(login: Login, check: string, message: RegExp): Promise<void> {
  const { result } = login;
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^error: id_token rejected: ${escape(check)} `, 'm'));
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/^hint: \S/m);
  expect(result.stderr).toMatch(checkLine('FAIL', check));
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
  expect(await storedTokens(login)).toEqual([]);
}

describe('login --verbose against a sound provider', () => {
  it.each([
    ['in-process', false],
    ['as the built CLI', true],
  ] as const)('none (%s): exit 0, every id_token check on a pass line, the token kept, the key set read once', async (_how, asProcess) => {
    const run = await login('none', { process: asProcess });
    expect(run.result.code, run.result.stderr).toBe(0);
    for (const check of ALL_CHECKS) expect(run.result.stderr).toMatch(checkLine('pass', check));
    expect(run.result.stderr).not.toContain('FAIL');
    expect(run.result.stdout).toContain('Signed in');
    expect(await storedTokens(run)).not.toEqual([]);
    expect(await server!.stats()).toEqual({ discovery: 1, jwks: 1, authorize: 1, token: 1 });
  });

  it.each([
    ['exp-within-skew', 'exp'],
    ['iat-within-skew', 'iat'],
  ] as const)('%s: a clock a little off is tolerated (the small skew of OIDC Core §3.1.3.7 steps 9-10)', async (fault, check) => {
    const run = await login(fault);
    expect(run.result.code, run.result.stderr).toBe(0);
    expect(run.result.stderr).toMatch(checkLine('pass', check));
    expect(run.result.stderr).not.toContain('FAIL');
  });
});

describe('login --verbose refuses a faulty id_token, naming the claim, the expected and the received value', () => {
  const { impostorIssuer, otherClient, forgedNonce, publishedKid, rotatedKid } = FAULTY_VALUES;
  const q = (value: string) => escape(JSON.stringify(value));

  it('wrong-key: signed by a key that is not the published one, under the published kid', async () => {
    const run = await login('wrong-key');
    await expectRefused(run, 'signature', new RegExp(`does not verify with the issuer's key ${q(publishedKid)} \\(RS256\\)`));
  });

  it('unknown-kid: a kid the JWKS does not have, even when read again, is refused after exactly one refetch', async () => {
    const run = await login('unknown-kid');
    await expectRefused(run, 'signature', new RegExp(`names kid ${q(rotatedKid)} \\(RS256\\), which no key in the issuer's JWKS has`));
    expect((await server!.stats()).jwks).toBe(2);
  });

  it('unknown-kid with rotation: the JWKS is read again once, finds the new key, and the login succeeds', async () => {
    const run = await login('unknown-kid', { rotate: true });
    expect(run.result.code, run.result.stderr).toBe(0);
    for (const check of ALL_CHECKS) expect(run.result.stderr).toMatch(checkLine('pass', check));
    expect(await storedTokens(run)).not.toEqual([]);
    expect((await server!.stats()).jwks).toBe(2);
  });

  it('aud: issued to another client', async () => {
    await expectRefused(await login('aud'), 'aud', new RegExp(`aud is ${q(otherClient)}, expected to contain ${q(CLIENT_ID)}`));
  });

  it('iss: issued by another issuer', async () => {
    const run = await login('iss');
    await expectRefused(run, 'iss', new RegExp(`iss is ${q(impostorIssuer)}, expected to be ${q(run.issuer)}`));
  });

  it('nonce: not the nonce of this login', async () => {
    await expectRefused(await login('nonce'), 'nonce', new RegExp(`nonce is ${q(forgedNonce)}, expected to be "[A-Za-z0-9_-]{22,}"`));
  });

  it('expired: exp 300 s ago, beyond the skew', async () => {
    await expectRefused(await login('expired'), 'exp', /exp is \d{10}, \d+ s ago; expected later than \d{10} \(now minus 60 s of skew\)/);
  });

  it('iat-future: issued 600 s from now, beyond the skew', async () => {
    await expectRefused(await login('iat-future'), 'iat', /iat is \d{10}, \d+ s in the future; expected no later than \d{10} \(now plus 60 s of skew\)/);
  });

  it('azp: two audiences and no azp', async () => {
    const run = await login('azp');
    await expectRefused(run, 'azp', new RegExp(`azp is missing, expected to be ${q(CLIENT_ID)}`));
    // The audience itself was fine: its line passed.
    expect(run.result.stderr).toMatch(checkLine('pass', 'aud'));
  });

  it('at_hash: the id_token is bound to another access token', async () => {
    await expectRefused(await login('at_hash'), 'at_hash', /at_hash is "[A-Za-z0-9_-]{22}", expected to be "[A-Za-z0-9_-]{22}"/);
  });

  it('alg-none: an unsigned token; the key set is not even read', async () => {
    await expectRefused(await login('alg-none'), 'alg', /alg "none" is not one of RS256/);
    expect((await server!.stats()).jwks).toBe(0);
  });

  it('hs256: HMAC keyed with the public key (algorithm confusion)', async () => {
    await expectRefused(await login('hs256'), 'alg', /alg "HS256" is not one of RS256/);
    expect((await server!.stats()).jwks).toBe(0);
  });
});

describe('login refuses an authorization response from the wrong issuer (RFC 9207), before any code is exchanged', () => {
  async function expectMixUp(run: Login, message: RegExp): Promise<void> {
    expect(run.result.code, run.result.stderr).toBe(1);
    expect(run.result.stderr).toMatch(message);
    expect(run.result.stdout).toBe('');
    expect(await storedTokens(run)).toEqual([]);
    expect((await server!.stats()).token).toBe(0);
  }

  it('iss-param: the response names another issuer', async () => {
    const run = await login('iss-param');
    await expectMixUp(run, new RegExp(`^error: mix-up: the authorization response comes from issuer "${escape(FAULTY_VALUES.impostorIssuer)}", expected "${escape(run.issuer)}"`, 'm'));
  });

  it('no-iss-param: the server advertises the parameter but leaves it out', async () => {
    await expectMixUp(await login('no-iss-param'), /^error: the authorization response lacks the iss parameter its server advertises \(RFC 9207 §2\.4\)/m);
  });

  it('no-iss-param through a provider file that names jwksUri (discovery never read) and says iss is sent', async () => {
    const run = await login('no-iss-param', { providerFile: true });
    await expectMixUp(run, /^error: the authorization response lacks the iss parameter its server advertises \(RFC 9207 §2\.4\)/m);
    expect((await server!.stats()).discovery).toBe(0);
  });
});
