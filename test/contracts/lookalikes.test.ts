// The contracts of the quirky providers, run against the sandbox's look-alike of each (issue 14):
// the broker is built around the REAL catalog entry (harness.ts, as every contract test), and its
// HTTP client sends each of the provider's origins to the sandbox's prefix for it, as an app
// whose base URLs point at `oauthd-cli sandbox --as <id>` does. A look-alike that shaped an answer
// otherwise than the catalog entry says would fail here the way the real provider's fake does in
// <id>.test.ts: the nested Slack token not found, a form-encoded GitHub answer unread, a profile
// field unmapped, an API call without the provider's own token header.
//
// What a description cannot say is not checked here (the fakes of fake-providers.ts check it):
// error texts, Slack's HTTP 200 errors, GitHub's comma scopes, numeric ids, a team object.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchClient, type HttpClient, type HttpRequest } from '../../src/oauth/http.js';
import { findCatalogProvider } from '../../src/providers/catalog.js';
import { FaultSet } from '../../src/sandbox/faults.js';
import { Lookalike } from '../../src/sandbox/lookalike.js';
import { startStandaloneSandbox, type StandaloneSandbox } from '../../src/sandbox/standalone.js';
import { getPath } from '../../src/util/json.js';
import { BROKER_ORIGIN, contractBroker, deviationCodes, expectOneLineFailure, success, type ContractBroker } from './harness.js';

interface Running {
  sandbox: StandaloneSandbox;
  lookalike: Lookalike;
  broker: ContractBroker;
  sent: HttpRequest[];
  dir: string;
}

const running: Running[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    await run.broker.close();
    await run.sandbox.close();
    await rm(run.dir, { recursive: true, force: true });
  }
});

/** The provider's URL as the sandbox serves it. */
function toSandbox(lookalike: Lookalike, origin: string, url: string): string {
  const parsed = new URL(url);
  const prefix = lookalike.origins.get(parsed.origin);
  return prefix === undefined ? url : `${origin}${prefix}${parsed.pathname === '/' ? '' : parsed.pathname}${parsed.search}`;
}

async function lookalikeOf(id: string, keyset: Record<string, unknown> = {}): Promise<Running> {
  const spec = await findCatalogProvider(id);
  if (!spec) throw new Error(`providers/${id}.json is not in the catalog`);
  const lookalike = new Lookalike(spec);
  const dir = await mkdtemp(join(tmpdir(), 'oauthd-cli-lookalike-'));
  const sandbox = await startStandaloneSandbox({ dir, port: 0, mock: { faults: new FaultSet(), autoApprove: true, lookalike } });
  const real = fetchClient({ timeoutMs: 10_000 });
  const sent: HttpRequest[] = [];
  const http: HttpClient = async (request) => {
    sent.push(request);
    return real({ ...request, url: toSandbox(lookalike, sandbox.origin, request.url) });
  };
  const broker = await contractBroker(id, { keyset: { clientId: sandbox.sandbox.clientId, ...keyset }, clientSecret: sandbox.sandbox.clientSecret, http });
  const run = { sandbox, lookalike, broker, sent, dir };
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

  it('a code used twice: one line naming invalid_grant', async () => {
    const run = await lookalikeOf(id, keyset);
    const redirect = await approve(run, await run.broker.start());
    success(await run.broker.callback(redirect));
    // The broker refuses a state it already answered; a fresh flow with the spent code reaches the token endpoint.
    const again = await approve(run, await run.broker.start());
    const failed = await run.broker.callback({ ...again, code: redirect.code! });
    expect(expectOneLineFailure(failed)).toMatch(/invalid_grant/);
  });

  it('a token the provider does not know: its profile endpoint refuses, and the caller gets the 401', async () => {
    const run = await lookalikeOf(id, keyset);
    const me = await run.broker.me({ access_token: 'not-a-token-of-this-sandbox' });
    expect(me.status).toBe(401);
    expect(me.json.message).toMatch(/invalid_token/);
  });
});

describe('refresh, where the entry says the provider issues refresh tokens', () => {
  it.each(CONTRACTS.filter(({ id }) => ['google', 'microsoft', 'dropbox', 'reddit', 'x'].includes(id)))('$id', async ({ id, keyset }) => {
    const run = await lookalikeOf(id, keyset);
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

  it('salesforce: instance_url points at the sandbox, which the catalog\'s tokenOrigins (https://*.salesforce.com) refuses', async () => {
    const run = await lookalikeOf('salesforce');
    const outcome = success(await run.broker.callback(await approve(run, await run.broker.start())));
    expect(outcome.token.extra.instance_url).toBe(`${run.sandbox.origin}/sandbox/token.instance_url`);
    const me = await run.broker.me({ access_token: outcome.token.access_token, instance_url: outcome.token.extra.instance_url as string });
    expect(me.status).toBeGreaterThanOrEqual(400);
    expect(me.status).toBeLessThan(500);
    expect(me.json.message).toMatch(/instance_url/);
  });

  it('twitter (OAuth 1.0a only) has no look-alike', () => {
    return expect(findCatalogProvider('twitter').then((spec) => new Lookalike(spec!))).rejects.toThrow(/speaks only OAuth 1\.0a/);
  });
});
