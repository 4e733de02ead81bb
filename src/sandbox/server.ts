/**
 * The embedded authorization server: node-oidc-provider configured as a complete, quiet OpenID
 * provider (its keys and records in the data folder, ./state.ts and ./adapter.ts; its own
 * sign-in and consent pages; every default it would warn about replaced), mounted on the
 * broker's fastify instance at /sandbox.
 *
 * The issuer contains the broker's port, which is known only after `listen`; the routes are
 * registered before, and the provider is created by `start(origin)` once the port is bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { JWK } from 'jose';
import { X509Certificate } from 'node:crypto';
import formbody from '@fastify/formbody';
import { pageCsp, sendPage, type Nonces } from '../util/html.js';
import { markHijacking } from '../util/route-config.js';
import { fileAdapter } from './adapter.js';
import { loadSandboxClientKey, loadSandboxKeys, recordsDir, type SandboxKeys } from './state.js';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENTS, SANDBOX_PATH, SANDBOX_RAR_TYPES, SANDBOX_RESOURCE_SCOPES, SANDBOX_SCOPES, sandboxIssuer, sandboxMtlsAliases } from './spec.js';
import { readRegisteredCertificates } from './client-certificates.js';
import { loadSandboxCertificates, SANDBOX_CLIENT_SUBJECT, x5cOf, type SandboxCertificates } from './certificates.js';
import { consentPage, deviceConfirmPage, deviceDonePage, deviceInputPage, errorPage, logoutPage, messagePage, signInPage } from './pages.js';
import { randomToken } from '../util/random.js';
import { approveAuthorizationRequest, autoApproveDevice } from './auto-approve.js';
import { controlRoutes } from './control.js';
import type { FaultSet } from './faults.js';
import { IdTokenForger, newSigningKey, type SigningKey } from './id-token-faults.js';
import { endpointOf, isBackChannel, rewriteAuthorizationResponse, throughProvider, tokenEndpoint, transportFault, withClientAuthAsBasic } from './mock.js';
import { anyUser, SCOPE_CLAIMS, USER_NAME, type SandboxUsers } from './users.js';
import { OAUTH1_RETURN_PATH, type Lookalike, type LookalikeRoute } from './lookalike.js';
import { OAuth1Problem, OAuth1Server, type ArrivedRequest } from './oauth1-server.js';
import { readBody, type CaughtAnswer } from './raw-exchange.js';
import { registerTokenExchange, TOKEN_EXCHANGE_GRANT } from './token-exchange.js';
import { approvalPath, BackchannelApprovals, cibaFeature, type PendingBackchannel } from './ciba.js';
import { backchannelApprovalPage, backchannelDonePage } from './pages.js';

/** OpenID CIBA Core §10.1: the grant of the token request in poll mode. */
const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/** The slice of oidc-provider's API the sandbox uses (the package ships no types). */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  Client: { prototype: { redirectUriAllowed(value: string): boolean } };
  AccessToken: TokenModel;
  RefreshToken: TokenModel;
  AuthorizationCode: { find(value: string): Promise<{ accountId?: string; clientId?: string; redirectUri?: string; consumed?: unknown; destroy(): Promise<void> } | undefined> };
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: GrantConstructor;
  /** OpenID CIBA: the user's decision on a backchannel authentication request (a grant id, or an error). */
  backchannelResult(authReqId: string, result: string | Error): Promise<void>;
  proxy: boolean;
}
interface TokenModel {
  find(value: string): Promise<{ accountId?: string; destroy(): Promise<void> } | undefined>;
}
interface Interaction {
  uid: string;
  prompt: { name: string; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> } };
  params: Record<string, string>;
  session?: { accountId: string };
  grantId?: string;
}
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface GrantConstructor {
  new (init: { accountId: string; clientId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}

export interface SandboxOptions {
  /** The sandbox folder (./state.ts sandboxDir): keys and records. */
  dir: string;
  /** Behaviour switches for tests and fault drills; all off by default. */
  rotateRefreshTokens?: boolean;
  accessTokenTtlSeconds?: number;
  /** The sandbox as a mock identity provider (the `sandbox` command); never for serve or login. */
  mock?: MockOptions;
}

/** What makes the sandbox a mock identity provider for an app's tests. */
export interface MockOptions {
  /** The faults in force; the control endpoint switches them at run time. */
  faults: FaultSet;
  /** Who may sign in (default: anyone). */
  users?: SandboxUsers;
  /** Sign-in and consent happen by themselves; the authorization request redirects straight back. */
  autoApprove?: boolean;
  /** Answer in the shape of this catalog provider (`sandbox --as`). */
  lookalike?: Lookalike;
}

export interface Sandbox {
  /** Registers /sandbox routes; call before listen. */
  plugin: FastifyPluginAsync;
  /** Creates the provider for the broker's origin (known after listen). */
  start(brokerOrigin: string): Promise<void>;
  readonly issuer: string | undefined;
  readonly clientId: string;
  /** The client's secret, kept in the sandbox folder: every process that opens it uses the same. */
  readonly clientSecret: string;
  /** The `kid` of the signing key: a sandbox elsewhere that serves it reads the same folder. */
  readonly signingKeyId: string;
  /** The private key of its private_key_jwt client (SANDBOX_CLIENTS.private_key_jwt), kept in the sandbox folder. */
  readonly clientKey: JWK & { kid: string };
  /** RFC 8705: its CA and certificates (./certificates.ts), kept in the sandbox folder. */
  readonly certificates: SandboxCertificates;
  /** Its mTLS listener, https://127.0.0.1:PORT, once started (its mtls_endpoint_aliases, §5). */
  readonly mtlsOrigin: string | undefined;
  /** Stops the mTLS listener. */
  close(): Promise<void>;
}

const ONE_HOUR = 3600;

/**
 * Every answer of oidc-provider gets the security headers the broker gives its own (set on the
 * fastify reply by app.ts, which a hijacked reply never writes), and a page's CSP with fresh
 * nonces and X-Frame-Options: oidc-provider writes to the raw response, and renders some pages
 * itself (the device flow's auto-submitted form) after adding its inline script's hash to the
 * CSP it finds there. The page functions below find this response's nonces by its request.
 */
const responseNonces = new WeakMap<IncomingMessage, Nonces>();

function hijackWithHeaders(request: IncomingMessage, reply: FastifyReply): void {
  const nonces = { script: randomToken(16), style: randomToken(16) };
  responseNonces.set(request, nonces);
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value as string | number | string[]);
  }
  reply.raw.setHeader('content-security-policy', pageCsp(nonces));
  reply.raw.setHeader('x-frame-options', 'DENY');
  reply.hijack();
}

/** Opens the sandbox kept in `options.dir` (creating its keys on first use). */
export async function openSandbox(options: SandboxOptions): Promise<Sandbox> {
  const keys = await loadSandboxKeys(options.dir);
  const clientKey = await loadSandboxClientKey(options.dir);
  const certificates = await loadSandboxCertificates(options.dir);
  let mtlsServer: HttpsServer | undefined;
  let mtlsOrigin: string | undefined;
  const mock = options.mock;
  const users = mock?.users ?? anyUser();
  let provider: OidcProvider | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let issuer: string | undefined;
  let origin: string | undefined;
  // The key id_tokens are signed with: the stored one, or a new one after rotate-keys (kept in
  // memory only: clearing the fault brings the stored key back).
  let signingKey: JWK & { kid: string } = keys.signingKey;
  const currentKey = (): SigningKey => ({ kid: signingKey.kid, privateJwk: signingKey });
  const forger = mock ? await IdTokenForger.create(currentKey) : undefined;
  /** Requests whose refresh token rotates (refresh-reuse-revokes). */
  const rotateRefresh = new WeakSet<IncomingMessage>();
  /** Marks the sandbox's own requests while it approves by itself (they see its pages). */
  const approvalMark = randomToken(16);
  const APPROVAL_HEADER = 'x-oauthd-sandbox-approval';
  // An OAuth 1.0a look-alike's credentials; the consumer is the sandbox's client (RFC 5849 §1.1).
  const oauth1Method = mock?.lookalike?.oauth1Method;
  const oauth1 = oauth1Method ? new OAuth1Server({ key: SANDBOX_CLIENT_ID, secret: keys.clientSecret }, oauth1Method) : undefined;

  /** OpenID CIBA (./ciba.ts): the requests waiting on the sandbox's approval pages. */
  const approvals = new BackchannelApprovals();
  /** The user's answer to a backchannel request: a grant for its scopes, or access_denied (CIBA Core §11). */
  const decideBackchannel = async (pending: PendingBackchannel, approve: boolean): Promise<void> => {
    const oidc = requireProvider();
    if (!approve) {
      const { errors } = (await import('oidc-provider')) as unknown as { errors: { AccessDenied: new (description: string) => Error } };
      await oidc.backchannelResult(pending.authReqId, new errors.AccessDenied('the user denied the request on the sandbox\'s approval page'));
      return;
    }
    const grant = new oidc.Grant({ accountId: pending.accountId, clientId: pending.clientId });
    grant.addOIDCScope(pending.scope);
    await oidc.backchannelResult(pending.authReqId, await grant.save());
  };
  const decideBySelf = mock?.autoApprove
    ? (pending: PendingBackchannel) => {
        if (approvals.take(pending.uid)) void decideBackchannel(pending, true).catch(() => undefined);
      }
    : undefined;

  const restart = async () => {
    if (!issuer || !origin) return;
    provider = await createProvider(issuer, origin, keys, signingKey, options, users, rotateRefresh, clientKey, approvals, decideBySelf, certificates, mtlsOrigin);
    handler = provider.callback();
  };
  mock?.faults.onChange(async ({ fault, on }) => {
    if (fault !== 'rotate-keys') return;
    signingKey = on ? await newSigningKey() : keys.signingKey;
    await restart();
  });

  const requireProvider = (): OidcProvider => {
    if (!provider) throw new Error('the sandbox is not started yet');
    return provider;
  };

  /** The mock's way to oidc-provider (faults, look-alikes), set once the routes are registered. */
  let forwardMock: ((options: MockOptions, raw: IncomingMessage & { originalUrl?: string }, response: ServerResponse) => Promise<void>) | undefined;
  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    // Most of these routes hand their answer to oidc-provider or write it themselves (hijackWithHeaders).
    markHijacking(app);
    forwardMock = mockForward;
    if (mock) await app.register(controlRoutes(mock.faults));
    // The sign-in and consent pages: our own, small and escaped.
    await app.register(async (pages) => {
      // The broker registers the form parser at its root; a sandbox mounted elsewhere brings its own.
      if (!pages.hasContentTypeParser('application/x-www-form-urlencoded')) await pages.register(formbody);
      pages.get<{ Params: { uid: string } }>(`${SANDBOX_PATH}/interaction/:uid`, async (request, reply) => {
        const oidc = requireProvider();
        const details = await oidc.interactionDetails(request.raw, reply.raw);
        const clientId = details.params.client_id ?? '';
        if (mock?.faults.take('consent-denied')) {
          return finishInteraction(request.raw, reply, { error: 'access_denied', error_description: 'The user denied the request (sandbox fault consent-denied).' }, false);
        }
        return sendPage(reply, 200, (nonces) =>
          details.prompt.name === 'login' ? signInPage(details.uid, clientId, nonces) : consentPage(details.uid, clientId, requestedScopes(details), nonces),
        );
      });
      pages.post<{ Params: { uid: string }; Body: { login?: unknown } }>(`${SANDBOX_PATH}/interaction/:uid/login`, async (request, reply) => {
        const login = typeof request.body?.login === 'string' ? request.body.login.trim() : '';
        if (!USER_NAME.test(login)) {
          return sendPage(reply, 400, (nonces) => errorPage('Use 1–64 letters, digits, dots, dashes, underscores or @ for the user name.', nonces));
        }
        if (!users.claims(login)) {
          return sendPage(reply, 400, (nonces) => errorPage(`There is no user "${login}" here; sign in as one of: ${(users.names ?? []).join(', ')}.`, nonces));
        }
        await requireProvider().interactionDetails(request.raw, reply.raw);
        return finishInteraction(request.raw, reply, { login: { accountId: login } }, false);
      });
      pages.post<{ Params: { uid: string } }>(`${SANDBOX_PATH}/interaction/:uid/confirm`, async (request, reply) => {
        const oidc = requireProvider();
        const details = await oidc.interactionDetails(request.raw, reply.raw);
        const grant = await grantFor(oidc, details);
        const grantId = await grant.save();
        return finishInteraction(request.raw, reply, { consent: { grantId } }, true);
      });
      // OpenID CIBA: the user's authentication device (./ciba.ts).
      pages.get<{ Params: { uid: string } }>(`${SANDBOX_PATH}/ciba/:uid`, async (request, reply) => {
        const pending = approvals.get(request.params.uid);
        if (!pending) return sendPage(reply, 404, (nonces) => errorPage('This sign-in request is unknown, expired or already answered.', nonces));
        return sendPage(reply, 200, (nonces) => backchannelApprovalPage(approvalPath(pending.uid), pending, nonces));
      });
      pages.post<{ Params: { uid: string; decision: string } }>(`${SANDBOX_PATH}/ciba/:uid/:decision`, async (request, reply) => {
        const decision = request.params.decision;
        if (decision !== 'approve' && decision !== 'deny') return sendPage(reply, 404, (nonces) => errorPage('There is no such page.', nonces));
        const pending = approvals.take(request.params.uid);
        if (!pending) return sendPage(reply, 404, (nonces) => errorPage('This sign-in request is unknown, expired or already answered.', nonces));
        await decideBackchannel(pending, decision === 'approve');
        return sendPage(reply, 200, (nonces) => backchannelDonePage(decision === 'approve', nonces));
      });
      pages.post<{ Params: { uid: string } }>(`${SANDBOX_PATH}/interaction/:uid/abort`, async (request, reply) => {
        await requireProvider().interactionDetails(request.raw, reply.raw);
        return finishInteraction(request.raw, reply, { error: 'access_denied', error_description: 'The user denied the request in the sandbox.' }, false);
      });
    });

    /**
     * Hands the interaction back to oidc-provider, which answers on the raw response. The
     * interaction was looked up first (interactionDetails: an unknown or expired one is a 400 page
     * before this point); whatever still fails after the hijack is answered here, since no fastify
     * handler can see it any more, and a request must never be left without an answer.
     */
    async function finishInteraction(raw: IncomingMessage, reply: FastifyReply, result: object, merge: boolean): Promise<void> {
      hijackWithHeaders(raw, reply);
      try {
        await requireProvider().interactionFinished(raw, reply.raw, result, { mergeWithLastSubmission: merge });
      } catch {
        if (reply.raw.headersSent) {
          reply.raw.end();
          return;
        }
        reply.raw.statusCode = 400;
        reply.raw.setHeader('content-type', 'text/html; charset=utf-8');
        reply.raw.end(errorPage('This sign-in has expired or was already answered; start it again.', responseNonces.get(raw) ?? { script: '', style: '' }));
      }
    }

    /**
     * The mock provider around oidc-provider (./mock.ts): transport faults on the back channel,
     * the authorization request approved by the sandbox itself, the token endpoint's and the
     * authorization response's faults.
     */
    async function mockForward(options: MockOptions, raw: IncomingMessage & { originalUrl?: string }, response: ServerResponse): Promise<void> {
      const run = handler as (req: IncomingMessage, res: ServerResponse) => void;
      const endpoint = endpointOf(raw.url ?? '/');
      const approving = raw.headers[APPROVAL_HEADER] === approvalMark;
      if (isBackChannel(endpoint) && (await transportFault(options.faults, raw, response))) return;
      if (endpoint === 'authorization' && options.autoApprove && !approving && raw.method === 'GET' && origin) {
        const location = await approveBySelf(raw, origin);
        if (location !== undefined) {
          response.statusCode = 302;
          response.setHeader('location', location);
          response.end();
          return;
        }
      }
      const lookalike = options.lookalike;
      if (endpoint === 'token') {
        await tokenEndpoint(
          {
            faults: options.faults,
            forger: forger as IdTokenForger,
            handler: run,
            rotateRefresh,
            ...(lookalike
              ? {
                  translateRequest: (body: Buffer, headers: IncomingMessage['headers']) => lookalike.tokenRequest(body, headers),
                  shapeAnswer: (answer: CaughtAnswer, request: { headers: IncomingMessage['headers'] }) => lookalike.tokenAnswer(answer, request, origin ?? ''),
                }
              : {}),
          },
          raw,
          response,
        );
        return;
      }
      if (endpoint === 'authorization' || endpoint === 'resume') {
        await throughProvider(run, raw, response, (answer) => rewriteAuthorizationResponse(options.faults, answer, lookalike ? (url) => lookalike.authorizationResponse(url) : undefined));
        return;
      }
      if (endpoint === 'introspection' || endpoint === 'revocation' || endpoint === 'device-authorization') {
        const normalized = await withClientAuthAsBasic(raw, response);
        if (!normalized) return;
        if (endpoint === 'device-authorization' && options.autoApprove) {
          await throughProvider(run, normalized, response, (answer) => {
            approveDeviceBySelf(answer.status, answer.body);
            return answer;
          });
          return;
        }
        run(normalized, response);
        return;
      }
      run(raw, response);
    }

    /** RFC 8628 §3.3 done by the sandbox itself: the user code entered and approved on its own pages. */
    function approveDeviceBySelf(status: number, body: Buffer): void {
      if (status !== 200) return;
      let answer: { user_code?: unknown; verification_uri?: unknown; verification_uri_complete?: unknown };
      try {
        answer = JSON.parse(body.toString('utf8')) as typeof answer;
      } catch {
        return;
      }
      const page = typeof answer.verification_uri_complete === 'string' ? answer.verification_uri_complete : answer.verification_uri;
      if (typeof page !== 'string' || typeof answer.user_code !== 'string') return;
      // After the answer has gone: the client polls while the sandbox approves.
      setImmediate(() => {
        autoApproveDevice(page, answer.user_code as string, users.defaultUser, { [APPROVAL_HEADER]: approvalMark }).catch(() => undefined);
      });
    }

    /**
     * The authorization request approved by the sandbox (auto-approval): its own user agent signs
     * in (the login_hint when it names a user who may sign in, else the default user) and
     * consents, and the client's request is answered with the redirect back. Undefined when that
     * fails (an unknown client, a wrong redirect_uri): the request then goes to oidc-provider,
     * which shows why.
     */
    async function approveBySelf(raw: IncomingMessage & { originalUrl?: string }, selfOrigin: string): Promise<string | undefined> {
      const url = new URL(raw.originalUrl ?? raw.url ?? '/', selfOrigin);
      const hint = url.searchParams.get('login_hint') ?? '';
      const login = USER_NAME.test(hint) && users.claims(hint) ? hint : users.defaultUser;
      try {
        return await approveAuthorizationRequest(url.toString(), login, { [APPROVAL_HEADER]: approvalMark });
      } catch {
        return undefined;
      }
    }

    if (mock?.lookalike) {
      const lookalike = mock.lookalike;
      await app.register(async (routes) => {
        routes.removeAllContentTypeParsers();
        routes.addContentTypeParser('*', (_request, _payload, done) => done(null));
        for (const route of lookalike.routes) {
          const handle = async (request: { raw: IncomingMessage; url: string }, reply: FastifyReply) => {
            if (!handler) throw new Error('the sandbox is not started yet');
            hijackWithHeaders(request.raw, reply);
            await lookalikeRequest(mock, lookalike, route, request.raw as IncomingMessage & { originalUrl?: string }, reply.raw);
          };
          if (route.endpoint === 'api') routes.all(`${route.path}/*`, handle);
          else routes.route({ method: route.method, url: route.path || '/', handler: handle });
        }
      });
    }

    /** oidc-provider's own paths for the look-alike's forwarded endpoints. */
    const FORWARDED: Partial<Record<LookalikeRoute['endpoint'], string>> = {
      token: '/token',
      introspect: '/token/introspection',
      device: '/device/auth',
      discovery: '/.well-known/openid-configuration',
      jwks: '/jwks',
    };

    /** A request to one of the look-alike's URLs (./lookalike.ts). */
    async function lookalikeRequest(options: MockOptions, lookalike: Lookalike, route: LookalikeRoute, raw: IncomingMessage & { originalUrl?: string }, response: ServerResponse): Promise<void> {
      const url = new URL(raw.url ?? '/', 'http://sandbox.invalid');
      if (route.endpoint === 'authorize') {
        // The sandbox's own authorization endpoint, asked the standard way.
        response.statusCode = 302;
        response.setHeader('location', `${SANDBOX_PATH}/auth?${lookalike.authorizationQuery(url.searchParams).toString()}`);
        response.end();
        return;
      }
      if (oauth1 && (route.endpoint === 'request-token' || route.endpoint === 'access-token' || route.endpoint === 'oauth1-authorize' || route.endpoint === 'oauth1-return')) {
        await oauth1Request(options, lookalike, oauth1, route.endpoint, raw, response, url);
        return;
      }
      if (route.endpoint === 'par') {
        // RFC 9126 §2: oidc-provider's PAR endpoint, the client authenticated as at the token endpoint.
        raw.url = `/request${url.search}`;
        raw.originalUrl = `${SANDBOX_PATH}${raw.url}`;
        const normalized = await withClientAuthAsBasic(raw, response, true);
        if (normalized) await mockForward(options, normalized, response);
        return;
      }
      const forwarded = FORWARDED[route.endpoint];
      if (forwarded !== undefined) {
        raw.url = `${forwarded}${url.search}`;
        raw.originalUrl = `${SANDBOX_PATH}${raw.url}`;
        await mockForward(options, raw, response);
        return;
      }
      // The profile, the API and the revocation are the look-alike's own: the token where the
      // description sends it, looked up in oidc-provider's records.
      if (await transportFault(options.faults, raw, response)) return;
      const body = await readBody(raw, 64 * 1024);
      if (route.endpoint === 'revoke') {
        const value = revokedToken(lookalike, raw, url.searchParams, body === 'too-large' ? Buffer.alloc(0) : body);
        const provider = requireProvider();
        for (const model of [provider.AccessToken, provider.RefreshToken]) {
          const found = value ? await model.find(value) : undefined;
          if (found) await found.destroy();
        }
        sendJson(response, 200, {});
        return;
      }
      let accountId: string | undefined;
      if (oauth1 && /^OAuth\s/i.test(String(raw.headers.authorization ?? ''))) {
        // RFC 5849 §3: a request signed with token credentials.
        try {
          const params = oauth1.verify(arrived(lookalike, raw, url, body === 'too-large' ? Buffer.alloc(0) : body), 'token');
          accountId = oauth1.accountOf(params.oauth_token!);
        } catch (error) {
          if (!(error instanceof OAuth1Problem)) throw error;
          sendProblem(response, error);
          return;
        }
      } else {
        const value = lookalike.accessToken(raw.headers, url.searchParams);
        accountId = (value ? await requireProvider().AccessToken.find(value) : undefined)?.accountId;
      }
      const claims = accountId ? users.claims(accountId) : undefined;
      if (!claims) {
        response.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        sendJson(response, 401, { error: 'invalid_token', error_description: 'the access token is unknown, expired or revoked, or not where this provider expects it' });
        return;
      }
      if (route.endpoint === 'profile') {
        sendJson(response, 200, lookalike.profile(claims));
        return;
      }
      sendJson(response, 200, {
        method: raw.method,
        path: url.pathname.slice(route.path.length) || '/',
        query: url.search,
        body: body === 'too-large' || body.length === 0 ? null : body.toString('utf8'),
        sub: claims.sub,
      });
    }

    /** The request as an OAuth 1.0a signature covers it: the URL it arrived at, and the provider's own for the same path. */
    function arrived(lookalike: Lookalike, raw: IncomingMessage, url: URL, body: Buffer): ArrivedRequest {
      const received = `http://${String(raw.headers.host ?? '')}${url.pathname}${url.search}`;
      const providers = lookalike.providerUrl(url.pathname);
      return { method: raw.method ?? 'GET', urls: providers ? [received, `${providers}${url.search}`] : [received], headers: raw.headers, body };
    }

    /**
     * An OAuth 1.0a look-alike (RFC 5849 §2): temporary credentials for a signed request, the
     * user's approval through the sandbox's own sign-in (an authorization request of its own, the
     * temporary token as its state, coming back to OAUTH1_RETURN_PATH), token credentials for the
     * verifier. The back-channel steps take the transport faults, and invalid-grant.
     */
    async function oauth1Request(
      options: MockOptions,
      lookalike: Lookalike,
      server: OAuth1Server,
      endpoint: 'request-token' | 'access-token' | 'oauth1-authorize' | 'oauth1-return',
      raw: IncomingMessage,
      response: ServerResponse,
      url: URL,
    ): Promise<void> {
      if (endpoint === 'oauth1-authorize') {
        const token = url.searchParams.get('oauth_token') ?? '';
        const challenge = server.codeChallenge(token);
        if (challenge === undefined) {
          sendHtml(response, 400, errorPage('This request token is unknown or expired; start the sign-in again from the app.', responseNonces.get(raw) ?? { script: '', style: '' }));
          return;
        }
        const query = new URLSearchParams({
          client_id: SANDBOX_CLIENT_ID,
          response_type: 'code',
          scope: 'openid',
          redirect_uri: `${origin ?? ''}${OAUTH1_RETURN_PATH}`,
          state: token,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        });
        redirect(response, `${SANDBOX_PATH}/auth?${query.toString()}`);
        return;
      }
      if (endpoint === 'oauth1-return') {
        const token = url.searchParams.get('state') ?? '';
        const pending = server.pending(token);
        if (!pending) {
          sendHtml(response, 400, errorPage('This sign-in has expired or was already answered; start it again from the app.', responseNonces.get(raw) ?? { script: '', style: '' }));
          return;
        }
        const code = url.searchParams.get('code');
        const found = code ? await requireProvider().AuthorizationCode.find(code) : undefined;
        if (found) await found.destroy();
        // Only a fresh code issued to this very return address counts (oidc-provider's find skips expired ones).
        const ours = found !== undefined && !found.consumed && found.clientId === SANDBOX_CLIENT_ID && found.redirectUri === `${origin ?? ''}${OAUTH1_RETURN_PATH}`;
        const verifier = ours && found.accountId ? server.approve(token, found.accountId) : undefined;
        if (verifier === undefined) server.deny(token);
        if (pending.callback === 'oob') {
          // §2.1 "oob": the user copies the verifier into the app by hand.
          sendHtml(response, 200, messagePage('OAuth verifier', verifier ? `Enter this verifier in the app: ${verifier}` : 'Access was denied.', responseNonces.get(raw) ?? { script: '', style: '' }));
          return;
        }
        // §2.2: back to the callback with the token and its verifier; Twitter's denied=<token> otherwise.
        const back = new URL(pending.callback);
        if (verifier === undefined) back.searchParams.set('denied', token);
        else {
          back.searchParams.set('oauth_token', token);
          back.searchParams.set('oauth_verifier', verifier);
        }
        redirect(response, back.toString());
        return;
      }
      if (await transportFault(options.faults, raw, response)) return;
      const body = await readBody(raw, 64 * 1024);
      try {
        if (body === 'too-large') throw new OAuth1Problem('parameter_rejected', 'the request body is larger than 64 KiB', 400);
        const request = arrived(lookalike, raw, url, body);
        if (endpoint === 'request-token') {
          const params = server.verify(request, 'client');
          const callback = params.oauth_callback ?? '';
          // As the mock's OAuth 2 client: any loopback callback (RFC 8252 §7.3), or oob.
          if (callback !== 'oob' && !isLoopbackRedirect(callback)) {
            throw new OAuth1Problem('parameter_rejected', 'oauth_callback must be a loopback URL (http://127.0.0.1:PORT/…) or "oob"', 400, { oauth_parameters_rejected: 'oauth_callback' });
          }
          const issued = server.issueTemporary(callback);
          sendForm(response, 200, { oauth_token: issued.token, oauth_token_secret: issued.secret, oauth_callback_confirmed: 'true' });
          return;
        }
        const params = server.verify(request, 'temporary');
        if (options.faults.take('invalid-grant')) throw new OAuth1Problem('token_rejected', 'the request token was refused (sandbox fault invalid-grant)');
        const issued = server.exchange(params.oauth_token!, params.oauth_verifier);
        sendForm(response, 200, { oauth_token: issued.token, oauth_token_secret: issued.secret });
      } catch (error) {
        if (!(error instanceof OAuth1Problem)) throw error;
        sendProblem(response, error);
      }
    }

    function redirect(response: ServerResponse, location: string): void {
      response.statusCode = 302;
      response.setHeader('location', location);
      response.setHeader('content-length', '0');
      response.end();
    }

    function sendHtml(response: ServerResponse, status: number, html: string): void {
      const body = Buffer.from(html);
      response.statusCode = status;
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.setHeader('content-length', String(body.length));
      response.end(body);
    }

    /** RFC 5849 §2.1, §2.3: the credentials form-encoded. */
    function sendForm(response: ServerResponse, status: number, fields: Record<string, string>): void {
      const body = Buffer.from(new URLSearchParams(fields).toString());
      response.statusCode = status;
      response.setHeader('content-type', 'application/x-www-form-urlencoded');
      response.setHeader('content-length', String(body.length));
      response.end(body);
    }

    /** The Problem Reporting extension: the problem in the body and in WWW-Authenticate. */
    function sendProblem(response: ServerResponse, problem: OAuth1Problem): void {
      response.setHeader('www-authenticate', `OAuth realm="sandbox", oauth_problem="${problem.problem}"`);
      const body = Buffer.from(problem.body());
      response.statusCode = problem.status;
      response.setHeader('content-type', 'application/x-www-form-urlencoded');
      response.setHeader('content-length', String(body.length));
      response.end(body);
    }

    function sendJson(response: ServerResponse, status: number, value: unknown): void {
      const body = Buffer.from(JSON.stringify(value));
      response.statusCode = status;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.setHeader('content-length', String(body.length));
      response.end(body);
    }

    /** The token a revocation names: its form or JSON field (RFC 7009 "token", or the description's), else the bearer token. */
    function revokedToken(lookalike: Lookalike, raw: IncomingMessage, query: URLSearchParams, body: Buffer): string | undefined {
      const param = lookalike.spec.oauth2?.revoke?.tokenParam ?? 'token';
      const text = body.toString('utf8');
      let fromBody: unknown;
      if (text.trim().startsWith('{')) {
        try {
          fromBody = (JSON.parse(text) as Record<string, unknown>)[param];
        } catch {
          fromBody = undefined;
        }
      } else {
        fromBody = new URLSearchParams(text).get(param) ?? undefined;
      }
      if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
      return query.get(param) ?? lookalike.accessToken(raw.headers, query);
    }

    // Everything else under /sandbox is oidc-provider itself, reading its own request bodies.
    // (The mTLS listener sends its requests to toProvider too.)
    await app.register(async (passthrough) => {
      passthrough.removeAllContentTypeParsers();
      passthrough.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const forward = async (request: { raw: IncomingMessage }, reply: FastifyReply) => {
        if (!handler) throw new Error('the sandbox is not started yet');
        hijackWithHeaders(request.raw, reply);
        await toProvider(request.raw, reply.raw);
      };
      passthrough.all(`${SANDBOX_PATH}/*`, forward);
      passthrough.all(SANDBOX_PATH, forward);
    });
  };

  /** A request for oidc-provider (from the broker's /sandbox routes, or the mTLS listener). */
  async function toProvider(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!handler) throw new Error('the sandbox is not started yet');
    // oidc-provider derives its mount path from originalUrl (the issuer's /sandbox prefix).
    const raw = request as IncomingMessage & { originalUrl?: string };
    raw.originalUrl = raw.url;
    raw.url = (raw.url ?? '/').slice(SANDBOX_PATH.length) || '/';
    if (!mock) {
      handler(raw, response);
      return;
    }
    if (!forwardMock) throw new Error('the sandbox is not mounted yet');
    await forwardMock(mock, raw, response);
  }

  /**
   * RFC 8705: the mTLS listener, https on a loopback port of its own (the broker stays plain http):
   * it asks every client for a certificate (requestCert) and verifies it against the sandbox's CA,
   * but lets an unverified one through (rejectUnauthorized: false) so that a self-signed certificate
   * reaches self_signed_tls_client_auth; oidc-provider reads the certificate from the socket. It
   * serves /sandbox/* only, and never keeps the process alive by itself.
   */
  async function startMtls(): Promise<string> {
    const server = createHttpsServer(
      { cert: certificates.server.cert, key: certificates.server.key, ca: certificates.ca, requestCert: true, rejectUnauthorized: false },
      (request, response) => {
        const path = request.url ?? '/';
        if (path !== SANDBOX_PATH && !path.startsWith(`${SANDBOX_PATH}/`)) {
          response.statusCode = 404;
          response.end();
          return;
        }
        toProvider(request, response).catch(() => {
          if (!response.headersSent) response.statusCode = 503;
          response.end();
        });
      },
    );
    server.on('secureConnection', (socket: Socket) => socket.unref());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    mtlsServer = server;
    return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  return {
    plugin,
    clientId: SANDBOX_CLIENT_ID,
    certificates,
    get mtlsOrigin() {
      return mtlsOrigin;
    },
    async close() {
      const server = mtlsServer;
      mtlsServer = undefined;
      mtlsOrigin = undefined;
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    clientSecret: keys.clientSecret,
    signingKeyId: keys.signingKey.kid,
    clientKey,
    get issuer() {
      return issuer;
    },
    async start(brokerOrigin: string) {
      issuer = sandboxIssuer(brokerOrigin);
      origin = brokerOrigin;
      if (mock?.faults.has('rotate-keys')) signingKey = await newSigningKey();
      mtlsOrigin ??= await startMtls();
      await restart();
    },
  };
}

function requestedScopes(details: Interaction): string[] {
  return (details.params.scope ?? '').split(' ').filter(Boolean);
}

async function grantFor(oidc: OidcProvider, details: Interaction): Promise<Grant> {
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent without a signed-in user');
  const existing = details.grantId ? await oidc.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new oidc.Grant({ accountId, clientId: details.params.client_id ?? '' });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

function isLoopbackRedirect(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname) && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/**
 * Where the sandbox's client (the broker) may be sent back. On loopback, RFC 8252 §7.3: the port
 * is left out of the comparison (oidc-provider does this for `application_type: native` and a
 * registered `http://127.0.0.1/auth`), so a sandbox whose records outlive the process accepts
 * the broker on whatever port a later `login sandbox --port` or `serve --sandbox` binds. Any other
 * origin (`serve --public-url`) is registered exactly.
 */
function redirectRegistration(brokerOrigin: string): { application_type: 'native' | 'web'; redirect_uris: string[] } {
  const url = new URL(brokerOrigin);
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname)) {
    return { application_type: 'native', redirect_uris: LOOPBACK_HOSTS.map((host) => `http://${host}/auth`) };
  }
  return { application_type: 'web', redirect_uris: [`${brokerOrigin}/auth`] };
}

async function createProvider(
  issuer: string,
  brokerOrigin: string,
  keys: SandboxKeys,
  signingKey: JWK,
  options: SandboxOptions,
  users: SandboxUsers,
  rotateRefresh: WeakSet<IncomingMessage>,
  clientKey: JWK,
  approvals: BackchannelApprovals,
  decideBySelf: ((pending: PendingBackchannel) => void) | undefined,
  certificates: SandboxCertificates,
  mtlsOrigin: string | undefined,
): Promise<OidcProvider> {
  const { default: Provider, errors: oidcErrors } = (await import('oidc-provider')) as unknown as {
    default: new (issuer: string, configuration: object) => OidcProvider;
    errors: Parameters<typeof registerTokenExchange>[1];
  };
  type RarContext = { oidc: { params: { authorization_details?: string }; authorizationCode?: { rar?: unknown[] }; refreshToken?: { rar?: unknown[] } } };
  type KoaContext = { type: string; body: string; status: number; req: IncomingMessage; oidc?: { client?: { clientId: string } } };
  const send = (ctx: KoaContext, page: (nonces: Nonces) => string) => {
    ctx.type = 'html';
    ctx.body = page(responseNonces.get(ctx.req) ?? { script: randomToken(16), style: randomToken(16) });
  };

  const { d: _d, ...clientPublicKey } = clientKey;
  const selfSignedCertificates = [certificates.selfSigned.cert, ...(await readRegisteredCertificates(options.dir)).map((entry) => entry.cert)];
  const client = (method: keyof typeof SANDBOX_CLIENTS, metadata: object) => ({
    client_id: SANDBOX_CLIENTS[method],
    ...redirectRegistration(brokerOrigin),
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', TOKEN_EXCHANGE_GRANT, CIBA_GRANT],
    // OpenID CIBA Core §4: poll mode (no notification endpoint of the client's).
    backchannel_token_delivery_mode: 'poll',
    response_types: ['code'],
    token_endpoint_auth_method: method,
    scope: [...SANDBOX_SCOPES, ...SANDBOX_RESOURCE_SCOPES].join(' '),
    authorization_details_types: SANDBOX_RAR_TYPES,
    // The sandbox client key's public half: it verifies private_key_jwt assertions and request objects (RFC 9101).
    jwks: { keys: [clientPublicKey] },
    ...metadata,
  });
  const configuration = {
    adapter: fileAdapter(recordsDir(options.dir), issuer),
    jwks: { keys: [signingKey] },
    cookies: { keys: keys.cookieKeys },
    // One client per authentication method (RFC 6749 §2.3, RFC 7523), the first the default.
    clients: [
      client('client_secret_basic', { client_secret: keys.clientSecret }),
      client('client_secret_post', { client_secret: keys.clientSecret }),
      client('client_secret_jwt', { client_secret: keys.clientSecret }),
      client('private_key_jwt', {}),
      // A public client has no credentials to prove, so no grant without a user (RFC 6749 §4.4).
      // CIBA Core §7.1: the client MUST authenticate at the backchannel endpoint, so not this one either.
      client('none', { grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', TOKEN_EXCHANGE_GRANT] }),
      // RFC 8705 §2.1: a certificate from the sandbox's CA with this subject; §2.2: the registered
      // self-signed certificate (its x5c key, matched by thumbprint). Their tokens are bound (§3).
      client('tls_client_auth', { tls_client_auth_subject_dn: SANDBOX_CLIENT_SUBJECT, tls_client_certificate_bound_access_tokens: true }),
      // The user's own certificates registered in the sandbox folder (`sandbox --register-cert`) are keys of it too.
      client('self_signed_tls_client_auth', {
        jwks: { keys: [clientPublicKey, ...(await Promise.all(selfSignedCertificates.map(async (pem) => ({ ...(await certificateJwk(pem)), x5c: [x5cOf(pem)] }))))] },
        tls_client_certificate_bound_access_tokens: true,
      }),
    ],
    // Every method a client of the sandbox registers (node-oidc-provider's default list has no mTLS).
    clientAuthMethods: Object.keys(SANDBOX_CLIENTS),
    scopes: [...SANDBOX_SCOPES, ...SANDBOX_RESOURCE_SCOPES],
    // OIDC Core §5.4's claims by scope; the claims of a users file beyond those come with openid.
    claims: { ...SCOPE_CLAIMS, openid: [...(SCOPE_CLAIMS.openid ?? []), ...users.extraClaims] },
    findAccount: async (_ctx: unknown, id: string) => {
      const claims = users.claims(id);
      return claims ? { accountId: id, claims: async () => claims } : undefined;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${SANDBOX_PATH}/interaction/${interaction.uid}` },
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      // Modern OAuth (docs/modern-oauth.md): PAR (RFC 9126, node-oidc-provider's default, said
      // here), DPoP (RFC 9449: a client that sends a proof gets a bound token).
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      dPoP: { enabled: true },
      // RFC 8705 on the mTLS listener (mtlsOrigin): the certificate is the TLS socket's (none on
      // the plain broker's), verified by the handshake against the sandbox's CA for tls_client_auth.
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx: KoaContext) => peerCertificate(ctx.req),
        certificateAuthorized: (ctx: KoaContext) => (ctx.req.socket as Partial<TLSSocket>).authorized === true,
        certificateSubjectMatches: (ctx: KoaContext, property: string, expected: string) =>
          property === 'tls_client_auth_subject_dn' && peerCertificate(ctx.req)?.subject.split('\n').join(',') === expected,
      },
      // RFC 9101 request objects by value (and pushed), JARM responses (response_mode=jwt).
      requestObjects: { request: true, requireSignedRequestObject: false },
      jwtResponseModes: { enabled: true },
      // RFC 8707: any absolute URI is a resource here; its access token is a JWT for that audience.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => ({
          scope: SANDBOX_RESOURCE_SCOPES.join(' '),
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
      // RFC 9396 (node-oidc-provider marks it experimental): the details asked are the details granted.
      richAuthorizationRequests: {
        enabled: true,
        ack: 'experimental-01',
        types: Object.fromEntries(SANDBOX_RAR_TYPES.map((type) => [type, { validate: () => undefined }])),
        rarForAuthorizationCode: (ctx: RarContext) => (ctx.oidc.params.authorization_details ? (JSON.parse(ctx.oidc.params.authorization_details) as unknown[]) : undefined),
        rarForCodeResponse: (ctx: RarContext) => ctx.oidc.authorizationCode?.rar,
        rarForRefreshTokenResponse: (ctx: RarContext) => ctx.oidc.refreshToken?.rar,
        rarForIntrospectionResponse: (_ctx: unknown, token: { rar?: unknown[] }) => token.rar,
      },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: KoaContext, form: string, _out: unknown, err: unknown) => {
          // A wrong code, a stale xsrf field or a missing session is the user's input, not a server
          // fault; oidc-provider leaves 500 on errors that carry no status of their own.
          if (err !== undefined && ctx.status >= 500) ctx.status = 400;
          send(ctx, (nonces) => deviceInputPage(form, err !== undefined, nonces));
        },
        userCodeConfirmSource: async (ctx: KoaContext, form: string, client: { clientId: string }, _info: unknown, userCode: string) =>
          send(ctx, (nonces) => deviceConfirmPage(form, client.clientId, userCode, nonces)),
        successSource: async (ctx: KoaContext) => send(ctx, deviceDonePage),
      },
      // OpenID CIBA Core 1.0, poll mode; the user approves on the sandbox's page (./ciba.ts).
      ciba: cibaFeature(approvals, users, issuer, oidcErrors as unknown as Parameters<typeof cibaFeature>[3], decideBySelf),
      // RFC 7591 dynamic registration, open (no initial access token); RFC 7592 to read, update and
      // delete a registered client with its registration access token. Registered clients are kept
      // in the data folder with the other records.
      registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: true },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContext, form: string) => send(ctx, (nonces) => logoutPage(form, nonces)),
        postLogoutSuccessSource: async (ctx: KoaContext) => send(ctx, (nonces) => messagePage('Signed out', 'You are signed out of the sandbox.', nonces)),
      },
    },
    issueRefreshToken: async () => true,
    rotateRefreshToken: (ctx: KoaContext) => options.rotateRefreshTokens === true || rotateRefresh.has(ctx.req),
    clientBasedCORS: () => false,
    renderError: async (ctx: KoaContext, out: { error?: string; error_description?: string }) =>
      send(ctx, (nonces) => messagePage('Sandbox error', `${out.error ?? 'error'}: ${out.error_description ?? ''}`, nonces)),
    // RFC 8705 §5: where a client showing its certificate calls.
    ...(mtlsOrigin !== undefined ? { discovery: { mtls_endpoint_aliases: sandboxMtlsAliases(mtlsOrigin) } } : {}),
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? ONE_HOUR,
      AuthorizationCode: 60,
      ClientCredentials: ONE_HOUR,
      DeviceCode: 600,
      IdToken: ONE_HOUR,
      RefreshToken: 14 * 24 * ONE_HOUR,
      Interaction: ONE_HOUR,
      Session: 14 * 24 * ONE_HOUR,
      Grant: 14 * 24 * ONE_HOUR,
      BackchannelAuthenticationRequest: 600,
    },
  };
  const lookalike = options.mock?.lookalike;
  if (lookalike) {
    // The description's scopes are known to oidc-provider (granted and echoed back), PKCE is
    // required only where the provider requires it, refresh tokens only where it issues them.
    const scopes = [...new Set([...SANDBOX_SCOPES, ...lookalike.scopes])];
    Object.assign(configuration, {
      scopes,
      pkce: { methods: ['S256'], required: () => lookalike.pkceRequired },
      issueRefreshToken: async () => lookalike.issuesRefreshTokens,
      // RFC 9126 §5: a provider that takes only pushed requests refuses the others here too.
      clients: configuration.clients.map((client) => ({ ...client, scope: scopes.join(' '), ...(lookalike.requirePar ? { require_pushed_authorization_requests: true } : {}) })),
    });
  }
  const provider = new Provider(lookalike?.issuer ?? issuer, configuration);
  // RFC 8693, a grant node-oidc-provider does not ship: ./token-exchange.ts.
  registerTokenExchange(provider as unknown as Parameters<typeof registerTokenExchange>[0], oidcErrors);
  if (options.mock) {
    // RFC 8252 §7.3, for any app under test: any loopback redirect URI, any port, any path.
    const registered = provider.Client.prototype.redirectUriAllowed;
    provider.Client.prototype.redirectUriAllowed = function (this: unknown, value: string) {
      return registered.call(this, value) || isLoopbackRedirect(value);
    };
  }
  return provider;
}

/** The client certificate of a request over the mTLS listener; undefined on the plain broker. */
function peerCertificate(request: IncomingMessage): X509Certificate | undefined {
  const socket = request.socket as Partial<TLSSocket>;
  return typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
}

/** The public JWK of a PEM certificate's key (the x5c key the self_signed_tls_client_auth client registers). */
async function certificateJwk(pem: string): Promise<JWK> {
  const { exportJWK } = await import('jose');
  return exportJWK(new X509Certificate(pem).publicKey);
}
