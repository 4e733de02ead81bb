/**
 * `oauthd-cli token exchange <provider> --subject-token …`: a token for another token at the
 * provider's token endpoint (RFC 8693, src/oauth/token-exchange.ts). `--subject-token` (and
 * `--actor-token`) take a token's value, or `@provider[:profile]` for a kept token, which is then
 * refreshed first when it has expired. `--audience` and `--resource` repeat (§2.1). The issued
 * token is printed; `--save PROFILE` keeps it as that profile of the provider (src/tokens/exchanged.ts),
 * never in the place of the token it was exchanged from.
 */
import { dirname } from 'node:path';
import type { Context } from '../context.js';
import type { ExchangeFlags } from './token-exchange.flags.js';
import { Ui } from '../ui.js';
import { lazyVault } from '../vault.js';
import { issuingProvider, keptTokenRef, tokenHttp, usableToken, warnDeviations } from '../stored-token.js';
import { formatDuration } from '../render/token.js';
import { commandTraceSession } from '../trace-session.js';
import { checkResource } from '../login/client-options.js';
import { loadConfig } from '../../config/load.js';
import { exchangeToken, TOKEN_TYPES, tokenTypeUri, type TokenExchangeRequest } from '../../oauth/token-exchange.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { catalogDirs, findCatalogEntry } from '../../providers/catalog.js';
import { clientOf } from '../../registry/client.js';
import { configRegistry } from '../../registry/registry.js';
import type { BrokerProvider } from '../../registry/types.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { checkSaveTarget, exchangedToken, keepExchanged, unkeepableType, type ExchangeInput } from '../../tokens/exchanged.js';
import { findStoredToken } from '../../tokens/find.js';
import { loadToken, type StoredToken } from '../../tokens/store.js';
import { describeBackend } from '../../vault/backend.js';
import { configError, flowError, usageError } from '../../util/errors.js';
import type { HttpClient } from '../../oauth/http.js';

/** What `token exchange` parses (./token-exchange.flags.ts). */
export type ExchangeOptions = ExchangeFlags;

/** `@provider` or `@provider:profile`: a kept token. */

/** A token for the request: its value, and when it is a kept one, where it is kept and who issued it. */
interface GivenToken {
  value: string;
  issuer?: BrokerProvider;
  kept?: StoredToken;
}

export async function run(ctx: Context, providerId: string, options: ExchangeOptions): Promise<void> {
  const ui = new Ui(ctx);
  // Every flag first: a wrong token type or a bad reference is said before anything is read or sent.
  const subjectTokenType = typeFlag('--subject-token-type', options.subjectTokenType ?? 'access_token');
  const actorTokenType = options.actorTokenType !== undefined ? typeFlag('--actor-token-type', options.actorTokenType) : undefined;
  const requestedTokenType = options.requestedTokenType !== undefined ? typeFlag('--requested-token-type', options.requestedTokenType) : undefined;
  if (options.actorTokenType !== undefined && options.actorToken === undefined) throw usageError('--actor-token-type needs --actor-token');
  // §2.1: audience and resource may each be given several times; RFC 8707 §2: each resource an absolute URI, no fragment.
  const resources = (options.resource ?? []).map(checkResource);
  const audiences = options.audience ?? [];
  if (audiences.some((audience) => audience.trim() === '')) throw usageError('--audience is empty', 'name the service the token is for, e.g. --audience billing-api');
  const save = options.save;
  if (options.store !== undefined && save === undefined) throw usageError('--store says where --save keeps the token, and there is no --save', 'add --save PROFILE, or drop --store');
  if (save !== undefined && requestedTokenType !== undefined && unkeepableType(requestedTokenType) !== undefined) {
    throw usageError(`--save keeps access tokens, and --requested-token-type asks for ${requestedTokenType}`, 'drop --save, and take the token from --json');
  }

  const session = commandTraceSession(ctx, ui, options, `oauthd-cli token exchange ${providerId}`);
  try {
    const http = tokenHttp(ctx, session ? { observe: session.transcript.observer } : {});
    const subject = await tokenValue(ctx, ui, http, options.subjectToken, '--subject-token', subjectTokenType);
    const actor = options.actorToken !== undefined ? await tokenValue(ctx, ui, http, options.actorToken, '--actor-token', actorTokenType ?? TOKEN_TYPES.access_token) : undefined;
    // The vault the token goes to is opened before the request: a keychain that does not answer
    // fails now, not after the server issued a token (and maybe spent the subject's).
    const tokenVault = lazyVault(ctx, ui, options.store);
    if (save !== undefined) {
      const existing = await loadToken(await tokenVault(), providerId, save).catch(() => undefined);
      checkSaveTarget(providerId, save, exchangeInputs(subject, actor), existing);
    }
    // The server: the kept subject token's issuer when it is this provider (the sandbox is found
    // that way, where its token was issued), else the provider of oauthd.json.
    const provider = subject.issuer?.resolved.id === providerId ? subject.issuer : await configuredProvider(ctx, ui, http, providerId);
    const oauth2 = provider.resolved.oauth2;
    if (!oauth2) throw usageError(`${provider.resolved.name} speaks OAuth 1.0a only; it has no token exchange`);
    const client = await clientOf(provider);
    if (client.clientSecret !== undefined) session?.transcript.redactor.add(client.clientSecret, 'client_secret');
    session?.transcript.redactor.add(subject.value, 'subject_token');
    if (actor) session?.transcript.redactor.add(actor.value, 'actor_token');

    const request: TokenExchangeRequest = { subjectToken: subject.value, subjectTokenType };
    if (actor) {
      request.actorToken = actor.value;
      request.actorTokenType = actorTokenType ?? TOKEN_TYPES.access_token;
    }
    if (audiences.length > 0) request.audience = audiences;
    if (resources.length > 0) request.resource = resources;
    if (requestedTokenType !== undefined) request.requestedTokenType = requestedTokenType;
    if (options.scope !== undefined) request.scope = options.scope;
    const result = await exchangeToken(http, oauth2, client, request);
    const obtainedAt = ctx.factory.clock.now();
    session?.transcript.checks([result.check]);
    warnDeviations(ui, result.deviations);
    if (options.verbose && !options.trace) ui.info(`  ${result.check.ok ? ui.err.green('pass') : ui.err.red('FAIL')}  ${result.check.name}: ${result.check.detail} (${result.check.source ?? ''})`);

    let keptAs: string | undefined;
    const refused = save !== undefined ? unkeepableType(result.issuedTokenType) : undefined;
    if (save !== undefined && refused === undefined) {
      const stored = exchangedToken({
        provider: providerId,
        profile: save,
        token: result.token,
        obtainedAt,
        ...(provider.resolved.issuer !== undefined ? { issuer: provider.resolved.issuer } : {}),
        ...(options.scope !== undefined ? { scope: options.scope } : {}),
      });
      await bindAsIssued(stored, provider, subject);
      const vault = await tokenVault();
      const { replaced } = await keepExchanged(vault, stored);
      keptAs = `${describeBackend(vault)}, profile "${save}"`;
      ui.info(`Kept the exchanged token in ${keptAs}${replaced ? ` (it replaced the ${providerId} token kept there before)` : ''}; use it with --profile ${save}, e.g. oauthd-cli me ${providerId} --profile ${save}`);
    }

    if (options.json) ui.json(tokenToJson(result.token));
    else ui.result(render(provider.resolved.name, result, keptAs));
    if (refused !== undefined) throw flowError(`not kept: ${refused}`, 'it is printed above; --save keeps access tokens only (RFC 8693 §2.2.1 issued_token_type)');
  } finally {
    await session?.finish();
  }
}

function render(providerName: string, result: Awaited<ReturnType<typeof exchangeToken>>, keptAs: string | undefined): string {
  const token = result.token.access_token;
  return [
    `✓ Exchanged at ${providerName} (RFC 8693)`,
    `  issued type    ${result.issuedTokenType ?? '(not said)'}`,
    `  token type     ${result.token.token_type}`,
    ...(result.token.scope !== undefined ? [`  scope          ${result.token.scope || '(none)'}`] : []),
    ...(result.token.expires_in !== undefined ? [`  expires        in ${formatDuration(result.token.expires_in)}`] : []),
    `  token          ${token.length > 12 ? `${token.slice(0, 6)}…${token.slice(-4)}` : '…'}  (${token.length} characters; --json prints it whole; ${keptAs !== undefined ? `kept in ${keptAs}` : 'not kept'})`,
  ].join('\n');
}

/** The tokens this exchange sends, which --save must not replace. */
function exchangeInputs(subject: GivenToken, actor: GivenToken | undefined): ExchangeInput[] {
  const input = (flag: string, given: GivenToken): ExchangeInput => ({
    flag,
    value: given.value,
    ...(given.kept ? { kept: { provider: given.kept.provider, profile: given.kept.profile } } : {}),
  });
  return [input('--subject-token', subject), ...(actor ? [input('--actor-token', actor)] : [])];
}

/**
 * The new token is used later as the exchange got it: with the DPoP key its proof carried (RFC 9449:
 * a DPoP token_type means bound to it), the client certificate the request showed (RFC 8705 §3),
 * and the subject login's client authentication when the exchange went to the subject's issuer.
 */
async function bindAsIssued(stored: StoredToken, provider: BrokerProvider, subject: GivenToken): Promise<void> {
  if (provider.dpop && stored.token.token_type.toLowerCase() === 'dpop') stored.dpopKey = await provider.dpop.privateJwk();
  const fromSubject = provider === subject.issuer ? subject.kept : undefined;
  if (fromSubject?.authMethod !== undefined) stored.authMethod = fromSubject.authMethod;
  const certificate = await provider.clientCertificate?.();
  if (certificate !== undefined) {
    const files = fromSubject?.clientCertificate?.['x5t#S256'] === certificate.thumbprint ? fromSubject.clientCertificate : undefined;
    stored.clientCertificate = {
      'x5t#S256': certificate.thumbprint,
      ...(files?.cert !== undefined && files.key !== undefined ? { cert: files.cert, key: files.key } : {}),
    };
  }
}

function typeFlag(flag: string, value: string): string {
  const uri = tokenTypeUri(value);
  if (uri === undefined) {
    throw usageError(`${flag} ${value} is not a token type`, `use ${Object.keys(TOKEN_TYPES).join(', ')}, or a token type URI (RFC 8693 §3)`);
  }
  return uri;
}

/** A token given by value, or `@provider[:profile]` for a kept one (its access token, or its id_token / refresh token by type). */
async function tokenValue(ctx: Context, ui: Ui, http: HttpClient, given: string, flag: string, type: string): Promise<GivenToken> {
  const kept = keptTokenRef(given, flag);
  if (!kept) {
    if (given.trim() === '') throw usageError(`${flag} is empty`);
    return { value: given };
  }
  const located = await findStoredToken(ctx, kept.provider, { ...(kept.profile !== undefined ? { profile: kept.profile } : {}) });
  const issuer = await issuingProvider(ctx, ui, http, located, 'exchanged');
  const stored = await usableToken(ctx, ui, http, located, issuer);
  const value = type === TOKEN_TYPES.id_token ? stored.token.id_token : type === TOKEN_TYPES.refresh_token ? stored.token.refresh_token : stored.token.access_token;
  if (value === undefined) throw usageError(`${flag} ${given}: the kept token has no ${type.split(':').at(-1) ?? type}`);
  return { value, issuer, kept: stored };
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
