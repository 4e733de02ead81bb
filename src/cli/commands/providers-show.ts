/**
 * `oauthd-cli providers show <id>`: everything a developer needs to register an app at a provider
 * and to know what a flow will do there: where to register, the exact redirect URI, each endpoint
 * (templates filled with the keyset's values), client authentication, PKCE, scopes, what the
 * provider supports besides sign-in, and whether oauthd.json has a keyset for it.
 *
 * The provider is a catalog file (user folder first, then the shipped catalog), a keyset added with
 * `providers add <id> --issuer` (its cached discovery document), or the built-in sandbox: found by
 * findProvider (src/registry/find.ts), as the broker's registry finds it.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { providerJson, renderProvider, type ProviderView } from '../render/provider.js';
import { configPathFor, DEFAULT_BROKER_PORT, readConfig } from '../../config/load.js';
import type { Config, Keyset } from '../../config/schema.js';
import { catalogDirs, findCatalogEntry } from '../../providers/catalog.js';
import type { ProviderSpec } from '../../providers/schema.js';
import { findProvider, providerIds, sandboxDescription, unknownProvider, type FoundProvider } from '../../registry/find.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';

export interface ShowOptions {
  json?: boolean;
}

export async function run(ctx: Context, id: string, options: ShowOptions): Promise<void> {
  const ui = new Ui(ctx);
  const view = await providerView(ctx, id);
  if (options.json) ui.json(providerJson(view));
  else ui.result(renderProvider(view, ui.out));
}

/** The provider as findProvider finds it, joined with oauthd.json: what either view shows. */
export async function providerView(ctx: Context, id: string): Promise<ProviderView> {
  const loaded = await readConfig(configPathFor(ctx));
  const config = loaded?.config;
  const port = config?.broker.port ?? DEFAULT_BROKER_PORT;
  const origin = `http://127.0.0.1:${port === 0 ? '<port>' : port}`;
  const { spec, source, keyset } = await describe(ctx, id, config, origin);
  return {
    spec,
    source,
    keyset,
    configured: source.kind === 'built-in' || keyset !== undefined,
    configPath: loaded?.path,
    port,
    publicUrl: config?.broker.publicUrl,
    redirectUri: `${origin}/auth`,
    templateValues: templateValues(spec, keyset),
  };
}

async function describe(ctx: Context, id: string, config: Config | undefined, origin: string): Promise<FoundProvider> {
  const dirs = catalogDirs(ctx);
  const keysets = config?.providers ?? {};
  const found = await findProvider(id, {
    keysets,
    catalog: (providerId) => findCatalogEntry(providerId, dirs),
    builtins: new Map([[SANDBOX_ID, sandboxDescription(origin)]]),
  });
  if (found) return found;
  throw unknownProvider(id, await providerIds(keysets, dirs), 'oauthd-cli providers list shows them all');
}

/** The values a flow would fill templates with: the client id, then defaults overlaid by the keyset's. */
function templateValues(spec: ProviderSpec, keyset: Keyset | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  if (keyset) values.client_id = keyset.clientId;
  for (const [name, param] of Object.entries(spec.params ?? {})) {
    const value = keyset?.params?.[name] ?? param.default;
    if (value !== undefined) values[name] = value;
  }
  return values;
}
