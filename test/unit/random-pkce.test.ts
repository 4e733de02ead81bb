// src/util/random.ts and src/oauth/pkce.ts: CSPRNG tokens and RFC 7636 S256.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64urlEntropyBits, RANDOM_BYTES, randomToken } from '../../src/util/random.js';
import { createPkce, isValidVerifier, s256 } from '../../src/oauth/pkce.js';

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('randomToken', () => {
  it('encodes 32 random bytes as 43 base64url characters, without padding', () => {
    expect(RANDOM_BYTES).toBe(32);
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('takes the number of bytes as an argument', () => {
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken(64)).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it('never repeats over many draws', () => {
    const tokens = new Set(Array.from({ length: 5000 }, () => randomToken()));
    expect(tokens.size).toBe(5000);
  });

  it('uses the whole base64url alphabet and balanced bits (not hex, not a biased source)', () => {
    const tokens = Array.from({ length: 1000 }, () => randomToken());
    const used = new Set(tokens.join(''));
    expect([...used].sort().join('')).toBe([...BASE64URL_ALPHABET].sort().join(''));
    // 256,000 bits: the share of ones is 0.5 ± 0.001 (1 sigma); ±0.01 fails only a broken source.
    let ones = 0;
    for (const token of tokens) {
      for (const byte of Buffer.from(token, 'base64url')) {
        for (let bit = 0; bit < 8; bit += 1) ones += (byte >> bit) & 1;
      }
    }
    expect(ones / (tokens.length * 256)).toBeGreaterThan(0.49);
    expect(ones / (tokens.length * 256)).toBeLessThan(0.51);
  });

  it('reports the entropy of a token as the bits it decodes to: 256 for 32 bytes', () => {
    expect(base64urlEntropyBits(randomToken())).toBe(256);
    expect(base64urlEntropyBits(randomToken(16))).toBe(128);
    expect(base64urlEntropyBits('')).toBe(0);
  });
});

describe('PKCE (RFC 7636)', () => {
  it('S256 reproduces the example of RFC 7636 Appendix B', () => {
    // Appendix B: the 32 octets below, base64url-encoded, are the verifier.
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91,
      88, 5, 88, 83, 132, 141, 121,
    ];
    const verifier = Buffer.from(octets).toString('base64url');
    expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(s256(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('createPkce makes a fresh 43-character verifier and its S256 challenge', () => {
    const pkce = createPkce();
    expect(pkce.method).toBe('S256');
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isValidVerifier(pkce.verifier)).toBe(true);
    expect(pkce.challenge).toBe(createHash('sha256').update(pkce.verifier).digest('base64url'));
    expect(pkce.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createPkce().verifier).not.toBe(pkce.verifier);
  });

  it('isValidVerifier accepts 43 to 128 unreserved characters (§4.1)', () => {
    expect(isValidVerifier('a'.repeat(42))).toBe(false);
    expect(isValidVerifier('a'.repeat(43))).toBe(true);
    expect(isValidVerifier('a'.repeat(128))).toBe(true);
    expect(isValidVerifier('a'.repeat(129))).toBe(false);
    expect(isValidVerifier(`${'a'.repeat(39)}-._~`)).toBe(true);
    for (const bad of ['+', '/', '=', ' ', '%', 'é']) {
      expect(isValidVerifier(`${'a'.repeat(42)}${bad}`), `verifier with ${JSON.stringify(bad)}`).toBe(false);
    }
  });
});
