// Broker benchmark (`npm run bench`): autocannon against GET /auth/:provider and
// POST /auth/access_token on the memory store, beside a bare fastify route measured in the same
// run: it gets the same request and answers the same 302 (a constant Location as long as the
// broker's authorization URL), doing nothing else. Prints requests/s, ratios against the baseline,
// errors, and memory after the run.
// Targets: GET /auth/:provider ≥ 0.6 × bare fastify; no errors under 50 connections; memory bounded.
// A second baseline, a bare route doing a flow's mandatory work inline, shows how much of the gap
// is the work itself (CSPRNG, PKCE, the stored flow, the authorization URL) and how much is the
// broker.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 50;
const servers = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL('./servers.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise((resolve, reject) => {
  let out = '';
  servers.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    const match = /READY (\d+) (\d+) (\S+)/.exec(out);
    if (match) resolve({ bare: Number(match[1]), broker: Number(match[2]), key: match[3] });
  });
  servers.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
});

const run = (options) =>
  new Promise((resolve, reject) =>
    autocannon({ connections: CONNECTIONS, ...(options.amount ? {} : { duration: DURATION }), ...options }, (error, result) => (error ? reject(error) : resolve(result))),
  );
const stats = async () => (await fetch(`http://127.0.0.1:${ready.bare}/__stats`)).json();
let minted = 0;
/** Mints the next `count` single-use codes in the broker's store (see /__codes in servers.mjs). */
const mintCodes = async (count) => {
  await fetch(`http://127.0.0.1:${ready.bare}/__codes?from=${minted}&count=${count}`, { method: 'POST' });
  minted += count;
};
const errorsOf = (result) => result.errors + result.timeouts + result.non2xx - (result['3xx'] ?? 0);

// Every GET target gets the same request: the popup of a page on a whitelisted origin, in the
// server flow (the app key, opts with the back end's state, a Referer).
const popupRequest = (port, path) => ({
  url: `http://127.0.0.1:${port}${path}?k=${ready.key}&opts=${encodeURIComponent('{"state":"backend-state"}')}`,
  headers: { referer: 'http://localhost:3000/app' },
});
const bareTarget = popupRequest(ready.bare, '/auth/bench');
const floorTarget = popupRequest(ready.bare, '/floor/bench');
const startTarget = popupRequest(ready.broker, '/auth/bench');
let next = 0;
const exchangeTarget = (amount) => ({
  url: `http://127.0.0.1:${ready.broker}/auth/access_token`,
  method: 'POST',
  amount,
  requests: [
    {
      setupRequest: (request) => ({
        ...request,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `code=code-${next++}&key=${ready.key}&secret=bench-secret`,
      }),
    },
  ],
});

// Rounds alternate between the baseline and the broker, so a machine that speeds up or slows down
// during the run affects both alike; the first round of each only warms the JIT up. Each round
// gives one ratio (broker ÷ the bare route measured just before it); the bench reports their
// median and range: on a shared machine one slow stretch moves a mean, not a median.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const perRound = Number(process.env.BENCH_CODES ?? 7_500);
const sum = (results) => ({
  rate: results.reduce((total, r) => total + r.requests.average, 0) / results.length,
  p99: Math.max(...results.map((r) => r.latency.p99)),
  errors: results.reduce((total, r) => total + errorsOf(r), 0),
  ok: results.reduce((total, r) => total + r['2xx'], 0),
  sent: results.reduce((total, r) => total + r.requests.sent, 0),
});
/** Per-round ratios of `results` to the bare rounds: median, lowest, highest. */
const ratios = (results) => {
  const each = results.map((r, round) => r.requests.average / rounds.bare[round].requests.average).sort((a, b) => a - b);
  return { median: each[Math.floor(each.length / 2)], low: each[0], high: each[each.length - 1] };
};
const showRatio = ({ median, low, high }) => `ratio ${median.toFixed(2)}× (${low.toFixed(2)}–${high.toFixed(2)})`;
const before = await stats();
await run({ ...bareTarget, duration: 1 });
await run({ ...floorTarget, duration: 1 });
await run({ ...startTarget, duration: 1 });
await mintCodes(perRound);
await run(exchangeTarget(perRound));
const rounds = { bare: [], floor: [], start: [], exchange: [] };
for (let round = 0; round < ROUNDS; round++) {
  rounds.bare.push(await run(bareTarget));
  rounds.floor.push(await run(floorTarget));
  rounds.start.push(await run(startTarget));
  await mintCodes(perRound);
  rounds.exchange.push(await run(exchangeTarget(perRound)));
}
const bare = sum(rounds.bare);
const floor = sum(rounds.floor);
const start = sum(rounds.start);
const exchange = sum(rounds.exchange);
const startRatio = ratios(rounds.start);

// Flows started by the benchmark are pending in the store (no provider ever calls back); they
// expire after 5 s here (flowTtlMs in servers.mjs), and the store's cap bounds them meanwhile.
const after = await stats();
servers.kill();

const line = (name, result, extra = '') =>
  console.log(`${name.padEnd(28)} ${String(Math.round(result.rate)).padStart(7)} req/s   p99 ${String(result.p99).padStart(4)} ms   errors ${result.errors}${extra}`);
console.log(`${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION} s (exchange: ${perRound} single-use codes per round); ratios: median of the rounds (lowest–highest)`);
line('bare fastify redirect', bare);
line('bare + a flow\'s own work', floor, `   ${showRatio(ratios(rounds.floor))} (the floor for any broker)`);
line('GET /auth/:provider', start, `   ${showRatio(startRatio)} (target ≥ 0.60×)`);
line('POST /auth/access_token', exchange, `   ${showRatio(ratios(rounds.exchange))}`);
console.log(`exchange answers: ${exchange.ok} × 200 for ${exchange.sent} requests (each code once)`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
console.log(`memory after GC: heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, rss ${mb(before.rss)} → ${mb(after.rss)}; store entries ${before.entries} → ${after.entries} (bounded by the store's cap)`);
const ok = startRatio.median >= 0.6 && start.errors === 0 && exchange.errors === 0;
if (!ok) process.exitCode = 1;
