/**
 * The routes a page calls with a token in oauthd's `oauthio` header (`k=<key>&access_token=…`):
 *   ALL /request/:provider/*    the provider's API, reached through the broker
 *   GET /auth/:provider/me      the unified profile
 *
 * Safer than oauthd: a request goes only under the provider's declared API base URL (no
 * absolute-URL SSRF, no `../` out of the base path), a token field that decides the origin
 * (Salesforce's instance_url) must name one the provider file allows, only for a known app key,
 * and a browser's Origin must be on that app's whitelist. CORS answers only whitelisted origins
 * (never a reflected `*`); server-side callers, which send no Origin, are served on the strength of
 * the token they hold. A provider that fails gets the caller a 502 (504 when it is too slow); one
 * that refuses the token (400/401/403, RFC 6750 §3.1) passes that status on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import { Type, type Static } from '@sinclair/typebox';
import { findMatchingRule } from '../../config/domains.js';
import { apiRequestTarget, authorizeApiRequest } from '../../oauth/api.js';
import { fetchProfile } from '../../oauth/profile.js';
import { certificateHttp } from '../../oauth/mtls.js';
import type { HttpClient, HttpRequest } from '../../oauth/http.js';
import { dpopHttp } from '../../oauth/dpop.js';
import { dpopKeyFor, NO_DPOP_KEY } from '../dpop-keys.js';
import { OAUTH1_TOKEN_TYPE, type TokenSet } from '../../oauth/token-response.js';
import { oauth1Signer } from '../../oauth/oauth1-signer.js';
import { isFlowError } from '../../oauth/outcome.js';
import { parseUrl } from '../caller.js';
import { profileFailureStatus, replyUpstreamFailure, statusRecorder } from '../upstream.js';
import type { BrokerApp, BrokerDeps } from '../types.js';
import type { BrokerProvider } from '../../registry/types.js';
import type { FlowHandle } from '../../inspector/recorder.js';

const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const MeQuery = Type.Object({ filter: Type.Optional(Type.String({ maxLength: 512 })) });

/** Request headers never forwarded: the caller's credentials and hop-by-hop fields. */
const DROPPED_HEADERS = new Set([
  'host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization',
  'authorization', 'cookie', 'origin', 'referer', 'oauthio', 'content-length', 'accept-encoding',
]);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Visible ASCII (RFC 9110 §5.5 field-vchar within US-ASCII): what a token sent in a header may hold. */
const HEADER_SAFE = /^[\x21-\x7e]*$/;

interface Caller {
  app: BrokerApp;
  provider: BrokerProvider;
  token: TokenSet;
}

/**
 * Where the inspector files a call made with a token: under the flow that obtained the token (so
 * the /me after a sign-in shows in its timeline), else as a flow of its own. finishCall() ends
 * only a flow of its own; a finished sign-in keeps its status.
 */
function inspectedCall(deps: BrokerDeps, caller: Caller): FlowHandle | undefined {
  const recorder = deps.inspector?.recorder;
  if (!recorder) return undefined;
  return (
    recorder.find(caller.token.access_token) ??
    recorder.begin({ kind: 'api', provider: caller.provider.resolved.id, providerName: caller.provider.resolved.name, app: caller.app.name })
  );
}

function within<T>(flow: FlowHandle | undefined, work: () => Promise<T>): Promise<T> {
  return flow ? flow.run(work) : work();
}

function fail(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ status: 'error', message });
}

/** An Origin on some app's whitelist (preflights carry no key, so any app's list counts). */
function originAllowed(deps: BrokerDeps, origin: string): boolean {
  const url = parseUrl(origin);
  return url !== undefined && deps.apps.list().some((app) => findMatchingRule(app.domains, url, false) !== undefined);
}

/**
 * CORS for the routes pages call with XHR (/api, /request, /me): the exact Origin is echoed only
 * when it is on a whitelist; any other origin gets no CORS headers, so its page cannot read answers.
 */
export function corsRoutes(deps: BrokerDeps, ...groups: Array<(app: FastifyInstance) => Promise<void>>) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    await app.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && originAllowed(deps, origin)),
      methods: [...METHODS],
      maxAge: 600,
    });
    for (const group of groups) await app.register(group);
  };
}

export function proxyRoutes(deps: BrokerDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The proxy forwards bodies as they came; nothing here parses them.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

    /** The app, provider and token named by the oauthio header, with the Origin checked. */
    async function identify(request: FastifyRequest, providerId: string, reply: FastifyReply): Promise<Caller | undefined> {
      const header = request.headers.oauthio;
      if (typeof header !== 'string') {
        fail(reply, 400, 'the oauthio header is missing (k=<app key>&access_token=…)');
        return undefined;
      }
      const fields = new URLSearchParams(header);
      const brokerApp = deps.apps.get(fields.get('k') ?? '');
      if (!brokerApp) {
        fail(reply, 401, 'unknown app key in the oauthio header');
        return undefined;
      }
      const origin = request.headers.origin;
      if (origin !== undefined) {
        const url = parseUrl(origin);
        if (!url || !findMatchingRule(brokerApp.domains, url, false)) {
          fail(reply, 403, `${origin} is not allowed to use the app "${brokerApp.name}" (whitelist: ${brokerApp.domains.map((r) => r.source).join(', ') || 'empty'})`);
          return undefined;
        }
      }
      const provider = await deps.providers.get(providerId);
      if (!provider) {
        fail(reply, 404, `the provider "${providerId}" is not configured on this broker`);
        return undefined;
      }
      // OAuth 1.0a token credentials come as oauthv=1&oauth_token=…&oauth_token_secret=….
      const oauthToken = fields.get('oauth_token');
      const tokenSecret = fields.get('oauth_token_secret');
      // A token is sent on in a header (RFC 6750 §2.1, RFC 5849 §3.5.1): one a header cannot carry
      // (a control character, CR/LF, a character beyond ASCII) is the caller's mistake, said as such.
      for (const [name, value] of [['access_token', fields.get('access_token')], ['oauth_token', oauthToken], ['oauth_token_secret', tokenSecret]] as const) {
        if (value !== null && !HEADER_SAFE.test(value)) {
          fail(reply, 400, `the ${name} in the oauthio header holds characters no token has (only visible ASCII, no spaces)`);
          return undefined;
        }
      }
      if (oauthToken && tokenSecret && provider.resolved.oauth1) {
        return { app: brokerApp, provider, token: { access_token: oauthToken, token_secret: tokenSecret, token_type: OAUTH1_TOKEN_TYPE, extra: {} } };
      }
      const accessToken = fields.get('access_token');
      if (!accessToken) {
        fail(reply, 400, 'the oauthio header carries no access_token');
        return undefined;
      }
      // Fields the provider file says the API needs (oauthd's "required": instance_url, ...).
      const extra: Record<string, unknown> = {};
      for (const field of provider.resolved.spec.oauth2?.tokenResponse?.keep ?? []) {
        const value = fields.get(field);
        if (value !== null) extra[field] = value;
      }
      return { app: brokerApp, provider, token: { access_token: accessToken, token_type: 'Bearer', extra } };
    }

    /**
     * RFC 9449 §7: a DPoP-bound token goes with a proof made with its grant's key, which the broker
     * kept when its server flow issued the token (dpop-keys.ts); without one the call is refused
     * here (400), before the provider refuses it less clearly.
     */
    async function boundHttp(http: HttpClient, caller: Caller, reply: FastifyReply): Promise<HttpClient | undefined> {
      if (!caller.provider.resolved.oauth2?.dpop) return http;
      const prover = await dpopKeyFor(deps.store, caller.token.access_token);
      if (prover === undefined) {
        fail(reply, 400, NO_DPOP_KEY);
        return undefined;
      }
      return dpopHttp(http, prover, caller.token.access_token);
    }

    app.get<{ Params: Static<typeof ProviderParams>; Querystring: Static<typeof MeQuery> }>(
      '/auth/:provider/me',
      { schema: { params: ProviderParams, querystring: MeQuery } },
      async (request, reply) => {
        const caller = await identify(request, request.params.provider, reply);
        if (!caller) return reply;
        const upstream = statusRecorder(deps.http);
        const inspected = inspectedCall(deps, caller);
        try {
          const sign = await oauth1Signer(caller.provider, caller.token);
          // RFC 8705 §3: a keyset with a client certificate gets certificate-bound tokens; they go out over connections that show it.
          const certificate = await caller.provider.clientCertificate?.();
          const http = await boundHttp(certificate !== undefined ? certificateHttp(upstream.http, certificate) : upstream.http, caller, reply);
          if (!http) return reply;
          const profile = await within(inspected, () => fetchProfile(http, caller.provider.resolved, caller.token, sign));
          inspected?.finishCall({ ok: true });
          const filter = request.query.filter?.split(',').filter(Boolean);
          const data = filter ? Object.fromEntries(Object.entries(profile).filter(([field]) => filter.includes(field))) : profile;
          return { status: 'success', data };
        } catch (error) {
          if (isFlowError(error)) inspected?.finishCall({ ok: false, error });
          else inspected?.fail(error);
          if (replyUpstreamFailure(reply, error, `the ${caller.provider.resolved.name} profile endpoint`)) return reply;
          if (!isFlowError(error)) throw error;
          return fail(reply, profileFailureStatus(error, upstream.lastStatus()), error.message);
        }
      },
    );

    app.route<{ Params: Static<typeof ProviderParams> & { '*': string } }>({
      method: [...METHODS],
      url: '/request/:provider/*',
      schema: { params: Type.Intersect([ProviderParams, Type.Object({ '*': Type.String() })]) },
      handler: async (request, reply) => {
        const caller = await identify(request, request.params.provider, reply);
        if (!caller) return reply;
        const resolved = caller.provider.resolved;
        // The SDKs percent-encode the whole path (`/request/github/%2Fuser`): the router's wildcard
        // parameter is that path, decoded once. The query string follows the path as it came.
        const path = request.params['*'];
        const queryAt = request.url.indexOf('?');
        const query = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
        let target: string;
        try {
          target = apiRequestTarget(resolved, caller.token, path);
        } catch (error) {
          // Anywhere but under the API's base URL: refused (api.ts apiRequestTarget).
          if (isFlowError(error)) return fail(reply, 403, error.message);
          throw error;
        }
        if (query) target += (target.includes('?') ? '&' : '?') + query;
        const forwarded: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (!DROPPED_HEADERS.has(name) && typeof value === 'string') forwarded[name] = value;
        }
        let signed;
        try {
          signed = authorizeApiRequest(resolved, caller.token, forwarded, target);
          const sign = await oauth1Signer(caller.provider, caller.token);
          if (sign) {
            const body = typeof request.body === 'string' && request.body !== '' ? request.body : undefined;
            signed.headers.authorization = sign({ method: request.method, url: signed.url, headers: signed.headers, ...(body !== undefined ? { body } : {}) });
          }
        } catch (error) {
          if (isFlowError(error)) return fail(reply, 400, error.message);
          throw error;
        }
        const certificate = await caller.provider.clientCertificate?.();
        const outgoing: HttpRequest = {
          method: request.method as HttpRequest['method'],
          url: signed.url,
          headers: signed.headers,
          purpose: `API request (${resolved.id})`,
          // RFC 8705 §3: the certificate a bound token needs.
          ...(certificate !== undefined ? { tls: certificate } : {}),
          ...(typeof request.body === 'string' && request.body !== '' ? { body: request.body } : {}),
        };
        const send = await boundHttp(deps.http, caller, reply);
        if (!send) return reply;
        let response;
        const inspected = inspectedCall(deps, caller);
        try {
          response = await within(inspected, () => send(outgoing));
          inspected?.finishCall({ ok: true });
        } catch (error) {
          inspected?.fail(error);
          if (replyUpstreamFailure(reply, error, `the ${resolved.name} API`)) return reply;
          return fail(reply, 502, `the ${resolved.name} API could not be reached`);
        }
        // The API's own answer, status included (a 401 says the caller's token was refused).
        const type = response.headers['content-type'];
        if (type) reply.type(type);
        return reply.code(response.status).send(response.text);
      },
    });
  };
}
