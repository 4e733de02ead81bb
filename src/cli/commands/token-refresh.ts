/**
 * `oauthd-cli token refresh <provider>`: a new access token from the kept refresh token
 * (RFC 6749 §6), saved where the old one was. Without --force a token that is still valid is left
 * alone. The refresh token is kept when the answer has none, and a rotated one replaces it; either
 * way the command says which happened.
 */
import type { Context } from '../context.js';
import type { RefreshFlags } from './token-refresh.flags.js';
import { Ui } from '../ui.js';
import { issuingProvider, warnDeviations, tokenHttp } from '../stored-token.js';
import { describeExpiry, describeRotation } from '../render/stored-token.js';
import { formatDuration } from '../render/token.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { isExpired, secondsLeft } from '../../tokens/expiry.js';
import { findStoredToken } from '../../tokens/find.js';
import { lockFolder } from '../../tokens/lock.js';
import { refreshNow, requireRefreshable } from '../../tokens/refresh.js';

/** What `token refresh` parses (./token-refresh.flags.ts). */
export type RefreshOptions = RefreshFlags;

export async function run(ctx: Context, provider: string, options: RefreshOptions): Promise<void> {
  const ui = new Ui(ctx);
  const located = await findStoredToken(ctx, provider, options);
  const { stored } = located;
  requireRefreshable(stored, located.implicitProfile);
  const now = () => ctx.factory.clock.now();
  if (!options.force && !isExpired(stored, now()) && stored.expiresAt !== undefined) {
    ui.info(`The ${provider} access token is valid for ${formatDuration(secondsLeft(stored, now()) as number)} more; nothing to do (--force refreshes anyway).`);
    if (options.json) ui.json(tokenToJson(stored.token));
    return;
  }
  const http = tokenHttp(ctx);
  const issuer = await issuingProvider(ctx, ui, http, located, 'refreshed');
  const refreshed = await refreshNow(http, located, issuer, { lockFolder: lockFolder(ctx), now });
  warnDeviations(ui, refreshed.deviations);
  ui.success(`Refreshed the ${provider} token (profile ${stored.profile}): expires ${describeExpiry(refreshed.stored, now())}`);
  ui.info(`${describeRotation(refreshed.rotation).replace(/^./, (first) => first.toUpperCase())}.`);
  if (options.json) ui.json(tokenToJson(refreshed.stored.token));
}
