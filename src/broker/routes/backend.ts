/**
 * The routes an app's back end calls with its key and secret (oauthd's REST API, as the Node SDK
 * `oauthio` uses it):
 *   POST /auth/access_token              server flow: trade the page's single-use code for the tokens
 *   POST /auth/refresh_token/:provider   refresh grant through the broker
 * Bodies come form-encoded (the SDK) or as JSON. The secret is compared in constant time; the code
 * is taken from the store atomically, so of two racing exchanges exactly one gets the tokens; a
 * refresh token is sent to the provider once however many callers present it at the same time, on
 * however many brokers share the store (../refresh-flight.ts).
 */
import { dpopKeyFor, keepDpopKey, NO_DPOP_KEY } from '../dpop-keys.js';
import { DpopProver } from '../../oauth/dpop.js';
import { clientOf } from '../../registry/client.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { refreshAccessToken } from '../../oauth/oauth2.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { isCliError } from '../../util/errors.js';
import { isFlowError } from '../../oauth/outcome.js';
import { refreshFailureStatus, statusRecorder, upstreamFailureAnswer } from '../upstream.js';
import { flightKey, singleFlightRefresh } from '../refresh-flight.js';
import { codeKey, type PendingExchange } from '../results.js';
import type { BrokerApp, BrokerDeps } from '../types.js';
import { answerTurn } from '../answer-turn.js';

const Credentials = {
  key: Type.String({ minLength: 1, maxLength: 128 }),
  secret: Type.String({ minLength: 1, maxLength: 512 }),
};
const AccessTokenBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 512 }), ...Credentials });
const RefreshBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 8192 }), ...Credentials });
const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

function fail(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ status: 'error', message });
}

/**
 * RFC 6749 §5.1: a response with tokens carries Pragma: no-cache beside Cache-Control: no-store
 * (every answer has that one, app.ts). Set by the answers that can carry tokens, not by a hook:
 * a hook costs every exchange under load more than a header does.
 */
function withTokens(reply: FastifyReply): FastifyReply {
  return reply.header('pragma', 'no-cache');
}

/** For the central error handler (app.ts): 503, naming the store's complaint when it is a user-facing one. */
function appSecretUnreadable(error: unknown): Error & { statusCode: number } {
  const why = isCliError(error) ? `: ${error.message}` : '';
  return Object.assign(new Error(`the broker cannot read the app secret right now${why}`), { statusCode: 503, cause: error });
}

export function backendRoutes(deps: BrokerDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    /**
     * The app, when key and secret match; undefined otherwise (one answer for both, no oracle).
     * A secret store that cannot be read is the broker's fault, not the caller's: 503.
     */
    async function authenticate(key: string, secret: string): Promise<BrokerApp | undefined> {
      const brokerApp = deps.apps.get(key);
      if (!brokerApp?.verifySecret) return undefined;
      let valid: boolean;
      try {
        valid = await brokerApp.verifySecret(secret);
      } catch (error) {
        throw appSecretUnreadable(error);
      }
      return valid ? brokerApp : undefined;
    }

    app.post<{ Body: Static<typeof AccessTokenBody> }>('/auth/access_token', { schema: { body: AccessTokenBody } }, async (request, reply) => {
      const { code, key, secret } = request.body;
      const brokerApp = await authenticate(key, secret);
      if (!brokerApp) return fail(reply, 401, 'invalid app key or secret');
      // The code is looked up under this app's key (results.ts codeKey): another app's code is not
      // found, so it is not taken either, and stays good for the app it was issued to.
      const pending = await deps.store.take<PendingExchange>(codeKey(brokerApp.key, code));
      // Unknown, expired, already used, or issued to another app: the same answer for all four.
      if (!pending || pending.appKey !== brokerApp.key) {
        return fail(reply, 400, 'invalid or expired code (codes are single-use and live a short time)');
      }
      // RFC 9449: the grant's DPoP key, kept for the calls the back end makes with these tokens through the broker.
      if (pending.dpopKey !== undefined) await keepDpopKey(deps.store, await DpopProver.fromJwk(pending.dpopKey), pending.token);
      // The back end gets everything the provider sent, and the state it must compare (the seed),
      // written with the other exchanges of this poll (answer-turn.ts says why).
      await answerTurn();
      const answer = tokenToJson(pending.token);
      if (pending.state !== undefined) answer.state = pending.state;
      answer.provider = pending.provider;
      return withTokens(reply).send(answer);
    });

    app.post<{ Params: Static<typeof ProviderParams>; Body: Static<typeof RefreshBody> }>(
      '/auth/refresh_token/:provider',
      { schema: { params: ProviderParams, body: RefreshBody } },
      async (request, reply) => {
        const { token, key, secret } = request.body;
        const brokerApp = await authenticate(key, secret);
        if (!brokerApp) return fail(reply, 401, 'invalid app key or secret');
        const provider = await deps.providers.get(request.params.provider);
        const oauth2 = provider?.resolved.oauth2;
        if (!provider || !oauth2) return fail(reply, 404, `the provider "${request.params.provider}" is not configured for OAuth 2 on this broker`);
        // One refresh per refresh token across every broker on the store (refresh-flight.ts): the
        // others presenting the same token get the same answer. The inspector records the one
        // this broker sends.
        const flight = flightKey(brokerApp.key, provider.resolved.id, token);
        const answer = await singleFlightRefresh(deps.store, flight, token, async () => {
          const upstream = statusRecorder(deps.http);
          const inspected = deps.inspector?.recorder.begin({ kind: 'refresh', provider: provider.resolved.id, providerName: provider.resolved.name, app: brokerApp.name });
          try {
            // The keyset's client authentication, a private key included (RFC 7523).
            const client = await clientOf(provider);
            // RFC 9449 §5: a refresh of a DPoP-bound grant carries a proof with the grant's key.
            if (oauth2.dpop && client.dpop === undefined) {
              const kept = await dpopKeyFor(deps.store, token);
              if (kept === undefined) return { status: 400, body: { status: 'fail', message: NO_DPOP_KEY } };
              client.dpop = kept;
            }
            const refresh = () => refreshAccessToken(upstream.http, oauth2, client, token);
            const result = await (inspected ? inspected.run(refresh) : refresh());
            inspected?.finishCall({ ok: true, token: result.token, deviations: result.deviations });
            if (client.dpop !== undefined && result.token.token_type.toLowerCase() === 'dpop') {
              // The new tokens are bound to the same key; a refresh response without a refresh token keeps the old one.
              await keepDpopKey(deps.store, client.dpop, { ...result.token, ...(result.token.refresh_token === undefined ? { refresh_token: token } : {}) });
            }
            // RFC 6749 §6: a new refresh token replaces the old one; without one the old one stays valid
            // (the Node SDK merges the answer into its credentials, so an absent field keeps the old).
            return { status: 200, body: { ...tokenToJson(result.token), provider: provider.resolved.id } };
          } catch (error) {
            if (isFlowError(error)) inspected?.finishCall({ ok: false, error });
            else inspected?.fail(error);
            const failed = upstreamFailureAnswer(error, `the ${provider.resolved.name} token endpoint`);
            if (failed) return failed;
            if (!isFlowError(error)) throw error;
            return { status: refreshFailureStatus(error, upstream.lastStatus()), body: { status: 'error', message: error.message } };
          }
        });
        if (answer.status === 503) reply.header('retry-after', '1');
        return withTokens(reply).code(answer.status).send(answer.body);
      },
    );
  };
}
