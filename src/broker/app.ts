/**
 * buildBroker(deps): the fastify app, built and not listening (tests use inject; `serve` and
 * `login` call listen). One plugin per route group; one error handler shapes every error: HTML
 * routes answer a page, API routes answer oauthd's JSON envelope, never a stack trace.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import helmet from '@fastify/helmet';
import formbody from '@fastify/formbody';
import { FlowEngine } from './flows.js';
import { authRoutes } from './routes/auth.js';
import { backendRoutes } from './routes/backend.js';
import { apiRoutes, legacyRoutes } from './routes/api.js';
import { corsRoutes, proxyRoutes } from './routes/proxy.js';
import { errorPage } from './pages.js';
import { sendPage } from '../util/html.js';
import type { BrokerDeps } from './types.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers browsers with HTML pages (errors too). */
    html?: boolean;
  }
}

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

  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
  app.addHook('onRequest', async (request, reply) => {
    const host = (request.headers.host ?? '').toLowerCase();
    if (!deps.allowedHosts().has(host)) {
      return reply.code(421).send({ status: 'error', message: `this broker does not answer to Host "${host}"` });
    }
  });

  await app.register(helmet, {
    // Each HTML page sets its own policy with fresh nonces (sendPage in src/util/html.ts); a CSP on
    // redirects and JSON would protect nothing and cost every request two random nonces.
    contentSecurityPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    // The popup result page needs window.opener, which same-origin COOP would sever.
    crossOriginOpenerPolicy: false,
    // The broker speaks plain http on loopback; HSTS there would only confuse browsers.
    strictTransportSecurity: false,
    // Headers for browsers long gone (IE's download and XSS filters, Flash's cross-domain policy).
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    xDnsPrefetchControl: false,
  });

  // RFC 6749 §5.1 and the seed: nothing the broker answers may be cached.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
    return payload;
  });

  await app.register(formbody);

  app.setErrorHandler((error: FastifyError, request, reply) => {
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
