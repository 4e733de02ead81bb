/**
 * Writes the JSON Schemas the project ships, from the TypeBox definitions the code uses:
 *   providers/schema.json      ← src/providers/schema.ts
 *   schemas/oauthd.schema.json ← src/config/schema.ts
 * Run by `npm run build:schemas`; a unit test fails when a committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemas } from './schemas.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const [relativePath, text] of Object.entries(renderSchemas())) {
  writeFileSync(root + relativePath, text);
  process.stderr.write(`wrote ${relativePath}\n`);
}
