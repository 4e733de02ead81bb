/**
 * `oauthd-cli logout <provider>`: revoke the kept token at the provider where that is possible
 * (see token revoke), then delete the local copy. Where it is not (no revocation endpoint, OAuth
 * 1.0a, a project without the keyset, a sandbox that cannot start) the copy is deleted and the command
 * says that the token may stay valid at the provider. A revocation the provider refuses stops the
 * logout, so the token is not lost while still valid; --no-revoke deletes the copy only.
 */
import type { Context } from '../context.js';
import type { LogoutFlags } from './logout.flags.js';
import { Ui } from '../ui.js';
import { issuingProvider, tokenHttp } from '../stored-token.js';
import { describeRevoked } from '../render/stored-token.js';
import { findStoredToken, type LocatedToken } from '../../tokens/find.js';
import { profileFlag } from '../../tokens/hints.js';
import { revocationEndpoint, revokeAtProvider } from '../../tokens/revoke.js';
import { deleteToken } from '../../tokens/store.js';
import { describeStore } from '../../tokens/stores.js';
import { CliError } from '../../util/errors.js';
import { asCliError } from '../errors.js';

/** What `logout` parses (./logout.flags.ts): --no-revoke sets revoke to false. */
export type LogoutOptions = LogoutFlags;

export async function run(ctx: Context, provider: string, options: LogoutOptions): Promise<void> {
  const ui = new Ui(ctx);
  const located = await findStoredToken(ctx, provider, options);
  const { stored, vault } = located;
  if (options.revoke === false) {
    ui.info(`Not revoking (--no-revoke): the token stays valid at ${provider} until it expires.`);
  } else {
    await revokeWherePossible(ctx, ui, located);
  }
  await deleteToken(vault, stored.provider, stored.profile);
  ui.success(`Logged out of ${provider} (profile ${stored.profile}): the token is deleted from ${describeStore(vault)}`);
}

async function revokeWherePossible(ctx: Context, ui: Ui, located: LocatedToken): Promise<void> {
  const { stored, implicitProfile } = located;
  const id = stored.provider;
  const http = tokenHttp(ctx);
  let issuer;
  try {
    issuer = await issuingProvider(ctx, ui, http, located, 'revoked');
  } catch (error) {
    // A provider that cannot be built here (no keyset in this project, a provider file gone) is
    // no reason to keep the token; a failure on the way to the provider is.
    const explained = asCliError(error);
    if (!explained || explained.kind === 'flow') throw error;
    ui.warn(`not revoked at the provider (${explained.message}); the token may stay valid there until it expires`);
    return;
  }
  const endpoint = revocationEndpoint(issuer);
  if (!endpoint) {
    ui.warn(
      `${issuer.resolved.name} has no revocation endpoint${issuer.resolved.oauth2 ? '' : ' (OAuth 1.0a defines none)'}: the token stays valid there until it expires; revoke the app's access in your account settings at the provider`,
    );
    return;
  }
  try {
    const revoked = await revokeAtProvider(http, issuer, endpoint, stored);
    ui.success(`Revoked ${describeRevoked(revoked)} at ${endpoint.url}`);
  } catch (error) {
    const explained = asCliError(error);
    if (!explained) throw error;
    throw new CliError(
      explained.kind,
      `${explained.message}; the token is kept`,
      `${explained.hint ? `${explained.hint}; ` : ''}or delete only the local copy: oauthd-cli logout ${id}${profileFlag(stored.profile, implicitProfile)} --no-revoke`,
      { code: explained.code, cause: explained.cause },
    );
  }
}
