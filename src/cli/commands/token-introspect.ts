/**
 * `oauthd-cli token introspect <provider>`: ask the authorization server what it thinks of the kept
 * token (RFC 7662): active or not, and what it grants. The token is sent as it is, never refreshed
 * first: the question is about this token.
 */
import { clientOf } from '../../registry/client.js';
import type { Context } from '../context.js';
import type { IntrospectFlags } from './token-introspect.flags.js';
import { Ui } from '../ui.js';
import { issuingProvider, tokenHttp } from '../stored-token.js';
import { claimRows, rows } from '../render/stored-token.js';
import { introspectToken } from '../../oauth/introspect.js';
import { findStoredToken } from '../../tokens/find.js';
import { usageError } from '../../util/errors.js';

/** What `token introspect` parses (./token-introspect.flags.ts): --refresh-token asks about the refresh token. */
export type IntrospectOptions = IntrospectFlags;

export async function run(ctx: Context, provider: string, options: IntrospectOptions): Promise<void> {
  const ui = new Ui(ctx);
  const located = await findStoredToken(ctx, provider, options);
  const { stored } = located;
  const http = tokenHttp(ctx);
  const issuer = await issuingProvider(ctx, ui, http, located, 'introspected');
  const oauth2 = issuer.resolved.oauth2;
  if (!oauth2?.introspectUrl) {
    throw usageError(
      `${issuer.resolved.name} has no introspection endpoint (oauth2.introspectUrl in its provider file; RFC 7662)`,
      `if the provider offers one, add introspectUrl to its provider file; \`oauthd-cli token show ${provider}\` decodes what a JWT access token says about itself`,
    );
  }
  const token = options.refreshToken ? stored.token.refresh_token : stored.token.access_token;
  if (token === undefined) {
    throw usageError(`the ${provider} token (profile ${stored.profile}) has no refresh token to introspect`, 'drop --refresh-token to ask about the access token');
  }
  const answer = await introspectToken(
    http,
    oauth2.introspectUrl,
    await clientOf(issuer),
    token,
    options.refreshToken ? 'refresh_token' : 'access_token',
    oauth2.clientAuth,
  );
  if (options.json) {
    ui.json(answer);
    return;
  }
  const { active, ...fields } = answer;
  const what = options.refreshToken ? 'refresh token' : 'access token';
  const lines = [`${provider} ${what} (profile ${stored.profile}) at ${oauth2.introspectUrl}`];
  lines.push(
    ...rows(
      [
        ['active', active ? 'yes' : 'no — expired, revoked, or not issued to this client (RFC 7662 §2.2 says no more)'],
        ...claimRows(fields, ctx.factory.clock.now()),
      ],
      ui.out,
    ),
  );
  ui.result(lines.join('\n'));
}
