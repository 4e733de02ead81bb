/**
 * `oauthd-cli providers list [filter]`: the catalog, the sandbox, and the providers configured in
 * oauthd.json (marked), as a table or JSON.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { protocolsOf } from '../render/provider.js';
import { locateConfig, missingConfigError, readConfig } from '../../config/load.js';
import { catalogDirs, loadCatalog } from '../../providers/catalog.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';

export interface ListOptions {
  json?: boolean;
  configured?: boolean;
}

export interface ProviderRow {
  id: string;
  name: string;
  protocols: string[];
  configured: boolean;
  source: 'catalog' | 'issuer' | 'built-in';
}

export async function run(ctx: Context, filter: string | undefined, options: ListOptions): Promise<void> {
  const ui = new Ui(ctx);
  const target = locateConfig(ctx);
  const [catalog, loaded] = await Promise.all([loadCatalog(catalogDirs(ctx)), readConfig(target.path)]);
  const keysets = loaded?.config.providers ?? {};
  for (const broken of catalog.broken) {
    ui.warn(`${broken.file}: ${broken.problems[0]?.path || '/'} ${broken.problems[0]?.message} (skipped)`);
  }

  const rows: ProviderRow[] = [
    { id: SANDBOX_ID, name: 'oauthd-cli sandbox (embedded OpenID provider)', protocols: ['oauth2', 'openid'], configured: true, source: 'built-in' },
  ];
  for (const spec of catalog.providers.values()) {
    rows.push({ id: spec.id, name: spec.name, protocols: protocolsOf(spec), configured: spec.id in keysets, source: 'catalog' });
  }
  for (const [id, keyset] of Object.entries(keysets)) {
    if (!catalog.providers.has(id)) {
      rows.push({ id, name: keyset.issuer ?? id, protocols: ['oauth2', 'openid'], configured: true, source: 'issuer' });
    }
  }
  const needle = filter?.toLowerCase();
  const shown = rows
    .filter((row) => !options.configured || row.configured)
    .filter((row) => !needle || row.id.includes(needle) || row.name.toLowerCase().includes(needle))
    .sort((a, b) => a.id.localeCompare(b.id));

  if (options.json) {
    ui.json(shown);
    return;
  }
  const width = Math.max(2, ...shown.map((row) => row.id.length));
  const lines = shown.map(
    (row) => `${row.configured ? ui.out.green('●') : ' '} ${row.id.padEnd(width)}  ${row.name}  ${ui.out.dim(row.protocols.join(', '))}`,
  );
  ui.result(lines.join('\n') || '(no provider matches)');
  ui.info(`${shown.length} provider(s)${filter ? ` matching "${filter}"` : ''}; ● = configured${loaded ? ` in ${loaded.path}` : ''}`);
  // Without a file only the sandbox is configured: say where the file was looked for.
  if (!loaded) ui.info(`note: ${missingConfigError(target, ctx.cwd).message}; only the built-in sandbox is configured (oauthd-cli init makes the file)`);
}
