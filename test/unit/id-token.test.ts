// src/oauth/oidc/id-token.ts: OpenID Connect Core §3.1.3.7, one named check per claim.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload, type KeyObject, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { halfHash, IdTokenRejected, validateIdToken, type IdTokenExpectations } from '../../src/oauth/oidc/id-token.js';
import { caught, caughtCliError, explained } from './errors.js';

type Key = CryptoKey | KeyObject;

const ISSUER = 'https://idp.example';
const CLIENT_ID = 'client-1';
const NONCE = 'n-0S6_WzA2Mj';
const NOW = 1_700_000_000;
const ACCESS_TOKEN = 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y';

let rsa: { privateKey: Key; jwk: JWK };
let otherRsa: { privateKey: Key; jwk: JWK };
let ec: { privateKey: Key; jwk: JWK };

async function keyPair(alg: string, kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

beforeAll(async () => {
  rsa = await keyPair('RS256', 'k1');
  otherRsa = await keyPair('RS256', 'k1');
  ec = await keyPair('ES256', 'k2');
});

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: '248289761001',
    aud: CLIENT_ID,
    nonce: NONCE,
    iat: NOW - 5,
    exp: NOW + 600,
    at_hash: halfHash(ACCESS_TOKEN, 'RS256'),
    ...overrides,
  };
}

function sign(payload: JWTPayload, key: Key = rsa.privateKey, header: { alg: string; kid?: string } = { alg: 'RS256', kid: 'k1' }) {
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

function expectations(overrides: Partial<IdTokenExpectations> = {}): IdTokenExpectations {
  return {
    issuer: ISSUER,
    clientId: CLIENT_ID,
    keys: createLocalJWKSet({ keys: [rsa.jwk, ec.jwk] }),
    nonce: NONCE,
    accessToken: ACCESS_TOKEN,
    now: NOW,
    ...overrides,
  };
}

/**
 * Validates and returns the refusal as the CLI shows it (`thrown`: the error itself); asserts its
 * kind, code, claim and source.
 */
async function refused(token: string | Promise<string>, claim: string, expect_: Partial<IdTokenExpectations> = {}) {
  const jwt = await token;
  const thrown = await caught(() => validateIdToken(jwt, expectations(expect_)));
  const error = explained(thrown);
  expect(error.kind).toBe('flow');
  expect(error.exitCode).toBe(1);
  expect(error.code).toBe(`id_token_${claim}`);
  expect(error.message.startsWith(`id_token rejected: ${claim} `)).toBe(true);
  return Object.assign(error, { thrown });
}

describe('validateIdToken', () => {
  it('a valid token passes every check, each named with its rule', async () => {
    const result = await validateIdToken(await sign(claims()), expectations());
    expect(result.claims.sub).toBe('248289761001');
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['alg', true],
      ['signature', true],
      ['iss', true],
      ['aud', true],
      ['exp', true],
      ['iat', true],
      ['nonce', true],
      ['at_hash', true],
    ]);
    expect(result.checks.find((c) => c.name === 'signature')?.source).toBe('OIDC Core §3.1.3.7 step 6');
    expect(result.checks.find((c) => c.name === 'exp')?.detail).toBe('expires in 600 s');
    expect(result.checks.find((c) => c.name === 'iss')?.detail).toBe('= "https://idp.example"');
  });

  it('another algorithm passes when the issuer advertises it', async () => {
    const token = await sign(claims({ at_hash: halfHash(ACCESS_TOKEN, 'ES256') }), ec.privateKey, { alg: 'ES256', kid: 'k2' });
    await refused(token, 'alg');
    const result = await validateIdToken(token, expectations({ allowedAlgorithms: ['RS256', 'ES256'] }));
    expect(result.checks.every((c) => c.ok)).toBe(true);
  });

  it('signature: a token signed by another key is refused', async () => {
    const error = await refused(sign(claims(), otherRsa.privateKey), 'signature');
    expect(error.message).toBe(`id_token rejected: signature does not verify with the issuer's key "k1" (RS256) (OIDC Core §3.1.3.7 step 6)`);
    expect(error.hint).toBe("the token was not signed by this issuer's keys: a wrong issuer, a rotated key, or a forged token");
    const unknownKid = await refused(sign(claims(), otherRsa.privateKey, { alg: 'RS256', kid: 'k9' }), 'signature');
    expect(unknownKid.message).toBe(`id_token rejected: signature names kid "k9" (RS256), which no key in the issuer's JWKS has (OIDC Core §3.1.3.7 step 6)`);
  });

  it('a refusal carries every check that was made, the failed one among the passed ones', async () => {
    const error = await refused(sign(claims({ aud: 'client-2' })), 'aud');
    expect(error.thrown).toBeInstanceOf(IdTokenRejected);
    const checks = (error.thrown as IdTokenRejected).checks.map((c) => [c.name, c.ok]);
    expect(checks).toEqual(expect.arrayContaining([['signature', true], ['iss', true], ['aud', false], ['nonce', true]]));
  });

  it('alg: "none" is never accepted, even when listed; HS256 is refused when not advertised', async () => {
    const unsecured = new UnsecuredJWT(claims()).encode();
    const none = await refused(unsecured, 'alg');
    expect(none.message).toBe('id_token rejected: alg "none" is not one of RS256 (OIDC Core §3.1.3.7 step 7)');
    await refused(unsecured, 'alg', { allowedAlgorithms: ['none', 'RS256'] });
    const hs = await refused(sign(claims(), new TextEncoder().encode('a-shared-secret-of-32-bytes-long!') as unknown as Key, { alg: 'HS256' }), 'alg');
    expect(hs.message).toBe('id_token rejected: alg "HS256" is not one of RS256 (OIDC Core §3.1.3.7 step 7)');
  });

  it('iss must be exactly the issuer', async () => {
    const error = await refused(sign(claims({ iss: 'https://idp.example.evil' })), 'iss');
    expect(error.message).toBe('id_token rejected: iss is "https://idp.example.evil", expected to be "https://idp.example" (OIDC Core §3.1.3.7 step 2)');
    expect(error.hint).toBe("the token comes from another issuer; check the issuer configured for this provider");
    await refused(sign(claims({ iss: 'https://idp.example/' })), 'iss');
  });

  it('aud must contain the client id', async () => {
    const error = await refused(sign(claims({ aud: 'client-2' })), 'aud');
    expect(error.message).toBe('id_token rejected: aud is "client-2", expected to contain "client-1" (OIDC Core §3.1.3.7 step 3)');
    expect(error.hint).toBe('the token was issued to another client; check the client id');
    const missing = await refused(sign(claims({ aud: undefined })), 'aud');
    expect(missing.message).toBe('id_token rejected: aud is missing, expected to contain "client-1" (OIDC Core §3.1.3.7 step 3)');
  });

  it('several audiences need azp equal to the client id', async () => {
    const without = await refused(sign(claims({ aud: [CLIENT_ID, 'api'] })), 'azp');
    expect(without.message).toBe('id_token rejected: azp is missing, expected to be "client-1" (OIDC Core §3.1.3.7 steps 4-5)');
    const wrong = await refused(sign(claims({ aud: [CLIENT_ID, 'api'], azp: 'api' })), 'azp');
    expect(wrong.message).toBe('id_token rejected: azp is "api", expected to be "client-1" (OIDC Core §3.1.3.7 steps 4-5)');
    const single = await refused(sign(claims({ azp: 'other' })), 'azp');
    expect(single.message).toContain('azp is "other"');
    const ok = await validateIdToken(await sign(claims({ aud: [CLIENT_ID, 'api'], azp: CLIENT_ID })), expectations());
    expect(ok.checks.find((c) => c.name === 'azp')).toMatchObject({ ok: true, detail: '= "client-1"' });
  });

  it('exp: an expired token is refused beyond the allowed skew', async () => {
    const error = await refused(sign(claims({ exp: NOW - 120 })), 'exp');
    expect(error.message).toBe(`id_token rejected: exp is ${NOW - 120}, 120 s ago; expected later than ${NOW - 60} (now minus 60 s of skew) (OIDC Core §3.1.3.7 step 9)`);
    expect(error.hint).toBe("check this machine's clock, or the provider's");
    await validateIdToken(await sign(claims({ exp: NOW - 30 })), expectations());
    await refused(sign(claims({ exp: NOW - 30 })), 'exp', { skewSeconds: 0 });
    const missing = await refused(sign(claims({ exp: undefined })), 'exp');
    expect(missing.message).toBe('id_token rejected: exp is missing, expected the expiry time (OIDC Core §3.1.3.7 step 9)');
  });

  it('iat: a token issued in the future is refused beyond the allowed skew', async () => {
    const error = await refused(sign(claims({ iat: NOW + 120 })), 'iat');
    expect(error.message).toBe(`id_token rejected: iat is ${NOW + 120}, 120 s in the future; expected no later than ${NOW + 60} (now plus 60 s of skew) (OIDC Core §3.1.3.7 step 10)`);
    await validateIdToken(await sign(claims({ iat: NOW + 30 })), expectations());
  });

  it('nonce: the nonce sent must come back', async () => {
    const wrong = await refused(sign(claims({ nonce: 'n-other' })), 'nonce');
    expect(wrong.message).toBe('id_token rejected: nonce is "n-other", expected to be "n-0S6_WzA2Mj" (OIDC Core §3.1.3.7 step 11)');
    expect(wrong.hint).toBe('the token does not belong to this login (replayed or mixed up); start again');
    const missing = await refused(sign(claims({ nonce: undefined })), 'nonce');
    expect(missing.message).toBe('id_token rejected: nonce is missing, expected to be "n-0S6_WzA2Mj" (OIDC Core §3.1.3.7 step 11)');
    // No nonce sent: none is checked.
    const result = await validateIdToken(await sign(claims({ nonce: undefined })), expectations({ nonce: undefined }));
    expect(result.checks.some((c) => c.name === 'nonce')).toBe(false);
  });

  it('at_hash: must bind the access token issued with it', async () => {
    const error = await refused(sign(claims({ at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' })), 'at_hash');
    expect(error.message).toBe(
      'id_token rejected: at_hash is "AAAAAAAAAAAAAAAAAAAAAA", expected to be "77QmUPtjPfzWtF2AnpK9RQ" (OIDC Core §3.1.3.8)',
    );
    await refused(sign(claims()), 'at_hash', { accessToken: 'another-access-token' });
  });

  it('the first failing check is the one reported', async () => {
    const error = await refused(sign(claims({ iss: 'https://evil.example', aud: 'x', nonce: 'y' }), otherRsa.privateKey), 'signature');
    expect(error.code).toBe('id_token_signature');
  });

  it('a value that is not a JWT is refused as malformed', async () => {
    const error = await caughtCliError(() => validateIdToken('not-a-jwt', expectations()));
    expect(error.kind).toBe('flow');
    expect(error.code).toBe('id_token_malformed');
    expect(error.message.startsWith('the id_token is not a JWT: ')).toBe(true);
    expect(error.hint).toBe('the provider sent a malformed id_token');
  });
});

describe('halfHash (OIDC Core §3.1.3.8, §3.3.2.11)', () => {
  it('reproduces the at_hash of the OpenID Connect Core example (Appendix A.3)', () => {
    expect(halfHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('uses the hash of the alg: SHA-256 / 384 / 512, and SHA-512 for EdDSA', () => {
    const half = (hash: string, value: string) => {
      const digest = createHash(hash).update(value, 'ascii').digest();
      return digest.subarray(0, digest.length / 2).toString('base64url');
    };
    for (const alg of ['RS256', 'PS256', 'ES256', 'HS256']) expect(halfHash('tok', alg), alg).toBe(half('sha256', 'tok'));
    for (const alg of ['RS384', 'PS384', 'ES384']) expect(halfHash('tok', alg), alg).toBe(half('sha384', 'tok'));
    for (const alg of ['RS512', 'PS512', 'ES512', 'EdDSA']) expect(halfHash('tok', alg), alg).toBe(half('sha512', 'tok'));
    expect(halfHash('tok', 'RS256')).toHaveLength(22);
    expect(halfHash('tok', 'RS384')).toHaveLength(32);
    expect(halfHash('tok', 'RS512')).toHaveLength(43);
  });
});
