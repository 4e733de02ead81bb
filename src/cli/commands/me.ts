/**
 * `oauthd-cli me <provider>`: the signed-in user as oauthd's unified profile (id, name, email, …),
 * fetched with the kept token from the provider's profile endpoint (OpenID userinfo, or the API call
 * its provider file names), after a refresh when the token has expired. OAuth 1.0a calls are signed.
 */
import type { Context } from '../context.js';
import type { MeFlags } from './me.flags.js';
import { Ui } from '../ui.js';
import { boundTokenHttp, issuingProvider, tokenHttp, usableToken } from '../stored-token.js';
import { rows } from '../render/stored-token.js';
import { oauth1Signer } from '../../oauth/oauth1-signer.js';
import { fetchProfile, type Profile } from '../../oauth/profile.js';
import { findStoredToken } from '../../tokens/find.js';

/** What `me` parses (./me.flags.ts). */
export type MeOptions = MeFlags;

const FIELDS = ['id', 'name', 'firstname', 'lastname', 'alias', 'email', 'avatar', 'location', 'url'] as const satisfies ReadonlyArray<keyof Profile>;

export async function run(ctx: Context, provider: string, options: MeOptions): Promise<void> {
  const ui = new Ui(ctx);
  const located = await findStoredToken(ctx, provider, options);
  const http = tokenHttp(ctx);
  const issuer = await issuingProvider(ctx, ui, http, located, 'used');
  const stored = await usableToken(ctx, ui, http, located, issuer);
  const sign = await oauth1Signer(issuer, stored.token);
  const profile = await fetchProfile(await boundTokenHttp(http, issuer, stored.token.access_token), issuer.resolved, stored.token, sign);
  if (options.json) {
    ui.json(profile);
    return;
  }
  const shown = FIELDS.flatMap((field): Array<[string, string]> => (profile[field] === undefined ? [] : [[field, profile[field] as string]]));
  ui.result([`${issuer.resolved.name} · profile ${stored.profile}`, ...rows(shown, ui.out)].join('\n'));
}
