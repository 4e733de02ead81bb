/**
 * The control endpoint of the mock provider: faults switched at run time, on the sandbox's own
 * origin, so a test switches them between two requests of the app it drives.
 *
 *   GET    {issuer}/_control/faults          {"faults": [active…], "available": [every fault]}
 *   POST   {issuer}/_control/faults          {"fault": NAME, "value"?: V, "count"?: N} → 201 {"fault": active}
 *   DELETE {issuer}/_control/faults          clears every fault → {"faults": []}
 *   DELETE {issuer}/_control/faults/NAME     clears one → 200, or 404 when it was not on
 *
 * Only loopback peers are answered (403 otherwise), POST takes only a JSON object (415 for another
 * content type, 400 for a body that is not JSON or not an object, 400 naming the fault's problem);
 * every answer is JSON, never a stack trace. Mounted only by the `sandbox` command: a `serve
 * --sandbox` or a `login sandbox` has no control endpoint and no fault.
 */
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { checkFault, FAULTS, FaultError, faultUsage, type FaultSet } from './faults.js';
import { SANDBOX_PATH } from './spec.js';

export const CONTROL_PATH = `${SANDBOX_PATH}/_control/faults`;

/** A body this small holds any fault request. */
const BODY_LIMIT = 4 * 1024;

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

const available = FAULTS.map((definition) => ({ fault: definition.name, usage: faultUsage(definition), place: definition.place, summary: definition.summary }));

export function controlRoutes(faults: FaultSet): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
      if ((body as string).trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(null, JSON.parse(body as string) as unknown);
      } catch (error) {
        done(Object.assign(new Error(`the body is not JSON (${(error as Error).message.replace(/ in JSON.*/s, '')})`), { statusCode: 400, code: 'invalid_json' }), undefined);
      }
    });
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, _body, done) => {
      done(Object.assign(new Error(`send the fault as JSON (Content-Type: application/json), not ${request.headers['content-type'] ?? 'no content type'}`), { statusCode: 415, code: 'unsupported_media_type' }), undefined);
    });

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isLoopbackAddress(request.socket.remoteAddress)) {
        return reply.code(403).send({ error: 'forbidden', message: 'the control endpoint answers only on loopback' });
      }
      return undefined;
    });

    app.setErrorHandler((error: FastifyError, _request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      const code = status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : error.code === 'invalid_json' ? 'invalid_json' : 'invalid_request';
      const message = status === 413 ? `a fault request is at most ${BODY_LIMIT} bytes` : error.message;
      return reply.code(status).send({ error: code, message });
    });

    app.get(CONTROL_PATH, async () => ({ faults: faults.list(), available }));

    app.post<{ Body: unknown }>(CONTROL_PATH, async (request, reply) => {
      const body = request.body;
      if (body === undefined) {
        return reply.code(400).send({ error: 'invalid_request', message: 'send a JSON object: {"fault": NAME, "value"?: V, "count"?: N}' });
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return reply.code(400).send({ error: 'invalid_request', message: `the body must be a JSON object {"fault": NAME, "value"?: V, "count"?: N}, not ${JSON.stringify(body).slice(0, 60)}` });
      }
      const unknown = Object.keys(body).filter((key) => !['fault', 'value', 'count'].includes(key));
      if (unknown.length > 0) {
        return reply.code(400).send({ error: 'invalid_request', message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => JSON.stringify(key)).join(', ')}; a fault request has fault, value and count` });
      }
      try {
        const active = faults.add(checkFault(body as { fault?: unknown; value?: unknown; count?: unknown }));
        await faults.settled();
        return reply.code(201).send({ fault: active });
      } catch (error) {
        if (error instanceof FaultError) return reply.code(400).send({ error: 'invalid_fault', message: error.message });
        throw error;
      }
    });

    app.delete(CONTROL_PATH, async () => {
      faults.clear();
      await faults.settled();
      return { faults: [] };
    });

    app.delete<{ Params: { name: string } }>(`${CONTROL_PATH}/:name`, async (request, reply) => {
      if (!faults.remove(request.params.name)) {
        return reply.code(404).send({ error: 'not_found', message: `the fault "${request.params.name}" is not on; GET ${CONTROL_PATH} lists those that are` });
      }
      await faults.settled();
      return { faults: faults.list() };
    });

    const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.code(405).header('allow', 'GET, POST, DELETE').send({ error: 'method_not_allowed', message: 'use GET, POST or DELETE' });
    app.route({ method: ['PUT', 'PATCH'], url: CONTROL_PATH, handler: notAllowed });
  };
}
