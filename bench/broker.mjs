// Broker benchmark (`npm run bench`): autocannon against GET /auth/:provider and
// POST /auth/access_token on the memory store, beside a bare fastify redirect route measured in
// the same run. Prints requests/s, ratios against the baseline, errors, and memory after the run.
// Targets: GET /auth/:provider ≥ 0.6 × bare fastify; no errors under 50 connections; memory bounded.
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

const before = await stats();
const bare = await run({ url: `http://127.0.0.1:${ready.bare}/auth/bench` });
const start = await run({
  url: `http://127.0.0.1:${ready.broker}/auth/bench?k=${ready.key}&opts=${encodeURIComponent('{"state":"backend-state"}')}`,
  headers: { referer: 'http://localhost:3000/app' },
});
let next = 0;
const exchange = await run({
  url: `http://127.0.0.1:${ready.broker}/auth/access_token`,
  method: 'POST',
  amount: Number(process.env.BENCH_CODES ?? 60_000),
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
// Flows started by the benchmark are pending in the store (no provider ever calls back); they
// expire after 10 minutes, and the store's cap bounds them meanwhile.
const after = await stats();
servers.kill();

const rate = (result) => result.requests.average;
const line = (name, result, extra = '') =>
  console.log(`${name.padEnd(28)} ${String(Math.round(rate(result))).padStart(7)} req/s   p99 ${String(result.latency.p99).padStart(4)} ms   errors ${errorsOf(result)}${extra}`);
console.log(`${CONNECTIONS} connections, ${DURATION} s per run (exchange: a fixed number of single-use codes)`);
line('bare fastify redirect', bare);
line('GET /auth/:provider', start, `   ratio ${(rate(start) / rate(bare)).toFixed(2)}× (target ≥ 0.60×)`);
line('POST /auth/access_token', exchange, `   ratio ${(rate(exchange) / rate(bare)).toFixed(2)}×`);
console.log(`exchange answers: ${exchange['2xx']} × 200 for ${exchange.requests.sent ?? exchange.requests.total} requests (each code once)`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
console.log(`memory after GC: heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}, rss ${mb(before.rss)} → ${mb(after.rss)}; store entries ${before.entries} → ${after.entries}`);
const ok = rate(start) / rate(bare) >= 0.6 && errorsOf(start) === 0 && errorsOf(exchange) === 0;
if (!ok) process.exitCode = 1;
