/**
 * `oauthd-cli token switch <provider> [profile]`: which of a provider's accounts the commands use
 * when they name none (`token print`, `me`, `request`, git, kubectl, `login` itself). --profile and
 * $OAUTHD_PROFILE still override it for one command. Without a profile: which one is in use, and why.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import type { TokenCommandOptions } from '../stored-token.js';
import { findStoredToken } from '../../tokens/find.js';
import { profilesPath, resolveProfile, switchProfile, type ProfileSource } from '../../tokens/profiles.js';

const SOURCES: Record<ProfileSource, string> = {
  flag: 'named by --profile',
  env: 'from $OAUTHD_PROFILE',
  switch: 'chosen with token switch',
  default: 'the default',
};

export async function run(ctx: Context, provider: string, profile: string | undefined, options: Pick<TokenCommandOptions, 'store'>): Promise<void> {
  const ui = new Ui(ctx);
  if (profile === undefined) {
    const current = await resolveProfile(ctx, provider, undefined);
    ui.info(`${provider} uses the profile ${current.profile} (${SOURCES[current.source]}).`);
    ui.result(current.profile);
    return;
  }
  // Only to a profile with a token: a typo would otherwise leave every command without one.
  const { stored } = await findStoredToken(ctx, provider, { ...options, profile });
  await switchProfile(ctx, provider, profile);
  ui.success(`${provider} now uses the profile ${profile}${stored.subject !== undefined ? ` (account ${stored.subject})` : ''}; kept in ${profilesPath(ctx)}`);
  const fromEnv = ctx.env.OAUTHD_PROFILE;
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv !== profile) ui.warn(`$OAUTHD_PROFILE=${fromEnv} is set in this shell and overrides it here`);
}
