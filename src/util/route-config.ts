/**
 * What a route tells the server it is mounted in, through fastify's route `config`, when that is
 * a fact about the route itself rather than about the server. The broker reads it (app.ts);
 * the modules that own the routes (the sandbox, the inspector) set it.
 */
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route may answer on the raw response, by reply.hijack() (the sandbox hands it to
     * node-oidc-provider; the inspector's event stream writes it), which fastify's onSend hooks
     * never see: the broker's request log line for it waits for the response's `finish`.
     */
    hijacks?: boolean;
  }
}

/** Marks every route registered in `app` from here on (its child plugins' too) as one that may hijack its reply. */
export function markHijacking(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, hijacks: true };
  });
}
