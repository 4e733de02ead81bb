// The popup's caller, remembered per app object, broker origin and Referer (src/broker/popup-callers.ts):
// a reloaded app (a new object) or another broker origin never gets an old decision, and a flood of
// distinct Referers keeps the list bounded.
import { describe, expect, it } from 'vitest';
import { PopupCallers } from '../../src/broker/popup-callers.js';
import type { BrokerApp } from '../../src/broker/types.js';
import { parseDomainRule } from '../../src/config/domains.js';

const app = (domains: string[]): BrokerApp => ({
  key: 'k',
  name: 'app',
  flow: 'client',
  domains: domains.map(parseDomainRule),
  refreshTokensToClient: false,
  codeTtlMs: 60_000,
});
const BROKER = 'http://127.0.0.1:6284';
const PAGE = 'http://localhost:3000/app';

describe('PopupCallers', () => {
  it('answers the same app, broker origin and Referer; not a reloaded app nor another origin', () => {
    const popups = new PopupCallers();
    const first = app(['http://localhost:3000']);
    expect(popups.get(first, BROKER, PAGE)).toBeUndefined();
    popups.remember(first, BROKER, PAGE, { mode: 'popup', origin: 'http://localhost:3000' });
    expect(popups.get(first, BROKER, PAGE)).toEqual({ mode: 'popup', origin: 'http://localhost:3000' });
    expect(popups.get(first, BROKER, `${PAGE}?x`)).toBeUndefined();
    expect(popups.get(first, 'http://127.0.0.1:7000', PAGE)).toBeUndefined();
    expect(popups.get(app(['http://localhost:3000']), BROKER, PAGE)).toBeUndefined();
  });

  it('hands out a frozen copy: a caller cannot change what the next start gets', () => {
    const popups = new PopupCallers();
    const one = app(['http://localhost:3000']);
    const delivery = { mode: 'popup' as const, origin: 'http://localhost:3000' };
    popups.remember(one, BROKER, PAGE, delivery);
    delivery.origin = 'http://evil.test';
    const remembered = popups.get(one, BROKER, PAGE);
    expect(remembered?.origin).toBe('http://localhost:3000');
    expect(Object.isFrozen(remembered)).toBe(true);
  });

  it('keeps at most 256 pages per app: a flood of distinct Referers starts the list over', () => {
    const popups = new PopupCallers();
    const one = app(['http://localhost:3000']);
    for (let i = 0; i < 256; i++) popups.remember(one, BROKER, `${PAGE}/${i}`, { mode: 'popup', origin: 'http://localhost:3000' });
    expect(popups.get(one, BROKER, `${PAGE}/0`)).toBeDefined();
    popups.remember(one, BROKER, `${PAGE}/256`, { mode: 'popup', origin: 'http://localhost:3000' });
    expect(popups.get(one, BROKER, `${PAGE}/0`)).toBeUndefined();
    expect(popups.get(one, BROKER, `${PAGE}/256`)).toBeDefined();
  });
});
