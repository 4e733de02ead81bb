// The catalog as shipped: every file valid, one id per provider, the schemas on disk current, and
// the breadth the project promises (220+ live providers, 12+ with OAuth 1.0a).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_DIR, loadCatalog } from '../../src/providers/catalog.js';
import { renderSchemas } from '../../src/tools/schemas.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

describe('the shipped catalog', () => {
  it('loads with no broken file', async () => {
    const catalog = await loadCatalog();
    expect(catalog.broken.map((entry) => `${entry.file}: ${entry.problems[0]?.path} ${entry.problems[0]?.message}`)).toEqual([]);
  });

  it('has one provider per id: no two files claim the same id, and each id is its file name', async () => {
    const files = (await readdir(CATALOG_DIR)).filter((name) => name.endsWith('.json') && name !== 'schema.json');
    const ids = new Map<string, string>();
    for (const file of files) {
      const { id } = JSON.parse(await readFile(join(CATALOG_DIR, file), 'utf8')) as { id: string };
      expect(ids.get(id), `${file} and ${ids.get(id)} both claim "${id}"`).toBeUndefined();
      expect(`${id}.json`).toBe(file);
      ids.set(id, file);
    }
  });

  it('holds more than 220 providers, at least 12 of them OAuth 1.0a', async () => {
    const { providers } = await loadCatalog();
    expect(providers.size).toBeGreaterThanOrEqual(220);
    expect([...providers.values()].filter((spec) => spec.oauth1).length).toBeGreaterThanOrEqual(12);
  });

  it('ships JSON Schemas that match the TypeBox definitions (npm run build:schemas)', async () => {
    for (const [path, text] of Object.entries(renderSchemas())) {
      expect(await readFile(join(REPO_ROOT, path), 'utf8'), `${path} is stale: run npm run build:schemas`).toBe(text);
    }
  });
});
