#!/usr/bin/env node
// Tiny launcher: everything lives in dist/ (built by `npm run build`, run by `prepare`).
// `--version` alone answers from package.json without loading anything else: it is what scripts
// call most and should cost no more than starting node.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // A reader that closed the pipe already (`| true`) is not an error (main() says why).
  process.stdout.on('error', () => undefined);
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv);
}
