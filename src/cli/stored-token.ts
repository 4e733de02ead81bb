/**
 * The token commands at the terminal: their options, an HTTP client whose unreachable server is a
 * failure a user can act on, and the tokens service (src/tokens) bound to the command's context,
 * its vault notice and the sandbox runtime, with what the service did said on stderr.
 */
import type { Context } from './context.js';
import type { Ui } from './ui.js';
import { lazyVault } from './vault.js';
import { describeLeft, describeRotation } from './render/stored-token.js';
import { HttpError, type FetchClientOptions, type HttpClient } from '../oauth/http.js';
import type { Deviation } from '../oauth/token-response.js';
import type { BrokerProvider } from '../registry/types.js';
import type { LocatedToken, TokenSelector } from '../tokens/find.js';
import * as issuer from '../tokens/issuer.js';
import { lockFolder } from '../tokens/lock.js';
import * as refresh from '../tokens/refresh.js';
import type { StoredToken } from '../tokens/store.js';
import { flowError, usageError } from '../util/errors.js';
import { PROFILE_NAME } from './flags.js';

export { boundTokenHttp } from '../tokens/bound.js';

/** `--profile` and `--store`, which every token command takes. */
export type TokenCommandOptions = TokenSelector;

/**
 * The HTTP client of the token commands: the factory's, with an unreachable server reported as a
 * failure a user can act on (exit 1), not as a bug.
 */
export function tokenHttp(ctx: Context, options: FetchClientOptions = {}): HttpClient {
  const http = ctx.factory.http(options);
  return async (request) => {
    try {
      return await http(request);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      throw flowError(error.message, 'check the network, and the URL in the provider file or discovery document', 'unreachable', error);
    }
  };
}

/**
 * The provider that issued the located token (src/tokens/issuer.ts). Secret references are read from the
 * vault with its fallback notice; a sandbox token's sandbox is started in this process on the port
 * its issuer names, or reached where it already runs (src/compose/sandbox-runtime.ts).
 */
export function issuingProvider(ctx: Context, ui: Ui, http: HttpClient, located: LocatedToken, action: string): Promise<BrokerProvider> {
  return issuer.issuingProvider(
    ctx,
    {
      http,
      vault: lazyVault(ctx, ui),
      sandbox: async (issuedBy, loginHint) => (await import('../compose/sandbox-runtime.js')).issuingSandbox(ctx, http, issuedBy, loginHint),
    },
    located,
    action,
  );
}

/** Token-response deviations worth a warning, as `login` prints them. */
export function warnDeviations(ui: Ui, deviations: readonly Deviation[]): void {
  for (const deviation of deviations) {
    if (!deviation.expected) ui.warn(`token response: ${deviation.message} (${deviation.source})`);
  }
}

/**
 * The stored token, refreshed first (and saved back) when it has expired, or expires within
 * `minTtlSeconds`, and can be refreshed: under the token's lock, so parallel commands refresh it
 * once (src/tokens/lock.ts). An expired token without a refresh token is tried as it is, with a
 * warning. `provider` may be a function: it is called only when this process refreshes.
 */
export async function usableToken(
  ctx: Context,
  ui: Ui,
  http: HttpClient,
  located: LocatedToken,
  provider: BrokerProvider | (() => Promise<BrokerProvider>),
  minTtlSeconds?: number,
): Promise<StoredToken> {
  const id = located.stored.provider;
  const usable = await refresh.usableToken(http, located, provider, {
    lockFolder: lockFolder(ctx),
    now: () => ctx.factory.clock.now(),
    ...(minTtlSeconds !== undefined ? { minTtlSeconds } : {}),
    lock: { onWait: () => ui.info(`Waiting for another oauthd-cli process that is refreshing the ${id} token (profile ${located.stored.profile})…`) },
  });
  if (usable.kind === 'expired') {
    ui.warn(`the ${id} access token ${describeLeft(usable.secondsLeft)} and there is no refresh token; trying it anyway`);
  } else if (usable.kind === 'refreshed') {
    warnDeviations(ui, usable.deviations);
    ui.info(`The ${id} access token ${describeLeft(usable.secondsLeft)}: refreshed it first; ${describeRotation(usable.rotation)}.`);
  } else if (usable.kind === 'refreshed-elsewhere') {
    ui.info(`The ${id} access token was refreshed by another oauthd-cli process meanwhile; using that one.`);
  }
  return usable.stored;
}

/** `@provider` or `@provider:profile`: a kept token, where a flag takes a token. */
const KEPT_TOKEN = /^@([a-z0-9][a-z0-9_-]*)(?::(.+))?$/;

/**
 * The kept token `given` names (`@provider[:profile]`), or undefined when it is a token's value. A
 * profile that is no profile name is refused, naming `flag`.
 */
export function keptTokenRef(given: string, flag: string): { provider: string; profile?: string } | undefined {
  const kept = KEPT_TOKEN.exec(given);
  if (!kept) return undefined;
  const [, provider, profile] = kept as unknown as [string, string, string | undefined];
  if (profile === undefined) return { provider };
  if (!PROFILE_NAME.test(profile)) throw usageError(`${flag} ${given}: "${profile}" is not a profile name`);
  return { provider, profile };
}
