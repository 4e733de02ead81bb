/**
 * buildBroker(deps): the fastify app, built and not listening (tests use inject; `serve` and
 * `login` call listen). One plugin per route group; one error handler shapes every error: HTML
 * routes answer a page, API routes answer oauthd's JSON envelope, never a stack trace.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { pino, type Logger } from 'pino';
import { FlowEngine } from './flows.js';
import { authRoutes } from './routes/auth.js';
import { backendRoutes } from './routes/backend.js';
import { apiRoutes, legacyRoutes } from './routes/api.js';
import { corsRoutes, proxyRoutes } from './routes/proxy.js';
import { demoApp, demoRoutes, withDemoApp, DEMO_PATH } from './routes/demo.js';
import { inspectorRoutes } from './routes/inspector.js';
import { errorPage } from './pages.js';
import { sendPage } from '../util/html.js';
import { SANDBOX_PATH } from '../sandbox/spec.js';
import { clientErrorAnswer, connectRefusal, errorMessage, errorStatus, keepReadingAfter, REQUEST_TIMEOUT_OPTIONS } from './error-answers.js';
import type { Duplex } from 'node:stream';
import type { BrokerDeps, BrokerLog } from './types.js';
import { isStoreError } from '../store/store.js';
import { RequestBudget } from './request-budget.js';
import { SECURITY_HEADERS } from '../util/headers.js';
import '../util/route-config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request reached the broker (for the request log's `ms`). */
    receivedAt: number;
    /**
     * The route's config, read once in the onRequest hook: `request.routeOptions` builds a new
     * object of a dozen fields on every read, and the hooks of every request want the config.
     * Undefined for a request fastify refused before routing (no onRequest hook ran).
     */
    routeConfig: FastifyContextConfig | undefined;
  }
  interface FastifyContextConfig {
    /** The route answers browsers with HTML pages (errors too). */
    html?: boolean;
    /** The flow step the route is, for the request log; `{provider}` is filled from the path. */
    step?: string;
    // `hijacks` (the route may answer on the raw response): src/util/route-config.ts.
  }
}

/**
 * The flow step of each route, set on its config as it is registered (so the route files stay
 * about the protocol). A route missing here logs without a step.
 */
const STEPS: Readonly<Record<string, string>> = {
  '/auth/:provider': 'flow start {provider}',
  '/auth': 'callback',
  '/auth/access_token': 'code exchange',
  '/auth/refresh_token/:provider': 'refresh {provider}',
  '/auth/:provider/me': 'profile {provider}',
  '/request/:provider/*': 'api {provider}',
  '/api/providers': 'describe',
  '/api/providers/:id': 'describe',
  '/api/extended-endpoints': 'describe',
  '/auth/iframe': 'legacy relay',
  [DEMO_PATH]: 'demo',
  [`${DEMO_PATH}/oauth.js`]: 'demo',
};

function stepOf(url: string, method: string | string[]): string | undefined {
  if (method === 'OPTIONS') return 'cors preflight';
  if (url === SANDBOX_PATH || url.startsWith(`${SANDBOX_PATH}/`)) return 'sandbox';
  return STEPS[url];
}

/**
 * The request log: one line per request, written as its answer is sent, with the method, the
 * path, the status, the time and the flow step. Never the query string, a header or a body.
 *
 * Not fastify's request logging: given a logger, fastify puts `finish` and `error` listeners on
 * every response and takes two timestamps, which measured under load cost the broker more than
 * the line itself (docs/broker.md "Performance"). Fastify gets no logger; buildBroker's onSend
 * hook writes the line, one hook call per answer.
 */
class RequestLog {
  /** A flood is summarized, a line per route and status each second (request-budget.ts). */
  private readonly budget: RequestBudget;

  constructor(private readonly logger: Logger) {
    this.budget = new RequestBudget((held) => {
      logger.warn({ held, count: held.reduce((total, entry) => total + entry.count, 0) }, 'requests summarized');
    });
  }

  answered(request: FastifyRequest, reply: FastifyReply): void {
    const provider = (request.params as { provider?: unknown } | undefined)?.provider;
    // Undefined when the route has no step: pino leaves an undefined field out of the line.
    const step = request.routeConfig?.step?.replace('{provider}', typeof provider === 'string' ? provider : '?');
    const line = { method: request.method, path: pathOf(request.originalUrl), status: reply.statusCode, step };
    // In a flood most requests are only counted: the time is read for those that get their line.
    if (!this.budget.admit(line)) return;
    // A request fastify refused before routing (frameworkErrors) ran no onRequest hook.
    const ms = request.receivedAt > 0 ? Math.round(performance.now() - request.receivedAt) : 0;
    this.logger.info({ ...line, ms }, 'request');
  }

  /** A bug (a 500): always its own line, with the error, never counted into a summary. */
  internalError(request: FastifyRequest, error: Error): void {
    this.logger.error({ method: request.method, path: pathOf(request.originalUrl), err: error }, 'internal error');
  }
}

/**
 * The broker's logger (pino, JSON lines to `log.stream`). Query strings carry codes, states, `k`
 * and `opts`, the `oauthio` header carries tokens, bodies carry codes and secrets: a request is
 * logged as its method and path only, a response as its status, and nothing else of them ever
 * reaches a line (the serializers hold should anything log a whole request or reply).
 */
function brokerLogger(log: BrokerLog): Logger {
  return pino(
    {
      level: log.level,
      // No pid and hostname on every line: this is a developer's terminal, not a fleet.
      base: null,
      serializers: {
        req: (request: { method?: string; url?: string }) => ({ method: request.method, path: pathOf(request.url ?? '') }),
        res: (reply: { statusCode?: number }) => ({ status: reply.statusCode }),
      },
    },
    log.stream,
  );
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

// Every answer: the security headers (src/util/headers.ts). Pages add their CSP and X-Frame-Options
// (sendPage), token responses add Pragma (RFC 6749 §5.1, routes/backend.ts): a redirect, most of
// the broker's traffic, has no page to frame and no token for an HTTP/1.0 cache to keep.

export interface Broker {
  app: FastifyInstance;
  flows: FlowEngine;
}

export async function buildBroker(deps: BrokerDeps): Promise<Broker> {
  const requestLog = deps.log ? new RequestLog(brokerLogger(deps.log)) : undefined;
  const app = Fastify({
    logger: false,
    // Query strings and bodies are small in OAuth; refuse floods early.
    bodyLimit: 64 * 1024,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // A request that stops arriving gets 408 instead of holding its socket; one node cannot parse
    // gets 400, in the broker's envelope (error-answers.ts).
    ...REQUEST_TIMEOUT_OPTIONS,
    clientErrorHandler: clientErrorAnswer(SECURITY_HEADERS),
    // Errors fastify raises before routing (a malformed URL) get the envelope and the security
    // headers too: the onRequest hook below does not run for them.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).headers(SECURITY_HEADERS).code(400).send({ status: 'fail', message: `bad request: ${error.message}` });
    },
  });
  // The demo page's own app joins the configured ones (src/broker/routes/demo.ts says why).
  const demo = deps.demo ? demoApp(deps) : undefined;
  if (demo) deps = { ...deps, apps: withDemoApp(deps.apps, demo) };
  app.server.on('connect', (_request: unknown, socket: Duplex) => socket.end(connectRefusal(SECURITY_HEADERS)));
  const flows = new FlowEngine(deps);

  app.addHook('onRoute', (route) => {
    const step = stepOf(route.url, route.method);
    if (step !== undefined) route.config = { ...route.config, step };
  });

  // The security headers are constants, set in one hook: @fastify/helmet builds its middleware
  // chain anew on every request, which cost the broker a third of its throughput, and each page
  // sets its own CSP with fresh nonces (sendPage). The same hook refuses a Host that is not the
  // broker's own: a page on evil.example that resolves to 127.0.0.1 (DNS rebinding) sends
  // Host: evil.example.
  app.decorateRequest('receivedAt', 0);
  app.decorateRequest('routeConfig', undefined);
  app.addHook('onRequest', (request, reply, done) => {
    // For the request log (below: one hook per request, not two, on the path every request takes).
    request.receivedAt = performance.now();
    const config = (request.routeConfig = request.routeOptions.config);
    if (requestLog && config.hijacks) reply.raw.once('finish', () => requestLog.answered(request, reply));
    reply.headers(SECURITY_HEADERS);
    const host = (request.headers.host ?? '').toLowerCase();
    if (!deps.allowedHosts().has(host)) {
      reply.code(421).send({ status: 'error', message: `this broker does not answer to Host "${host}"` });
      return;
    }
    done();
  });

  if (requestLog) {
    app.addHook('onSend', (request, reply, _payload, done) => {
      if (!request.routeConfig?.hijacks) requestLog.answered(request, reply);
      done();
    });
  }

  await app.register(formbody);

  // Never a 5xx for the caller's fault: a client error keeps its 4xx; 500 only for a bug (error-answers.ts).
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isStoreError(error)) {
      // The store is full or unreachable: nobody's fault here, and it passes; say when to retry.
      reply.header('retry-after', String(error.retryAfterSeconds));
      if (request.routeOptions.config.html) {
        return sendPage(reply, 503, (nonces) => errorPage('Try again in a moment', error.message, 'the broker cannot keep sign-in state right now', nonces));
      }
      return reply.code(503).send({ status: 'error', message: `${error.message}; try again in a moment` });
    }
    const status = errorStatus(error);
    const message = errorMessage(error, status);
    if (status === 500) requestLog?.internalError(request, error);
    else keepReadingAfter(error, reply, request);
    if (request.routeOptions.config.html) {
      return sendPage(reply, status, (nonces) => errorPage(status < 500 ? 'Bad request' : status === 500 ? 'Internal error' : 'Sign-in unavailable', message, undefined, nonces));
    }
    return reply.code(status).send({ status: status < 500 ? 'fail' : 'error', message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ status: 'fail', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(authRoutes(deps, flows));
  await app.register(backendRoutes(deps));
  await app.register(corsRoutes(deps, apiRoutes(deps), proxyRoutes(deps)));
  await app.register(legacyRoutes());
  if (deps.sandbox) await app.register(deps.sandbox.plugin);
  if (demo) await app.register(demoRoutes(deps, demo));
  if (deps.inspector) await app.register(inspectorRoutes(deps, deps.inspector));
  return { app, flows };
}
