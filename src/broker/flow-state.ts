/**
 * The `state` of an OAuth 2 flow the broker starts, sealed: instead of a random key into a store,
 * the state *is* the pending flow — its record, encrypted and authenticated under a key only the
 * broker holds (or the brokers sharing one Redis), with its expiry inside. RFC 6749 §10.12 and the
 * OAuth 2.0 Security BCP (RFC 9700 §4.7.1) ask of the state that it bind the callback to the flow
 * and be unguessable; a sealed state does both, and starting a flow writes nothing anywhere, so a
 * flood of sign-ins nobody finishes costs no memory. Only an answered callback is remembered: a
 * marker that keeps the state single-use until it expires (FlowEngine.complete).
 *
 * Layout, base64url-encoded:
 *
 *   version (1 byte) ‖ id (16 random bytes) ‖ AES-256-GCM ciphertext ‖ GCM tag (16 bytes)
 *
 * Every state has a key of its own, HMAC-SHA256(k_seal, id), so GCM's nonce can be fixed (all
 * zero) without ever being reused under one key, and no messages-per-key limit applies. The PKCE
 * verifier and the OpenID nonce are HMAC-SHA256(k_pkce, id) and HMAC-SHA256(k_nonce, id): derived,
 * never carried, so nothing the provider or the browser sees (state, code_challenge, nonce) reveals
 * the verifier (RFC 7636 §7.1), and each is 256 bits from a secret the broker alone holds.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { randomToken } from '../oauth/random.js';
import type { Delivery } from './flows.js';

const VERSION = 1;
const ID_BYTES = 16;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + ID_BYTES;
const ZERO_NONCE = Buffer.alloc(12);

/**
 * The longest state the broker sends: providers pass state through untouched, but some cap its
 * length (X documents 500 characters). A typical sealed state is 170–260 characters; it grows only
 * with what the page asks for (a long opts.state, a long redirect_uri).
 */
export const MAX_STATE_LENGTH = 2048;

/** What a sealed state carries: everything a callback needs that it cannot derive. */
export interface SealedFlow {
  appKey: string;
  provider: string;
  scopes: string[];
  /** Whether the authorization request carried a PKCE challenge / an OpenID nonce. */
  pkce: boolean;
  nonce: boolean;
  clientState: string | undefined;
  delivery: Delivery;
  /** Milliseconds since the epoch (kept to the second). */
  expiresAt: number;
}

export type OpenedState =
  | { ok: true; id: string; flow: SealedFlow }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/** JSON array inside the ciphertext: short, and in a fixed order. */
type Payload = [number, string, string, string, number, string | null, string, string | null];

export class FlowSealer {
  private readonly sealKey: Buffer;
  private readonly pkceKey: Buffer;
  private readonly nonceKey: Buffer;

  constructor(secret: Buffer) {
    // One 32-byte secret, three keys with separate jobs (RFC 5869).
    const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `oauthd-cli flow state ${purpose}`, 32));
    this.sealKey = derive('seal');
    this.pkceKey = derive('pkce verifier');
    this.nonceKey = derive('openid nonce');
  }

  /** A new state for `flow`: its id (the single-use marker's key) and the sealed text. */
  seal(flow: SealedFlow): { id: string; state: string } {
    const idText = randomToken(ID_BYTES);
    const id = Buffer.from(idText, 'base64url');
    const payload: Payload = [
      Math.ceil(flow.expiresAt / 1000),
      flow.appKey,
      flow.provider,
      flow.scopes.join(' '),
      (flow.pkce ? 1 : 0) | (flow.nonce ? 2 : 0),
      flow.clientState ?? null,
      ...deliveryFields(flow.delivery),
    ];
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header[0] = VERSION;
    id.copy(header, 1);
    const cipher = createCipheriv('aes-256-gcm', this.messageKey(id), ZERO_NONCE);
    cipher.setAAD(header);
    const body = cipher.update(JSON.stringify(payload), 'utf8');
    const final = cipher.final();
    const state = Buffer.concat([header, body, final, cipher.getAuthTag()]).toString('base64url');
    return { id: idText, state };
  }

  /** The flow a state carries, if this broker sealed it and it has not expired at `now`. */
  open(state: string, now: number): OpenedState {
    if (!/^[A-Za-z0-9_-]+$/.test(state)) return { ok: false, reason: 'malformed' };
    const bytes = Buffer.from(state, 'base64url');
    if (bytes.length < HEADER_BYTES + TAG_BYTES + 2 || bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const header = bytes.subarray(0, HEADER_BYTES);
    const id = header.subarray(1);
    let text: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.messageKey(id), ZERO_NONCE);
      decipher.setAAD(header);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      text = decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
    } catch {
      return { ok: false, reason: 'forged' };
    }
    const flow = parsePayload(text);
    if (!flow) return { ok: false, reason: 'forged' };
    if (flow.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, id: id.toString('base64url'), flow };
  }

  /** The PKCE code_verifier of the flow `id` (RFC 7636 §4.1: 43 characters of base64url). */
  verifier(id: string): string {
    return createHmac('sha256', this.pkceKey).update(id).digest('base64url');
  }

  /** The OpenID nonce of the flow `id` (OIDC Core §3.1.2.1). */
  nonce(id: string): string {
    return createHmac('sha256', this.nonceKey).update(id).digest('base64url');
  }

  private messageKey(id: Buffer): Buffer {
    return createHmac('sha256', this.sealKey).update(id).digest();
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
  if (!Array.isArray(value) || value.length !== 8) return undefined;
  const [expires, appKey, provider, scopes, flags, clientState, mode, target] = value as Payload;
  const delivery = deliveryFrom(mode, target);
  if (typeof expires !== 'number' || typeof appKey !== 'string' || typeof provider !== 'string' || typeof scopes !== 'string' || !delivery) {
    return undefined;
  }
  return {
    appKey,
    provider,
    scopes: scopes === '' ? [] : scopes.split(' '),
    pkce: (flags & 1) !== 0,
    nonce: (flags & 2) !== 0,
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
