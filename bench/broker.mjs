// Broker benchmark (`npm run bench`): autocannon against GET /auth/:provider and
// POST /auth/access_token on the memory store, beside a bare fastify redirect route measured in
// the same run. Prints requests/s, ratios against the baseline, errors, and memory after the run.
// Targets: GET /auth/:provider ≥ 0.6 × bare fastify; no errors under 50 connections; memory bounded.
// A second baseline, a bare route doing a flow's mandatory work inline, shows how much of the gap
// is the work itself (CSPRNG, PKCE, the stored flow, a long Location) and how much is the broker.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
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
const errorsOf = (result) => result.errors + result.timeouts + result.non2xx - (result['3xx'] ?? 0);

const startTarget = {
  url: `http://127.0.0.1:${ready.broker}/auth/bench?k=${ready.key}&opts=${encodeURIComponent('{"state":"backend-state"}')}`,
  headers: { referer: 'http://localhost:3000/app' },
};
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
// during the run affects both alike; the first round of each only warms the JIT up.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CODES = Number(process.env.BENCH_CODES ?? 60_000);
const perRound = Math.floor(CODES / (ROUNDS + 1));
const sum = (results) => ({
  rate: results.reduce((total, r) => total + r.requests.average, 0) / results.length,
  p99: Math.max(...results.map((r) => r.latency.p99)),
  errors: results.reduce((total, r) => total + errorsOf(r), 0),
  ok: results.reduce((total, r) => total + r['2xx'], 0),
  sent: results.reduce((total, r) => total + r.requests.sent, 0),
});
const before = await stats();
await run({ url: `http://127.0.0.1:${ready.bare}/auth/bench`, duration: 1 });
await run({ ...startTarget, duration: 1 });
await run(exchangeTarget(perRound));
const rounds = { bare: [], floor: [], start: [], exchange: [] };
for (let round = 0; round < ROUNDS; round++) {
  rounds.bare.push(await run({ url: `http://127.0.0.1:${ready.bare}/auth/bench` }));
  rounds.floor.push(await run({ url: `http://127.0.0.1:${ready.bare}/floor/bench` }));
  rounds.start.push(await run(startTarget));
  rounds.exchange.push(await run(exchangeTarget(perRound)));
}
const bare = sum(rounds.bare);
const floor = sum(rounds.floor);
const start = sum(rounds.start);
const exchange = sum(rounds.exchange);

// Flows started by the benchmark are pending in the store (no provider ever calls back); they
// expire after 10 minutes, and the store's cap bounds them meanwhile.
const after = await stats();
servers.kill();

const line = (name, result, extra = '') =>
  console.log(`${name.padEnd(28)} ${String(Math.round(result.rate)).padStart(7)} req/s   p99 ${String(result.p99).padStart(4)} ms   errors ${result.errors}${extra}`);
console.log(`${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION} s (exchange: ${perRound} single-use codes per round)`);
line('bare fastify redirect', bare);
line('bare + a flow\'s own work', floor, `   ratio ${(floor.rate / bare.rate).toFixed(2)}× (the floor for any broker)`);
line('GET /auth/:provider', start, `   ratio ${(start.rate / bare.rate).toFixed(2)}× (target ≥ 0.60×), ${(start.rate / floor.rate).toFixed(2)}× the floor`);
line('POST /auth/access_token', exchange, `   ratio ${(exchange.rate / bare.rate).toFixed(2)}×`);
console.log(`exchange answers: ${exchange.ok} × 200 for ${exchange.sent} requests (each code once)`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
console.log(`memory after GC: heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, rss ${mb(before.rss)} → ${mb(after.rss)}; store entries ${before.entries} → ${after.entries} (bounded by the store's cap)`);
const ok = start.rate / bare.rate >= 0.6 && start.errors === 0 && exchange.errors === 0;
if (!ok) process.exitCode = 1;
