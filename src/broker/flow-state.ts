/**
 * The `state` of an OAuth 2 flow the broker starts, sealed: instead of a random key into a store,
 * the state *is* the pending flow — its record, encrypted and authenticated under a key only the
 * broker holds (or the brokers sharing one Redis), with its expiry inside. RFC 6749 §10.12 and the
 * OAuth 2.0 Security BCP (RFC 9700 §4.7.1) ask of the state that it bind the callback to the flow
 * and be unguessable; a sealed state does both, and starting a flow writes nothing anywhere, so a
 * flood of sign-ins nobody finishes costs no memory. Only an answered callback is remembered: a
 * marker that keeps the state single-use until it expires (FlowEngine.complete).
 *
 * Layout, base64url-encoded (AES-256-GCM, NIST SP 800-38D):
 *
 *   version (1 byte) ‖ key epoch (4 bytes) ‖ IV (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)
 *
 * The header is the authenticated data. Keys change every hour (the epoch: hours since 1970), each
 * HKDF-derived from the shared secret (RFC 5869): with random IVs, SP 800-38D §8.3 allows 2^32
 * messages per key, which a flood at 50,000 starts a second would pass in a day under one key, and
 * never reaches in an hour. A state is opened only under the keys of the epochs its lifetime spans.
 *
 * The PKCE verifier (RFC 7636 §4.1: 32 random bytes) and the OpenID nonce travel inside the
 * ciphertext, so nothing the provider or the browser sees (state, code_challenge, nonce) reveals
 * the verifier (§7.1).
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { randomToken } from '../oauth/random.js';
import type { Delivery } from './flows.js';

const VERSION = 1;
const EPOCH_MS = 3600_000;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + IV_BYTES;

/**
 * The longest state the broker sends: providers pass state through untouched, but some cap its
 * length (X documents 500 characters). A typical sealed state is 230–320 characters; it grows only
 * with what the page asks for (a long opts.state, a long redirect_uri, many scopes).
 */
export const MAX_STATE_LENGTH = 2048;

/** What a sealed state carries: everything a callback needs. */
export interface SealedFlow {
  appKey: string;
  provider: string;
  scopes: string[];
  /** The PKCE code_verifier, when the request carried a challenge. */
  codeVerifier: string | undefined;
  /** The OpenID nonce, when openid was asked. */
  nonce: string | undefined;
  clientState: string | undefined;
  delivery: Delivery;
  /** Milliseconds since the epoch (kept to the second). */
  expiresAt: number;
}

export type OpenedState =
  | { ok: true; id: string; flow: SealedFlow }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/** JSON array inside the ciphertext: short, and in a fixed order. */
type Payload = [number, string, string, string, string | null, string | null, string | null, string, string | null];

export class FlowSealer {
  private readonly keys = new Map<number, Buffer>();

  /**
   * `secret`: 32 bytes shared by the brokers that must open each other's states; `maxLifetimeMs`:
   * the longest a flow may live (no state older than that is opened, under any key).
   */
  constructor(
    private readonly secret: Buffer,
    private readonly maxLifetimeMs: number,
  ) {}

  /** A new state for `flow`: its id (the single-use marker's key: the IV, unique per state) and the text. */
  seal(flow: SealedFlow, now: number): { id: string; state: string } {
    const ivText = randomToken(IV_BYTES);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    const epoch = Math.floor(now / EPOCH_MS);
    header[0] = VERSION;
    header.writeUInt32BE(epoch, 1);
    header.write(ivText, 5, 'base64url');
    const payload: Payload = [
      Math.ceil(flow.expiresAt / 1000),
      flow.appKey,
      flow.provider,
      flow.scopes.join(' '),
      flow.codeVerifier ?? null,
      flow.nonce ?? null,
      flow.clientState ?? null,
      ...deliveryFields(flow.delivery),
    ];
    const cipher = createCipheriv('aes-256-gcm', this.key(epoch), header.subarray(5));
    cipher.setAAD(header);
    const body = cipher.update(JSON.stringify(payload), 'utf8');
    const final = cipher.final();
    return { id: ivText, state: Buffer.concat([header, body, final, cipher.getAuthTag()]).toString('base64url') };
  }

  /** The flow a state carries, if this broker (or one sharing its secret) sealed it and it has not expired at `now`. */
  open(state: string, now: number): OpenedState {
    if (!/^[A-Za-z0-9_-]+$/.test(state)) return { ok: false, reason: 'malformed' };
    const bytes = Buffer.from(state, 'base64url');
    if (bytes.length < HEADER_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const header = bytes.subarray(0, HEADER_BYTES);
    const epoch = header.readUInt32BE(1);
    // Only the epochs a live state can come from: no key is derived for any other.
    if (epoch > Math.floor(now / EPOCH_MS) || epoch < Math.floor((now - this.maxLifetimeMs) / EPOCH_MS)) return { ok: false, reason: 'forged' };
    let text: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(epoch), header.subarray(5));
      decipher.setAAD(header);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      text = decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
    } catch {
      return { ok: false, reason: 'forged' };
    }
    const flow = parsePayload(text);
    if (!flow) return { ok: false, reason: 'forged' };
    if (flow.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, id: header.subarray(5).toString('base64url'), flow };
  }

  /** The key of an epoch, derived once (RFC 5869); keys of epochs no live state can use are dropped. */
  private key(epoch: number): Buffer {
    let key = this.keys.get(epoch);
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), `oauthd-cli flow state, epoch ${epoch}`, 32));
      const oldest = Math.floor((epoch * EPOCH_MS - this.maxLifetimeMs) / EPOCH_MS) - 1;
      for (const known of this.keys.keys()) if (known < oldest) this.keys.delete(known);
      this.keys.set(epoch, key);
    }
    return key;
  }
}

function deliveryFields(delivery: Delivery): [string, string | null] {
  switch (delivery.mode) {
    case 'cli':
      return ['cli', null];
    case 'popup':
      return ['popup', delivery.origin];
    case 'fragment':
    case 'query':
      return [delivery.mode, delivery.url];
  }
}

function parsePayload(text: string): SealedFlow | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Only this module writes payloads; a shape it did not write means a key it did not hold.
  if (!Array.isArray(value) || value.length !== 9) return undefined;
  const [expires, appKey, provider, scopes, codeVerifier, nonce, clientState, mode, target] = value as Payload;
  const delivery = deliveryFrom(mode, target);
  if (typeof expires !== 'number' || typeof appKey !== 'string' || typeof provider !== 'string' || typeof scopes !== 'string' || !delivery) {
    return undefined;
  }
  return {
    appKey,
    provider,
    scopes: scopes === '' ? [] : scopes.split(' '),
    codeVerifier: codeVerifier ?? undefined,
    nonce: nonce ?? undefined,
    clientState: clientState ?? undefined,
    delivery,
    expiresAt: expires * 1000,
  };
}

function deliveryFrom(mode: string, target: string | null): Delivery | undefined {
  if (mode === 'cli') return { mode: 'cli' };
  if (target === null) return undefined;
  if (mode === 'popup') return { mode: 'popup', origin: target };
  if (mode === 'fragment' || mode === 'query') return { mode, url: target, origin: new URL(target).origin };
  return undefined;
}
