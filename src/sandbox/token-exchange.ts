/**
 * The sandbox's token exchange grant (RFC 8693), registered on node-oidc-provider with
 * registerGrantType: an access token of the sandbox for a new access token of the same user and
 * grant, with the scopes narrowed when asked (§5: never widened), and the actor named in `act`
 * (§4.1) when an actor token is given. Only access tokens are exchanged and issued.
 */
import type { IncomingMessage } from 'node:http';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const PARAMETERS = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'scope'];

interface StoredAccessToken {
  accountId?: string;
  grantId?: string;
  scope?: string;
  clientId?: string;
  isExpired?: boolean;
}
interface ExchangeContext {
  req: IncomingMessage;
  body: unknown;
  oidc: {
    params: Record<string, string | undefined>;
    client: unknown;
    provider: { AccessToken: { find(value: string): Promise<StoredAccessToken | undefined>; new (init: object): { save(): Promise<string>; expiration: number; scope?: string; extra?: object } } };
  };
}
type ErrorClass = new (description: string) => Error;

export function registerTokenExchange(
  provider: { registerGrantType(name: string, handler: (ctx: ExchangeContext, next: () => Promise<void>) => Promise<void>, params: string[], dupes?: string[]): void },
  errors: { InvalidGrant: ErrorClass; InvalidRequest: ErrorClass; InvalidScope: ErrorClass },
): void {
  const live = async (ctx: ExchangeContext, value: string | undefined, name: string): Promise<StoredAccessToken> => {
    const token = value ? await ctx.oidc.provider.AccessToken.find(value) : undefined;
    if (!token || token.isExpired || !token.accountId) throw new errors.InvalidGrant(`${name} is unknown, expired or revoked`);
    return token;
  };
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx, next) => {
      const { params } = ctx.oidc;
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`the sandbox exchanges access tokens (subject_token_type ${ACCESS_TOKEN_TYPE})`);
      }
      if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest(`the sandbox issues access tokens only (requested_token_type ${ACCESS_TOKEN_TYPE})`);
      }
      const subject = await live(ctx, params.subject_token, 'subject_token');
      const actor = params.actor_token !== undefined ? await live(ctx, params.actor_token, 'actor_token') : undefined;
      const held = new Set((subject.scope ?? '').split(' ').filter(Boolean));
      const asked = params.scope !== undefined ? params.scope.split(' ').filter(Boolean) : [...held];
      const wider = asked.filter((scope) => !held.has(scope));
      if (wider.length > 0) throw new errors.InvalidScope(`a token exchange narrows scopes, never widens them: the subject token lacks ${wider.join(', ')}`);
      const token = new ctx.oidc.provider.AccessToken({
        accountId: subject.accountId,
        client: ctx.oidc.client,
        grantId: subject.grantId,
        scope: asked.join(' '),
        gty: 'token_exchange',
        // §4.1: the actor, by the subject of its own token.
        ...(actor ? { extra: { act: { sub: actor.accountId } } } : {}),
      });
      const value = await token.save();
      ctx.body = {
        access_token: value,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: token.expiration,
        scope: token.scope,
      };
      await next();
    },
    PARAMETERS,
    // §2.1: audience and resource may each be sent several times.
    ['audience', 'resource'],
  );
}
