// src/oauth/token-response.ts: every odd token response gets either a normalized token plus a
// warning, or a one-line explanation.
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/oauth/http.js';
import { readTokenResponse, tokenToJson, type Deviation, type TokenResponseRules } from '../../src/oauth/token-response.js';
import { caughtCliError } from './errors.js';

const TOKEN_URL = 'https://idp.example/oauth/token';

function response(text: string, options: { status?: number; contentType?: string | null; cacheControl?: string | null } = {}): HttpResponse {
  const headers: Record<string, string> = {};
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  const cacheControl = options.cacheControl === undefined ? 'no-store' : options.cacheControl;
  if (contentType !== null) headers['content-type'] = contentType;
  if (cacheControl !== null) headers['cache-control'] = cacheControl;
  const status = options.status ?? 200;
  return { status, statusText: String(status), headers, text, url: TOKEN_URL };
}

const read = (text: string, options?: Parameters<typeof response>[1], rules?: TokenResponseRules) =>
  readTokenResponse(response(text, options), rules);

const codes = (deviations: Deviation[]) => deviations.map((d) => d.code);
const GITHUB_ERRORS: TokenResponseRules = { error: { status: 200, codes: { bad_verification_code: 'invalid_grant', incorrect_client_credentials: 'invalid_client' } } };
function readError(text: string, rules?: TokenResponseRules): { code: string } {
  try {
    read(text, {}, rules);
  } catch (error) {
    return error as { code: string };
  }
  throw new Error('no error');
}
const find = (deviations: Deviation[], code: string) => deviations.find((d) => d.code === code);

describe('successful responses (RFC 6749 §5.1)', () => {
  it('a standard JSON response: every field, no deviation', () => {
    const body = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', scope: 'openid email', id_token: 'h.p.s' };
    const result = read(JSON.stringify(body));
    expect(result.token).toEqual({ ...body, extra: {} });
    expect(result.deviations).toEqual([]);
    expect(result.raw).toEqual(body);
  });

  it('extra fields are kept in extra, as sent', () => {
    const body = { access_token: 'at', token_type: 'Bearer', expires_in: 7200, instance_url: 'https://na1.my.salesforce.com', issued_at: '1700000000000', team: { id: 'T1' } };
    const { token } = read(JSON.stringify(body));
    expect(token.extra).toEqual({ instance_url: 'https://na1.my.salesforce.com', issued_at: '1700000000000', team: { id: 'T1' } });
  });

  it('a form-encoded body under a JSON Content-Type', () => {
    const { token, deviations } = read('access_token=at%2B1&token_type=bearer&expires_in=3600', { contentType: 'application/json; charset=utf-8' });
    expect(token).toEqual({ access_token: 'at+1', token_type: 'bearer', expires_in: 3600, extra: {} });
    expect(codes(deviations)).toEqual(['form-encoded', 'expires-in-string']);
    expect(find(deviations, 'form-encoded')).toEqual({
      code: 'form-encoded',
      message: 'the body is form-encoded although Content-Type says JSON; §5.1 requires application/json',
      source: 'RFC 6749 §5.1',
      expected: false,
    });
  });

  it('a form-encoded body the provider file documents is an expected deviation', () => {
    const { deviations } = read('access_token=at&token_type=bearer&expires_in=60', { contentType: 'text/plain' }, { format: 'form' });
    expect(find(deviations, 'form-encoded')).toEqual({
      code: 'form-encoded',
      message: 'the body is form-encoded (Content-Type "text/plain"); §5.1 requires application/json',
      source: 'RFC 6749 §5.1',
      expected: true,
    });
  });

  it('JSON under text/plain, or without a Content-Type', () => {
    const plain = read('{"access_token":"at","token_type":"Bearer","expires_in":1}', { contentType: 'text/plain; charset=utf-8' });
    expect(plain.token.access_token).toBe('at');
    expect(plain.deviations).toEqual([
      { code: 'content-type', message: 'the body is JSON but Content-Type is "text/plain"', source: 'RFC 6749 §5.1', expected: false },
    ]);
    const none = read('{"access_token":"at","token_type":"Bearer","expires_in":1}', { contentType: null });
    expect(none.deviations).toEqual([
      { code: 'content-type', message: 'the body is JSON but Content-Type is "missing"', source: 'RFC 6749 §5.1', expected: false },
    ]);
    expect(read('{"access_token":"at","token_type":"Bearer","expires_in":1}', { contentType: 'application/vnd.api+json' }).deviations).toEqual([]);
  });

  it("GitHub's default answer: form-encoded, comma-delimited scope, no expires_in, no Cache-Control", () => {
    const { token, deviations } = read('access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer', {
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      cacheControl: null,
    });
    expect(token).toEqual({ access_token: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', token_type: 'bearer', scope: 'repo gist', extra: {} });
    expect(deviations).toEqual([
      {
        code: 'form-encoded',
        message: 'the body is form-encoded (Content-Type "application/x-www-form-urlencoded"); §5.1 requires application/json',
        source: 'RFC 6749 §5.1',
        expected: false,
      },
      { code: 'no-expires-in', message: 'no expires_in: the token lifetime is unknown', source: 'RFC 6749 §5.1 (RECOMMENDED)', expected: true },
      { code: 'scope-commas', message: 'scope "repo,gist" is comma-delimited; §3.3 says space-delimited', source: 'RFC 6749 §3.3', expected: false },
      { code: 'no-cache-control', message: 'the response lacks "Cache-Control: no-store"', source: 'RFC 6749 §5.1 (MUST)', expected: true },
    ]);
  });

  it("Slack's nested user token, read through the provider's paths", () => {
    const body = {
      ok: true,
      app_id: 'A0KRD7HC3',
      authed_user: { id: 'U1234', scope: 'chat:write', access_token: 'xoxp-1234', token_type: 'user' },
      team: { id: 'T9TK3CUKW', name: 'Slack Softball Team' },
    };
    const rules: TokenResponseRules = {
      paths: { access_token: 'authed_user.access_token', token_type: 'authed_user.token_type', scope: 'authed_user.scope' },
    };
    const { token, deviations } = read(JSON.stringify(body), {}, rules);
    expect(token).toEqual({
      access_token: 'xoxp-1234',
      token_type: 'user',
      scope: 'chat:write',
      extra: { ok: true, app_id: 'A0KRD7HC3', authed_user: body.authed_user, team: body.team },
    });
    expect(codes(deviations)).toEqual(['no-expires-in']);
  });

  it('a path that leads nowhere falls back to the standard field, else says where it looked', async () => {
    const rules: TokenResponseRules = { paths: { access_token: 'authed_user.access_token' } };
    expect(read('{"access_token":"top","token_type":"Bearer","expires_in":1}', {}, rules).token.access_token).toBe('top');
    const error = await caughtCliError(() => read('{"ok":true,"team":{"id":"T1"}}', {}, rules));
    expect(error.kind).toBe('flow');
    expect(error.code).toBe('no_access_token');
    expect(error.message).toBe('the token endpoint answered HTTP 200 without an access_token (looked at "authed_user.access_token" and "access_token")');
    expect(error.hint).toBe('fields received: ok, team; if the token sits elsewhere, set tokenResponse.paths.access_token in the provider file');
  });

  it("Facebook's old answer: form-encoded, expires instead of expires_in, no token_type", () => {
    const { token, deviations } = read('access_token=EAAB1234&expires=5183999', { contentType: 'text/plain; charset=UTF-8', cacheControl: 'private, no-cache, no-store, must-revalidate' });
    expect(token).toEqual({ access_token: 'EAAB1234', token_type: 'Bearer', expires_in: 5183999, extra: {} });
    expect(codes(deviations)).toEqual(['form-encoded', 'missing-token-type', 'expires-renamed', 'expires-in-string']);
    expect(find(deviations, 'expires-renamed')).toEqual({
      code: 'expires-renamed',
      message: 'uses "expires" instead of "expires_in"',
      source: 'RFC 6749 §5.1',
      expected: false,
    });
  });

  it('expires_in as a numeric string is read as a number, with a warning; garbage is ignored, with a warning', () => {
    const string = read('{"access_token":"at","token_type":"Bearer","expires_in":"3600"}');
    expect(string.token.expires_in).toBe(3600);
    expect(string.deviations).toEqual([
      { code: 'expires-in-string', message: 'expires_in is the string "3600", not a number', source: 'RFC 6749 §5.1', expected: false },
    ]);
    const garbage = read('{"access_token":"at","token_type":"Bearer","expires_in":"1h"}');
    expect(garbage.token.expires_in).toBeUndefined();
    expect(garbage.deviations).toEqual([
      { code: 'expires-in-invalid', message: 'expires_in is "1h", not a number of seconds; ignored', source: 'RFC 6749 §5.1', expected: false },
    ]);
  });

  it('a missing token_type defaults to Bearer, with the missing-token-type deviation', () => {
    const { token, deviations } = read('{"access_token":"at","expires_in":60}');
    expect(token.token_type).toBe('Bearer');
    expect(deviations).toEqual([
      { code: 'missing-token-type', message: 'no token_type; assuming "Bearer"', source: 'RFC 6749 §5.1 (REQUIRED)', expected: false },
    ]);
    const documented = read('{"access_token":"at","expires_in":60}', {}, { tokenType: 'bearer' });
    expect(documented.token.token_type).toBe('bearer');
    expect(documented.deviations).toEqual([
      { code: 'missing-token-type', message: 'no token_type; assuming "bearer"', source: 'RFC 6749 §5.1 (REQUIRED)', expected: true },
    ]);
  });

  it('scope as a comma list or a JSON array becomes space-delimited (§3.3)', () => {
    const commas = read('{"access_token":"at","token_type":"Bearer","expires_in":1,"scope":"read,write,"}');
    expect(commas.token.scope).toBe('read write');
    expect(codes(commas.deviations)).toEqual(['scope-commas']);
    const array = read('{"access_token":"at","token_type":"Bearer","expires_in":1,"scope":["read","write"]}');
    expect(array.token.scope).toBe('read write');
    expect(array.deviations).toEqual([
      { code: 'scope-array', message: 'scope is a JSON array, not a space-delimited string', source: 'RFC 6749 §3.3', expected: false },
    ]);
  });

  it('Cache-Control: no-store is required (§5.1), among other directives, in any case', () => {
    const body = '{"access_token":"at","token_type":"Bearer","expires_in":1}';
    expect(codes(read(body, { cacheControl: null }).deviations)).toEqual(['no-cache-control']);
    expect(codes(read(body, { cacheControl: 'no-cache' }).deviations)).toEqual(['no-cache-control']);
    expect(read(body, { cacheControl: 'private, No-Store' }).deviations).toEqual([]);
  });
});

describe('error responses and unreadable bodies: one line, with a hint', () => {
  it('an error with HTTP 200 (GitHub) is an error, with its description and URI', async () => {
    const error = await caughtCliError(() =>
      read(
        'error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.&error_uri=https%3A%2F%2Fdocs.github.com%2Fapps',
        { contentType: 'application/x-www-form-urlencoded' },
        GITHUB_ERRORS,
      ),
    );
    expect(error.kind).toBe('flow');
    expect(error.exitCode).toBe(1);
    // The provider file's tokenResponse.error.codes: GitHub's code stands for invalid_grant.
    expect(error.code).toBe('invalid_grant');
    expect(error.message).toBe(
      'the token endpoint refused: bad_verification_code — The code passed is incorrect or expired. (see https://docs.github.com/apps) [HTTP 200]',
    );
    expect(error.hint).toBe(
      'the code expired or was used already, or redirect_uri / code_verifier differ from the authorization request; start the login again',
    );
    const json = await caughtCliError(() => read('{"error":"bad_verification_code"}'));
    expect(json.message).toBe('the token endpoint refused: bad_verification_code [HTTP 200]');
  });

  it('tokenResponse.error: the provider\'s code read as the RFC code it stands for, the 200 a known quirk', () => {
    const thrown = (rules?: TokenResponseRules) => {
      try {
        readTokenResponse(response('{"ok":false,"error":"invalid_refresh_token"}'), rules);
      } catch (error) {
        return error as { code: string; error: string; message: string };
      }
      throw new Error('no error');
    };
    const slack: TokenResponseRules = { error: { status: 200, fields: { ok: false }, codes: { invalid_code: 'invalid_grant', invalid_refresh_token: 'invalid_grant' } } };
    expect(thrown(slack)).toMatchObject({ code: 'invalid_grant', error: 'invalid_refresh_token', message: 'the token endpoint refused: invalid_refresh_token [HTTP 200]' });
    // Without the block the provider's own code is all there is.
    expect(thrown()).toMatchObject({ code: 'invalid_refresh_token', error: 'invalid_refresh_token' });
    // A code the block does not list, and an inherited property name, stay as sent.
    expect(readError('{"error":"constructor"}', slack).code).toBe('constructor');
  });

  it('Slack-style {"ok": false} is an error, with or without an error code', async () => {
    const coded = await caughtCliError(() => read('{"ok":false,"error":"invalid_code"}'));
    expect(coded.code).toBe('invalid_code');
    expect(coded.message).toBe('the token endpoint refused: invalid_code [HTTP 200]');
    const bare = await caughtCliError(() => read('{"ok":false}'));
    expect(bare.code).toBe('http_error');
    expect(bare.message).toBe('the token endpoint answered HTTP 200: {"ok":false}');
  });

  it('§5.2 error codes come with the hint that usually fixes them', async () => {
    const grant = await caughtCliError(() => read('{"error":"invalid_grant","error_description":"Invalid authorization code"}', { status: 400 }));
    expect(grant.code).toBe('invalid_grant');
    expect(grant.message).toBe('the token endpoint refused: invalid_grant — Invalid authorization code [HTTP 400]');
    expect(grant.hint).toBe(
      'the code expired or was used already, or redirect_uri / code_verifier differ from the authorization request; start the login again',
    );
    const client = await caughtCliError(() => read('{"error":"invalid_client"}', { status: 401 }));
    expect(client.code).toBe('invalid_client');
    expect(client.message).toBe('the token endpoint refused: invalid_client [HTTP 401]');
    expect(client.hint).toBe(
      'the client id or secret is wrong, the client assertion was refused (key, kid or aud: --verbose shows it), the client certificate is not the one registered or not from a CA the provider trusts (--cert), or the provider wants another client authentication (--auth-method, clientAuth)',
    );
  });

  it('a non-2xx answer without an error code says the status and the message', async () => {
    const error = await caughtCliError(() => read('{"message":"Internal failure"}', { status: 500 }));
    expect(error.code).toBe('http_error');
    expect(error.message).toBe('the token endpoint answered HTTP 500: Internal failure');
    expect(error.hint).toBe('the provider failed; try again later, or run with --trace to see the response');
  });

  it('an HTML error page quotes its <title>, never "Unexpected token <"', async () => {
    const page = '\n<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
    const error = await caughtCliError(() => read(page, { status: 502, contentType: 'text/html' }));
    expect(error.code).toBe('html_response');
    expect(error.message).toBe('the token endpoint answered HTTP 502 with an HTML page, not a token response: "502 Bad Gateway"');
    expect(error.message).not.toContain('Unexpected token');
    expect(error.hint).toBe(`check the token URL (${TOKEN_URL}); the provider failed; try again later, or run with --trace to see the response`);
    const untitled = await caughtCliError(() => read('<html><body><h1>Not   Found</h1></body></html>', { status: 404, contentType: 'text/html' }));
    expect(untitled.message).toBe('the token endpoint answered HTTP 404 with an HTML page, not a token response: "Not Found"');
    expect(untitled.hint).toBe(`check the token URL (${TOKEN_URL}); the URL is wrong; check the provider file or the discovery document`);
  });

  it('an empty body says so', async () => {
    for (const text of ['', '  \r\n']) {
      const error = await caughtCliError(() => read(text, { status: 503 }));
      expect(error.code).toBe('empty_response');
      expect(error.message).toBe('the token endpoint answered HTTP 503 with an empty body');
    }
    const ok = await caughtCliError(() => read('', { status: 200 }));
    expect(ok.message).toBe('the token endpoint answered HTTP 200 with an empty body');
    expect(ok.hint).toBe('run with --trace to see the request and the response');
  });

  it('broken JSON is named as such, on one line, without echoing the body', async () => {
    const cut = await caughtCliError(() => read('{"access_token":"secret-at-1","token_type":'));
    expect(cut.code).toBe('broken_json');
    expect(cut.message).toBe('the token endpoint answered HTTP 200 with broken JSON (Unexpected end of JSON input)');
    expect(cut.hint).toBe('run with --trace to see the body');
    const token = await caughtCliError(() => read('{"access_token": secret-at-1, "token_type": "Bearer"}'));
    expect(token.message).toBe("the token endpoint answered HTTP 200 with broken JSON (Unexpected token 's')");
    expect(token.message).not.toContain('secret-at-1');
    const comma = await caughtCliError(() => read('{"access_token":"at",}'));
    expect(comma.message).toBe('the token endpoint answered HTTP 200 with broken JSON (Expected double-quoted property name)');
  });

  it('a body that is neither JSON nor form-encoded is quoted, shortened', async () => {
    const error = await caughtCliError(() => read(`Service unavailable ${'x'.repeat(200)}`, { status: 200, contentType: 'text/plain' }));
    expect(error.code).toBe('unreadable_response');
    expect(error.message).toBe(
      `the token endpoint answered HTTP 200 with a body that is neither JSON nor form-encoded: "${`Service unavailable ${'x'.repeat(200)}`.slice(0, 120)}"`,
    );
  });

  it('names the endpoint it read', async () => {
    const error = await caughtCliError(() => readTokenResponse(response('', { status: 500 }), {}, 'refresh endpoint'));
    expect(error.message).toBe('the refresh endpoint answered HTTP 500 with an empty body');
  });
});

describe('tokenToJson: the token as the back end and the SDKs receive it', () => {
  it('the standard fields in order, then the provider\'s extra fields; no `extra` key, nothing undefined', () => {
    const { token } = read('{"access_token":"at","token_type":"Bearer","expires_in":60,"instance_url":"https://x.my.salesforce.com","team":{"id":"T1"}}');
    const json = tokenToJson(token);
    expect(json).toEqual({ access_token: 'at', token_type: 'Bearer', expires_in: 60, instance_url: 'https://x.my.salesforce.com', team: { id: 'T1' } });
    expect(Object.keys(json)).toEqual(['access_token', 'token_type', 'expires_in', 'instance_url', 'team']);
    expect(JSON.stringify(json)).toBe('{"access_token":"at","token_type":"Bearer","expires_in":60,"instance_url":"https://x.my.salesforce.com","team":{"id":"T1"}}');
  });

  it('OAuth 1.0a token credentials under their own names (RFC 5849 §2.3), with the extra fields', () => {
    const json = tokenToJson({ access_token: 'tok', token_secret: 'sec', token_type: 'OAuth1', extra: { user_id: '42', screen_name: 'dev' } });
    expect(json).toEqual({ oauth_token: 'tok', oauth_token_secret: 'sec', user_id: '42', screen_name: 'dev' });
  });

  it('a copy: changing the answer changes nothing in the token', () => {
    const token = { access_token: 'at', token_type: 'Bearer', extra: { id: 'u' } };
    const json = tokenToJson(token);
    json.access_token = 'changed';
    json.id = 'changed';
    expect(token).toEqual({ access_token: 'at', token_type: 'Bearer', extra: { id: 'u' } });
  });
});
