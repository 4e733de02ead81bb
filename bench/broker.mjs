// Broker benchmark (`npm run bench`): the real `oauthd-cli serve` process, with the config
// `oauthd-cli init --yes` writes (plus one provider, whose token endpoint is a local stand-in), under
// autocannon at 50 connections, beside a bare fastify redirect route (bench/servers.mjs) measured in
// the same run. Ratios, never absolute numbers: the machine is shared.
//
// Several processes of each (BENCH_PROCESSES, 3), started alike and each serving the same kind of
// rounds: round i of sections 1 and 3 measures bare process i mod 3, then serve process i mod 3,
// and the median of the rounds' ratios is judged. One process of a JIT-compiled program runs at its
// own speed for its whole life (two `serve` processes of one build: 1–8% apart, and one process of
// a run 15% slower than the others: docs/broker.md "Performance"), so one process a side would put
// that draw in every round. And the bare route's rate drifts over a run (in section 3 it has run
// 15–20% below section 1), so every ratio is taken against bare rounds measured beside its own.
//
//   1. GET /auth/:provider        Target ≥ 0.60×.
//   2. a flood of unfinished starts: at least 60 s and at least 1,000,000 starts that nobody
//      finishes, at 50 connections, at the serve process of section 1 whose rounds were the middle
//      of the three. Targets: no 5xx and no 503, ≥ 0.60× the bare route (its section-1 rounds and
//      a round of each bare process right after the flood), the serve process's RSS ≤ 300 MiB at
//      the end and bounded throughout; a sign-in started during the flood and one after it complete.
//   3. POST /auth/access_token    the server flow's exchange (`init --yes --flow server`); each
//      round's single-use codes are minted just before it by real server flows (start, the
//      provider's callback, the broker's exchange at the stand-in). Target ≥ 0.50× the bare
//      route's rounds alternating with them. For reference (no target), the same requests at a
//      bare fastify POST route that reads the form and answers a small JSON: what any fastify POST
//      route gets here.
//
// Exit 1 when a target is missed. BENCH_SECONDS (round length, 4), BENCH_ROUNDS (9),
// BENCH_FLOOD (1000000), BENCH_SUSTAIN_SECONDS (60), BENCH_CODES (codes per exchange round, 20000:
// about a second of exchanges here; rounds of a third of a second weighed their 50 new connections
// and their tail, when fewer than 50 are left, on the result: docs/broker.md);
// BENCH_SERVE_ARGS (more serve flags), BENCH_NODE_ARGS (node flags for serve, e.g. --cpu-prof),
// BENCH_DEBUG (each round's ratio on stderr, with its process and the bare rate).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 4);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const FLOOD = Number(process.env.BENCH_FLOOD ?? 1_000_000);
const SUSTAIN_SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 60);
const CODES = Number(process.env.BENCH_CODES ?? 20_000);
const CONNECTIONS = 50;
const RSS_LIMIT_MB = 300;
const PAGE = 'http://localhost:3000'; // init --yes's default domain
const CLI = fileURLToPath(new URL('../bin/oauthd-cli.js', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Processes

const root = await mkdtemp(join(tmpdir(), 'oauthd-bench-'));
const children = [];
const cleanup = async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await rm(root, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** A private HOME and data folder, nothing of the developer's (keychain, config, browser). */
const env = { ...process.env, HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data'), NO_COLOR: '1', BENCH_SECRET: 'bench-client-secret' };
for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'OAUTHD_CONFIG', 'OAUTHD_APP_SECRET', 'OAUTHD_PROVIDERS_DIR', 'OAUTHD_STORE', 'DBUS_SESSION_BUS_ADDRESS']) delete env[name];

/** Starts a process and resolves with its match of `ready` on `stream`. */
function startProcess(args, options, stream, ready) {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const watch = (chunk) => {
      out += chunk;
      const match = ready.exec(out);
      if (!match) return;
      // From here on the output (serve's request log) is read and dropped, as a terminal would.
      child[stream].off('data', watch).on('data', () => undefined);
      resolve({ child, match });
    };
    child[stream].setEncoding('utf8').on('data', watch);
    child[stream === 'stdout' ? 'stderr' : 'stdout'].resume();
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

function cli(cwd, args) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`oauthd-cli ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A project as a user makes it: init --yes (with `initArgs`), the provider file, providers add. */
async function project(name, initArgs, providerPort) {
  const dir = join(root, name);
  await mkdir(join(dir, 'oauthd-providers'), { recursive: true });
  const made = JSON.parse(cli(dir, ['init', '--yes', '--json', ...initArgs]));
  const bench = {
    id: 'bench',
    name: 'Bench',
    docs: 'https://bench.example/docs',
    oauth2: {
      authorizeUrl: 'https://auth.bench.example/authorize',
      tokenUrl: `http://127.0.0.1:${providerPort}/token`,
      clientAuth: 'client_secret_basic',
      pkce: 'supported',
      scopes: { separator: ' ', default: ['read'] },
    },
  };
  await writeFile(join(dir, 'oauthd-providers', 'bench.json'), JSON.stringify(bench));
  cli(dir, ['providers', 'add', 'bench', '--client-id', 'bench-client', '--client-secret-env', 'BENCH_SECRET']);
  return { dir, key: made.key, secret: made.secret };
}

async function serve(dir) {
  const port = await freePort();
  const { child } = await startProcess([...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), CLI, 'serve', '--port', String(port), ...(process.env.BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean)], { cwd: dir, env }, 'stderr', /Press Ctrl-C to stop\./);
  return { port, child, origin: `http://127.0.0.1:${port}` };
}

/** A bare fastify server (bench/servers.mjs) in a process of its own. */
async function bareServer() {
  const { child, match } = await startProcess([fileURLToPath(new URL('./servers.mjs', import.meta.url))], {}, 'stdout', /READY (\d+)/);
  return { port: Number(match[1]), child };
}

/** The process's resident set, from /proc (Linux), in MiB. */
async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

// ---------------------------------------------------------------------------------------------
// Load

/**
 * One autocannon run; resolves with its result and `seconds`, the time it took. autocannon's own
 * `duration` is taken at its next one-second sampling tick, so a run of a fixed `amount` of requests
 * (the exchange rounds, about a second each) would count up to a second of idle time after its last
 * answer: here such a run ends at its last response.
 */
const run = (options) =>
  new Promise((resolve, reject) => {
    let started = performance.now();
    let lastResponse = started;
    // A run whose connections are set up with prebuilt requests (setupClient) starts its clock when
    // the last one is: autocannon sets them all up before any of them sends.
    if (options.setupClient) options.onConnectionsReady = () => (lastResponse = started = performance.now());
    const instance = autocannon({ connections: CONNECTIONS, ...(options.amount ? {} : { duration: DURATION }), ...options }, (error, result) => {
      if (error) return reject(error);
      resolve({ ...result, seconds: options.amount ? (lastResponse - started) / 1000 : result.duration });
    });
    if (options.amount) instance.on('response', () => (lastResponse = performance.now()));
  });
const failuresOf = (result) => result.errors + result.timeouts + result.non2xx - (result['3xx'] ?? 0);
/** Status counts other than the expected 2xx/3xx: 4xx and 5xx, each counted. */
const statusCounts = (result) => ({ '4xx': result['4xx'] ?? 0, '5xx': result['5xx'] ?? 0 });

// Every GET target gets the same request: a popup from the page init --yes allows.
const startRequest = (port, key) => ({
  url: `http://127.0.0.1:${port}/auth/bench?k=${key}&opts=${encodeURIComponent('{"state":"page-state","state_type":"client"}')}`,
  headers: { referer: `${PAGE}/app` },
});

/** A page's popup: start, then the provider's callback; resolves with the result page's message. */
async function signIn(origin, key, state) {
  const start = await fetch(`${origin}/auth/bench?k=${key}&opts=${encodeURIComponent(JSON.stringify({ state }))}`, { redirect: 'manual', headers: { referer: `${PAGE}/app` } });
  if (start.status !== 302) throw new Error(`start answered ${start.status}: ${await start.text()}`);
  const providerState = new URL(start.headers.get('location')).searchParams.get('state');
  const callback = await fetch(`${origin}/auth?state=${encodeURIComponent(providerState)}&code=bench-code`);
  const page = await callback.text();
  const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page)?.[1];
  if (callback.status !== 200 || !message) throw new Error(`callback answered ${callback.status}: ${page.slice(0, 300)}`);
  return JSON.parse(JSON.parse(message));
}

/** `count` server-flow codes from real flows, `parallel` at a time. */
async function mintCodes(origin, key, count, parallel = 32) {
  const codes = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const result = await signIn(origin, key, `backend-${next}`);
      codes.push(result.data.code);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return codes.slice(0, count);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** Requests per second over the whole run (autocannon's per-second average misreads runs under a few seconds). */
const perSecond = (result) => result.requests.total / result.seconds;
const ratioOf = (results, bareResults) => {
  const each = results.map((r, round) => perSecond(r) / perSecond(bareResults[round])).sort((a, b) => a - b);
  return { median: median(each), low: each[0], high: each.at(-1) };
};
/** Each round's process, ratio and bare rate, for BENCH_DEBUG. */
const roundsLog = (results, bareResults) =>
  results.map((r, round) => `${round % PROCESSES}: ${(perSecond(r) / perSecond(bareResults[round])).toFixed(2)} ${Math.round(perSecond(bareResults[round]))}`).join(' | ');
// Three decimals for what is judged: a median of 0.597 shown as "0.60×" beside MISSED reads as a contradiction.
const showRatio = ({ median: m, low, high }) => `${m.toFixed(3)}× (rounds ${low.toFixed(2)}–${high.toFixed(2)})`;
const rate = (results) => results.reduce((total, r) => total + perSecond(r), 0) / results.length;
/**
 * The process whose rounds' median rate is the middle one of the processes' (the slower middle one
 * for an even count). Round i ran at process i mod PROCESSES.
 */
const typicalProcess = (processes, rounds) => {
  const byRate = processes.map((candidate, i) => ({ candidate, rate: median(rounds.filter((_, round) => round % PROCESSES === i).map(perSecond)) }));
  return byRate.sort((a, b) => a.rate - b.rate)[Math.floor((byRate.length - 1) / 2)].candidate;
};

// ---------------------------------------------------------------------------------------------

try {
  // The provider's token endpoint for every flow of the run, in a process of its own: the bare
  // processes that are measured serve nothing else.
  const provider = await bareServer();
  const clientApp = await project('client-app', [], provider.port);
  const serverApp = await project('server-app', ['--flow', 'server'], provider.port);
  const bares = await Promise.all(Array.from({ length: PROCESSES }, () => bareServer()));

  // 1. Starts: round i at serve process i mod PROCESSES, after its bare process's round.
  const brokers = [];
  for (let i = 0; i < PROCESSES; i++) brokers.push(await serve(clientApp.dir));
  const sample = await fetch(startRequest(brokers[0].port, clientApp.key).url, { redirect: 'manual', headers: startRequest(brokers[0].port, clientApp.key).headers });
  const locationLength = sample.headers.get('location')?.length ?? 0;
  for (const bare of bares) {
    await fetch(`http://127.0.0.1:${bare.port}/__location?length=${locationLength}`, { method: 'POST' });
    await run({ ...startRequest(bare.port, 'x'), duration: 1 });
  }
  for (const broker of brokers) await run({ ...startRequest(broker.port, clientApp.key), duration: 1 });
  const bareRounds = [];
  const startRounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRounds.push(await run(startRequest(bares[round % PROCESSES].port, 'x')));
    startRounds.push(await run(startRequest(brokers[round % PROCESSES].port, clientApp.key)));
  }
  const startRatio = ratioOf(startRounds, bareRounds);
  const startFailures = startRounds.reduce((total, r) => total + failuresOf(r), 0);

  // 2. The flood: at least SUSTAIN_SECONDS and FLOOD starts nobody finishes, at one serve process:
  // the one whose section-1 rounds were the middle of the three. A process's speed is a draw it
  // keeps for life (the header): the flood, one process by its nature, measures a typical one,
  // neither the slowest nor the fastest of the run.
  const broker = typicalProcess(brokers, startRounds);
  for (const other of brokers) if (other !== broker) other.child.kill('SIGTERM');
  const startTarget = startRequest(broker.port, clientApp.key);
  const rssBefore = await rssMb(broker.child.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => void rssMb(broker.child.pid).then((mb) => (rssPeak = Math.max(rssPeak, mb))), 1000);
  const signIns = [];
  const during = setTimeout(() => {
    signIns.push(signIn(broker.origin, clientApp.key, 'during-the-flood').then((result) => ['during the flood', result], (error) => ['during the flood', error]));
  }, 20_000);
  const floodRounds = [await run({ ...startTarget, amount: FLOOD, timeout: 30 })];
  const remaining = SUSTAIN_SECONDS - floodRounds[0].seconds;
  if (remaining > 1) floodRounds.push(await run({ ...startTarget, duration: Math.ceil(remaining) }));
  // Each run's own time (run() says why: an amount-bound run would count an idle second at its end).
  const floodSeconds = floodRounds.reduce((total, r) => total + r.seconds, 0);
  clearTimeout(during);
  clearInterval(sampler);
  signIns.push(await signIn(broker.origin, clientApp.key, 'after-the-flood').then((result) => ['after the flood', result], (error) => ['after the flood', error]));
  const settled = await Promise.all(signIns);
  const rssEnd = await rssMb(broker.child.pid);
  // The flood's reference after it: a round of each bare process, right after it.
  const afterFloodBare = [];
  for (const bare of bares) afterFloodBare.push(await run(startRequest(bare.port, 'x')));
  const floodSent = floodRounds.reduce((total, r) => total + r.requests.sent, 0);
  const floodRate = floodSent / floodSeconds;
  const floodStatuses = floodRounds.reduce((total, r) => ({ '4xx': total['4xx'] + statusCounts(r)['4xx'], '5xx': total['5xx'] + statusCounts(r)['5xx'] }), { '4xx': 0, '5xx': 0 });
  const floodFailures = floodRounds.reduce((total, r) => total + failuresOf(r), 0);
  broker.child.kill('SIGTERM');

  // 3. The server flow's exchange: round i at serve process i mod PROCESSES, after a round of the
  // bare process i mod PROCESSES.
  const exchangers = [];
  for (let i = 0; i < PROCESSES; i++) exchangers.push(await serve(serverApp.dir));
  // Each connection gets its own share of the codes as requests autocannon builds once, before the
  // round's clock starts (run() restarts it when the last connection is set up), as it builds the
  // GET rounds' one request once: a per-request setupRequest made autocannon rebuild every request
  // (about 11 µs of its CPU each, on the cores the broker shares), which measured the load
  // generator, not the broker. Each code is sent once: autocannon gives connection i exactly the
  // share below (its distributeNums) of an `amount`-bound run.
  const exchangeTarget = (url, codes) => {
    let connection = 0;
    let from = 0;
    const target = {
      url,
      method: 'POST',
      amount: codes.length,
      setupClient: (client) => {
        const share = Math.floor(codes.length / CONNECTIONS) + (connection < codes.length % CONNECTIONS ? 1 : 0);
        const body = (code) => `code=${code}&key=${serverApp.key}&secret=${serverApp.secret}`;
        client.setRequests(codes.slice(from, from + share).map((code) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body(code) })));
        from += share;
        connection += 1;
        if (connection === CONNECTIONS) target.onConnectionsReady();
      },
    };
    return target;
  };
  const exchangeUrl = ({ origin }) => `${origin}/auth/access_token`;
  for (const exchanger of exchangers) await run(exchangeTarget(exchangeUrl(exchanger), await mintCodes(exchanger.origin, serverApp.key, 1000)));
  const exchangeBare = [];
  const exchangeRounds = [];
  const postFloorRounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const exchanger = exchangers[round % PROCESSES];
    const bare = bares[round % PROCESSES];
    const codes = await mintCodes(exchanger.origin, serverApp.key, CODES);
    exchangeBare.push(await run(startRequest(bare.port, 'x')));
    exchangeRounds.push(await run(exchangeTarget(exchangeUrl(exchanger), codes)));
    // The reference: the same requests, bodies and count at a bare fastify POST route.
    postFloorRounds.push(await run(exchangeTarget(`http://127.0.0.1:${bare.port}/exchange`, codes)));
  }
  const postFloorRatio = ratioOf(postFloorRounds, exchangeBare);
  const exchangeRatio = ratioOf(exchangeRounds, exchangeBare);
  if (process.env.BENCH_DEBUG) {
    console.error(`starts, per round (process: ratio, bare req/s): ${roundsLog(startRounds, bareRounds)}`);
    console.error(`exchange, per round (process: ratio, bare req/s): ${roundsLog(exchangeRounds, exchangeBare)}`);
  }
  // The flood's reference: the bare rounds before it (section 1) and right after it. The flood alone
  // lasts a minute; on a shared machine whose speed drifts meanwhile, rounds on one side only would
  // tilt its ratio (they alternate for the other targets).
  const floodBareRate = rate([...bareRounds, ...afterFloodBare]);
  const floodRatio = floodRate / floodBareRate;
  const exchangeOk = exchangeRounds.reduce((total, r) => total + r['2xx'], 0);
  const exchangeSent = exchangeRounds.reduce((total, r) => total + r.requests.sent, 0);
  for (const exchanger of exchangers) exchanger.child.kill('SIGTERM');

  // ---------------------------------------------------------------------------------------------
  const signInsOk = settled.every(([, result]) => result?.status === 'success' && typeof result.data?.access_token === 'string');
  const targets = {
    start: startRatio.median >= 0.6 && startFailures === 0,
    flood: floodStatuses['5xx'] === 0 && floodFailures === 0 && floodRatio >= 0.6 && floodSeconds >= SUSTAIN_SECONDS && floodSent >= FLOOD && rssEnd <= RSS_LIMIT_MB && signInsOk,
    exchange: exchangeRatio.median >= 0.5 && exchangeOk === exchangeSent,
  };
  const mark = (ok) => (ok ? 'ok ' : 'MISSED');
  console.log(`oauthd-cli serve (the config init --yes writes) against a bare fastify redirect route, ${CONNECTIONS} connections, same run`);
  console.log(`bare fastify redirect        ${Math.round(rate(bareRounds))} req/s (${ROUNDS} rounds of ${DURATION} s, ${PROCESSES} processes a side; its Location as long as the broker's: ${locationLength} characters)`);
  console.log(`${mark(targets.start)} GET /auth/:provider       ${Math.round(rate(startRounds))} req/s   ratio ${showRatio(startRatio)}   target ≥ 0.60×; failures ${startFailures}`);
  console.log(
    `${mark(targets.flood)} flood of unfinished starts ${floodSent} starts in ${floodSeconds.toFixed(0)} s, ${Math.round(floodRate)} req/s   ratio ${floodRatio.toFixed(3)}× the bare route before and after it (${Math.round(floodBareRate)} req/s)   ` +
      `4xx ${floodStatuses['4xx']}, 5xx ${floodStatuses['5xx']}, other failures ${floodFailures - floodStatuses['4xx'] - floodStatuses['5xx']}`,
  );
  console.log(`    serve RSS ${rssBefore.toFixed(0)} MiB before, ${rssPeak.toFixed(0)} MiB at most, ${rssEnd.toFixed(0)} MiB at the end (limit ${RSS_LIMIT_MB} MiB)`);
  for (const [when, result] of settled) {
    console.log(`    a sign-in ${when}: ${result instanceof Error ? `FAILED: ${result.message}` : result.status === 'success' ? 'completed, token delivered to the page' : `FAILED: ${JSON.stringify(result)}`}`);
  }
  console.log(`${mark(targets.exchange)} POST /auth/access_token  ${Math.round(rate(exchangeRounds))} req/s   ratio ${showRatio(exchangeRatio)}   target ≥ 0.50×; ${exchangeOk} × 200 for ${exchangeSent} codes (each once)`);
  console.log(`    against the bare route's rounds alternating with these: ${Math.round(rate(exchangeBare))} req/s`);
  console.log(`    for reference, a bare fastify POST route (form body in, small JSON out) with the same requests: ratio ${showRatio(postFloorRatio)}`);
  if (!Object.values(targets).every(Boolean)) process.exitCode = 1;
} finally {
  await cleanup();
}
