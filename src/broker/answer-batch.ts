/**
 * Answers leave the broker in batches: each is written in the event loop's check phase
 * (setImmediate), after every request that arrived in the same poll has been handled, instead of
 * the moment its own handler finishes.
 *
 * Why: each write to a loopback socket wakes the process at the other end (a browser, an app's back
 * end, a load generator), and on a developer's machine that process shares the broker's few cores.
 * Under load, answers written one at a time cost one wake-up each (a context switch; on a VM an
 * interrupt between processors), and the broker spent more CPU on those than on the flows
 * themselves. Written back to back, the first write wakes the caller and the others find it awake.
 * Measured by `npm run bench` on 2 cores: flow starts went from 0.41× to about 0.53× a bare fastify
 * route, the code exchange from 0.32× to 0.40×. An idle broker loses nothing: a lone request's
 * check phase comes right after its poll.
 */
export class AnswerBatch {
  private queued: Array<() => void> = [];

  /** `write` runs in this turn's check phase, after the writes queued before it. */
  add(write: () => void): void {
    if (this.queued.push(write) === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const writes = this.queued;
    this.queued = [];
    for (const write of writes) write();
  }
}
