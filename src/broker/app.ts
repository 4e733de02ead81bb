/**
 * buildBroker(deps): the fastify app, built and not listening (tests use inject; `serve` and
 * `login` call listen). One plugin per route group; one error handler shapes every error: HTML
 * routes answer a page, API routes answer oauthd's JSON envelope, never a stack trace.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import { FlowEngine } from './flows.js';
import { authRoutes } from './routes/auth.js';
import { backendRoutes } from './routes/backend.js';
import { apiRoutes, legacyRoutes } from './routes/api.js';
import { corsRoutes, proxyRoutes } from './routes/proxy.js';
import { errorPage } from './pages.js';
import { sendPage } from '../util/html.js';
import { clientErrorAnswer, connectRefusal, errorMessage, errorStatus, keepReadingAfter, REQUEST_TIMEOUT_OPTIONS } from './error-answers.js';
import type { Duplex } from 'node:stream';
import type { BrokerDeps } from './types.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers browsers with HTML pages (errors too). */
    html?: boolean;
  }
}

// Every answer: not cached (RFC 9111 §5.2.2.5; the seed), no Referer leaving a broker page (codes
// and states must not travel in one), no MIME sniffing. Pages add their CSP and X-Frame-Options
// (sendPage), token responses add Pragma (RFC 6749 §5.1, routes/backend.ts): a redirect, most of
// the broker's traffic, has no page to frame and no token for an HTTP/1.0 cache to keep.
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export interface Broker {
  app: FastifyInstance;
  flows: FlowEngine;
}

export async function buildBroker(deps: BrokerDeps): Promise<Broker> {
  const app = Fastify({
    logger: deps.logger ?? false,
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
  app.server.on('connect', (_request: unknown, socket: Duplex) => socket.end(connectRefusal(SECURITY_HEADERS)));
  const flows = new FlowEngine(deps);

  // The security headers are constants, set in one hook: @fastify/helmet builds its middleware
  // chain anew on every request, which cost the broker a third of its throughput, and each page
  // sets its own CSP with fresh nonces (sendPage). The same hook refuses a Host that is not the
  // broker's own: a page on evil.example that resolves to 127.0.0.1 (DNS rebinding) sends
  // Host: evil.example.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    const host = (request.headers.host ?? '').toLowerCase();
    if (!deps.allowedHosts().has(host)) {
      reply.code(421).send({ status: 'error', message: `this broker does not answer to Host "${host}"` });
      return;
    }
    done();
  });

  await app.register(formbody);

  // Never a 5xx for the caller's fault: a client error keeps its 4xx; 500 only for a bug (error-answers.ts).
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = errorStatus(error);
    const message = errorMessage(error, status);
    if (status === 500) request.log.error(error);
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
  return { app, flows };
}
