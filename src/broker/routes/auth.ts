/**
 * oauthd's flow routes:
 *   GET  /auth/:provider   starts a flow (popup, redirect, or the CLI's own) and redirects to the provider
 *   GET  /auth             the one callback every provider registers ({broker}/auth)
 *   POST /auth             the same callback for response_mode=form_post (Apple)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { checkCaller, findCaller, parseUrl } from '../caller.js';
import { findMatchingRule } from '../../config/domains.js';
import { CALLBACK_PATH, type CallbackParams, type CallbackSeen, type Completion, type Delivery, type FlowEngine, type FlowRecord } from '../flows.js';
import { errorPage, loginDonePage, popupResultPage, redirectPage } from '../pages.js';
import { sendPage } from '../../util/html.js';
import type { BrokerApp, BrokerDeps } from '../types.js';
import { deliverResult, errorResult } from '../results.js';
import { isStoreError } from '../../store/store.js';
import { reservedExtras } from '../../providers/endpoints.js';
import { isFlowError, type FlowError } from '../../oauth/outcome.js';
import { startFailureStatus } from '../upstream.js';
import { answerTurn } from '../answer-turn.js';
import { PopupCallers } from '../popup-callers.js';

const StartQuery = Type.Object({
  k: Type.String({ minLength: 1, maxLength: 128 }),
  opts: Type.Optional(Type.String({ maxLength: 8192 })),
  d: Type.Optional(Type.String({ maxLength: 2048 })),
  redirect_uri: Type.Optional(Type.String({ maxLength: 2048 })),
  redirect_type: Type.Optional(Type.Literal('server')),
});
type StartQuery = Static<typeof StartQuery>;

const StartParams = Type.Object({ provider: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

const CallbackFields = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 2048 })),
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  error_uri: Type.Optional(Type.String({ maxLength: 2048 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
  // JARM: the whole response as a signed JWT.
  response: Type.Optional(Type.String({ maxLength: 8192 })),
  oauth_token: Type.Optional(Type.String({ maxLength: 2048 })),
  oauth_verifier: Type.Optional(Type.String({ maxLength: 2048 })),
  denied: Type.Optional(Type.String({ maxLength: 2048 })),
});

/** oauthd's `opts`: what the SDK or the back end asks for this flow. */
interface StartOptions {
  state?: string;
  state_type?: string;
  scope?: string | string[];
  authorize?: Record<string, string>;
}

export function authRoutes(deps: BrokerDeps, flows: FlowEngine) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const popups = new PopupCallers();
    const htmlError = (reply: FastifyReply, status: number, title: string, message: string, hint?: string) =>
      sendPage(reply, status, (nonces) => errorPage(title, message, hint, nonces));
    const signInFailed = (reply: FastifyReply, status: number, error: FlowError | undefined) =>
      htmlError(reply, status, 'Sign-in failed', error?.message ?? '', error && deps.hintFor?.(error));

    app.get<{ Params: Static<typeof StartParams>; Querystring: StartQuery }>(
      '/auth/:provider',
      { schema: { params: StartParams, querystring: StartQuery }, config: { html: true } },
      async (request, reply) => {
        const brokerApp = deps.apps.get(request.query.k);
        if (!brokerApp) {
          return htmlError(reply, 400, 'Unknown app', 'The app key (k) is not one this broker knows.', 'check OAuth.initialize(key) against app.key in oauthd.json');
        }
        const provider = await deps.providers.get(request.params.provider);
        if (!provider) {
          return htmlError(reply, 404, 'Unknown provider', `"${request.params.provider}" is not configured on this broker.`, 'add it with `oauthd-cli providers add <id>`');
        }
        const options = parseOptions(request.query.opts);
        if (options instanceof Error) return htmlError(reply, 400, 'Bad request', options.message);
        const reserved = options.authorize && provider.resolved.oauth2 ? reservedExtras(provider.resolved.oauth2, options.authorize) : [];
        if (reserved.length > 0) {
          return htmlError(reply, 400, 'Bad request', `opts.authorize cannot set ${reserved.join(', ')}: the broker sets ${reserved.length === 1 ? 'it' : 'them'} on every authorization request`, 'ask for scopes with opts.scope; leave the other protocol parameters to the broker');
        }

        let delivery: Delivery;
        if (brokerApp.flow === 'cli') {
          delivery = { mode: 'cli' };
        } else {
          const decided = decideDelivery(brokerApp, request.headers, request.query, deps.publicOrigin(), popups);
          if ('message' in decided) return htmlError(reply, 403, 'Origin not allowed', decided.message, decided.hint);
          delivery = decided;
          // The seed: in the server flow, the state is mandatory and comes from the back end.
          if (brokerApp.flow === 'server' && (!options.state || options.state_type === 'client')) {
            return deliverOrPage(reply, delivery, errorResult(request.params.provider, undefined,
              'the server-side flow needs a state from your back end: OAuth.popup(provider, {state}) with a state your server generated'), 400);
          }
        }

        const scopes = typeof options.scope === 'string' ? options.scope.split(/[\s,]+/).filter(Boolean) : options.scope;
        try {
          const authorizeUrl = await flows.start(brokerApp, provider, {
            delivery,
            scopes,
            clientState: options.state,
            extraAuthorize: options.authorize,
          });
          // Written with the other starts of this poll (answer-turn.ts says why).
          await answerTurn();
          return reply.redirect(authorizeUrl, 302);
        } catch (error) {
          // The store (OAuth 1.0a flows wait there) is full or unreachable: the central handler answers 503.
          if (!isFlowError(error)) throw error;
          // Starting can itself fail at the provider (OAuth 1.0a's request-token call), on a missing
          // secret, or on a request too big to seal: the one who started the flow hears about it,
          // in its own channel.
          const status = startFailureStatus(error);
          if (delivery.mode === 'cli') {
            deps.onCliOutcome?.({ ok: false, error });
            return signInFailed(reply, status, error);
          }
          return deliverOrPage(reply, delivery, errorResult(request.params.provider, options.state, error.message), status);
        }
      },
    );

    const callback = async (params: CallbackParams, reply: FastifyReply, seen: CallbackSeen) => {
      deps.trace?.authorizationResponse(seen);
      const completion = await flows.complete(params, seen);
      return finish(completion, reply, params.state ?? params.oauth_token);
    };
    app.get<{ Querystring: Static<typeof CallbackFields> }>(CALLBACK_PATH, { schema: { querystring: CallbackFields }, config: { html: true } }, (request, reply) =>
      callback(request.query, reply, { method: 'GET', url: request.url }),
    );
    // response_mode=form_post (OAuth 2.0 Form Post Response Mode; Apple): the same fields, in a POST body.
    app.post<{ Body: Static<typeof CallbackFields> }>(CALLBACK_PATH, { schema: { body: CallbackFields }, config: { html: true } }, (request, reply) =>
      callback(request.body ?? {}, reply, { method: 'POST', params: request.body ?? {} }),
    );

    async function finish({ record, outcome }: Completion, reply: FastifyReply, state: string | undefined) {
      if (!record) {
        // A callback that matches no flow of ours (forged, replayed, expired: any page can load
        // /auth?state=x) gets its error page, and ends nobody's flow.
        const error = outcome.ok ? undefined : outcome.error;
        if (error) deps.onStrayCallback?.(error, state);
        return signInFailed(reply, 400, error);
      }
      if (record.delivery.mode === 'cli') deps.onCliOutcome?.(outcome);
      if (record.delivery.mode === 'cli') {
        if (outcome.ok) {
          const provider = await deps.providers.get(record.provider);
          return sendPage(reply, 200, (nonces) => loginDonePage(provider?.resolved.name ?? record.provider, nonces));
        }
        return signInFailed(reply, 400, outcome.error);
      }
      const brokerApp = deps.apps.get(record.appKey);
      if (!brokerApp) return htmlError(reply, 400, 'Sign-in failed', 'The app that started this sign-in is no longer configured.');
      let result;
      try {
        result = await deliverResult(deps, brokerApp, record, outcome);
      } catch (error) {
        // The server flow's code could not be stored: the page hears it, and may try again.
        if (!isStoreError(error)) throw error;
        reply.header('retry-after', String(error.retryAfterSeconds));
        return deliverOrPage(reply, record.delivery, errorResult(record.provider, record.clientState, 'the broker cannot keep the code right now (its store is unavailable); sign in again in a moment'), 503);
      }
      return deliverOrPage(reply, record.delivery, result, 200);
    }
  };
}

function parseOptions(text: string | undefined): StartOptions | Error {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new Error('opts is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return new Error('opts must be a JSON object');
  const options = value as Record<string, unknown>;
  const state = options.state;
  if (state !== undefined && (typeof state !== 'string' || state.length > 512)) return new Error('opts.state must be a string of at most 512 characters');
  const scope = options.scope;
  if (scope !== undefined && typeof scope !== 'string' && !(Array.isArray(scope) && scope.every((s) => typeof s === 'string'))) {
    return new Error('opts.scope must be a string or an array of strings');
  }
  const authorize = options.authorize;
  if (authorize !== undefined && (authorize === null || typeof authorize !== 'object' || !Object.values(authorize).every((v) => typeof v === 'string'))) {
    return new Error('opts.authorize must be an object of strings');
  }
  return options as StartOptions;
}

/** popup (no redirect_uri), redirect with #oauthio= (client), or ?oauthio= (redirect_type=server). */
function decideDelivery(
  app: BrokerApp,
  headers: { referer?: string | undefined; origin?: string | undefined },
  query: StartQuery,
  brokerOrigin: string,
  popups: PopupCallers,
): Delivery | { message: string; hint: string } {
  const popupReferer = query.redirect_uri === undefined ? headers.referer : undefined;
  if (popupReferer !== undefined) {
    const known = popups.get(app, brokerOrigin, popupReferer);
    if (known) return known;
  }
  const caller = findCaller(headers, query, brokerOrigin);
  const check = checkCaller(app.domains, caller, app.name);
  if (!check.ok) return check;
  const { origin: callerOrigin, source } = caller as NonNullable<typeof caller>;
  if (query.redirect_uri === undefined) {
    const delivery = { mode: 'popup', origin: callerOrigin } as const;
    if (popupReferer !== undefined && source === 'Referer') popups.remember(app, brokerOrigin, popupReferer, delivery);
    return delivery;
  }
  const target = parseUrl(query.redirect_uri);
  if (!target || !findMatchingRule(app.domains, target, true)) {
    return {
      message: `redirect_uri ${query.redirect_uri} is not allowed for the app "${app.name}"`,
      hint: `add it to app.domains in oauthd.json (now: ${app.domains.map((r) => r.source).join(', ') || '(empty)'})`,
    };
  }
  return query.redirect_type === 'server'
    ? { mode: 'query', url: target.toString(), origin: target.origin }
    : { mode: 'fragment', url: target.toString(), origin: target.origin };
}

/** Sends a result object the way the flow asked for it. */
function deliverOrPage(reply: FastifyReply, delivery: Delivery, result: unknown, status: number) {
  const json = JSON.stringify(result);
  switch (delivery.mode) {
    case 'popup':
      return sendPage(reply, status, (nonces) => popupResultPage(result, delivery.origin, nonces));
    case 'fragment': {
      const url = new URL(delivery.url);
      url.hash = `oauthio=${encodeURIComponent(json)}`;
      return sendPage(reply, 200, (nonces) => redirectPage(url.toString(), nonces));
    }
    case 'query': {
      const url = new URL(delivery.url);
      url.searchParams.set('oauthio', json);
      return reply.redirect(url.toString(), 302);
    }
    case 'cli':
      return reply.code(status).type('application/json').send(result);
  }
}

export type { FlowRecord };
