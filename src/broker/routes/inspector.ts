/**
 * The inspector (docs/inspector.md): every flow of this broker, step by step, in the browser.
 *
 *   GET  /inspector?secret=…                 the URL serve and login --inspect print: the secret is
 *                                            traded for an HttpOnly SameSite=Strict cookie, and the
 *                                            browser is sent on to /inspector/ (the secret leaves the
 *                                            address bar and the history)
 *   GET  /inspector/                         the page (no inline script: its modules are assets)
 *   GET  /inspector/assets/:version/:file    the page's modules and style, cached for good per version
 *   GET  /inspector/api/flows                the flows, newest first
 *   GET  /inspector/api/flows/:id            one flow: its redacted timeline, checks, decoded JWTs
 *   GET  /inspector/api/flows/:id/har        its HAR file (src/trace/har.ts)
 *   POST /inspector/api/flows/:id/reveal     one token's value, for a deliberate click (never in a URL)
 *   POST /inspector/api/flows/:id/me         the profile call again with the flow's token
 *   POST /inspector/api/flows/:id/refresh    a refresh with the flow's refresh token
 *   GET  /inspector/api/overview             the app's configuration at a glance
 *   GET  /inspector/api/events               Server-Sent Events: each new or changed flow
 *
 * Guarded like every route (the Host check of app.ts answers 421) and more: only from loopback,
 * no foreign Origin (403), and the cookie, compared in constant time, on everything but the
 * exchange (401). The secret is never logged: the request log writes paths only (app.ts).
 *
 * With the Redis store (serve --inspect), the list and the stream carry the flows of every broker
 * on that Redis too, each with the broker instance it ran at (src/inspector/shared.ts); another
 * broker's flow is read from Redis, redacted: its tokens stay at that broker (reveal, /me and
 * refresh answer 409 naming it). A Redis that does not answer leaves this broker's flows and a
 * note (`shared.note`), never a 500.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { secretsEqual } from '../../config/app-secret.js';
import { SECURITY_HEADERS } from '../../util/headers.js';
import { toHar } from '../../trace/har.js';
import { TOKEN_NAMES, type FlowHandle, type FlowSummary, type FlowView } from '../../inspector/recorder.js';
import { SharedUnavailableError, type SharedStatus } from '../../inspector/shared.js';
import { fetchProfile } from '../../oauth/profile.js';
import { refreshAccessToken } from '../../oauth/oauth2.js';
import { oauth1Signer } from '../../oauth/oauth1-signer.js';
import { isFlowError } from '../../oauth/outcome.js';
import { CALLBACK_PATH } from '../flows.js';
import type { BrokerDeps, BrokerInspector } from '../types.js';

export const INSPECTOR_PATH = '/inspector';
/** The query parameter of the URL printed once per run. */
export const SECRET_PARAMETER = 'secret';

/** The page's files (assets/inspector/), all of them: nothing else is served from there. */
const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'timeline.js': 'text/javascript; charset=utf-8',
  'params.js': 'text/javascript; charset=utf-8',
  'inspector.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};
const ASSET_DIR = new URL('../../../assets/inspector/', import.meta.url);

/** A strict policy: the page's own modules and style only, fetches to itself only, never framed. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FlowParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const RevealBody = Type.Object({ name: Type.Union(TOKEN_NAMES.map((name) => Type.Literal(name))) }, { additionalProperties: false });
const EntryQuery = Type.Object({ [SECRET_PARAMETER]: Type.Optional(Type.String({ maxLength: 256 })) });

/** The URL printed by serve and login --inspect. */
export function inspectorUrl(origin: string, secret: string): string {
  return `${origin}${INSPECTOR_PATH}?${SECRET_PARAMETER}=${encodeURIComponent(secret)}`;
}

interface Asset {
  body: Buffer;
  type: string;
}

async function loadAssets(): Promise<{ version: string; files: Map<string, Asset> }> {
  const files = new Map<string, Asset>();
  const hash = createHash('sha256');
  for (const [name, type] of Object.entries(ASSETS)) {
    const body = await readFile(new URL(name, ASSET_DIR));
    hash.update(name).update(body);
    files.set(name, { body, type });
  }
  // The version is the content's: a new build gets new URLs, so an old cached copy is never used.
  return { version: hash.digest('hex').slice(0, 12), files };
}

const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** The cookie's name carries the port: cookies are per host, not per port, and two brokers may run. */
function cookieName(host: string): string {
  const port = /:(\d+)$/.exec(host)?.[1] ?? '80';
  return `oauthd_inspector_${port}`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export function inspectorRoutes(deps: BrokerDeps, inspector: BrokerInspector) {
  const { recorder } = inspector;
  return async function plugin(app: FastifyInstance): Promise<void> {
    const assets = await loadAssets();
    const streams = new Set<() => void>();

    const refuse = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ status: 'fail', message });

    /** Loopback only, no foreign Origin, and (but for the entry) this run's cookie. */
    function guard(request: FastifyRequest, reply: FastifyReply, entry = false): boolean {
      if (!LOOPBACK_ADDRESS.test(request.socket.remoteAddress ?? '')) {
        refuse(reply, 403, 'the inspector answers only on this machine (loopback)');
        return false;
      }
      const host = request.headers.host ?? '';
      const origin = request.headers.origin;
      // A page elsewhere may not read or drive the inspector; its own pages send their own origin.
      // Fetch Metadata: only the page itself (same-origin) or the person (none: the address typed,
      // a link from the terminal); a page on another port of this machine is same-site, not same-origin.
      const site = request.headers['sec-fetch-site'];
      if ((origin !== undefined && origin !== `http://${host}`) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
        refuse(reply, 403, `the inspector does not answer pages of ${origin ?? 'another site'}`);
        return false;
      }
      // A POST from the page always carries its Origin (Fetch §3.1): one without is not the page's.
      if (request.method === 'POST' && origin === undefined) {
        refuse(reply, 403, 'the inspector takes POSTs from its own page only');
        return false;
      }
      if (entry) return true;
      const presented = readCookie(request.headers.cookie, cookieName(host));
      if (presented === undefined || !secretsEqual(presented, inspector.secret)) {
        refuse(reply, 401, 'open the inspector with the URL serve printed (inspector  http://…), or run: oauthd-cli inspect');
        return false;
      }
      return true;
    }

    /** This broker's flow, else another broker's from the shared record; undefined with an answer already sent. */
    async function anyFlowOf(
      request: FastifyRequest<{ Params: Static<typeof FlowParams> }>,
      reply: FastifyReply,
    ): Promise<{ local: FlowHandle } | { remote: FlowView & { instance: string } } | undefined> {
      const local = recorder.get(request.params.id);
      if (local) return { local };
      const shared = inspector.shared;
      if (!shared) {
        refuse(reply, 404, 'no such flow (the inspector keeps the latest flows only)');
        return undefined;
      }
      try {
        const remote = await shared.get(request.params.id);
        if (remote) return { remote };
        refuse(reply, 404, 'no such flow (the inspectors keep the latest flows only)');
      } catch (error) {
        if (!(error instanceof SharedUnavailableError)) throw error;
        reply.header('retry-after', '5');
        refuse(reply, 503, `${error.message}; this broker's own flows are still shown`);
      }
      return undefined;
    }

    /** The actions that use a token run where the flow ran (it holds the tokens): another broker's flow is refused with where to go. */
    async function localFlowOf(request: FastifyRequest<{ Params: Static<typeof FlowParams> }>, reply: FastifyReply, action: string): Promise<FlowHandle | undefined> {
      const found = await anyFlowOf(request, reply);
      if (!found) return undefined;
      if ('local' in found) return found.local;
      refuse(reply, 409, `this flow ran at broker ${found.remote.instance}, which alone holds its tokens: open that broker's inspector to ${action}`);
      return undefined;
    }

    const sharedNote = (status: SharedStatus) =>
      status.reachable ? undefined : `cannot reach the shared record on Redis (${status.reason ?? 'no answer'}): this list shows this broker's flows only, and other brokers' flows come back when Redis answers`;

    const config = { step: 'inspector' };

    app.get<{ Querystring: Static<typeof EntryQuery> }>(INSPECTOR_PATH, { schema: { querystring: EntryQuery }, config }, (request, reply) => {
      if (!guard(request, reply, true)) return reply;
      const presented = request.query[SECRET_PARAMETER];
      if (presented === undefined) return reply.redirect(`${INSPECTOR_PATH}/`, 303);
      if (!secretsEqual(presented, inspector.secret)) return refuse(reply, 401, 'this inspector URL is not the one of this broker run (each run has its own secret)');
      reply.header('set-cookie', `${cookieName(request.headers.host ?? '')}=${inspector.secret}; Path=${INSPECTOR_PATH}; HttpOnly; SameSite=Strict`);
      // See Other, without the secret: the address bar and the history keep the plain path.
      return reply.redirect(`${INSPECTOR_PATH}/`, 303);
    });

    app.get(`${INSPECTOR_PATH}/`, { config }, (request, reply) => {
      if (!guard(request, reply)) return reply;
      const asset = (name: string) => `${INSPECTOR_PATH}/assets/${assets.version}/${name}`;
      return reply
        .header('content-security-policy', PAGE_CSP)
        .header('x-frame-options', 'DENY')
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
            '<meta name="referrer" content="no-referrer"><title>oauthd-cli inspector</title>' +
            `<link rel="icon" href="${asset('icon.svg')}"><link rel="stylesheet" href="${asset('inspector.css')}"><script type="module" src="${asset('app.js')}"></script></head>` +
            '<body><header><h1>oauthd-cli inspector</h1><nav><a href="#/">Flows</a> <a href="#/config">App config</a></nav>' +
            '<span id="live" data-live="connecting">connecting…</span></header><main id="main" aria-live="polite"></main></body></html>',
        );
    });

    app.get<{ Params: { version: string; file: string } }>(`${INSPECTOR_PATH}/assets/:version/:file`, { config }, (request, reply) => {
      if (!guard(request, reply)) return reply;
      const file = assets.files.get(request.params.file);
      if (!file || request.params.version !== assets.version) return refuse(reply, 404, 'no such asset (reload the page: the broker was updated)');
      // Versioned URLs: a copy never goes stale, so it is kept for good (RFC 8246 immutable).
      return reply.header('cache-control', 'private, max-age=31536000, immutable').type(file.type).send(file.body);
    });

    app.get(`${INSPECTOR_PATH}/api/flows`, { config }, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const answer = { flows: recorder.list(), kept: recorder.size(), limits: { flows: recorder.maxFlows, bytes: recorder.maxBytes } };
      const shared = inspector.shared;
      if (!shared) return answer;
      const mine = answer.flows.map((summary) => ({ ...summary, instance: shared.instance }));
      let others: FlowSummary[] = [];
      let status: SharedStatus;
      try {
        others = await shared.list();
        status = shared.status();
      } catch (error) {
        if (!(error instanceof SharedUnavailableError)) throw error;
        status = { ...shared.status(), reachable: false };
      }
      const note = sharedNote(status);
      return {
        ...answer,
        flows: [...mine, ...others].sort((a, b) => b.startedAt - a.startedAt),
        shared: { instance: shared.instance, reachable: status.reachable, ...(note ? { note } : {}), limits: { flows: shared.maxFlows, bytes: shared.maxBytes } },
      };
    });

    app.get<{ Params: Static<typeof FlowParams> }>(`${INSPECTOR_PATH}/api/flows/:id`, { schema: { params: FlowParams }, config }, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const found = await anyFlowOf(request, reply);
      if (!found) return reply;
      if ('remote' in found) return { ...found.remote, remote: true };
      const shared = inspector.shared;
      return shared ? { ...found.local.view(), instance: shared.instance } : found.local.view();
    });

    app.get<{ Params: Static<typeof FlowParams> }>(`${INSPECTOR_PATH}/api/flows/:id/har`, { schema: { params: FlowParams }, config }, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const found = await anyFlowOf(request, reply);
      if (!found) return reply;
      const flow = 'local' in found ? { id: found.local.id, ...found.local.meta, events: found.local.recorded() } : found.remote;
      const title = `oauthd-cli ${flow.kind} ${flow.provider || 'callback'}`;
      const har = toHar(flow.events, { creator: { name: 'oauthd-cli inspector', version: '1' }, title });
      return reply
        .header('content-disposition', `attachment; filename="oauthd-${flow.provider || 'callback'}-${flow.id}.har"`)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(har, null, 2));
    });

    app.post<{ Params: Static<typeof FlowParams>; Body: Static<typeof RevealBody> }>(
      `${INSPECTOR_PATH}/api/flows/:id/reveal`,
      { schema: { params: FlowParams, body: RevealBody }, config },
      async (request, reply) => {
        if (!guard(request, reply)) return reply;
        const flow = await localFlowOf(request, reply, `reveal its ${request.body.name}`);
        if (!flow) return reply;
        const value = flow.secret(request.body.name);
        if (value === undefined) return refuse(reply, 404, `this flow holds no ${request.body.name}`);
        return reply.header('pragma', 'no-cache').send({ name: request.body.name, value });
      },
    );

    app.post<{ Params: Static<typeof FlowParams> }>(`${INSPECTOR_PATH}/api/flows/:id/me`, { schema: { params: FlowParams }, config }, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const flow = await localFlowOf(request, reply, 'call /me with its token');
      if (!flow) return reply;
      const accessToken = flow.secret('access_token');
      const provider = flow.meta.provider ? await deps.providers.get(flow.meta.provider) : undefined;
      if (!accessToken || !provider) return refuse(reply, 409, 'this flow has no access token for a provider still configured');
      const token = { access_token: accessToken, token_type: 'Bearer', extra: {} };
      try {
        // In the flow's scope: the profile request joins its timeline.
        const profile = await flow.run(async () => fetchProfile(deps.http, provider.resolved, token, await oauth1Signer(provider, token)));
        return { status: 'success', fields: Object.keys(profile).length };
      } catch (error) {
        return refuse(reply, 502, isFlowError(error) || error instanceof Error ? error.message : 'the profile call failed');
      }
    });

    app.post<{ Params: Static<typeof FlowParams> }>(`${INSPECTOR_PATH}/api/flows/:id/refresh`, { schema: { params: FlowParams }, config }, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const flow = await localFlowOf(request, reply, 'refresh with its refresh token');
      if (!flow) return reply;
      const refreshToken = flow.secret('refresh_token');
      const provider = flow.meta.provider ? await deps.providers.get(flow.meta.provider) : undefined;
      const oauth2 = provider?.resolved.oauth2;
      if (!refreshToken || !provider || !oauth2) return refuse(reply, 409, 'this flow has no refresh token for a provider still configured');
      // A refresh is a flow of its own in the list (RFC 6749 §6), as one through the broker's route is.
      const refresh = recorder.begin({ kind: 'refresh', provider: provider.resolved.id, providerName: provider.resolved.name, app: 'inspector' });
      try {
        const clientSecret = await provider.clientSecret();
        const result = await refresh.run(() =>
          refreshAccessToken(deps.http, oauth2, { clientId: provider.resolved.clientId, ...(clientSecret !== undefined ? { clientSecret } : {}) }, refreshToken),
        );
        refresh.finishCall({ ok: true, token: result.token, deviations: result.deviations });
        return { status: 'success', flow: refresh.id };
      } catch (error) {
        if (isFlowError(error)) refresh.finishCall({ ok: false, error });
        else refresh.fail(error);
        return refuse(reply, 502, error instanceof Error ? error.message : 'the refresh failed');
      }
    });

    app.get(`${INSPECTOR_PATH}/api/overview`, { config }, async (request, reply) => {
      if (!guard(request, reply)) return reply;
      const overview = await inspector.overview();
      // Providers served without a keyset of oauthd.json (the sandbox of serve --sandbox) too.
      const served = await deps.providers.list().catch(() => []);
      for (const spec of served) {
        if (!overview.providers.some((provider) => provider.id === spec.id)) overview.providers.push({ id: spec.id, clientId: '(built in)', secret: '(built in: none to keep)' });
      }
      return { ...overview, redirectUri: `${deps.publicOrigin()}${CALLBACK_PATH}` };
    });

    // Server-Sent Events (HTML Living Standard §9.2): one `flow` event per new or changed flow.
    // hijacks: the stream is written on the raw response (src/util/route-config.ts).
    app.get(`${INSPECTOR_PATH}/api/events`, { config: { ...config, hijacks: true } }, (request, reply) => {
      if (!guard(request, reply)) return reply;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
      raw.write('retry: 2000\n\n');
      const send = (summary: FlowSummary) => raw.write(`event: flow\ndata: ${JSON.stringify(summary)}\n\n`);
      const shared = inspector.shared;
      const unsubscribeLocal = recorder.subscribe(shared ? (summary) => send({ ...summary, instance: shared.instance } as FlowSummary) : send);
      // Other brokers' flows as their records reach Redis; `event: shared` when Redis stops (or starts again) answering.
      const sendShared = (status: SharedStatus) => raw.write(`event: shared\ndata: ${JSON.stringify({ ...status, note: sharedNote(status) })}\n\n`);
      const unsubscribeShared = shared?.subscribe((event) => (event.type === 'flow' ? send(event.summary) : sendShared(event.status)));
      if (shared) sendShared(shared.status());
      const unsubscribe = () => {
        unsubscribeLocal();
        unsubscribeShared?.();
      };
      // A comment now and then keeps proxies and idle timers from closing a quiet stream.
      const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
      ping.unref();
      const end = () => {
        unsubscribe();
        clearInterval(ping);
        streams.delete(close);
      };
      const close = () => {
        end();
        raw.end();
      };
      streams.add(close);
      request.raw.once('close', end);
    });

    // Streams never end by themselves: a stopping broker ends them, so closing never waits on one.
    app.addHook('preClose', (done) => {
      for (const close of [...streams]) close();
      done();
    });
  };
}
