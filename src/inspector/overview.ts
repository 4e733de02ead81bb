/**
 * The app's configuration at a glance, as the inspector shows it: the app, its flow and the domains
 * in force, each configured provider with where its secret rests (the reference, never the value),
 * and the redirect URI to register. Built from oauthd.json as it is on disk now (serve reloads it).
 */
import type { Config } from '../config/schema.js';

export interface AppOverview {
  /** oauthd.json, when there is one. */
  configPath?: string;
  app?: { name: string; key: string; flow: string; domains: string[]; refreshTokensToClient: boolean };
  providers: Array<{ id: string; clientId: string; secret: string; scopes?: string[]; issuer?: string }>;
  store: string;
  /** Filled by the broker: `{origin}/auth`. */
  redirectUri?: string;
}

export function appOverview(config: Config | undefined, configPath?: string, appName?: string): AppOverview {
  const overview: AppOverview = {
    providers: Object.entries(config?.providers ?? {}).map(([id, keyset]) => ({
      id,
      clientId: keyset.clientId,
      // A reference (env:NAME, keychain:NAME) says where the secret rests; the value is never read here.
      secret: keyset.clientSecret ?? '(none: a public client)',
      ...(keyset.scope ? { scopes: keyset.scope } : {}),
      ...(keyset.issuer ? { issuer: keyset.issuer } : {}),
    })),
    store: config?.broker.store?.type ?? 'memory',
  };
  if (configPath !== undefined) overview.configPath = configPath;
  if (config && appName === undefined) {
    overview.app = {
      name: config.app.name,
      key: config.app.key,
      flow: config.app.flow,
      domains: config.app.domains,
      refreshTokensToClient: config.app.refreshTokensToClient === true,
    };
  } else if (appName !== undefined) {
    overview.app = { name: appName, key: '(generated for this run)', flow: 'cli', domains: [], refreshTokensToClient: true };
  }
  return overview;
}
