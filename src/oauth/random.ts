/**
 * Unguessable values from the operating system's CSPRNG (node:crypto), never Math.random or time.
 * 32 bytes = 256 bits, well above the 128 bits RFC 6749 §10.10 and RFC 6819 §5.1.4.2.2 ask of
 * state values and codes.
 */
import { randomBytes } from 'node:crypto';

export const RANDOM_BYTES = 32;

/** A URL-safe random token (base64url, 43 characters for 32 bytes). */
export function randomToken(bytes = RANDOM_BYTES): string {
  return randomBytes(bytes).toString('base64url');
}

/** Entropy in bits of a base64url token, for the hygiene report. */
export function base64urlEntropyBits(token: string): number {
  return Math.floor(token.length * 6);
}
