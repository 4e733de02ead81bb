/**
 * The embedded authorization server: node-oidc-provider configured as a complete, quiet OpenID
 * provider (own signing keys, own storage, own sign-in and consent pages, every default it would
 * warn about replaced), mounted on the broker's fastify instance at /sandbox.
 *
 * The issuer contains the broker's port, which is known only after `listen`; the routes are
 * registered before, and the provider is created by `start(origin)` once the port is bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import formbody from '@fastify/formbody';
import { sendPage } from '../util/html.js';
import { memoryAdapter } from './adapter.js';
import { SANDBOX_CLIENT_ID, SANDBOX_PATH, SANDBOX_SCOPES, sandboxIssuer } from './spec.js';
import { consentPage, deviceConfirmPage, deviceInputPage, errorPage, logoutPage, messagePage, signInPage } from './pages.js';
import { randomToken } from '../oauth/random.js';

/** The slice of oidc-provider's API the sandbox uses (the package ships no types). */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: GrantConstructor;
  proxy: boolean;
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
  /** Behaviour switches for tests and fault drills; all off by default. */
  rotateRefreshTokens?: boolean;
  accessTokenTtlSeconds?: number;
}

export interface Sandbox {
  /** Registers /sandbox routes; call before listen. */
  plugin: FastifyPluginAsync;
  /** Creates the provider for the broker's origin (known after listen). */
  start(brokerOrigin: string): Promise<void>;
  readonly issuer: string | undefined;
  readonly clientId: string;
  /** A per-process client secret; the broker uses it, nothing persists it. */
  readonly clientSecret: string;
}

const ONE_HOUR = 3600;

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  let provider: OidcProvider | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let issuer: string | undefined;
  const clientSecret = randomToken();

  const requireProvider = (): OidcProvider => {
    if (!provider) throw new Error('the sandbox is not started yet');
    return provider;
  };

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    // The sign-in and consent pages: our own, small and escaped.
    await app.register(async (pages) => {
      // The broker registers the form parser at its root; a sandbox mounted elsewhere brings its own.
      if (!pages.hasContentTypeParser('application/x-www-form-urlencoded')) await pages.register(formbody);
      pages.get<{ Params: { uid: string } }>(`${SANDBOX_PATH}/interaction/:uid`, async (request, reply) => {
        const oidc = requireProvider();
        const details = await oidc.interactionDetails(request.raw, reply.raw);
        const clientId = details.params.client_id ?? '';
        return sendPage(reply, 200, (nonces) =>
          details.prompt.name === 'login' ? signInPage(details.uid, clientId, nonces) : consentPage(details.uid, clientId, requestedScopes(details), nonces),
        );
      });
      pages.post<{ Params: { uid: string }; Body: { login?: string } }>(`${SANDBOX_PATH}/interaction/:uid/login`, async (request, reply) => {
        const login = (request.body?.login ?? '').trim();
        if (!/^[A-Za-z0-9._@-]{1,64}$/.test(login)) {
          return sendPage(reply, 400, (nonces) => errorPage('Use 1–64 letters, digits, dots, dashes, underscores or @ for the user name.', nonces));
        }
        reply.hijack();
        await requireProvider().interactionFinished(request.raw, reply.raw, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      });
      pages.post<{ Params: { uid: string } }>(`${SANDBOX_PATH}/interaction/:uid/confirm`, async (request, reply) => {
        const oidc = requireProvider();
        const details = await oidc.interactionDetails(request.raw, reply.raw);
        const grant = await grantFor(oidc, details);
        const grantId = await grant.save();
        reply.hijack();
        await oidc.interactionFinished(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
      });
      pages.post<{ Params: { uid: string } }>(`${SANDBOX_PATH}/interaction/:uid/abort`, async (request, reply) => {
        reply.hijack();
        await requireProvider().interactionFinished(
          request.raw,
          reply.raw,
          { error: 'access_denied', error_description: 'The user denied the request in the sandbox.' },
          { mergeWithLastSubmission: false },
        );
      });
    });

    // Everything else under /sandbox is oidc-provider itself, reading its own request bodies.
    await app.register(async (passthrough) => {
      passthrough.removeAllContentTypeParsers();
      passthrough.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const forward = async (request: { raw: IncomingMessage }, reply: { hijack(): void; raw: ServerResponse }) => {
        if (!handler) throw new Error('the sandbox is not started yet');
        reply.hijack();
        // oidc-provider derives its mount path from originalUrl (the issuer's /sandbox prefix).
        const raw = request.raw as IncomingMessage & { originalUrl?: string };
        raw.originalUrl = raw.url;
        raw.url = (raw.url ?? '/').slice(SANDBOX_PATH.length) || '/';
        handler(raw, reply.raw);
      };
      passthrough.all(`${SANDBOX_PATH}/*`, forward);
      passthrough.all(SANDBOX_PATH, forward);
    });
  };

  return {
    plugin,
    clientId: SANDBOX_CLIENT_ID,
    clientSecret,
    get issuer() {
      return issuer;
    },
    async start(brokerOrigin: string) {
      issuer = sandboxIssuer(brokerOrigin);
      provider = await createProvider(issuer, `${brokerOrigin}/auth`, clientSecret, options);
      handler = provider.callback();
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

async function createProvider(issuer: string, redirectUri: string, clientSecret: string, options: SandboxOptions): Promise<OidcProvider> {
  const { default: Provider } = (await import('oidc-provider')) as unknown as {
    default: new (issuer: string, configuration: object) => OidcProvider;
  };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomToken(8), alg: 'RS256', use: 'sig' };
  type KoaContext = { type: string; body: string; oidc?: { client?: { clientId: string } } };
  const send = (ctx: KoaContext, body: string) => {
    ctx.type = 'html';
    ctx.body = body;
  };

  const configuration = {
    adapter: memoryAdapter(),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomToken(), randomToken()] },
    clients: [
      {
        client_id: SANDBOX_CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: SANDBOX_SCOPES.join(' '),
      },
    ],
    scopes: SANDBOX_SCOPES,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        name: `Sandbox User ${id}`,
        preferred_username: id,
        email: `${id}@sandbox.test`,
        email_verified: true,
      }),
    }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${SANDBOX_PATH}/interaction/${interaction.uid}` },
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: KoaContext, form: string, _out: unknown, err: unknown) =>
          send(ctx, deviceInputPage(form, err !== undefined)),
        userCodeConfirmSource: async (ctx: KoaContext, form: string, client: { clientId: string }, _info: unknown, userCode: string) =>
          send(ctx, deviceConfirmPage(form, client.clientId, userCode)),
        successSource: async (ctx: KoaContext) => send(ctx, messagePage('Device signed in', 'Signed in. You can return to your device.')),
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContext, form: string) => send(ctx, logoutPage(form)),
        postLogoutSuccessSource: async (ctx: KoaContext) => send(ctx, messagePage('Signed out', 'You are signed out of the sandbox.')),
      },
    },
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => options.rotateRefreshTokens === true,
    clientBasedCORS: () => false,
    renderError: async (ctx: KoaContext, out: { error?: string; error_description?: string }) =>
      send(ctx, messagePage('Sandbox error', `${out.error ?? 'error'}: ${out.error_description ?? ''}`)),
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
  const provider = new Provider(issuer, configuration);
  return provider;
}
