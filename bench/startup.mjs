// Startup benchmark: `oauthd-cli --version` against a bare `node -e 0`, measured in the same run,
// interleaved so machine load affects both alike. Prints the medians and the ratio; target ≤ 1.3×
// (--version and --help load only commander and the command table).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const TARGET = 1.3;
const cli = fileURLToPath(new URL('../bin/oauthd-cli.js', import.meta.url));

function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const bare = [];
const version = [];
const help = [];
time([cli, '--version']); // warm the file cache once
for (let i = 0; i < RUNS; i++) {
  bare.push(time(['-e', '0']));
  version.push(time([cli, '--version']));
  help.push(time([cli, '--help']));
}
const ratio = median(version) / median(bare);
const helpRatio = median(help) / median(bare);
console.log(`node -e 0               median ${median(bare).toFixed(1)} ms`);
console.log(`oauthd-cli --version    median ${median(version).toFixed(1)} ms   ratio ${ratio.toFixed(2)}× (target ≤ ${TARGET}×)`);
console.log(`oauthd-cli --help       median ${median(help).toFixed(1)} ms   ratio ${helpRatio.toFixed(2)}×`);
if (ratio > TARGET) {
  console.log(`--version is over target`);
  process.exitCode = 1;
}
