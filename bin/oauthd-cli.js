#!/usr/bin/env node
// Tiny launcher: everything lives in dist/ (built by `npm run build`, run by `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
