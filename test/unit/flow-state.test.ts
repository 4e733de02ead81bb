// src/broker/flow-state.ts: the state as a sealed flow record.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlowSealer, type SealedFlow } from '../../src/broker/flow-state.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const flow: SealedFlow = {
  appKey: 'Xq3mK8vN2pL5wR7tY9uB1c',
  provider: 'github',
  scopes: ['read:user', 'repo'],
  codeVerifier: 'v'.repeat(43),
  nonce: undefined,
  clientState: 'sdk-state',
  delivery: { mode: 'popup', origin: 'http://localhost:3000' },
  expiresAt: NOW + 600_000,
};

describe('FlowSealer', () => {
  const LIFETIME = 600_000;
  const sealer = new FlowSealer(randomBytes(32), LIFETIME);

  it('opens what it sealed, to the second, with every field', () => {
    const { id, state } = sealer.seal(flow, NOW);
    expect(state).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(state.length).toBeLessThan(300);
    expect(sealer.open(state, NOW)).toEqual({ ok: true, id, flow });
    for (const delivery of [{ mode: 'cli' }, { mode: 'fragment', url: 'http://localhost:3000/cb?x=1', origin: 'http://localhost:3000' }] as const) {
      const sealed = sealer.seal({ ...flow, delivery, clientState: undefined, scopes: [] }, NOW);
      expect(sealer.open(sealed.state, NOW)).toMatchObject({ ok: true, flow: { delivery, clientState: undefined, scopes: [] } });
    }
  });

  it('says nothing readable: neither the app key, the provider, the scopes nor the page origin appear', () => {
    const decoded = Buffer.from(sealer.seal(flow, NOW).state, 'base64url').toString('latin1');
    for (const value of ['Xq3mK8', 'github', 'read:user', 'localhost', 'sdk-state']) expect(decoded).not.toContain(value);
  });

  it('every state is new: two seals of one flow differ, and so do their ids', () => {
    const a = sealer.seal(flow, NOW);
    const b = sealer.seal(flow, NOW);
    expect(a.state).not.toBe(b.state);
    expect(a.id).not.toBe(b.id);
  });

  it('refuses a changed byte anywhere, a truncation, another key, another version, junk', () => {
    const { state } = sealer.seal(flow, NOW);
    const bytes = Buffer.from(state, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) ^ 0x01;
      const opened = sealer.open(changed.toString('base64url'), NOW);
      expect(opened.ok, `byte ${i}`).toBe(false);
    }
    expect(sealer.open(state.slice(0, -2), NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(new FlowSealer(randomBytes(32), LIFETIME).open(state, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(sealer.open('x', NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(sealer.open('not base64url!', NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(sealer.open('', NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an expired state, at its expiry to the second', () => {
    const { state } = sealer.seal(flow, NOW);
    expect(sealer.open(state, flow.expiresAt - 1).ok).toBe(true);
    expect(sealer.open(state, flow.expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('carries the verifier and the nonce inside: neither is readable in the state', () => {
    const secretFlow = { ...flow, codeVerifier: 'V'.repeat(43), nonce: 'N'.repeat(43) };
    const { state } = sealer.seal(secretFlow, NOW);
    expect(Buffer.from(state, 'base64url').toString('latin1')).not.toMatch(/VVVV|NNNN/);
    expect(sealer.open(state, NOW)).toMatchObject({ ok: true, flow: { codeVerifier: 'V'.repeat(43), nonce: 'N'.repeat(43) } });
  });

  it('keys change every hour: a state opens for its whole lifetime across the change, and never under a key outside it', () => {
    const hour = 3600_000;
    const beforeTheHour = Math.ceil(NOW / hour) * hour - 1000;
    const { state } = sealer.seal({ ...flow, expiresAt: beforeTheHour + LIFETIME }, beforeTheHour);
    expect(sealer.open(state, beforeTheHour + 5000).ok).toBe(true);
    // A header naming an epoch from the future, or older than any live state, is refused before any key is made.
    const bytes = Buffer.from(state, 'base64url');
    for (const epoch of [bytes.readUInt32BE(1) + 1, bytes.readUInt32BE(1) - 2]) {
      const moved = Buffer.from(bytes);
      moved.writeUInt32BE(epoch, 1);
      expect(sealer.open(moved.toString('base64url'), beforeTheHour + 5000)).toEqual({ ok: false, reason: 'forged' });
    }
  });

  it('two brokers sharing a secret (one Redis) open each other\'s states', () => {
    const secret = randomBytes(32);
    const a = new FlowSealer(secret, LIFETIME);
    const b = new FlowSealer(Buffer.from(secret), LIFETIME);
    const { id, state } = a.seal(flow, NOW);
    expect(b.open(state, NOW)).toEqual({ ok: true, id, flow });
  });
});
