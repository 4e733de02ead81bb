// src/oauth/token-exchange.ts (RFC 8693 §2.1): repeated audience and resource on the wire, as a
// form and as JSON, beside the client's own fields; the trace's form redaction keeps the repeats;
// src/tokens/exchanged.ts: what --save keeps and refuses.
import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest } from '../../src/oauth/http.js';
import type { TokenEndpoint } from '../../src/oauth/oauth2.js';
import { exchangeToken, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from '../../src/oauth/token-exchange.js';
import { createRedactor } from '../../src/trace/redact.js';
import { checkSaveTarget, exchangedToken, unkeepableType } from '../../src/tokens/exchanged.js';
import { caughtCliError } from './errors.js';

function fakeServer(): { http: HttpClient; sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  const http: HttpClient = async (request) => {
    sent.push(request);
    return {
      status: 200,
      statusText: 'OK',
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      text: JSON.stringify({ access_token: 'new-token-value', issued_token_type: TOKEN_TYPES.access_token, token_type: 'Bearer', expires_in: 600 }),
      url: request.url,
    };
  };
  return { http, sent };
}

function endpoint(overrides: Partial<TokenEndpoint> = {}): TokenEndpoint {
  return { tokenUrl: 'https://idp.example/token', clientAuth: 'client_secret_post', tokenParams: { tenant: 't1' }, tokenHeaders: {}, tokenRequestBody: 'form', tokenResponse: {}, ...overrides };
}

const REQUEST = {
  subjectToken: 'subject-token-value',
  subjectTokenType: TOKEN_TYPES.access_token,
  audience: ['billing', 'ledger'],
  resource: ['https://billing.example/', 'urn:example:ledger'],
};

describe('exchangeToken: several audiences and resources (RFC 8693 §2.1)', () => {
  it('form: each value is its own parameter, in order, with the client\'s fields and the provider\'s extras', async () => {
    const { http, sent } = fakeServer();
    const result = await exchangeToken(http, endpoint(), { clientId: 'cid', clientSecret: 'sec' }, REQUEST);
    expect(result.token.access_token).toBe('new-token-value');
    const form = new URLSearchParams(sent[0]!.body);
    expect(form.getAll('audience')).toEqual(['billing', 'ledger']);
    expect(form.getAll('resource')).toEqual(['https://billing.example/', 'urn:example:ledger']);
    expect(form.get('grant_type')).toBe(TOKEN_EXCHANGE_GRANT);
    expect(form.get('client_secret')).toBe('sec');
    expect(form.get('tenant')).toBe('t1');
    expect(sent[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('one value is one parameter; none sends none', async () => {
    const { http, sent } = fakeServer();
    await exchangeToken(http, endpoint(), { clientId: 'cid' }, { ...REQUEST, audience: ['billing'], resource: [] });
    const form = new URLSearchParams(sent[0]!.body);
    expect(form.getAll('audience')).toEqual(['billing']);
    expect(form.has('resource')).toBe(false);
  });

  it('a provider that takes JSON (tokenRequestBody "json") gets the repeated parameters as arrays', async () => {
    const { http, sent } = fakeServer();
    await exchangeToken(http, endpoint({ tokenRequestBody: 'json' }), { clientId: 'cid', clientSecret: 'sec' }, REQUEST);
    expect(JSON.parse(sent[0]!.body!)).toMatchObject({ audience: ['billing', 'ledger'], resource: ['https://billing.example/', 'urn:example:ledger'], client_id: 'cid' });
  });

  it('a trace of the form keeps each repeated value and hides the subject token', async () => {
    const { http, sent } = fakeServer();
    await exchangeToken(http, endpoint(), { clientId: 'cid', clientSecret: 'sec' }, REQUEST);
    const redactor = createRedactor();
    const shown = redactor.formParams(sent[0]!.body!);
    expect(shown.filter((field) => field.name === 'audience').map((field) => field.value)).toEqual(['billing', 'ledger']);
    expect(shown.filter((field) => field.name === 'resource').map((field) => field.value)).toEqual(['https://billing.example/', 'urn:example:ledger']);
    const form = redactor.form(sent[0]!.body!);
    expect(form).toContain('audience=billing&audience=ledger');
    expect(form).not.toContain('subject-token-value');
    expect(form).not.toContain('client_secret=sec');
  });
});

describe('token exchange --save (src/tokens/exchanged.ts)', () => {
  it('refuses the profile of the subject or actor token it sends, of the same provider only, named or pasted by value', async () => {
    const inputs = [
      { flag: '--subject-token', value: 'subject-value', kept: { provider: 'myidp', profile: 'default' } },
      { flag: '--actor-token', value: 'actor-value', kept: { provider: 'myidp', profile: 'svc' } },
    ];
    expect((await caughtCliError(() => checkSaveTarget('myidp', 'default', inputs))).message).toContain('--save default would replace the token --subject-token names');
    expect((await caughtCliError(() => checkSaveTarget('myidp', 'svc', inputs))).message).toContain('--actor-token');
    expect(() => checkSaveTarget('myidp', 'narrow', inputs)).not.toThrow();
    expect(() => checkSaveTarget('other', 'default', inputs)).not.toThrow();
    // A kept token given by its value: the entry --save would replace holds it.
    const kept = exchangedToken({ provider: 'myidp', profile: 'work', token: { access_token: 'pasted-value', token_type: 'Bearer', extra: {} }, obtainedAt: 0 });
    const pasted = [{ flag: '--subject-token', value: 'pasted-value' }];
    expect((await caughtCliError(() => checkSaveTarget('myidp', 'work', pasted, kept))).message).toContain('--save work would replace the token --subject-token names');
    expect(() => checkSaveTarget('myidp', 'work', [{ flag: '--subject-token', value: 'another-value' }], kept)).not.toThrow();
  });

  it('keeps access tokens (or JWTs, or an unsaid type), never a refresh token or an id_token in the access token\'s place', () => {
    expect(unkeepableType(undefined)).toBeUndefined();
    expect(unkeepableType(TOKEN_TYPES.access_token)).toBeUndefined();
    expect(unkeepableType(TOKEN_TYPES.jwt)).toBeUndefined();
    expect(unkeepableType(TOKEN_TYPES.refresh_token)).toContain('refresh_token');
    expect(unkeepableType(TOKEN_TYPES.id_token)).toContain('id_token');
  });

  it('the entry: provider, profile, expiry from expires_in, the issuer; no subject (no id_token was verified)', () => {
    const stored = exchangedToken({
      provider: 'myidp',
      profile: 'narrow',
      token: { access_token: 'a', token_type: 'Bearer', expires_in: 600, extra: {} },
      obtainedAt: Date.UTC(2031, 0, 1),
      issuer: 'https://idp.example',
      scope: 'openid profile',
    });
    expect(stored).toMatchObject({ provider: 'myidp', profile: 'narrow', issuer: 'https://idp.example', requestedScopes: ['openid', 'profile'], expiresAt: '2031-01-01T00:10:00.000Z' });
    expect(stored.subject).toBeUndefined();
  });
});
