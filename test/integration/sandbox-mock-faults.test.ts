// Every fault of `oauthd-cli sandbox` (issue 14), seen twice against one real sandbox process:
//   - by our own `login` (the built CLI, the sandbox added by --issuer as any OpenID provider is),
//     which must detect the fault and explain it: exit 1 with the error naming it, or a warning
//     when the flow can go on;
//   - by a client that is not ours (test/fixtures/independent-client.mjs: openid-client, plus
//     jose's jwtVerify), which must see it.
// Faults are switched through the control endpoint between tests, each for the next request only
// where it acts on one, so a fault that leaked would break the next test's sound flow.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, runCli, type RunCliResult } from '../helpers/run-cli.js';
import { independentClient, startMockSandbox, type MockSandbox } from '../helpers/mock-sandbox.js';

const REDIRECT_BROWSER = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'test', 'helpers', 'redirect-browser.mjs'))}`;
const IMPOSTOR = 'https://impostor.sandbox.test';

let sandbox: MockSandbox;
let project: { dir: string; env: Record<string, string>; cleanup(): Promise<void> };

beforeAll(async () => {
  sandbox = await startMockSandbox(['--auto-approve']);
  const temp = await makeTempDir();
  const env = { HOME: temp.path, XDG_DATA_HOME: join(temp.path, 'data'), MOCK_SECRET: sandbox.clientSecret, BROWSER: REDIRECT_BROWSER };
  project = { dir: temp.path, env, cleanup: temp.cleanup };
  expect((await runCli(['init', '--yes'], { cwd: temp.path, env })).code).toBe(0);
  const add = await runCli(['providers', 'add', 'mock', '--issuer', sandbox.issuer, '--client-id', sandbox.clientId, '--client-secret-env', 'MOCK_SECRET'], { cwd: temp.path, env });
  expect(add.code, add.stderr).toBe(0);
});

afterAll(async () => {
  await sandbox?.stop();
  await project?.cleanup();
});

afterEach(async () => {
  await sandbox.clear();
});

function cli(args: string[]): Promise<RunCliResult> {
  return runCli(args, { cwd: project.dir, env: project.env, timeoutMs: 90_000 });
}

function login(extra: string[] = []): Promise<RunCliResult> {
  return cli(['login', 'mock', '--port', '0', '--verbose', '--no-save', '--timeout', '40', ...extra]);
}

async function on(body: Record<string, unknown>): Promise<void> {
  const answer = await sandbox.fault(body);
  expect(answer.status, JSON.stringify(answer.json)).toBe(201);
}

/** Our login failed on the fault: exit 1, one error line naming it, a hint, no stack, nothing on stdout. */
function refused(result: RunCliResult, message: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/^hint: \S/m);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

/** Our login went through the fault, saying what was wrong. */
function warned(result: RunCliResult, message: RegExp): void {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toMatch(message);
  expect(result.stdout).toContain('Signed in to mock');
}

type Step = Record<string, any>;
const codeFlow = async (): Promise<Step> => (await independentClient(sandbox, [{ do: 'code' }]))[0]!;
const failure = (step: Step) => {
  expect(step.ok, JSON.stringify(step)).toBe(false);
  return step.error as { name: string; code?: string; error?: string; status?: number; message: string; cause?: string };
};

it('without a fault, both clients sign in (the baseline every fault below departs from)', async () => {
  const ours = await login();
  expect(ours.code, ours.stderr).toBe(0);
  expect(ours.stderr).not.toContain('warning');
  const theirs = await codeFlow();
  expect(theirs).toMatchObject({ ok: true, claims: { sub: 'developer', iss: sandbox.issuer, aud: sandbox.clientId }, jose: { ok: true } });
});

describe('id_token faults', () => {
  it('id-token-bad-signature', async () => {
    await on({ fault: 'id-token-bad-signature', count: 1 });
    refused(await login(), /^error: id_token rejected: signature does not verify with the issuer's key/m);
    await on({ fault: 'id-token-bad-signature', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/JWT signature verification failed/);
  });

  it('id-token-unknown-kid', async () => {
    await on({ fault: 'id-token-unknown-kid', count: 1 });
    refused(await login(), /^error: id_token rejected: signature names kid "unknown-[^"]+" \(RS256\), which no key in the issuer's JWKS has/m);
    await on({ fault: 'id-token-unknown-kid', count: 1 });
    expect(failure(await codeFlow()).code).toBe('OAUTH_KEY_SELECTION_FAILED');
  });

  it('id-token-wrong-aud', async () => {
    await on({ fault: 'id-token-wrong-aud', count: 1 });
    refused(await login(), /^error: id_token rejected: aud is "another-client", expected to contain "oauthd-cli-sandbox"/m);
    await on({ fault: 'id-token-wrong-aud', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/unexpected JWT "aud"/);
  });

  it('id-token-wrong-iss', async () => {
    await on({ fault: 'id-token-wrong-iss', count: 1 });
    refused(await login(), new RegExp(`^error: id_token rejected: iss is "${IMPOSTOR}", expected to be "${sandbox.issuer}"`, 'm'));
    await on({ fault: 'id-token-wrong-iss', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/unexpected JWT "iss"/);
  });

  it('id-token-wrong-nonce', async () => {
    await on({ fault: 'id-token-wrong-nonce', count: 1 });
    refused(await login(), /^error: id_token rejected: nonce is "not-the-nonce-you-sent", expected to be "[\w-]+"/m);
    await on({ fault: 'id-token-wrong-nonce', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/unexpected ID Token "nonce"/);
  });

  it('id-token-expired', async () => {
    await on({ fault: 'id-token-expired', count: 1 });
    refused(await login(), /^error: id_token rejected: exp is \d+, 3\d{3} s ago; expected later than \d+ \(now minus 60 s of skew\)/m);
    await on({ fault: 'id-token-expired', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/"exp" \(expiration time\) claim value, expiration is past/);
  });

  it('id-token-future-iat: openid-client lets it through; jose\'s jwtVerify sees it', async () => {
    await on({ fault: 'id-token-future-iat', count: 1 });
    refused(await login(), /^error: id_token rejected: iat is \d+, 3\d{3} s in the future/m);
    await on({ fault: 'id-token-future-iat', count: 1 });
    const theirs = await codeFlow();
    expect(theirs.ok).toBe(true);
    expect(theirs.jose).toMatchObject({ ok: false, message: expect.stringMatching(/"iat" claim timestamp check failed \(it should be in the past\)/) });
  });

  it('id-token-alg-none', async () => {
    await on({ fault: 'id-token-alg-none', count: 1 });
    refused(await login(), /^error: id_token rejected: alg "none" is not one of RS256/m);
    await on({ fault: 'id-token-alg-none', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/unexpected JWT "alg" header parameter/);
  });

  it('clock-skew:SECONDS moves the id_token\'s times; within the allowed skew it is tolerated', async () => {
    await on({ fault: 'clock-skew', value: 3600 });
    refused(await login(), /^error: id_token rejected: iat is \d+, 3\d{3} s in the future/m);
    const theirs = await codeFlow();
    expect(theirs.jose).toMatchObject({ ok: false, message: expect.stringMatching(/"iat" claim timestamp check failed/) });
    expect(theirs.claims.iat - Math.floor(Date.now() / 1000)).toBeGreaterThan(3500);

    await on({ fault: 'clock-skew', value: -20 });
    const within = await login();
    expect(within.code, within.stderr).toBe(0);
    expect(within.stderr).toMatch(/pass\s+id_token iat: issued 2\d s ago/);
  });
});

describe('authorization response faults', () => {
  it('missing-iss: RFC 9207 iss left out', async () => {
    await on({ fault: 'missing-iss', count: 1 });
    refused(await login(), /^error: the authorization response lacks the iss parameter its server advertises \(RFC 9207 §2\.4\)/m);
    await on({ fault: 'missing-iss', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/response parameter "iss" \(issuer\) missing/);
  });

  it('wrong-iss: RFC 9207 iss names another issuer', async () => {
    await on({ fault: 'wrong-iss', count: 1 });
    refused(await login(), new RegExp(`^error: mix-up: the authorization response comes from issuer "${IMPOSTOR}", expected "${sandbox.issuer}"`, 'm'));
    await on({ fault: 'wrong-iss', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/unexpected "iss" \(issuer\) response parameter value/);
  });

  it('consent-denied: error=access_denied', async () => {
    await on({ fault: 'consent-denied', count: 1 });
    refused(await login(), /^error: the provider refused: access_denied — The user denied the request \(sandbox fault consent-denied\)/m);
    await on({ fault: 'consent-denied', count: 1 });
    expect(failure(await codeFlow())).toMatchObject({ name: 'AuthorizationResponseError', error: 'access_denied' });
  });
});

describe('token endpoint faults', () => {
  it('invalid-grant: the next code exchange', async () => {
    await on({ fault: 'invalid-grant', count: 1 });
    refused(await login(), /^error: the token endpoint refused: invalid_grant — the code was refused \(sandbox fault invalid-grant\) \[HTTP 400\]/m);
    await on({ fault: 'invalid-grant', count: 1 });
    expect(failure(await codeFlow())).toMatchObject({ name: 'ResponseBodyError', error: 'invalid_grant', status: 400 });
  });

  it('error-in-200', async () => {
    await on({ fault: 'error-in-200', count: 1 });
    refused(await login(), /^error: the token endpoint refused: invalid_grant — .*\[HTTP 200\]/m);
    await on({ fault: 'error-in-200', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/"access_token" property must be a string/);
  });

  it('form-encoded-token', async () => {
    await on({ fault: 'form-encoded-token', count: 1 });
    warned(await login(), /^warning: token response: the body is form-encoded \(Content-Type "application\/x-www-form-urlencoded"\); §5\.1 requires application\/json/m);
    await on({ fault: 'form-encoded-token', count: 1 });
    expect(failure(await codeFlow())).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_JSON', status: 200 });
  });

  it('no-token-type', async () => {
    await on({ fault: 'no-token-type', count: 1 });
    warned(await login(), /^warning: token response: no token_type; assuming "Bearer"/m);
    await on({ fault: 'no-token-type', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/"token_type" property must be a string/);
  });

  it('expires-renamed', async () => {
    await on({ fault: 'expires-renamed', count: 1 });
    warned(await login(), /^warning: token response: uses "expires" instead of "expires_in"/m);
    await on({ fault: 'expires-renamed', count: 1 });
    const theirs = await codeFlow();
    // Standard clients do not know "expires": the token's lifetime is simply gone.
    expect(theirs.ok).toBe(true);
    expect(theirs.expires_in).toBeUndefined();
  });

  it('refresh-reuse-revokes: refresh tokens rotate, and a reused one revokes the grant', async () => {
    // Ours: log in and keep the token, refresh it (rotated), then present the first refresh token
    // again (the vault file as it was before the refresh), then the rotated one.
    const kept = await cli(['login', 'mock', '--port', '0', '--store', 'file', '--timeout', '40']);
    expect(kept.code, kept.stderr).toBe(0);
    const vault = join(project.env.XDG_DATA_HOME!, 'oauthd-cli', 'secrets.json');
    await copyFile(vault, `${vault}.before`);
    await on({ fault: 'refresh-reuse-revokes' });
    const refreshed = await cli(['token', 'refresh', 'mock', '--force', '--store', 'file']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stderr).toMatch(/rotated/i);
    await copyFile(vault, `${vault}.after`);
    await copyFile(`${vault}.before`, vault);
    refused(await cli(['token', 'refresh', 'mock', '--force', '--store', 'file']), /^error: .*invalid_grant/m);
    await copyFile(`${vault}.after`, vault);
    refused(await cli(['token', 'refresh', 'mock', '--force', '--store', 'file']), /^error: .*invalid_grant/m);

    const theirs = await independentClient(sandbox, [{ do: 'code' }, { do: 'refresh' }, { do: 'refresh', token: 'previous' }, { do: 'refresh' }]);
    expect(theirs[1]).toMatchObject({ ok: true, rotated: true });
    expect(theirs[2]).toMatchObject({ ok: false, error: { error: 'invalid_grant' } });
    expect(theirs[3]).toMatchObject({ ok: false, error: { error: 'invalid_grant' } });
  });

  it('device-slow-down: a device poll answered slow_down', async () => {
    await on({ fault: 'device-slow-down', count: 1 });
    const ours = await cli(['login', 'mock', '--device', '--no-save', '--timeout', '60']);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stderr).toMatch(/The provider asked to slow down: polling every \d+ s\./);
    await on({ fault: 'device-slow-down', count: 1 });
    const [theirs] = await independentClient(sandbox, [{ do: 'device-poll' }]);
    expect(failure(theirs!)).toMatchObject({ error: 'slow_down', status: 400 });
  }, 90_000);
});

describe('transport faults (back channel)', () => {
  it('html-502', async () => {
    await on({ fault: 'html-502', count: 1 });
    refused(await login(), /^error: the token endpoint answered HTTP 502 with an HTML page, not a token response: "502 Bad Gateway"/m);
    await on({ fault: 'html-502', count: 1 });
    expect(failure(await codeFlow())).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_CONFORM', status: 502 });
  });

  it('unavailable: 503 with Retry-After', async () => {
    await on({ fault: 'unavailable', value: 7, count: 1 });
    refused(await login(), /^error: the token endpoint refused: temporarily_unavailable — the sandbox is unavailable \(fault unavailable\); retry after 7 s \[HTTP 503\]/m);
    await on({ fault: 'unavailable', count: 1 });
    expect(failure(await codeFlow())).toMatchObject({ status: 503 });
    await on({ fault: 'unavailable', value: 7, count: 1 });
    const raw = await fetch(`${sandbox.issuer}/token`, { method: 'POST' });
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBe('7');
  });

  it('drop-connection', async () => {
    await on({ fault: 'drop-connection', count: 1 });
    refused(await login(), /^error: the token exchange failed: .*cannot reach 127\.0\.0\.1:\d+ \(connection closed\)/m);
    await on({ fault: 'drop-connection', count: 1 });
    expect(failure(await codeFlow()).cause).toMatch(/other side closed/);
  });

  it('latency:MS slows every back-channel answer, and the trace shows the wait', async () => {
    await on({ fault: 'latency', value: 1500 });
    const ours = await cli(['login', 'mock', '--port', '0', '--trace', '--no-save', '--timeout', '40']);
    expect(ours.code, ours.stderr).toBe(0);
    const tokenAnswer = /→ POST \S+\/token .*\n(?:.*\n)*?← 200 OK\s+(\d+) ms/.exec(ours.stderr);
    expect(Number(tokenAnswer?.[1])).toBeGreaterThanOrEqual(1500);
    const [code, userinfo] = await independentClient(sandbox, [{ do: 'code' }, { do: 'userinfo' }]);
    expect(code!.ms).toBeGreaterThanOrEqual(1500);
    expect(userinfo!.ms).toBeGreaterThanOrEqual(1500);
  });
});

describe('keys', () => {
  it('rotate-keys: a new signing key, the old one gone from the JWKS', async () => {
    const jwks = async () => ((await (await fetch(`${sandbox.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    const before = await jwks();
    const first = await cli(['login', 'mock', '--port', '0', '--json', '--no-save', '--timeout', '40']);
    expect(first.code, first.stderr).toBe(0);
    expect(decodeProtectedHeader(JSON.parse(first.stdout).id_token).kid).toBe(before[0]);

    // openid-client caches the key set it read before the rotation; the new kid is not in it.
    const theirs = await independentClient(sandbox, [{ do: 'code' }, { do: 'control', body: { fault: 'rotate-keys' } }, { do: 'code' }]);
    expect(theirs[0]).toMatchObject({ ok: true });
    expect(theirs[1]).toMatchObject({ ok: true, status: 201 });
    expect(failure(theirs[2]!).code).toBe('OAUTH_KEY_SELECTION_FAILED');

    const after = await jwks();
    expect(after).toHaveLength(1);
    expect(after).not.toContain(before[0]);
    // Ours reads the key set when it needs it: the new kid verifies.
    const second = await cli(['login', 'mock', '--port', '0', '--json', '--verbose', '--no-save', '--timeout', '40']);
    expect(second.code, second.stderr).toBe(0);
    expect(decodeProtectedHeader(JSON.parse(second.stdout).id_token).kid).toBe(after[0]);
    expect(second.stderr).toMatch(/pass\s+id_token signature: verified/);

    // Cleared: the stored key is back.
    await sandbox.clear();
    expect(await jwks()).toEqual(before);
  });
});

it('the control endpoint lists what is on and what each count has left', async () => {
  await on({ fault: 'latency', value: 10 });
  await on({ fault: 'html-502', count: 2 });
  expect(await sandbox.faults()).toEqual([
    { fault: 'latency', value: 10, place: 'back channel' },
    { fault: 'html-502', place: 'back channel', count: 2, remaining: 2 },
  ]);
  await fetch(`${sandbox.issuer}/token`, { method: 'POST' });
  expect(await sandbox.faults()).toEqual([
    { fault: 'latency', value: 10, place: 'back channel' },
    { fault: 'html-502', place: 'back channel', count: 2, remaining: 1 },
  ]);
  await fetch(`${sandbox.issuer}/token`, { method: 'POST' });
  expect(await sandbox.faults()).toEqual([{ fault: 'latency', value: 10, place: 'back channel' }]);
  // The discovery document and the key set are never faulted: a client can always set itself up.
  await on({ fault: 'html-502' });
  expect((await fetch(`${sandbox.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  expect((await fetch(`${sandbox.issuer}/jwks`)).status).toBe(200);
});
