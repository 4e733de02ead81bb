// src/broker/flow-state.ts: the state as a sealed flow record.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlowSealer, MAX_STATE_LENGTH, type SealedFlow } from '../../src/broker/flow-state.js';
import { isValidVerifier } from '../../src/oauth/pkce.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const LIFETIME = 600_000;
const flow: SealedFlow = {
  appKey: 'Xq3mK8vN2pL5wR7tY9uB1c',
  provider: 'github',
  scopes: ['read:user', 'repo'],
  pkce: true,
  openid: false,
  clientState: 'sdk-state',
  delivery: { mode: 'popup', origin: 'http://localhost:3000' },
  expiresAt: NOW + LIFETIME,
};

describe('FlowSealer', () => {
  const sealer = new FlowSealer(randomBytes(32), LIFETIME);

  it('opens what it sealed, to the second, with every field, and derives the same secrets', () => {
    const { id, state, secrets } = sealer.seal(flow, NOW);
    expect(state).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(state.length).toBeLessThan(200);
    expect(sealer.open(state, NOW)).toEqual({ ok: true, id, flow, secrets });
    for (const delivery of [{ mode: 'cli' }, { mode: 'fragment', url: 'http://localhost:3000/cb?x=1', origin: 'http://localhost:3000' }] as const) {
      const sealed = sealer.seal({ ...flow, delivery, clientState: undefined, scopes: [] }, NOW);
      expect(sealer.open(sealed.state, NOW)).toMatchObject({ ok: true, flow: { delivery, clientState: undefined, scopes: [] } });
    }
  });

  it('says nothing readable: neither the app key, the provider, the scopes, the page nor its state appear', () => {
    const decoded = Buffer.from(sealer.seal(flow, NOW).state, 'base64url').toString('latin1');
    for (const value of ['Xq3mK8', 'github', 'read:user', 'localhost', 'sdk-state']) expect(decoded).not.toContain(value);
  });

  it('derives a PKCE verifier and a nonce per state: RFC 7636 verifiers, distinct, never in the state', () => {
    const sealed = sealer.seal({ ...flow, openid: true }, NOW);
    const { codeVerifier, nonce } = sealed.secrets;
    expect(isValidVerifier(codeVerifier as string)).toBe(true);
    expect(codeVerifier).toHaveLength(43);
    expect(nonce).toHaveLength(43);
    expect(nonce).not.toBe(codeVerifier);
    expect(sealed.state).not.toContain(codeVerifier);
    expect(sealed.state).not.toContain(nonce);
    expect(sealer.open(sealed.state, NOW)).toMatchObject({ ok: true, secrets: { codeVerifier, nonce } });
    const other = sealer.seal({ ...flow, openid: true }, NOW).secrets;
    expect(other.codeVerifier).not.toBe(codeVerifier);
    expect(other.nonce).not.toBe(nonce);
    expect(sealer.seal({ ...flow, pkce: false }, NOW).secrets).toEqual({ codeVerifier: undefined, nonce: undefined });
  });

  it('every state is new: two seals of one flow differ, and so do their ids', () => {
    const a = sealer.seal(flow, NOW);
    const b = sealer.seal(flow, NOW);
    expect(a.state).not.toBe(b.state);
    expect(a.id).not.toBe(b.id);
  });

  it('states cut across keystream chunks (64 KiB each) all open, with their own secrets', () => {
    const fresh = new FlowSealer(randomBytes(32), LIFETIME);
    const sealed = Array.from({ length: 1500 }, (_, i) => fresh.seal({ ...flow, clientState: `state-${i}`, openid: i % 2 === 0 }, NOW));
    const verifiers = new Set<string>();
    for (const [i, one] of sealed.entries()) {
      const opened = fresh.open(one.state, NOW);
      expect(opened, `state ${i}`).toMatchObject({ ok: true, flow: { clientState: `state-${i}` }, secrets: one.secrets });
      verifiers.add(one.secrets.codeVerifier as string);
    }
    expect(verifiers.size).toBe(1500);
  });

  it('refuses a changed character anywhere, a truncation, another key, junk', () => {
    const { state } = sealer.seal(flow, NOW);
    for (let i = 0; i < state.length; i++) {
      const changed = state.slice(0, i) + (state[i] === 'A' ? 'B' : 'A') + state.slice(i + 1);
      expect(sealer.open(changed, NOW).ok, `character ${i}`).toBe(false);
    }
    expect(sealer.open(state.slice(0, -1), NOW).ok).toBe(false);
    expect(sealer.open(`${state}A`, NOW).ok).toBe(false);
    expect(new FlowSealer(randomBytes(32), LIFETIME).open(state, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(sealer.open('x', NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(sealer.open('not base64url!', NOW)).toEqual({ ok: false, reason: 'malformed' });
    // Long enough to pass the length check: the alphabet alone refuses it (a state with `+` or `/` in it is not ours).
    expect(sealer.open(`${state.slice(0, 40)}+/${state.slice(42)}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(sealer.open('', NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an expired state, at its expiry to the second', () => {
    const { state } = sealer.seal(flow, NOW);
    expect(sealer.open(state, flow.expiresAt - 1).ok).toBe(true);
    expect(sealer.open(state, flow.expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keys change every hour: a state opens for its whole lifetime across the change, and never under a key outside it', () => {
    const hour = 3600_000;
    const beforeTheHour = Math.ceil(NOW / hour) * hour - 1000;
    const { state } = sealer.seal({ ...flow, expiresAt: beforeTheHour + LIFETIME }, beforeTheHour);
    expect(sealer.open(state, beforeTheHour + 5000).ok).toBe(true);
    // A body naming an epoch from the future, or older than any live state, is refused before any key is made.
    const body = Buffer.from(state.slice(0, -22), 'base64url');
    for (const epoch of [body.readUInt32BE(1) + 1, body.readUInt32BE(1) - 2]) {
      const moved = Buffer.from(body);
      moved.writeUInt32BE(epoch, 1);
      expect(sealer.open(moved.toString('base64url') + state.slice(-22), beforeTheHour + 5000)).toEqual({ ok: false, reason: 'forged' });
    }
  });

  it("two brokers sharing a secret (one Redis) open each other's states, secrets included", () => {
    const secret = randomBytes(32);
    const a = new FlowSealer(secret, LIFETIME);
    const b = new FlowSealer(Buffer.from(secret), LIFETIME);
    const { id, state, secrets } = a.seal(flow, NOW);
    expect(b.open(state, NOW)).toEqual({ ok: true, id, flow, secrets });
  });

  it('the usual state is far under the limit providers are sent', () => {
    const sandboxLike = sealer.seal({ ...flow, scopes: ['openid', 'profile', 'email', 'offline_access'], openid: true, clientState: 'a'.repeat(40) }, NOW).state;
    expect(sandboxLike.length).toBeLessThan(300);
    expect(MAX_STATE_LENGTH).toBe(2048);
  });
});
