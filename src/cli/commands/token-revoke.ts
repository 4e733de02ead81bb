/**
 * `oauthd-cli token revoke <provider>`: revoke the kept token at the provider (RFC 7009, or the
 * provider's own endpoint as its provider file describes it), then delete the local copy. A
 * provider without a revocation endpoint is refused: deleting the copy would leave the token valid
 * with nobody holding it; `logout` is the command that deletes anyway.
 */
import type { Context } from '../context.js';
import type { RevokeFlags } from './token-revoke.flags.js';
import { Ui } from '../ui.js';
import { issuingProvider, tokenHttp } from '../stored-token.js';
import { describeRevoked } from '../render/stored-token.js';
import { findStoredToken } from '../../tokens/find.js';
import { profileFlag } from '../../tokens/hints.js';
import { revocationEndpoint, revokeAtProvider } from '../../tokens/revoke.js';
import { deleteToken } from '../../tokens/store.js';
import { describeStore } from '../../tokens/stores.js';
import { usageError } from '../../util/errors.js';

/** What `token revoke` parses (./token-revoke.flags.ts). */
export type RevokeOptions = RevokeFlags;

export async function run(ctx: Context, provider: string, options: RevokeOptions): Promise<void> {
  const ui = new Ui(ctx);
  const located = await findStoredToken(ctx, provider, options);
  const { stored, vault, implicitProfile } = located;
  const http = tokenHttp(ctx);
  const issuer = await issuingProvider(ctx, ui, http, located, 'revoked');
  const endpoint = revocationEndpoint(issuer);
  if (!endpoint) {
    throw usageError(
      `${issuer.resolved.name} has no revocation endpoint${issuer.resolved.oauth1 && !issuer.resolved.oauth2 ? ' (OAuth 1.0a defines none)' : ' (oauth2.revoke in its provider file)'}`,
      `\`oauthd-cli logout ${provider}${profileFlag(stored.profile, implicitProfile)}\` deletes the local copy; revoke the app's access in your account settings at the provider`,
    );
  }
  const revoked = await revokeAtProvider(http, issuer, endpoint, stored);
  ui.success(`Revoked ${describeRevoked(revoked)} of ${provider} (profile ${stored.profile}) at ${endpoint.url}`);
  await deleteToken(vault, stored.provider, stored.profile);
  ui.success(`Deleted the local copy from ${describeStore(vault)}`);
}
