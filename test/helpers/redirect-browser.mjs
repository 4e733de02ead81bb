#!/usr/bin/env node
// The smallest `$BROWSER` for providers without a sign-in page: BROWSER="node redirect-browser.mjs";
// the CLI appends the URL. It GETs the URL, follows every redirect (broker → provider → broker
// callback), reads the last page and exits: 0 when the chain ended in a response, 1 when a request
// failed. No cookies, no scripts; nothing is written to stdout/stderr (the CLI ignores them).
//
//   REDIRECT_BROWSER_TIMEOUT_SECONDS  overall limit, default 30
const url = process.argv.at(-1);
const seconds = Number(process.env.REDIRECT_BROWSER_TIMEOUT_SECONDS) || 30;
try {
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(seconds * 1000) });
  await response.text();
  process.exit(0);
} catch {
  process.exit(1);
}
