/**
 * Unguessable values from the operating system's CSPRNG (node:crypto), never Math.random or time.
 * 32 bytes = 256 bits, well above the 128 bits RFC 6749 §10.10 and RFC 6819 §5.1.4.2.2 ask of
 * state values and codes.
 */
import { randomFillSync } from 'node:crypto';

export const RANDOM_BYTES = 32;

// Bytes are drawn from the CSPRNG in blocks and handed out once each (as nanoid does): one call
// into OpenSSL per 128 tokens instead of one per token, on the broker's hottest path.
const POOL_SIZE = RANDOM_BYTES * 128;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** A URL-safe random token (base64url, 43 characters for 32 bytes). */
export function randomToken(bytes = RANDOM_BYTES): string {
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(bytes)).toString('base64url');
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += bytes;
  // Each byte is encoded once and never handed out again: the next draw starts past it.
  return pool.toString('base64url', offset - bytes, offset);
}

/**
 * Entropy in bits of a base64url token, for the hygiene report: the whole bytes its characters
 * decode to (43 characters carry 32 bytes = 256 bits; the last character's 2 spare bits are padding).
 */
export function base64urlEntropyBits(token: string): number {
  return Math.floor((token.length * 6) / 8) * 8;
}
