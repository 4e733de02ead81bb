/**
 * The `state` of an OAuth 2 flow the broker starts, sealed: instead of a random key into a store,
 * the state *is* the pending flow — its record, encrypted and authenticated under keys only the
 * broker holds (or the brokers sharing one Redis), with its expiry inside. RFC 6749 §10.12 and the
 * OAuth 2.0 Security BCP (RFC 9700 §4.7.1) ask of the state that it bind the callback to the flow
 * and be unguessable; a sealed state does both, and starting a flow writes nothing anywhere, so a
 * flood of sign-ins nobody finishes costs no memory. Only an answered callback is remembered: a
 * marker that keeps the state single-use until it expires (FlowEngine.complete).
 *
 * Encrypt-then-MAC:
 *
 *   body  = version (1 byte) ‖ key epoch (4) ‖ stream nonce (12) ‖ keystream offset (6) ‖ ciphertext
 *   state = base64url(body) ‖ base64url(SHA3-256(k_mac ‖ body))[0..22]      (the tag: 132 bits)
 *
 * - Keys change every hour (the epoch: hours since 1970), each derived from the shared secret with
 *   HKDF (RFC 5869); a state is opened only under the keys of the hours its lifetime spans.
 * - Encryption is AES-256-CTR (NIST SP 800-38A): one keystream per hour (a random nonce ‖ a 32-bit
 *   block counter, a new nonce before it could wrap), generated 64 KiB at a time. Each state takes
 *   the next keystream bytes no other state took and records where they began: the first cover
 *   the record (XOR), the next 32 are the PKCE code_verifier and, when openid is asked, the 32
 *   after them the nonce. Those are never sent; opening regenerates them from the offset. A
 *   keystream of a block cipher under a secret key is pseudorandom, so the verifier is 32 random
 *   bytes to anyone without the key (RFC 7636 §4.1, §7.1), and nothing the provider or the browser
 *   sees (state, code_challenge, nonce) reveals it.
 * - The MAC is SHA-3 keyed by prefix: SHA-3 has no length extension (FIPS 202), which makes
 *   H(k ‖ message) a sound MAC (the construction NIST's KMAC, SP 800-185, builds on). The tag is
 *   checked, in constant time, before anything is decrypted.
 *
 * Why not AES-GCM with a cipher per state (the first version): measured in `serve` under load, a
 * cipher object, its output buffers and a two-hash HMAC per flow start cost more CPU than all the
 * rest of the start. Here a start costs a JSON string, an XOR over the keystream already made, and
 * one hash call.
 */
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes, timingSafeEqual, type Cipher } from 'node:crypto';
import type { Delivery } from './flows.js';
import { isBase64Url, type Base64Url } from '../util/form-encoding.js';

const VERSION = 3;
const EPOCH_MS = 3600_000;
const NONCE_BYTES = 12;
const OFFSET_BYTES = 6;
const HEADER_BYTES = 1 + 4 + NONCE_BYTES + OFFSET_BYTES;
const MAC_KEY_BYTES = 32;
/** The tag's length in base64url characters: 22 × 6 = 132 bits. */
const TAG_CHARS = 22;
const SECRET_BYTES = 32;
/** Keystream made per call to the cipher. */
const CHUNK_BYTES = 64 * 1024;
/** A stream starts over (a new nonce) before its 32-bit block counter could wrap. */
const MAX_STREAM_BYTES = 2 ** 31 * 16;
const ZEROS = Buffer.alloc(CHUNK_BYTES);

/**
 * The longest state the broker sends: providers pass state through untouched, but some cap its
 * length (X documents 500 characters). A typical sealed state is 150–280 characters; it grows only
 * with what the page asks for (a long opts.state, a long redirect_uri, many scopes).
 */
export const MAX_STATE_LENGTH = 2048;

/** What a sealed state carries: everything a callback needs. */
export interface SealedFlow {
  appKey: string;
  provider: string;
  scopes: string[];
  /** Whether the authorization request carries a PKCE challenge / an OpenID nonce. */
  pkce: boolean;
  openid: boolean;
  /** JARM was asked: only a signed `response` may answer this flow (a plain code would be a downgrade). */
  jarm?: boolean;
  clientState: string | undefined;
  delivery: Delivery;
  /** Milliseconds since the epoch (kept to the second). */
  expiresAt: number;
}

/** The secrets a state derives (its code_verifier and nonce, 43 characters of base64url each). */
export interface FlowSecrets {
  codeVerifier: Base64Url | undefined;
  nonce: Base64Url | undefined;
}

export type OpenedState =
  | { ok: true; id: string; flow: SealedFlow; secrets: FlowSecrets }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/** JSON array inside the ciphertext: short, and in a fixed order. */
type Payload = [number, string, string, string, number, string | null, string, string | null];

/** One epoch's keys, and the keystream that epoch's states are cut from. */
interface EpochKeys {
  encryption: Buffer;
  mac: Buffer;
  stream: Keystream | undefined;
}

interface Keystream {
  nonce: Buffer;
  cipher: Cipher;
  /** Keystream made and not yet taken: `chunk[used..]`, which begins at stream offset `offset`. */
  chunk: Buffer;
  used: number;
  offset: number;
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

  /** A new state for `flow`: its id (the single-use marker's key: its tag), the text, its secrets. */
  seal(flow: SealedFlow, now: number): { id: string; state: Base64Url; secrets: FlowSecrets } {
    const epoch = Math.floor(now / EPOCH_MS);
    const keys = this.keys(epoch);
    const delivery = deliveryFields(flow.delivery);
    const json = JSON.stringify([
      Math.ceil(flow.expiresAt / 1000),
      flow.appKey,
      flow.provider,
      flow.scopes.join(' '),
      (flow.pkce ? 1 : 0) | (flow.openid ? 2 : 0) | (flow.jarm ? 4 : 0),
      flow.clientState ?? null,
      delivery[0],
      delivery[1],
    ] satisfies Payload);
    const length = Buffer.byteLength(json, 'utf8');
    const secretBytes = (flow.pkce ? SECRET_BYTES : 0) + (flow.openid ? SECRET_BYTES : 0);
    const stream = this.take(keys, length + secretBytes);
    // This state's keystream bytes: stream.chunk[start..], which begin at stream offset `at`.
    const keystream = stream.chunk;
    const start = stream.used - length - secretBytes;
    const at = stream.offset + start;
    // One buffer: the MAC key, then the body (the MAC's input is their concatenation).
    const sealed = Buffer.allocUnsafe(MAC_KEY_BYTES + HEADER_BYTES + length);
    keys.mac.copy(sealed, 0);
    let cursor = MAC_KEY_BYTES;
    sealed[cursor] = VERSION;
    sealed.writeUInt32BE(epoch, cursor + 1);
    stream.nonce.copy(sealed, cursor + 5);
    sealed.writeUIntBE(at, cursor + 5 + NONCE_BYTES, OFFSET_BYTES);
    cursor += HEADER_BYTES;
    sealed.write(json, cursor, 'utf8');
    for (let i = 0; i < length; i++) sealed[cursor + i] = (sealed[cursor + i] as number) ^ (keystream[start + i] as number);
    const tag = hash('sha3-256', sealed, 'base64url').slice(0, TAG_CHARS);
    return {
      id: tag,
      // Base64url by construction: the encoder's output twice.
      state: (sealed.toString('base64url', MAC_KEY_BYTES) + tag) as Base64Url,
      secrets: secretsFrom(keystream, start + length, flow.pkce, flow.openid),
    };
  }

  /** The flow a state carries, if this broker (or one sharing its secret) sealed it and it has not expired at `now`. */
  open(state: string, now: number): OpenedState {
    if (!isBase64Url(state) || state.length < TAG_CHARS + 40) return { ok: false, reason: 'malformed' };
    const tag = state.slice(-TAG_CHARS);
    const body = Buffer.from(state.slice(0, -TAG_CHARS), 'base64url');
    if (body.length < HEADER_BYTES + 2 || body[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const epoch = body.readUInt32BE(1);
    // Only the epochs a live state can come from: no key is derived for any other.
    if (epoch > Math.floor(now / EPOCH_MS) || epoch < Math.floor((now - this.maxLifetimeMs) / EPOCH_MS)) return { ok: false, reason: 'forged' };
    const keys = this.keys(epoch);
    const expected = hash('sha3-256', Buffer.concat([keys.mac, body]), 'base64url').slice(0, TAG_CHARS);
    // Checked before anything is decrypted, in constant time (encrypt-then-MAC).
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(tag))) return { ok: false, reason: 'forged' };
    const nonce = body.subarray(5, 5 + NONCE_BYTES);
    const offset = body.readUIntBE(5 + NONCE_BYTES, OFFSET_BYTES);
    const ciphertext = body.subarray(HEADER_BYTES);
    // The keystream from `offset` on: the record's bytes, then the secrets'.
    const skipped = offset % 16;
    const decipher = createDecipheriv('aes-256-ctr', keys.encryption, counterBlock(nonce, Math.floor(offset / 16)));
    const keystream = decipher.update(Buffer.alloc(skipped + ciphertext.length + 2 * SECRET_BYTES));
    for (let i = 0; i < ciphertext.length; i++) ciphertext[i] = (ciphertext[i] as number) ^ (keystream[skipped + i] as number);
    const flow = parsePayload(ciphertext.toString('utf8'));
    if (!flow) return { ok: false, reason: 'forged' };
    if (flow.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, id: tag, flow, secrets: secretsFrom(keystream, skipped + ciphertext.length, flow.pkce, flow.openid) };
  }

  /**
   * Takes the next `length` bytes of the epoch's keystream: on return they are the `length` bytes
   * of the stream's chunk before `used`. (Read there, not handed out as a view: a start costs one
   * object less.)
   */
  private take(keys: EpochKeys, length: number): Keystream {
    let stream = keys.stream;
    if (stream === undefined || stream.offset + stream.used + length > MAX_STREAM_BYTES) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-ctr', keys.encryption, counterBlock(nonce, 0));
      stream = keys.stream = { nonce, cipher, chunk: Buffer.alloc(0), used: 0, offset: 0 };
    }
    if (stream.used + length > stream.chunk.length) {
      // The rest of this chunk, then a new one after it: the keystream goes on without a gap.
      const rest = stream.chunk.subarray(stream.used);
      stream.offset += stream.used;
      stream.chunk = Buffer.concat([rest, stream.cipher.update(ZEROS)]);
      stream.used = 0;
    }
    stream.used += length;
    return stream;
  }

  /** An epoch's keys, derived once (RFC 5869); those of epochs no live state can use are dropped. */
  private keys(epoch: number): EpochKeys {
    let keys = this.epochs.get(epoch);
    if (keys === undefined) {
      const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), `oauthd-cli flow state ${purpose}, epoch ${epoch}`, 32));
      keys = { encryption: derive('encryption'), mac: derive('mac'), stream: undefined };
      const oldest = Math.floor((epoch * EPOCH_MS - this.maxLifetimeMs) / EPOCH_MS) - 1;
      for (const known of this.epochs.keys()) if (known < oldest) this.epochs.delete(known);
      this.epochs.set(epoch, keys);
    }
    return keys;
  }
}

/** The verifier and the nonce from the keystream bytes at `from`, after a record's (32 each, as the flow uses them). */
function secretsFrom(keystream: Buffer, from: number, pkce: boolean, openid: boolean): FlowSecrets {
  const nonceFrom = pkce ? from + SECRET_BYTES : from;
  return {
    codeVerifier: pkce ? (keystream.toString('base64url', from, from + SECRET_BYTES) as Base64Url) : undefined,
    nonce: openid ? (keystream.toString('base64url', nonceFrom, nonceFrom + SECRET_BYTES) as Base64Url) : undefined,
  };
}

/** The AES-CTR counter block of `block` in the stream `nonce`: nonce ‖ 32-bit big-endian block number. */
function counterBlock(nonce: Buffer, block: number): Buffer {
  const counter = Buffer.alloc(16);
  nonce.copy(counter, 0);
  counter.writeUInt32BE(block, NONCE_BYTES);
  return counter;
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
  if (!Array.isArray(value) || value.length !== 8) return undefined;
  const [expires, appKey, provider, scopes, flags, clientState, mode, target] = value as Payload;
  const delivery = deliveryFrom(mode, target);
  if (typeof expires !== 'number' || typeof appKey !== 'string' || typeof provider !== 'string' || typeof scopes !== 'string' || typeof flags !== 'number' || !delivery) {
    return undefined;
  }
  return {
    appKey,
    provider,
    scopes: scopes === '' ? [] : scopes.split(' '),
    pkce: (flags & 1) !== 0,
    openid: (flags & 2) !== 0,
    ...((flags & 4) !== 0 ? { jarm: true } : {}),
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
