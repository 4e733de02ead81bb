// The contracts of the quirky providers, run against the sandbox's look-alike of each (issue 14):
// the broker is built around the REAL catalog entry (harness.ts, as every contract test), and its
// HTTP client sends each of the provider's origins to the sandbox's prefix for it, as an app
// whose base URLs point at `oauthd-cli sandbox --as <id>` does. A look-alike that shaped an answer
// otherwise than the catalog entry says would fail here the way the real provider's fake does in
// <id>.test.ts: the nested Slack token not found, a form-encoded GitHub answer unread, a profile
// field unmapped, an API call without the provider's own token header.
//
// What a description cannot say is not checked here (the fakes of fake-providers.ts check it):
// error texts, GitHub's comma scopes, numeric ids, a team object. What it does say is: the error
// shapes of tokenResponse.error (Slack's HTTP 200 {"ok": false}, GitHub's bad_verification_code),
// OAuth 1.0a (twitter: every request's signature checked by the look-alike), and Salesforce's
// instance_url (an app's copy of the entry pointed at the sandbox: the token endpoint's own
// loopback origin is accepted, no other).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchClient, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/oauth/http.js';
import type { ProviderSpec } from '../../src/providers/schema.js';
import { findCatalogProvider } from '../../src/providers/catalog.js';
import { FaultSet } from '../../src/sandbox/faults.js';
import { Lookalike } from '../../src/sandbox/lookalike.js';
import { startStandaloneSandbox, type StandaloneSandbox } from '../../src/sandbox/standalone.js';
import { getPath } from '../../src/util/json.js';
import { BROKER_ORIGIN, contractBroker, deviationCodes, expectOneLine, expectOneLineFailure, popupResult, success, type ContractBroker } from './harness.js';

interface Running {
  sandbox: StandaloneSandbox;
  lookalike: Lookalike;
  broker: ContractBroker;
  faults: FaultSet;
  sent: HttpRequest[];
  /** Each answer, beside the request in `sent`. */
  received: HttpResponse[];
  dir: string;
}

const running: Running[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    await run.broker.close();
    await run.sandbox.close();
    await rm(run.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
});

/** The provider's URL as the sandbox serves it. */
function toSandbox(lookalike: Lookalike, origin: string, url: string): string {
  const parsed = new URL(url);
  const prefix = lookalike.origins.get(parsed.origin);
  return prefix === undefined ? url : `${origin}${prefix}${parsed.pathname === '/' ? '' : parsed.pathname}${parsed.search}`;
}

/**
 * The sandbox as `--as <id>`, and a broker around the catalog entry. `pointed`: the broker reads
 * the entry as an app's own copy pointed at the sandbox (Lookalike.description) instead of the
 * entry with its origins swapped on the way out; `clientSecret`: a secret other than the sandbox's.
 */
async function lookalikeOf(id: string, keyset: Record<string, unknown> = {}, options: { pointed?: boolean; clientSecret?: string } = {}): Promise<Running> {
  const catalog = await findCatalogProvider(id);
  if (!catalog) throw new Error(`providers/${id}.json is not in the catalog`);
  const lookalike = new Lookalike(catalog);
  const dir = await mkdtemp(join(tmpdir(), 'oauthd-cli-lookalike-'));
  const faults = new FaultSet();
  const sandbox = await startStandaloneSandbox({ dir, port: 0, mock: { faults, autoApprove: true, lookalike } });
  const real = fetchClient({ timeoutMs: 10_000 });
  const sent: HttpRequest[] = [];
  const received: HttpResponse[] = [];
  const http: HttpClient = async (request) => {
    sent.push(request);
    const response = await real({ ...request, url: toSandbox(lookalike, sandbox.origin, request.url) });
    received.push(response);
    return response;
  };
  const spec: ProviderSpec | undefined = options.pointed ? lookalike.description(sandbox.origin) : undefined;
  const broker = await contractBroker(id, {
    keyset: { clientId: sandbox.sandbox.clientId, ...keyset },
    clientSecret: options.clientSecret ?? sandbox.sandbox.clientSecret,
    http,
    ...(spec ? { spec } : {}),
  });
  const run = { sandbox, lookalike, broker, faults, sent, received, dir };
  running.push(run);
  return run;
}

/** The browser's part: the authorization URL the broker built, followed until the broker's callback. */
async function approve(run: Running, authorize: URL): Promise<Record<string, string>> {
  let url = new URL(toSandbox(run.lookalike, run.sandbox.origin, authorize.toString()));
  for (let hop = 0; hop < 10; hop++) {
    if (url.origin === BROKER_ORIGIN) return Object.fromEntries(url.searchParams);
    const answer = await fetch(url, { redirect: 'manual' });
    const location = answer.headers.get('location');
    if (answer.status < 300 || answer.status >= 400 || !location) throw new Error(`the sandbox answered HTTP ${answer.status} at ${url.pathname}: ${(await answer.text()).slice(0, 200)}`);
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}

interface Contract {
  id: string;
  keyset?: Record<string, unknown>;
  /** Deviations the catalog entry's quirks make the reader report. */
  deviations?: string[];
}

const CONTRACTS: Contract[] = [
  { id: 'github' },
  { id: 'slack', keyset: { scope: ['identity.basic', 'channels:read'] }, deviations: ['scope-commas'] },
  { id: 'google' },
  { id: 'microsoft' },
  { id: 'dropbox' },
  { id: 'reddit' },
  { id: 'x' },
  { id: 'facebook', deviations: ['scope-commas'] },
  // Shopify's missing token_type is in its notes, not in a field: the look-alike sends token_type.
  { id: 'shopify', keyset: { params: { shop: 'my-store' }, scope: ['read_products', 'read_orders'] }, deviations: ['scope-commas'] },
];

describe.each(CONTRACTS)('the look-alike of $id, through its catalog entry', ({ id, keyset, deviations }) => {
  it('signs in: the token read where the entry says, the profile mapped, the API called its way', async () => {
    const run = await lookalikeOf(id, keyset);
    const { broker, spec } = { broker: run.broker, spec: run.broker.spec };
    const done = await broker.callback(await approve(run, await broker.start()));
    const outcome = success(done);

    // The token sits at the entry's path, and nowhere else.
    const paths = spec.oauth2!.tokenResponse?.paths ?? {};
    expect(getPath(outcome.raw, paths.access_token ?? 'access_token')).toBe(outcome.token.access_token);
    if (paths.access_token) expect(outcome.raw.access_token).toBeUndefined();
    expect(deviationCodes(done)).toEqual(expect.arrayContaining(deviations ?? []));
    // An id_token only from an OpenID provider asked for openid, and then verified by the broker.
    const openid = spec.oidc !== undefined && (spec.oauth2!.scopes.default.includes('openid') || (keyset?.scope as string[] | undefined)?.includes('openid'));
    if (openid) expect(outcome.idToken?.claims).toMatchObject({ sub: 'developer' });
    else expect(outcome.raw.id_token).toBeUndefined();

    const token = outcome.token.access_token;
    const me = await broker.me({ access_token: token });
    expect(me.status, JSON.stringify(me.json)).toBe(200);
    const expected: Record<string, string> = { id: 'developer', name: 'Sandbox User developer', alias: 'developer', email: 'developer@sandbox.test' };
    for (const field of Object.keys(spec.profile!.map)) {
      if (expected[field] !== undefined) expect(me.json.data?.[field], field).toBe(expected[field]);
    }

    const api = await broker.request('sandbox/echo', { access_token: token });
    expect(api.status, api.body).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ path: '/sandbox/echo', sub: 'developer' });
    // The entry's own API headers went with it (X-GitHub-Api-Version, X-Shopify-Access-Token).
    const call = run.sent.filter((request) => request.url.startsWith(spec.api!.baseUrl.replace(/\{[^}]+\}/g, ''))).at(-1) ?? run.sent.at(-1)!;
    for (const name of Object.keys(spec.api?.headers ?? {})) expect(Object.keys(call.headers).map((header) => header.toLowerCase())).toContain(name.toLowerCase());
  });

  it('a code used twice: one line, read as invalid_grant (named in the entry\'s own words where it has them)', async () => {
    const run = await lookalikeOf(id, keyset);
    const spec = run.broker.spec;
    const redirect = await approve(run, await run.broker.start());
    success(await run.broker.callback(redirect));
    // The broker refuses a state it already answered; a fresh flow with the spent code reaches the token endpoint.
    const again = await approve(run, await run.broker.start());
    const failed = await run.broker.callback({ ...again, code: redirect.code! });
    const own = Object.keys(spec.oauth2!.tokenResponse?.error?.codes ?? {})[0] ?? 'invalid_grant';
    expect(expectOneLineFailure(failed)).toMatch(new RegExp(`^the token endpoint refused: ${own}\\b`));
    expect(failed.outcome?.ok === false && failed.outcome.error.code).toBe('invalid_grant');
  });

  it('a token the provider does not know: its profile endpoint refuses, and the caller gets the 401', async () => {
    const run = await lookalikeOf(id, keyset);
    const me = await run.broker.me({ access_token: 'not-a-token-of-this-sandbox' });
    expect(me.status).toBe(401);
    expect(me.json.message).toMatch(/invalid_token/);
  });
});

describe('refresh, where the entry says the provider issues refresh tokens', () => {
  it.each([...CONTRACTS.filter(({ id }) => ['google', 'microsoft', 'dropbox', 'reddit', 'x'].includes(id)), { id: 'salesforce', keyset: {}, pointed: true }])('$id', async ({ id, keyset, ...rest }) => {
    const run = await lookalikeOf(id, keyset, 'pointed' in rest ? { pointed: true } : {});
    const outcome = success(await run.broker.callback(await approve(run, await run.broker.start())));
    expect(outcome.token.refresh_token).toBeTruthy();
    const refreshed = await run.broker.refresh(outcome.token.refresh_token!);
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
  });

  it('github issues none (refresh is not in its entry)', async () => {
    const run = await lookalikeOf('github');
    const outcome = success(await run.broker.callback(await approve(run, await run.broker.start())));
    expect(outcome.token.refresh_token).toBeUndefined();
  });
});

describe('what a look-alike answers beside the broker', () => {
  it('github: form-encoded unless asked for JSON, as the entry\'s Accept header implies', async () => {
    const run = await lookalikeOf('github');
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: run.sandbox.sandbox.clientId, client_secret: run.sandbox.sandbox.clientSecret });
    const url = `${run.sandbox.origin}/sandbox/github.com/login/oauth/access_token`;
    const plain = await fetch(url, { method: 'POST', body });
    expect(plain.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(await plain.text()).toMatch(/^access_token=[\w-]+&/);
    const asked = await fetch(url, { method: 'POST', body, headers: { accept: 'application/json' } });
    expect(await asked.json()).toMatchObject({ access_token: expect.any(String) });
  });

  it('an OAuth 1.0a provider that signs with RSA-SHA1 has none (the sandbox would need the consumer\'s public key)', async () => {
    const twitter = (await findCatalogProvider('twitter'))!;
    expect(() => new Lookalike({ ...twitter, oauth1: { ...twitter.oauth1!, signatureMethod: 'RSA-SHA1' } })).toThrow(/signs with RSA-SHA1, which the sandbox cannot check/);
  });
});

describe('salesforce: instance_url, a token field that decides where /me and the API go', () => {
  it('through an app\'s copy of the entry pointed at the sandbox: the token endpoint\'s own loopback origin is accepted', async () => {
    const run = await lookalikeOf('salesforce', {}, { pointed: true });
    const { broker } = run;
    expect(broker.provider.resolved.oauth2?.tokenUrl).toBe(`${run.sandbox.origin}/sandbox/login.salesforce.com/services/oauth2/token`);
    const done = await broker.callback(await approve(run, await broker.start()));
    const outcome = success(done);
    const instanceUrl = outcome.token.extra.instance_url as string;
    expect(instanceUrl).toBe(`${run.sandbox.origin}/sandbox/token.instance_url`);
    // The id_token names the entry's issuer, verified with the sandbox's keys (jwksUri of the copy).
    expect(outcome.idToken?.claims).toMatchObject({ iss: 'https://login.salesforce.com', sub: 'developer' });

    const fields = { access_token: outcome.token.access_token, instance_url: instanceUrl };
    const me = await broker.me(fields);
    expect(me.status, JSON.stringify(me.json)).toBe(200);
    expect(me.json.data).toMatchObject({ id: 'developer', name: 'Sandbox User developer', alias: 'developer', email: 'developer@sandbox.test' });
    const api = await broker.request('services/data/v60.0/sobjects', fields);
    expect(api.status, api.body).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ path: '/services/data/v60.0/sobjects', sub: 'developer' });
    expect(run.sent.at(-1)!.url).toBe(`${instanceUrl}/services/data/v60.0/sobjects`);
  });

  it.each([
    ['another port on loopback', (origin: string) => `http://127.0.0.1:${Number(new URL(origin).port) === 65535 ? 65534 : Number(new URL(origin).port) + 1}`],
    ['another loopback name for the same port', (origin: string) => origin.replace('127.0.0.1', 'localhost')],
    ['https on the same address', (origin: string) => origin.replace('http:', 'https:')],
    ['a climb out of the path', (origin: string) => `${origin}/sandbox/../_control`],
  ])('a caller\'s instance_url on %s is still refused, nothing sent', async (_name, value) => {
    const run = await lookalikeOf('salesforce', {}, { pointed: true });
    const outcome = success(await run.broker.callback(await approve(run, await run.broker.start())));
    const before = run.sent.length;
    const me = await run.broker.me({ access_token: outcome.token.access_token, instance_url: value(run.sandbox.origin) });
    expect(me.status).toBe(403);
    expect(me.json.message).toMatch(/^refusing to send a Salesforce token to .* from \{token\.instance_url\}/);
    expect(run.sent.length).toBe(before);
  });

  it('through the entry itself (https://login.salesforce.com, swapped only on the way out): the loopback instance_url is refused, as for the real provider', async () => {
    const run = await lookalikeOf('salesforce');
    const outcome = success(await run.broker.callback(await approve(run, await run.broker.start())));
    expect(outcome.token.extra.instance_url).toBe(`${run.sandbox.origin}/sandbox/token.instance_url`);
    const me = await run.broker.me({ access_token: outcome.token.access_token, instance_url: outcome.token.extra.instance_url as string });
    expect(me.status).toBe(403);
    expect(me.json.message).toMatch(/instance_url.*not an https URL/);
  });
});

describe('error shapes from the entry (tokenResponse.error), under the invalid-grant fault', () => {
  it('slack: HTTP 200 {"ok": false, "error": "invalid_code"}, which the broker reads as invalid_grant', async () => {
    const run = await lookalikeOf('slack');
    run.faults.add({ fault: 'invalid-grant', count: 1 });
    const done = await run.broker.callback(await approve(run, await run.broker.start()));
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_code — the code was refused (sandbox fault invalid-grant) [HTTP 200]');
    expect(done.outcome?.ok === false && done.outcome.error).toMatchObject({ code: 'invalid_grant', error: 'invalid_code', status: 200 });
    const answer = run.received.at(-1)!;
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    expect(Object.entries(body).slice(0, 2)).toEqual([['ok', false], ['error', 'invalid_code']]);
  });

  it('slack: a code used twice (oidc-provider\'s own invalid_grant) comes in the same shape', async () => {
    const run = await lookalikeOf('slack');
    const redirect = await approve(run, await run.broker.start());
    success(await run.broker.callback(redirect));
    const again = await approve(run, await run.broker.start());
    const failed = await run.broker.callback({ ...again, code: redirect.code! });
    expect(expectOneLineFailure(failed)).toMatch(/^the token endpoint refused: invalid_code — .* \[HTTP 200\]$/);
  });

  it('github: HTTP 200 bad_verification_code, JSON when asked (the broker asks), form-encoded when not', async () => {
    const run = await lookalikeOf('github');
    run.faults.add({ fault: 'invalid-grant', count: 2 });
    const done = await run.broker.callback(await approve(run, await run.broker.start()));
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: bad_verification_code — the code was refused (sandbox fault invalid-grant) [HTTP 200]');
    expect(done.outcome?.ok === false && done.outcome.error).toMatchObject({ code: 'invalid_grant', error: 'bad_verification_code' });
    expect(JSON.parse(run.received.at(-1)!.text)).toMatchObject({ error: 'bad_verification_code' });
    const plain = await fetch(`${run.sandbox.origin}/sandbox/github.com/login/oauth/access_token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'any', client_id: run.sandbox.sandbox.clientId, client_secret: run.sandbox.sandbox.clientSecret, redirect_uri: 'http://127.0.0.1:9/cb' }),
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(await plain.text()).toMatch(/^error=bad_verification_code&error_description=/);
  });

  it('a provider whose entry says nothing of its errors answers RFC 6749 §5.2: 400 invalid_grant', async () => {
    const run = await lookalikeOf('dropbox');
    run.faults.add({ fault: 'invalid-grant', count: 1 });
    const done = await run.broker.callback(await approve(run, await run.broker.start()));
    expect(expectOneLineFailure(done)).toBe('the token endpoint refused: invalid_grant — the code was refused (sandbox fault invalid-grant) [HTTP 400]');
  });
});

describe('the look-alike of twitter (OAuth 1.0a), through its catalog entry', () => {
  const credentials = (token: { access_token: string; token_secret?: string }) => ({ oauthv: '1', oauth_token: token.access_token, oauth_token_secret: token.token_secret! });

  it('the three legs, each request\'s signature checked; /me and the API signed with the token credentials', async () => {
    const run = await lookalikeOf('twitter');
    const authorize = await run.broker.start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://api.x.com/oauth/authorize');
    const requestToken = run.received.at(-1)!;
    expect(requestToken.status).toBe(200);
    expect(requestToken.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(requestToken.text).toMatch(/^oauth_token=[\w-]+&oauth_token_secret=[\w-]+&oauth_callback_confirmed=true$/);

    const done = await run.broker.callback(await approve(run, authorize));
    const outcome = success(done);
    expect(run.sent.at(-1)!.headers.authorization).toMatch(/oauth_verifier="[^"]+"/);
    expect(outcome.token.token_secret).toBeTruthy();
    expect(outcome.deviations).toEqual([]);
    expect(done.result?.data).toMatchObject({ oauth_token: outcome.token.access_token, oauth_token_secret: outcome.token.token_secret });

    const me = await run.broker.me(credentials(outcome.token));
    expect(me.status, JSON.stringify(me.json)).toBe(200);
    expect(me.json.data).toMatchObject({ id: 'developer', name: 'Sandbox User developer', alias: 'developer', email: 'developer@sandbox.test' });
    const api = await run.broker.request(encodeURIComponent('/1.1/statuses/update.json'), credentials(outcome.token), {
      method: 'POST',
      payload: 'status=Hello%20Ladies%20%2B%20Gentlemen&include_entities=true',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(api.status, api.body).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ method: 'POST', path: '/1.1/statuses/update.json', sub: 'developer' });

    // The same signed request with one body parameter changed: the body was signed, the look-alike checks it.
    const sent = run.sent.at(-1)!;
    const tampered = await fetch(toSandbox(run.lookalike, run.sandbox.origin, sent.url), { method: 'POST', headers: sent.headers, body: sent.body!.replace('include_entities=true', 'include_entities=false') });
    expect(tampered.status).toBe(401);
    expect(await tampered.text()).toMatch(/^oauth_problem=signature_invalid&/);
    // And the untouched request, sent again, is a replay.
    const replay = await fetch(toSandbox(run.lookalike, run.sandbox.origin, sent.url), { method: 'POST', headers: sent.headers, body: sent.body! });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toMatch(/^oauth_problem=nonce_used&/);
  });

  it('a consumer secret that is not the sandbox\'s: signature_invalid ends the start in one line', async () => {
    const run = await lookalikeOf('twitter', {}, { clientSecret: 'not-the-secret' });
    const started = await run.broker.startRaw();
    expect(started.status).toBe(502);
    const message = popupResult(started.body)?.message;
    expectOneLine(message);
    expect(message).toMatch(/^the request-token endpoint refused: oauth_problem=signature_invalid/);
  });

  it('the user declines (consent-denied): denied=<token>, one line', async () => {
    const run = await lookalikeOf('twitter');
    run.faults.add({ fault: 'consent-denied', count: 1 });
    const done = await run.broker.callback(await approve(run, await run.broker.start()));
    expect(expectOneLineFailure(done)).toBe('the user denied access at the provider');
  });

  it('invalid-grant at the access-token step, and a verifier used twice: the Problem Reporting answer, one line', async () => {
    const run = await lookalikeOf('twitter');
    run.faults.add({ fault: 'invalid-grant', count: 1 });
    const refused = await run.broker.callback(await approve(run, await run.broker.start()));
    expect(expectOneLineFailure(refused)).toMatch(/^the access-token endpoint refused: oauth_problem=token_rejected — the request token was refused \(sandbox fault invalid-grant\) \[HTTP 401\]$/);

    const redirect = await approve(run, await run.broker.start());
    success(await run.broker.callback(redirect));
    // The spent temporary token's exchange, replayed with a fresh signature: the token is gone.
    const accessToken = run.sent.at(-1)!;
    const again = await fetch(toSandbox(run.lookalike, run.sandbox.origin, accessToken.url), { method: 'POST', headers: accessToken.headers, body: accessToken.body ?? '' });
    expect(again.status).toBe(401);
    expect(await again.text()).toMatch(/^oauth_problem=(token_rejected|nonce_used)&/);
  });
});
