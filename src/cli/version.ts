/** The CLI's version, from package.json (bin/oauthd-cli.js reads it on its own for `--version`). */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
