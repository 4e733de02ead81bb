// src/providers/validate.ts + src/providers/catalog.ts: the rules beyond the schema, and lookup.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_DIR, catalogIds, closestNames, didYouMean, findCatalogProvider, loadCatalog, unknownNameHint } from '../../src/providers/catalog.js';
import { validateProvider } from '../../src/providers/validate.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

async function catalogJson(id: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(CATALOG_DIR, `${id}.json`), 'utf8')) as Record<string, any>;
}

describe('validateProvider', () => {
  it('a real catalog file passes, with and without its file name', async () => {
    for (const id of ['microsoft', 'salesforce', 'keycloak', 'github']) {
      const spec = await catalogJson(id);
      expect(validateProvider(spec), id).toEqual([]);
      expect(validateProvider(spec, id), id).toEqual([]);
    }
  });

  it('the id must equal the file name', async () => {
    expect(validateProvider(await catalogJson('microsoft'), 'azure')).toEqual([
      { path: '/id', message: 'is "microsoft" but the file is named azure.json; they must match' },
    ]);
  });

  it('authorizeParams may not set a parameter of the authorization request itself', async () => {
    const spec = await catalogJson('google');
    spec.oauth2.authorizeParams = { ...spec.oauth2.authorizeParams, state: 'fixed', redirect_uri: 'https://evil.example/cb', scope: 'email' };
    expect(validateProvider(spec, 'google')).toEqual([
      { path: '/oauth2/authorizeParams/state', message: 'sets state, which the broker sets on every authorization request; remove it' },
      { path: '/oauth2/authorizeParams/redirect_uri', message: 'sets redirect_uri, which the broker sets on every authorization request; remove it' },
      { path: '/oauth2/authorizeParams/scope', message: 'sets scope, which the broker sets on every authorization request; remove it' },
    ]);
    // Case and surrounding whitespace do not disguise them.
    spec.oauth2.authorizeParams = { STATE: 'fixed', 'Redirect_URI ': 'https://evil.example/cb' };
    expect(validateProvider(spec, 'google')).toEqual([
      { path: '/oauth2/authorizeParams/STATE', message: 'sets STATE, which the broker sets on every authorization request; remove it' },
      { path: '/oauth2/authorizeParams/Redirect_URI ', message: 'sets Redirect_URI , which the broker sets on every authorization request; remove it' },
    ]);
    // Where the scopes travel under another name (Slack's user_scope), `scope` is an ordinary extra.
    const slack = await catalogJson('slack');
    slack.oauth2.authorizeParams = { scope: 'chat:write' };
    expect(validateProvider(slack, 'slack')).toEqual([]);
  });

  it('tokenResponse.error: each provider code maps to an RFC 6749 §5.2 (or RFC 8628) code, the status is an HTTP status', async () => {
    const spec = await catalogJson('slack');
    expect(validateProvider(spec, 'slack')).toEqual([]);
    spec.oauth2.tokenResponse.error = { status: 99, codes: { invalid_code: 'invalid_code' } };
    const problems = validateProvider(spec, 'slack');
    expect(problems.map((problem) => problem.path)).toEqual(expect.arrayContaining(['/oauth2/tokenResponse/error/status', '/oauth2/tokenResponse/error/codes/invalid_code']));
    spec.oauth2.tokenResponse.error = { shape: 'slack' };
    expect(validateProvider(spec, 'slack').map((problem) => problem.path)).toContain('/oauth2/tokenResponse/error');
  });

  it('a template must name a declared parameter (or client_id)', async () => {
    const spec = await catalogJson('microsoft');
    spec.oauth2.tokenUrl = 'https://login.microsoftonline.com/{region}/{tenant}/token?c={client_id}';
    expect(validateProvider(spec, 'microsoft')).toEqual([
      { path: '/oauth2/tokenUrl', message: 'uses {region}, which is not declared under "params"' },
    ]);
  });

  it('{token.*} is refused before a token exists (oauth2, oauth1, oidc), allowed in api and profile', async () => {
    const spec = await catalogJson('salesforce');
    spec.oauth2.authorizeUrl = '{token.instance_url}/services/oauth2/authorize';
    spec.oauth2.revoke.url = '{token.instance_url}/revoke';
    expect(validateProvider(spec, 'salesforce')).toEqual([
      { path: '/oauth2/authorizeUrl', message: 'uses {token.instance_url}, but no token exists yet at this step' },
      { path: '/oauth2/revoke/url', message: 'uses {token.instance_url}, but no token exists yet at this step' },
    ]);
    const oidc = await catalogJson('keycloak');
    oidc.oidc.issuer = '{token.iss}';
    expect(validateProvider(oidc, 'keycloak')).toEqual([
      { path: '/oidc/issuer', message: 'uses {token.iss}, but no token exists yet at this step' },
    ]);
  });

  it('a token field that decides a URL\'s origin needs tokenOrigins patterns (the schema, then each field)', async () => {
    const spec = await catalogJson('salesforce');
    delete spec.tokenOrigins;
    expect(validateProvider(spec, 'salesforce')).toEqual([{ path: '', message: 'is missing the required field "tokenOrigins"' }]);

    spec.tokenOrigins = { id: ['https://login.salesforce.com'] };
    const advice = 'takes its origin from {token.instance_url}, which a caller can set: declare the origins it may name under tokenOrigins.instance_url (e.g. "https://*.example.com"), from the provider\'s documentation';
    expect(validateProvider(spec, 'salesforce')).toEqual([
      { path: '/api/baseUrl', message: advice },
      { path: '/profile/url', message: advice },
    ]);

    spec.tokenOrigins = { instance_url: ['http://*.salesforce.com'] };
    expect(validateProvider(spec, 'salesforce')).toEqual([{ path: '/tokenOrigins/instance_url/0', message: 'must match ^https://' }]);
    spec.tokenOrigins = { instance_url: ['https://*.com', 'https://x.example/a/../b', 'https://{token.instance_url}', 'https://{region}.example.com'] };
    expect(validateProvider(spec, 'salesforce')).toEqual([
      { path: '/tokenOrigins/instance_url/2', message: 'uses {token.instance_url}: an origin pattern is the provider\'s word, never the token\'s' },
      { path: '/tokenOrigins/instance_url/3', message: 'uses {region}, which is not declared under "params"' },
      { path: '/tokenOrigins/instance_url/0', message: '"https://*.com" is not https://host[:port][/path] (a "*." wildcard only in front of a host of two labels or more)' },
      { path: '/tokenOrigins/instance_url/1', message: '"https://x.example/a/../b" is not https://host[:port][/path] (a "*." wildcard only in front of a host of two labels or more)' },
    ]);

    // A field in the host: patterns are origins, without a path.
    const wrike = await catalogJson('wrike');
    wrike.tokenOrigins.host = ['https://*.wrike.com/api'];
    expect(validateProvider(wrike, 'wrike')).toEqual([{ path: '/tokenOrigins/host/0', message: 'has a path, but {token.host} fills a host; a host pattern is https://host[:port]' }]);
    // Token fields in a path or query decide nothing: no pattern needed.
    expect(validateProvider(await catalogJson('weibo'), 'weibo')).toEqual([]);
  });

  it('prose fields are not templates', async () => {
    const spec = await catalogJson('microsoft');
    spec.notes = 'Use {tenant} or {anything}';
    spec.params.tenant.description = 'the {tenant} of {org}';
    spec.oauth2.scopes.values['Mail.Read'] = 'reads {mail}';
    expect(validateProvider(spec, 'microsoft')).toEqual([]);
  });

  it('schema problems come first, as JSON pointers', async () => {
    const spec = await catalogJson('microsoft');
    spec.oauth2.clientAuth = 'client_secret_jws';
    expect(validateProvider(spec, 'microsoft')).toEqual([
      { path: '/oauth2/clientAuth', message: 'must be one of "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth", "none"' },
    ]);
    delete spec.oauth2;
    const problems = validateProvider(spec, 'microsoft');
    expect(problems).toContainEqual({ path: '', message: 'is missing the required field "oauth2"' });
    expect(problems).toContainEqual({ path: '', message: 'is missing the required field "oauth1"' });
  });
});

describe('catalog', () => {
  it('every shipped provider file is valid', async () => {
    const catalog = await loadCatalog();
    expect(catalog.broken).toEqual([]);
    expect(catalog.providers.size).toBe((await catalogIds()).length);
    expect(catalog.providers.get('microsoft')?.name).toBe('Microsoft identity platform (Entra ID, personal accounts)');
  });

  it('findCatalogProvider: undefined for an unknown id or a path, never reading outside the catalog', async () => {
    expect(await findCatalogProvider('no-such-provider')).toBeUndefined();
    expect(await findCatalogProvider('../package')).toBeUndefined();
    expect(await findCatalogProvider('schema')).toBeUndefined();
    expect(await findCatalogProvider('Microsoft')).toBeUndefined();
  });

  it('a broken file is a config error naming the file and the problem; loadCatalog keeps the rest', async () => {
    const dir = await makeTempDir();
    await mkdir(dir.path, { recursive: true });
    await copyFile(path.join(CATALOG_DIR, 'github.json'), path.join(dir.path, 'github.json'));
    await copyFile(path.join(CATALOG_DIR, 'schema.json'), path.join(dir.path, 'schema.json'));
    const renamed = await catalogJson('microsoft');
    await writeFile(path.join(dir.path, 'azure.json'), JSON.stringify(renamed));
    await writeFile(path.join(dir.path, 'broken.json'), '{\n  "id": "broken",\n}');

    expect(await catalogIds(dir.path)).toEqual(['azure', 'broken', 'github']);
    const error = await caughtCliError(() => findCatalogProvider('azure', dir.path));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(
      `${path.join(dir.path, 'azure.json')}: /id is "microsoft" but the file is named azure.json; they must match`,
    );
    expect(error.hint).toBe('fix the provider file (oauthd-cli providers validate shows every problem)');
    const syntax = await caughtCliError(() => findCatalogProvider('broken', dir.path));
    expect(syntax.message).toBe(`${path.join(dir.path, 'broken.json')}: / invalid JSON at line 3, column 1: Expected double-quoted property name`);

    const catalog = await loadCatalog(dir.path);
    expect([...catalog.providers.keys()]).toEqual(['github']);
    expect(catalog.broken.map((entry) => path.basename(entry.file))).toEqual(['azure.json', 'broken.json']);
  });

  it('closestNames: only names that are close, best first, without repeats', async () => {
    const ids = await catalogIds();
    // Far from everything: no suggestion at all, rather than the least far ("adobe, apple, box").
    expect(closestNames('nope', ids)).toEqual([]);
    expect(closestNames('zzzzzz', ids)).toEqual([]);
    expect(closestNames('x', ['a'])).toEqual([]);
    expect(closestNames('x', [])).toEqual([]);
    expect(closestNames('', ids)).toEqual([]);
    // A typo within 40% of the length: a transposition is two edits in a six-letter name.
    expect(closestNames('gihtub', ids)[0]).toBe('github');
    expect(closestNames('slak', ['slack', 'stack', 'spotify'])).toEqual(['slack', 'stack']);
    expect(closestNames('spotfy', ['spotify', 'shopify'])).toEqual(['spotify']);
    // A prefix either way, a substring either way; the same name in another case first.
    expect(closestNames('micro', ids)[0]).toBe('microsoft');
    expect(closestNames('githubx', ['github', 'gitlab'])).toEqual(['github']);
    expect(closestNames('nest', ['google_nest', 'netlify', 'zoom'])).toEqual(['google_nest']);
    expect(closestNames('GitHub', ['gitlab', 'github', 'github_enterprise'])).toEqual(['github', 'github_enterprise', 'gitlab']);
    expect(closestNames('google', ['goto', 'google_nest', 'google', 'zoom'])).toEqual(['google', 'google_nest']);
    // Short prefixes and substrings say too little: one letter never, two only as a prefix.
    expect(closestNames('xyz', ['x', 'xero'])).toEqual([]);
    expect(closestNames('go', ['google', 'algolia'])).toEqual(['google']);
    expect(closestNames('github', ['github', 'github', 'gitlab'], 5)).toEqual(['github', 'gitlab']);
    expect(closestNames('drop', ids, 2)).toHaveLength(2);
  });

  it('didYouMean and unknownNameHint: a suggestion only when something is close', () => {
    expect(didYouMean('gihtub', ['github', 'gitlab'])).toBe('did you mean github?');
    expect(didYouMean('nope', ['adobe', 'apple', 'box'])).toBeUndefined();
    expect(unknownNameHint('gihtub', ['github'], 'oauthd-cli providers list')).toBe('did you mean github? (oauthd-cli providers list)');
    expect(unknownNameHint('nope', ['adobe', 'apple', 'box'], 'oauthd-cli providers list')).toBe('oauthd-cli providers list');
  });
});
