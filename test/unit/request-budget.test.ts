// src/broker/request-budget.ts: the request log's storm guard.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LINES_PER_SECOND, RequestBudget, type Summarized } from '../../src/broker/request-budget.js';
import { shortLine } from '../../src/cli/request-log.js';
import { Chalk } from 'chalk';

afterEach(() => {
  vi.useRealTimers();
});

const line = (path: string, status = 302) => ({ method: 'GET', path, status, step: 'flow start github' });

describe('RequestBudget', () => {
  it('prints the first lines of each second, counts the rest by line, and sums them up when the second is over', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const summaries: Summarized[][] = [];
    const budget = new RequestBudget((held) => summaries.push(held));
    const admitted = Array.from({ length: 100 }, (_, i) => budget.admit(line('/auth/github', i % 10 === 0 ? 400 : 302)));
    expect(admitted.filter(Boolean)).toHaveLength(LINES_PER_SECOND);
    expect(admitted.slice(0, LINES_PER_SECOND).every(Boolean)).toBe(true);
    expect(summaries).toEqual([]);
    // The second ends with no other request: the summary comes anyway.
    vi.advanceTimersByTime(1000);
    expect(summaries).toHaveLength(1);
    const counts = Object.fromEntries((summaries[0] as Summarized[]).map((entry) => [entry.status, entry.count]));
    expect(counts).toEqual({ 302: 72, 400: 8 });
    // A new second prints again.
    expect(budget.admit(line('/auth/github'))).toBe(true);
  });

  it('a quiet second prints every line and summarizes nothing', () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const summaries: Summarized[][] = [];
    const budget = new RequestBudget((held) => summaries.push(held));
    for (let i = 0; i < LINES_PER_SECOND; i++) expect(budget.admit(line('/auth'))).toBe(true);
    vi.advanceTimersByTime(3000);
    expect(budget.admit(line('/auth'))).toBe(true);
    expect(summaries).toEqual([]);
  });

  it('the readable form of a summary names each group and its count', () => {
    const json = JSON.stringify({ level: 40, time: Date.now(), msg: 'requests summarized', count: 9874, held: [{ method: 'GET', path: '/auth/github', status: 302, step: 'flow start github', count: 9870 }, { method: 'GET', path: '/auth', status: 400, count: 4 }] });
    expect(shortLine(json, new Chalk({ level: 0 }))).toMatch(/^\d\d:\d\d:\d\d \+ 9,874 more requests that second: GET \/auth\/github 302 ×9,870 · flow start github; GET \/auth 400 ×4\n$/);
  });
});
