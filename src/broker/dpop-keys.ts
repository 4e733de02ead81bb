/**
 * DPoP (RFC 9449) in the broker's server-side flow. A DPoP-bound token is useless without the key
 * it is bound to: every call that presents it needs a proof signed with that key (§7), and so does
 * every refresh (§5). An app's back end in the server flow has no key and makes no proofs: it calls
 * the provider through the broker (/auth/:provider/me, /request/:provider/…, /auth/refresh_token),
 * so the broker makes a key per grant, at the code exchange, and keeps it for the tokens of that
 * grant. (The client flow hands the token to a page, which has no key either and cannot call the
 * API through anyone who has: it is refused when serve starts, ../config/serve-problems.ts.)
 *
 * The key is kept in the flow store under a hash of each token (the access token, and the refresh
 * token when there is one), never the token; it is encrypted (JWE, A256GCM) with a key derived from
 * that token, so a reader of the store (Redis) learns nothing usable without the token itself,
 * which only the app's back end holds. It lives as long as the access token (at least an hour) or
 * REFRESH_KEY_TTL_MS for the refresh token; a refresh keeps it for the new tokens.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, type JWK } from 'jose';
import { DpopProver } from '../oauth/dpop.js';
import type { TokenSet } from '../oauth/token-response.js';
import type { FlowStore } from '../store/store.js';

const PREFIX = 'dpop-key:';
/** An access token of unknown lifetime: its key is kept this long. */
const DEFAULT_ACCESS_KEY_TTL_MS = 3600_000;
/** A refresh token's key: refresh tokens say no lifetime (RFC 6749 §5.1); a month of disuse ends it. */
export const REFRESH_KEY_TTL_MS = 30 * 24 * 3600_000;

function storeKey(token: string): string {
  return PREFIX + createHash('sha256').update(token).digest('base64url');
}

function sealingKey(token: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', token, 'oauthd-cli dpop key', 'A256GCM', 32));
}

async function seal(jwk: JWK, token: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(jwk))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(sealingKey(token));
}

/** Keeps `prover`'s key for the tokens of `token` (its access token, and its refresh token). */
export async function keepDpopKey(store: FlowStore, prover: DpopProver, token: TokenSet): Promise<void> {
  const jwk = await prover.privateJwk();
  const accessTtl = Math.max(DEFAULT_ACCESS_KEY_TTL_MS, (token.expires_in ?? 0) * 1000);
  await store.put(storeKey(token.access_token), await seal(jwk, token.access_token), accessTtl);
  if (token.refresh_token !== undefined) await store.put(storeKey(token.refresh_token), await seal(jwk, token.refresh_token), REFRESH_KEY_TTL_MS);
}

/** The key kept for `token` (an access or refresh token this broker issued through its server flow), or undefined. */
export async function dpopKeyFor(store: FlowStore, token: string): Promise<DpopProver | undefined> {
  const sealed = await store.peek<string>(storeKey(token));
  if (sealed === undefined) return undefined;
  try {
    const { plaintext } = await compactDecrypt(sealed, sealingKey(token));
    return await DpopProver.fromJwk(JSON.parse(new TextDecoder().decode(plaintext)) as JWK);
  } catch {
    return undefined;
  }
}

/** Why a call with a DPoP-bound token was refused: the broker holds no key for it. */
export const NO_DPOP_KEY =
  'this provider binds tokens to DPoP keys (RFC 9449), and this broker keeps no key for this token: only tokens from its own server flow (POST /auth/access_token) work, for as long as the broker keeps their key';
