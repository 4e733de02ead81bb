// What a refresh does to a kept token (RFC 6749 §6, §5.1): the parts no real provider in the test
// fixtures exercises (an answer without a refresh token, without scope, without expires_in).
import { describe, expect, it } from 'vitest';
import type { StoredToken } from '../../src/tokens/store.js';
import type { TokenSet } from '../../src/oauth/token-response.js';
import { isExpired, idTokenVerifiedAt, EXPIRY_SKEW_SECONDS } from '../../src/tokens/expiry.js';
import { mergeRefreshed } from '../../src/tokens/refresh.js';

const LOGIN_AT = Date.parse('2030-01-01T10:00:00Z');
const REFRESH_AT = Date.parse('2030-01-01T11:30:00Z');

function kept(overrides: Partial<StoredToken> = {}): StoredToken {
  return {
    version: 1,
    provider: 'myidp',
    profile: 'work',
    token: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1', scope: 'openid email', id_token: 'id-1', extra: { instance_url: 'https://a.example' } },
    obtainedAt: new Date(LOGIN_AT).toISOString(),
    expiresAt: new Date(LOGIN_AT + 3600_000).toISOString(),
    requestedScopes: ['openid', 'email', 'offline_access'],
    subject: 'alice',
    issuer: 'https://idp.example',
    ...overrides,
  };
}

function answer(fields: Partial<TokenSet>): TokenSet {
  return { access_token: 'at-2', token_type: 'Bearer', extra: {}, ...fields };
}

describe('mergeRefreshed', () => {
  it('keeps the old refresh token when the answer has none, and says so', () => {
    const { stored, rotation } = mergeRefreshed(kept(), answer({ expires_in: 600 }), REFRESH_AT, false);
    expect(rotation).toBe('kept');
    expect(stored.token.refresh_token).toBe('rt-1');
    expect(stored.token.access_token).toBe('at-2');
    expect(stored.obtainedAt).toBe('2030-01-01T11:30:00.000Z');
    expect(stored.expiresAt).toBe('2030-01-01T11:40:00.000Z');
  });

  it('takes a rotated refresh token, and tells it from the same one sent back', () => {
    expect(mergeRefreshed(kept(), answer({ refresh_token: 'rt-2' }), REFRESH_AT, false)).toMatchObject({ rotation: 'rotated', stored: { token: { refresh_token: 'rt-2' } } });
    expect(mergeRefreshed(kept(), answer({ refresh_token: 'rt-1' }), REFRESH_AT, false).rotation).toBe('unchanged');
  });

  it('§5.1: no scope in the answer means the scope held; a new scope replaces it', () => {
    expect(mergeRefreshed(kept(), answer({}), REFRESH_AT, false).stored.token.scope).toBe('openid email');
    expect(mergeRefreshed(kept(), answer({ scope: 'openid' }), REFRESH_AT, false).stored.token.scope).toBe('openid');
  });

  it('an answer without expires_in leaves the lifetime unknown, not the old expiry', () => {
    expect(mergeRefreshed(kept(), answer({}), REFRESH_AT, false).stored.expiresAt).toBeUndefined();
  });

  it('keeps the login id_token with the time it was verified, until a refresh brings a verified one', () => {
    const old = mergeRefreshed(kept(), answer({}), REFRESH_AT, false).stored;
    expect(old.token.id_token).toBe('id-1');
    expect(idTokenVerifiedAt(old)).toBe(new Date(LOGIN_AT).toISOString());
    const fresh = mergeRefreshed(kept(), answer({ id_token: 'id-2' }), REFRESH_AT, true).stored;
    expect(fresh.token.id_token).toBe('id-2');
    expect(fresh.idTokenVerifiedAt).toBe(new Date(REFRESH_AT).toISOString());
    expect(fresh.subject).toBe('alice');
  });

  it('keeps who and where: provider, profile, issuer, scopes asked, the provider\'s extra fields', () => {
    const { stored } = mergeRefreshed(kept(), answer({ extra: { signature: 'x' } }), REFRESH_AT, false);
    expect(stored).toMatchObject({ provider: 'myidp', profile: 'work', issuer: 'https://idp.example', requestedScopes: ['openid', 'email', 'offline_access'] });
    expect(stored.token.extra).toEqual({ instance_url: 'https://a.example', signature: 'x' });
  });
});

describe('isExpired', () => {
  it('counts a token as expired a little before its expiry, and an unknown lifetime as valid', () => {
    const token = kept();
    const expiry = Date.parse(token.expiresAt as string);
    expect(isExpired(token, expiry - (EXPIRY_SKEW_SECONDS + 5) * 1000)).toBe(false);
    expect(isExpired(token, expiry - (EXPIRY_SKEW_SECONDS - 5) * 1000)).toBe(true);
    expect(isExpired(token, expiry + 1000)).toBe(true);
    const { expiresAt: _unknown, ...withoutExpiry } = token;
    expect(isExpired(withoutExpiry, expiry + 86_400_000)).toBe(false);
  });
});
