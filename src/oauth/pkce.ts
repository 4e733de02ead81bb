/**
 * Proof Key for Code Exchange, RFC 7636, always with the S256 method (§4.2): the "plain" method
 * offers no protection once the authorization request leaks.
 */
import { hash } from 'node:crypto';
import { randomToken } from '../util/random.js';
import type { Base64Url } from '../util/form-encoding.js';

export interface Pkce {
  /** code_verifier: 43–128 characters of [A-Z a-z 0-9 - . _ ~] (§4.1). */
  verifier: string;
  /** code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) (§4.2): goes into the query as it is. */
  challenge: Base64Url;
  method: 'S256';
}

export function createPkce(): Pkce {
  // 32 random octets encode to 43 base64url characters: the minimum length, 256 bits of entropy.
  return pkceFor(randomToken(32));
}

/** The S256 pair of a verifier made elsewhere (the broker's sealed state derives its own). */
export function pkceFor(verifier: string): Pkce {
  return { verifier, challenge: s256(verifier), method: 'S256' };
}

export function s256(verifier: string): Base64Url {
  // crypto.hash: one call, no Hash object (5× cheaper on the broker's hottest path).
  // The verifier's alphabet is ASCII (§4.1), so its UTF-8 bytes are its ASCII bytes.
  return hash('sha256', verifier, 'base64url') as Base64Url;
}

/** §4.1: the verifier's length and alphabet. */
export function isValidVerifier(verifier: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(verifier);
}
