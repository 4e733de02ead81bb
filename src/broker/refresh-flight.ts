/**
 * Single flight for POST /auth/refresh_token/:provider, across every broker on the same flow store.
 *
 * Refresh tokens rotate (OAuth 2.0 Security BCP §4.14.2): the first refresh spends the token, and a
 * second one with it fails, after which some providers revoke the whole grant. When an app's back
 * ends send the same refresh token to several brokers at once, one of them refreshes and the others
 * answer with its result:
 *   - a lock per refresh token, claimed with SET NX and a TTL (FlowStore.claim; Redis across
 *     instances), so only its holder calls the provider;
 *   - the holder's answer kept a short time under the same key, so the others (and a retry a moment
 *     later) get it instead of spending the new refresh token's predecessor again.
 * The key is a hash of the app, the provider and the refresh token, never the token; the answer is
 * encrypted (JWE, A256GCM) with a key derived from the refresh token, so the store holds nothing a
 * reader of Redis could use without the token it replaced.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import type { FlowStore } from '../store/store.js';

/** What the route answers: a status and oauthd's body. */
export interface RefreshAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface FlightOptions {
  /** How long the lock stands when its holder never releases it (it died): longer than a refresh's HTTP timeout. */
  lockTtlMs?: number;
  /** How long an answer is kept for the others asking with the same refresh token. */
  resultTtlMs?: number;
  /** How long a waiter waits before answering 503. */
  waitMs?: number;
  now?: () => number;
}

const LOCK_TTL_MS = 35_000;
const RESULT_TTL_MS = 15_000;
const WAIT_MS = 40_000;

const LOCK_PREFIX = 'refresh-lock:';
const RESULT_PREFIX = 'refresh-result:';

/** The store key of one refresh: the app, the provider and the token, hashed (SHA-256). */
export function flightKey(appKey: string, provider: string, refreshToken: string): string {
  return createHash('sha256').update(`${appKey}\0${provider}\0${refreshToken}`).digest('base64url');
}

/** The key that seals the kept answer: derived from the refresh token (HKDF-SHA256, RFC 5869). */
function sealingKey(refreshToken: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', refreshToken, 'oauthd-cli refresh answer', 'A256GCM', 32));
}

async function seal(answer: RefreshAnswer, refreshToken: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(answer))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(sealingKey(refreshToken));
}

async function open(sealed: string, refreshToken: string): Promise<RefreshAnswer | undefined> {
  try {
    const { plaintext } = await compactDecrypt(sealed, sealingKey(refreshToken));
    return JSON.parse(new TextDecoder().decode(plaintext)) as RefreshAnswer;
  } catch {
    // Not ours to read (another token hashed alike is not possible; a damaged entry is): refresh.
    return undefined;
  }
}

/**
 * Answers worth keeping for the others: the new tokens, and the provider's refusal of the token
 * (4xx: asking again would be refused again). A failure of the provider or the network (5xx) is
 * not kept: the next caller tries again.
 */
function keepable(answer: RefreshAnswer): boolean {
  return answer.status < 500;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `refresh()` once for all the callers presenting `refreshToken` (for this app and provider) at
 * the same time, on every broker sharing `store`.
 */
export async function singleFlightRefresh(
  store: FlowStore,
  key: string,
  refreshToken: string,
  refresh: () => Promise<RefreshAnswer>,
  options: FlightOptions = {},
): Promise<RefreshAnswer> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.waitMs ?? WAIT_MS);
  const kept = async () => {
    const sealed = await store.peek<string>(RESULT_PREFIX + key);
    return sealed === undefined ? undefined : open(sealed, refreshToken);
  };
  for (let pause = 25; ; pause = Math.min(pause * 1.5, 200)) {
    const answered = await kept();
    if (answered) return answered;
    if (await store.claim(LOCK_PREFIX + key, options.lockTtlMs ?? LOCK_TTL_MS)) {
      try {
        // Read again now that the lock is ours: its last holder may have kept an answer meanwhile.
        const meanwhile = await kept();
        if (meanwhile) return meanwhile;
        const answer = await refresh();
        if (keepable(answer)) await store.put(RESULT_PREFIX + key, await seal(answer, refreshToken), options.resultTtlMs ?? RESULT_TTL_MS);
        return answer;
      } finally {
        await store.take(LOCK_PREFIX + key).catch(() => undefined);
      }
    }
    if (now() >= deadline) {
      return { status: 503, body: { status: 'error', message: 'another refresh of this token is in progress; try again in a moment' } };
    }
    await sleep(pause * (0.5 + Math.random()));
  }
}
