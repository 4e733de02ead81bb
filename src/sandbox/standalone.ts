/**
 * The sandbox on its own (`oauthd-cli sandbox`): a fastify instance of its own, on loopback, that
 * serves only the sandbox (at /sandbox, as under the broker, so its issuer has the same form
 * http://127.0.0.1:PORT/sandbox and every token command finds it), with the answers the broker
 * gives its own: the security headers on every answer, the pages' CSP (server.ts), a Host that is
 * not this server's refused (DNS rebinding), bounded bodies and request times.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { openSandbox, type MockOptions, type Sandbox } from './server.js';
import { sandboxIssuer } from './spec.js';
import { configError } from '../util/errors.js';
import { SECURITY_HEADERS } from '../util/headers.js';

export interface StandaloneOptions {
  /** The sandbox folder (keys and records), as `login sandbox` and `serve --sandbox` use it. */
  dir: string;
  /** 0 picks a free port. */
  port: number;
  mock: MockOptions;
}

export interface StandaloneSandbox {
  sandbox: Sandbox;
  origin: string;
  issuer: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 only: a mock provider has no business on another interface. */
const HOST = '127.0.0.1';

export async function startStandaloneSandbox(options: StandaloneOptions): Promise<StandaloneSandbox> {
  const sandbox = await openSandbox({ dir: options.dir, mock: options.mock });
  let allowedHosts = new Set<string>();
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // A request that stops arriving gets 408 instead of holding its socket (the broker's limits).
    requestTimeout: 10_000,
    connectionTimeout: 10_000,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    const host = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(host)) {
      reply.code(421).send({ error: 'misdirected_request', message: `this sandbox does not answer to Host "${host}"` });
      return;
    }
    done();
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}; the sandbox is under /sandbox` }));
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ error: status === 500 ? 'server_error' : 'invalid_request', message: status === 500 ? 'internal error' : error.message });
  });
  await app.register(sandbox.plugin);
  // Its mTLS listener (RFC 8705) closes with it.
  app.addHook('onClose', async () => sandbox.close());

  try {
    await app.listen({ host: HOST, port: options.port, listenTextResolver: () => '' });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw configError(`port ${options.port} on ${HOST} is in use`, 'stop what listens there, or choose another port with --port (0 picks a free one)');
    if (code === 'EACCES') throw configError(`not allowed to listen on ${HOST}:${options.port}`, 'use a port above 1023 with --port');
    throw error;
  }
  const port = (app.server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  await sandbox.start(origin);
  return {
    sandbox,
    origin,
    issuer: sandboxIssuer(origin),
    port,
    app,
    async close() {
      const force = setTimeout(() => app.server.closeAllConnections(), 3000);
      force.unref();
      await app.close();
      clearTimeout(force);
    },
  };
}
