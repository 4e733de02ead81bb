/**
 * The `state` of an OAuth 2 flow the broker starts, sealed: instead of a random key into a store,
 * the state *is* the pending flow — its record, encrypted and authenticated under keys only the
 * broker holds (or the brokers sharing one Redis), with its expiry inside. RFC 6749 §10.12 and the
 * OAuth 2.0 Security BCP (RFC 9700 §4.7.1) ask of the state that it bind the callback to the flow
 * and be unguessable; a sealed state does both, and starting a flow writes nothing anywhere, so a
 * flood of sign-ins nobody finishes costs no memory. Only an answered callback is remembered: a
 * marker that keeps the state single-use until it expires (FlowEngine.complete).
 *
 * Encrypt-then-MAC, AES-256-CTR and HMAC-SHA256 (the pairing of RFC 7518 §5.2, with CTR):
 *
 *   header = version (1 byte) ‖ key epoch (4) ‖ stream nonce (12) ‖ keystream offset (6)
 *   state  = base64url(header ‖ ciphertext ‖ HMAC-SHA256(k_mac, header ‖ ciphertext)[0..16])
 *
 * Keys change every hour (the epoch: hours since 1970), each derived from the shared secret with
 * HKDF (RFC 5869); a state is opened only under the keys of the epochs its lifetime spans. The
 * ciphertext is the payload XORed with the next bytes of one AES-CTR keystream per epoch (a random
 * nonce ‖ a 32-bit block counter, NIST SP 800-38A §B.2): each state takes bytes no other state
 * took, and records where they began, so opening regenerates exactly them. Why a stream and not
 * a cipher per state (AES-GCM): a cipher object per flow start cost the broker about 40 µs of CPU
 * per start under load — more than the rest of a start — and a stream's next bytes cost one call.
 *
 * The PKCE verifier (RFC 7636 §4.1: 32 random bytes) and the OpenID nonce travel inside the
 * ciphertext, so nothing the provider or the browser sees (state, code_challenge, nonce) reveals
 * the verifier (§7.1).
 */
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes, timingSafeEqual, type Cipher } from 'node:crypto';
import type { Delivery } from './flows.js';

const VERSION = 2;
const EPOCH_MS = 3600_000;
const NONCE_BYTES = 12;
const OFFSET_BYTES = 6;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + NONCE_BYTES + OFFSET_BYTES;
/** A stream starts over (a new nonce) before its 32-bit block counter could wrap. */
const MAX_STREAM_BYTES = 2 ** 31 * 16;

/**
 * The longest state the broker sends: providers pass state through untouched, but some cap its
 * length (X documents 500 characters). A typical sealed state is 220–320 characters; it grows only
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

/** One epoch's keys, and the keystream that epoch's states are cut from. */
interface EpochKeys {
  encryption: Buffer;
  mac: HmacKey;
  stream: { nonce: Buffer; cipher: Cipher; offset: number } | undefined;
}

export class FlowSealer {
  private readonly epochs = new Map<number, EpochKeys>();

  /**
   * `secret`: 32 bytes shared by the brokers that must open each other's states; `maxLifetimeMs`:
   * the longest a flow may live (no state older than that is opened, under any key).
   */
  constructor(
    private readonly secret: Buffer,
    private readonly maxLifetimeMs: number,
  ) {}

  /** A new state for `flow`: its id (the single-use marker's key: its tag, unique per state) and the text. */
  seal(flow: SealedFlow, now: number): { id: string; state: string } {
    const epoch = Math.floor(now / EPOCH_MS);
    const keys = this.keys(epoch);
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
    const plaintext = Buffer.from(JSON.stringify(payload), 'utf8');
    let stream = keys.stream;
    if (stream === undefined || stream.offset + plaintext.length > MAX_STREAM_BYTES) {
      const nonce = randomBytes(NONCE_BYTES);
      stream = keys.stream = { nonce, cipher: createCipheriv('aes-256-ctr', keys.encryption, counterBlock(nonce, 0)), offset: 0 };
    }
    const sealed = Buffer.allocUnsafe(HEADER_BYTES + plaintext.length + TAG_BYTES);
    sealed[0] = VERSION;
    sealed.writeUInt32BE(epoch, 1);
    stream.nonce.copy(sealed, 5);
    sealed.writeUIntBE(stream.offset, 5 + NONCE_BYTES, OFFSET_BYTES);
    stream.cipher.update(plaintext).copy(sealed, HEADER_BYTES);
    stream.offset += plaintext.length;
    const tag = hmacSha256(keys.mac, sealed.subarray(0, HEADER_BYTES + plaintext.length));
    tag.copy(sealed, HEADER_BYTES + plaintext.length, 0, TAG_BYTES);
    return { id: tag.toString('base64url', 0, TAG_BYTES), state: sealed.toString('base64url') };
  }

  /** The flow a state carries, if this broker (or one sharing its secret) sealed it and it has not expired at `now`. */
  open(state: string, now: number): OpenedState {
    if (!/^[A-Za-z0-9_-]+$/.test(state)) return { ok: false, reason: 'malformed' };
    const bytes = Buffer.from(state, 'base64url');
    if (bytes.length < HEADER_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const epoch = bytes.readUInt32BE(1);
    // Only the epochs a live state can come from: no key is derived for any other.
    if (epoch > Math.floor(now / EPOCH_MS) || epoch < Math.floor((now - this.maxLifetimeMs) / EPOCH_MS)) return { ok: false, reason: 'forged' };
    const keys = this.keys(epoch);
    const signed = bytes.subarray(0, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    // Verified before anything is decrypted, in constant time (encrypt-then-MAC).
    if (!timingSafeEqual(hmacSha256(keys.mac, signed).subarray(0, TAG_BYTES), tag)) return { ok: false, reason: 'forged' };
    const nonce = bytes.subarray(5, 5 + NONCE_BYTES);
    const offset = bytes.readUIntBE(5 + NONCE_BYTES, OFFSET_BYTES);
    const decipher = createDecipheriv('aes-256-ctr', keys.encryption, counterBlock(nonce, Math.floor(offset / 16)));
    const skipped = offset % 16;
    const text = decipher.update(Buffer.concat([Buffer.alloc(skipped), bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES)])).subarray(skipped).toString('utf8');
    const flow = parsePayload(text);
    if (!flow) return { ok: false, reason: 'forged' };
    if (flow.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, id: tag.toString('base64url'), flow };
  }

  /** An epoch's keys, derived once (RFC 5869); those of epochs no live state can use are dropped. */
  private keys(epoch: number): EpochKeys {
    let keys = this.epochs.get(epoch);
    if (keys === undefined) {
      const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), `oauthd-cli flow state ${purpose}, epoch ${epoch}`, 32));
      keys = { encryption: derive('encryption'), mac: hmacKey(derive('mac')), stream: undefined };
      const oldest = Math.floor((epoch * EPOCH_MS - this.maxLifetimeMs) / EPOCH_MS) - 1;
      for (const known of this.epochs.keys()) if (known < oldest) this.epochs.delete(known);
      this.epochs.set(epoch, keys);
    }
    return keys;
  }
}

/** The AES-CTR counter block of `block` in the stream `nonce`: nonce ‖ 32-bit big-endian block number. */
function counterBlock(nonce: Buffer, block: number): Buffer {
  const counter = Buffer.alloc(16);
  nonce.copy(counter, 0);
  counter.writeUInt32BE(block, NONCE_BYTES);
  return counter;
}

/** HMAC's key pads (RFC 2104 §2: the key, zero-filled to the hash's 64-byte block, XOR ipad / opad). */
export interface HmacKey {
  inner: Buffer;
  outer: Buffer;
}

export function hmacKey(key: Buffer): HmacKey {
  if (key.length > 64) throw new Error('an HMAC-SHA256 key here is at most 64 bytes');
  const inner = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i] = (inner[i] as number) ^ (key[i] as number);
    outer[i] = (outer[i] as number) ^ (key[i] as number);
  }
  return { inner, outer };
}

/**
 * HMAC-SHA256 (RFC 2104): H(K ⊕ opad ‖ H(K ⊕ ipad ‖ message)), with two one-shot crypto.hash calls.
 * crypto.createHmac computes the same (the unit test compares them, and RFC 4231's vectors); its
 * object per call is what a flow start cannot afford.
 */
export function hmacSha256(key: HmacKey, message: Buffer): Buffer {
  const inner = hash('sha256', Buffer.concat([key.inner, message]), 'buffer') as unknown as Buffer;
  return hash('sha256', Buffer.concat([key.outer, inner]), 'buffer') as unknown as Buffer;
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
