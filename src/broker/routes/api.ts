/**
 * oauthd's description routes, read by the front-end SDK:
 *   GET /api/providers                 the providers this broker serves
 *   GET /api/providers/:id[?extend]    one provider's description (the SDK reads oauth2.request)
 *   GET /api/extended-endpoints        extra SDK methods (none)
 * and the legacy IE relay GET /auth/iframe, answered 410: oauthd posted results from it to any
 * origin; no browser that needs it is still supported.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { sdkProviderDescription } from '../describe.js';
import type { BrokerDeps } from '../types.js';

const ProviderParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const DescribeQuery = Type.Object({ extend: Type.Optional(Type.String({ maxLength: 10 })) });

export function apiRoutes(deps: BrokerDeps) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/api/providers', async () => {
      const specs = await deps.providers.list();
      return { status: 'success', data: specs.map((spec) => ({ provider: spec.id, name: spec.name })) };
    });

    app.get<{ Params: Static<typeof ProviderParams>; Querystring: Static<typeof DescribeQuery> }>(
      '/api/providers/:id',
      { schema: { params: ProviderParams, querystring: DescribeQuery } },
      async (request, reply) => {
        const provider = await deps.providers.get(request.params.id);
        if (!provider) return reply.code(404).send({ status: 'fail', message: `the provider "${request.params.id}" is not configured on this broker` });
        return { status: 'success', data: sdkProviderDescription(provider.resolved) };
      },
    );

    app.get('/api/extended-endpoints', async () => ({ status: 'success', data: [] }));
  };
}

export function legacyRoutes() {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/auth/iframe', async (_request, reply) =>
      reply.code(410).send({
        status: 'fail',
        message: 'the /auth/iframe relay (Internet Explorer only) is not served: it delivered results to unchecked origins',
      }),
    );
  };
}
