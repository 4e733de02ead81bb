// src/util/form-encoding.ts: application/x-www-form-urlencoded serialization without building a
// URLSearchParams; it must give URLSearchParams's bytes for every input.
import { describe, expect, it } from 'vitest';
import { base64Url, formEncode } from '../../src/util/form-encoding.js';

/** What URLSearchParams writes for a value. */
const reference = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

describe('formEncode', () => {
  it('matches URLSearchParams on every ASCII character, alone and inside text', () => {
    for (let code = 0; code < 128; code++) {
      const char = String.fromCharCode(code);
      expect(formEncode(char), `U+${code.toString(16)}`).toBe(reference(char));
      expect(formEncode(`a${char}b c`)).toBe(reference(`a${char}b c`));
    }
  });

  it('matches it on non-ASCII text, astral characters and lone surrogates (written as U+FFFD)', () => {
    for (const value of ['é', 'naïve café', '東京', '😀 ok', '\uD800', 'a\uDC00b', '\uD83D\uDE00\uD800', 'http://127.0.0.1:6284/auth?x=1&y=2#f']) {
      expect(formEncode(value)).toBe(reference(value));
    }
  });

  it('returns base64url tokens (states, challenges) untouched', () => {
    const token = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    expect(formEncode(token)).toBe(token);
    expect(formEncode('')).toBe('');
  });
});

describe('base64Url', () => {
  it('takes the base64url alphabet, which form-encoding leaves as it is', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    expect(base64Url(alphabet)).toBe(alphabet);
    expect(formEncode(alphabet)).toBe(alphabet);
  });

  it('refuses anything a query would have to encode', () => {
    for (const value of ['a+b', 'a/b', 'ab==', 'a b', 'a&state=x', 'a#b', 'é', 'a.b']) {
      expect(() => base64Url(value), value).toThrow(/not base64url/);
    }
  });
});
