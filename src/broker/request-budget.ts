/**
 * The request log's storm guard. A developer reads `serve`'s log on a terminal; a flood (a hostile
 * page starting thousands of sign-ins a second, a load test) would scroll it faster than anyone
 * reads and, one write per line, cost the broker more CPU than the requests themselves. So each
 * second prints its first LINES_PER_SECOND requests as usual, and counts the rest, by what the
 * line would have said (method, path, status, step): one summary line per second sums them up,
 * as syslog's "last message repeated N times" does. Errors count against the same budget; none is
 * lost from the count.
 */
export const LINES_PER_SECOND = 20;

export interface Summarized {
  method: string;
  path: string;
  status: number;
  step?: string;
  count: number;
}

export class RequestBudget {
  private second = -1;
  private printed = 0;
  private held = new Map<string, Summarized>();
  private timer: NodeJS.Timeout | undefined;

  /** `summarize` gets the requests a second held back, once that second is over. */
  constructor(
    private readonly summarize: (held: Summarized[], second: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this request gets its own line; false when it is counted into the second's summary. */
  admit(line: Omit<Summarized, 'count'>): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.second) this.turn(second);
    if (this.printed < LINES_PER_SECOND) {
      this.printed += 1;
      return true;
    }
    // Joined, not a template literal: V8 makes a template of five parts a rope, which the Map must
    // flatten to hash, on every request a flood sends.
    const key = [line.method, line.path, line.status, line.step ?? ''].join(' ');
    const entry = this.held.get(key);
    if (entry) entry.count += 1;
    else this.held.set(key, { ...line, count: 1 });
    // The summary comes when the second is over, whether or not another request arrives.
    this.timer ??= setTimeout(() => this.turn(Math.floor(this.now() / 1000)), 1000 - (this.now() % 1000)).unref();
    return false;
  }

  /** Summarizes what the last second held back, and starts `second`. */
  private turn(second: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held.size > 0) this.summarize([...this.held.values()], this.second);
    this.held = new Map();
    this.second = second;
    this.printed = 0;
  }
}
