/**
 * `oauthd-cli token exchange <provider> --subject-token …`: a token for another token at the
 * provider's token endpoint (RFC 8693, src/oauth/token-exchange.ts). `--subject-token` (and
 * `--actor-token`) take a token's value, or `@provider[:profile]` for a kept token, which is then
 * refreshed first when it has expired. The issued token is printed, not kept.
 */
import { dirname } from 'node:path';
import type { Context } from '../context.js';
import type { ExchangeFlags } from './token-exchange.flags.js';
import { Ui } from '../ui.js';
import { lazyVault } from '../vault.js';
import { issuingProvider, tokenHttp, usableToken, warnDeviations } from '../stored-token.js';
import { formatDuration } from '../render/token.js';
import { PROFILE_NAME } from '../program.js';
import { loadConfig } from '../../config/load.js';
import { exchangeToken, TOKEN_TYPES, tokenTypeUri, type TokenExchangeRequest } from '../../oauth/token-exchange.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { catalogDirs, findCatalogEntry } from '../../providers/catalog.js';
import { clientOf } from '../../registry/client.js';
import { configRegistry } from '../../registry/registry.js';
import type { BrokerProvider } from '../../registry/types.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { findStoredToken } from '../../tokens/find.js';
import { configError, usageError } from '../../util/errors.js';
import type { HttpClient } from '../../oauth/http.js';

/** What `token exchange` parses (./token-exchange.flags.ts). */
export type ExchangeOptions = ExchangeFlags;

/** `@provider` or `@provider:profile`: a kept token. */
const KEPT = /^@([a-z0-9][a-z0-9_-]*)(?::(.+))?$/;

export async function run(ctx: Context, providerId: string, options: ExchangeOptions): Promise<void> {
  const ui = new Ui(ctx);
  // Every flag first: a wrong token type or a bad reference is said before anything is read or sent.
  const subjectTokenType = typeFlag('--subject-token-type', options.subjectTokenType ?? 'access_token');
  const actorTokenType = options.actorTokenType !== undefined ? typeFlag('--actor-token-type', options.actorTokenType) : undefined;
  const requestedTokenType = options.requestedTokenType !== undefined ? typeFlag('--requested-token-type', options.requestedTokenType) : undefined;
  if (options.actorTokenType !== undefined && options.actorToken === undefined) throw usageError('--actor-token-type needs --actor-token');
  if (options.resource !== undefined && !/^[a-z][a-z0-9+.-]*:[^#]*$/i.test(options.resource)) {
    throw usageError(`--resource ${options.resource}: an absolute URI without a fragment (RFC 8693 §2.1, RFC 8707 §2)`);
  }

  const http = tokenHttp(ctx);
  const subject = await tokenValue(ctx, ui, http, options.subjectToken, '--subject-token', subjectTokenType);
  const actor = options.actorToken !== undefined ? await tokenValue(ctx, ui, http, options.actorToken, '--actor-token', actorTokenType ?? TOKEN_TYPES.access_token) : undefined;
  // The server: the kept subject token's issuer when it is this provider (the sandbox is found
  // that way, where its token was issued), else the provider of oauthd.json.
  const provider = subject.issuer?.resolved.id === providerId ? subject.issuer : await configuredProvider(ctx, ui, http, providerId);
  const oauth2 = provider.resolved.oauth2;
  if (!oauth2) throw usageError(`${provider.resolved.name} speaks OAuth 1.0a only; it has no token exchange`);

  const request: TokenExchangeRequest = { subjectToken: subject.value, subjectTokenType };
  if (actor) {
    request.actorToken = actor.value;
    request.actorTokenType = actorTokenType ?? TOKEN_TYPES.access_token;
  }
  if (options.audience !== undefined) request.audience = options.audience;
  if (options.resource !== undefined) request.resource = options.resource;
  if (requestedTokenType !== undefined) request.requestedTokenType = requestedTokenType;
  if (options.scope !== undefined) request.scope = options.scope;
  const result = await exchangeToken(http, oauth2, await clientOf(provider), request);
  warnDeviations(ui, result.deviations);
  if (options.verbose) ui.info(`  ${result.check.ok ? ui.err.green('pass') : ui.err.red('FAIL')}  ${result.check.name}: ${result.check.detail} (${result.check.source ?? ''})`);
  if (options.json) {
    ui.json(tokenToJson(result.token));
    return;
  }
  const token = result.token.access_token;
  const rows = [
    `✓ Exchanged at ${provider.resolved.name} (RFC 8693)`,
    `  issued type    ${result.issuedTokenType ?? '(not said)'}`,
    `  token type     ${result.token.token_type}`,
    ...(result.token.scope !== undefined ? [`  scope          ${result.token.scope || '(none)'}`] : []),
    ...(result.token.expires_in !== undefined ? [`  expires        in ${formatDuration(result.token.expires_in)}`] : []),
    `  token          ${token.length > 12 ? `${token.slice(0, 6)}…${token.slice(-4)}` : '…'}  (${token.length} characters; --json prints it whole; not kept)`,
  ];
  ui.result(rows.join('\n'));
}

function typeFlag(flag: string, value: string): string {
  const uri = tokenTypeUri(value);
  if (uri === undefined) {
    throw usageError(`${flag} ${value} is not a token type`, `use ${Object.keys(TOKEN_TYPES).join(', ')}, or a token type URI (RFC 8693 §3)`);
  }
  return uri;
}

/** A token given by value, or `@provider[:profile]` for a kept one (its access token, or its id_token / refresh token by type). */
async function tokenValue(
  ctx: Context,
  ui: Ui,
  http: HttpClient,
  given: string,
  flag: string,
  type: string,
): Promise<{ value: string; issuer?: BrokerProvider }> {
  const kept = KEPT.exec(given);
  if (!kept) {
    if (given.trim() === '') throw usageError(`${flag} is empty`);
    return { value: given };
  }
  const [, id, profile] = kept as unknown as [string, string, string | undefined];
  if (profile !== undefined && !PROFILE_NAME.test(profile)) throw usageError(`${flag} ${given}: "${profile}" is not a profile name`);
  const located = await findStoredToken(ctx, id, { ...(profile !== undefined ? { profile } : {}) });
  const issuer = await issuingProvider(ctx, ui, http, located.stored, 'exchanged');
  const stored = await usableToken(ctx, ui, http, located, issuer);
  const value = type === TOKEN_TYPES.id_token ? stored.token.id_token : type === TOKEN_TYPES.refresh_token ? stored.token.refresh_token : stored.token.access_token;
  if (value === undefined) throw usageError(`${flag} ${given}: the kept token has no ${type.split(':').at(-1) ?? type}`);
  return { value, issuer };
}

async function configuredProvider(ctx: Context, ui: Ui, http: HttpClient, id: string): Promise<BrokerProvider> {
  if (id === SANDBOX_ID) {
    throw usageError('the sandbox runs where its token was issued: give a kept sandbox token', 'oauthd-cli token exchange sandbox --subject-token @sandbox');
  }
  const { config, path } = await loadConfig(ctx);
  const dirs = catalogDirs(ctx);
  const registry = configRegistry({ keysets: config.providers, env: ctx.env, http, vault: lazyVault(ctx, ui), catalog: (providerId) => findCatalogEntry(providerId, dirs), configDir: dirname(path) });
  const provider = await registry.get(id);
  if (!provider) throw configError(`${id} has no keyset in ${path}`, `add one: oauthd-cli providers add ${id} --client-id …`);
  return provider;
}
