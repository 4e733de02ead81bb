/**
 * The answer turn: the two answers the broker sends most under load — a flow start's redirect and
 * the server flow's code exchange — wait for the event loop's check phase (setImmediate) before they
 * are built, so that every such answer to the requests of one poll is written back to back.
 *
 * Why: each write to a loopback socket wakes the process at the other end (a browser, an app's
 * back end, a load generator), and on a developer's machine that process shares the broker's few
 * cores. Written one at a time, each answer costs a wake-up (a context switch; on a VM an
 * interrupt between processors), and measured on 2 cores that cost more CPU than the flow start
 * itself. Written back to back, the first write wakes the caller and the others find it awake.
 * docs/broker.md "Performance" has the numbers.
 *
 * Only these two routes wait, and they wait *before* the reply exists, the way any handler waits
 * for its store: nothing changes for fastify (a connection that closes meanwhile is handled as for
 * any slow handler), and the pages that end a flow (the callback, which `login` reads before it
 * closes its broker) are never held. An idle broker loses nothing: a lone request's check phase
 * comes right after its poll.
 */
let turn: Promise<void> | undefined;

/** Resolves in this loop iteration's check phase, together with every other answer waiting for it. */
export function answerTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}
