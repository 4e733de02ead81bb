/**
 * Checks provider files: `node dist/tools/check-providers.js [FILE...]` (default: every
 * providers/*.json). Prints each problem as `file: /json/path message`; exit 2 when any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateProvider } from '../providers/validate.js';

const catalogDir = fileURLToPath(new URL('../../providers/', import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) {
  for (const name of readdirSync(catalogDir).sort()) {
    if (name.endsWith('.json') && name !== 'schema.json') files.push(join(catalogDir, name));
  }
}
let bad = 0;
const ids = new Map<string, string>();
for (const file of files) {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`${file}: not valid JSON: ${(error as Error).message}`);
    bad++;
    continue;
  }
  const problems = validateProvider(value, basename(file, '.json'));
  for (const p of problems) console.error(`${file}: ${p.path || '/'} ${p.message}`);
  if (problems.length > 0) bad++;
  const id = (value as { id?: string }).id ?? '';
  if (ids.has(id)) {
    console.error(`${file}: id "${id}" is also used by ${ids.get(id)}`);
    bad++;
  }
  ids.set(id, file);
}
console.error(`${files.length} file(s) checked, ${bad} with problems`);
process.exitCode = bad > 0 ? 2 : 0;
