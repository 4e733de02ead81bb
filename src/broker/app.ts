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
import type { BrokerDeps } from './types.js';
import { isStoreError } from '../store/store.js';

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
    // Errors fastify raises before routing (a malformed URL, a bad header) get the envelope too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send({ status: 'fail', message: `bad request: ${error.message}` });
    },
  });
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

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isStoreError(error)) {
      // The store is full or unreachable: nobody's fault here, and it passes; say when to retry.
      reply.header('retry-after', String(error.retryAfterSeconds));
      if (request.routeOptions.config.html) {
        return sendPage(reply, 503, (nonces) => errorPage('Try again in a moment', error.message, 'the broker cannot keep sign-in state right now', nonces));
      }
      return reply.code(503).send({ status: 'error', message: `${error.message}; try again in a moment` });
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 500 ? 'internal error' : error.validation ? `bad request: ${error.message}` : error.message;
    if (status === 500) request.log.error(error);
    if (request.routeOptions.config.html) {
      return sendPage(reply, status, (nonces) => errorPage('Bad request', message, undefined, nonces));
    }
    return reply.code(status).send({ status: status === 500 ? 'error' : 'fail', message });
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
