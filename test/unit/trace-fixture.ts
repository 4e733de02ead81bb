// A small authorization server on 127.0.0.1 for the trace tests, and one flow's worth of secrets.
// The token endpoint answers with every kind of secret (tokens, a session cookie) and records what
// it received, so tests can compare a replayed curl command with the original request.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fetchClient } from '../../src/oauth/http.js';
import { authorizationUrl, exchangeCode, refreshAccessToken, type TokenEndpoint } from '../../src/oauth/oauth2.js';
import { s256 } from '../../src/oauth/pkce.js';
import { base64Url } from '../../src/util/form-encoding.js';
import { flowChecks } from '../../src/trace/checks.js';
import type { Transcript } from '../../src/trace/transcript.js';
import type { FlowSuccess } from '../../src/oauth/outcome.js';
import { freePort } from '../helpers/ports.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface TokenServer {
  origin: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/** Distinct values, each long enough to be learned (>= 8 characters). */
export function flowSecrets() {
  return {
    // Characters that RFC 6749 §2.3.1 form-encodes before Basic: +, /, =, &, space.
    clientSecret: `s3cr+t/=${randomBytes(8).toString('hex')}& x`,
    code: token('code-'),
    state: base64Url(token('state-')),
    nonce: base64Url(token('nonce-')),
    verifier: randomBytes(32).toString('base64url'),
    accessToken: token('at-'),
    refreshToken: token('rt-'),
    idToken: `eyJhbGciOiJSUzI1NiJ9.${randomBytes(30).toString('base64url')}.${randomBytes(40).toString('base64url')}`,
    sessionCookie: token('sess-'),
  };
}

export type FlowSecrets = ReturnType<typeof flowSecrets>;

/** Every form a secret could leak in: as is, percent-encoded, form-encoded, JSON-escaped. */
export function leakForms(secrets: FlowSecrets): string[] {
  const forms = new Set<string>();
  for (const value of Object.values(secrets)) {
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  return [...forms];
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTokenServer(secrets: FlowSecrets): Promise<TokenServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    received.push({ method: request.method ?? '', path: request.url ?? '', headers, body });
    if (request.url?.startsWith('/token')) {
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'set-cookie': `sid=${secrets.sessionCookie}; Path=/; HttpOnly; Secure`,
      });
      // The unusual field order puts a token under an innocent name before its secret name.
      response.end(
        JSON.stringify({
          note: `issued ${secrets.accessToken}`,
          access_token: secrets.accessToken,
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: secrets.refreshToken,
          id_token: secrets.idToken,
          scope: 'openid profile',
          error_info: { code: 190 },
        }),
      );
      return;
    }
    if (request.url?.startsWith('/reused')) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'invalid_grant', error_description: `the code ${secrets.code} was already used` }));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// One traced flow, through the real protocol code: the authorization URL of oauth2.ts, the token
// requests of exchangeCode/refreshAccessToken over the real fetch client, and the checks.

export const CLIENT_ID = 'my client@example';
export const REDIRECT_URI = 'http://127.0.0.1:4999/auth';

function endpoint(origin: string, clientAuth: TokenEndpoint['clientAuth'], body: 'form' | 'json' = 'form'): TokenEndpoint {
  return { tokenUrl: `${origin}/token`, clientAuth, tokenParams: {}, tokenHeaders: {}, tokenRequestBody: body, tokenResponse: {} };
}

/** Runs every kind of step through `transcript`; returns nothing, the transcript holds it all. */
export async function runTracedFlow(transcript: Transcript, server: TokenServer, secrets: FlowSecrets): Promise<void> {
  const http = fetchClient({ observe: transcript.observer, timeoutMs: 5_000 });
  const client = { clientId: CLIENT_ID, clientSecret: secrets.clientSecret };

  transcript.authorizationRequest(
    authorizationUrl(
      { authorizeUrl: `${server.origin}/authorize?prompt=consent`, scopeSeparator: ' ', scopeParam: 'scope', authorizeParams: {} },
      {
        clientId: CLIENT_ID,
        redirectUri: REDIRECT_URI,
        state: secrets.state,
        scopes: ['openid', 'profile'],
        pkce: { verifier: secrets.verifier, challenge: s256(secrets.verifier), method: 'S256' },
        nonce: secrets.nonce,
      },
    ),
  );
  transcript.authorizationResponse({ method: 'GET', url: `${REDIRECT_URI}?code=${encodeURIComponent(secrets.code)}&state=${secrets.state}` });

  // client_secret_basic, then client_secret_post with a JSON body, then a refresh.
  await exchangeCode(http, endpoint(server.origin, 'client_secret_basic'), client, secrets.code, REDIRECT_URI, secrets.verifier);
  await exchangeCode(http, endpoint(server.origin, 'client_secret_post', 'json'), client, secrets.code, REDIRECT_URI, secrets.verifier);
  await refreshAccessToken(http, { ...endpoint(server.origin, 'client_secret_post'), refreshUrl: `${server.origin}/token?refresh=1` }, client, secrets.refreshToken);
  // A provider error that echoes the code, and a request to a port where nobody listens.
  await exchangeCode(http, { ...endpoint(server.origin, 'client_secret_post'), tokenUrl: `${server.origin}/reused` }, client, secrets.code, REDIRECT_URI, undefined).catch(() => undefined);
  await http({ method: 'GET', url: `http://127.0.0.1:${await freePort()}/userinfo`, headers: { authorization: `Bearer ${secrets.accessToken}` }, purpose: 'userinfo' }).catch(() => undefined);

  const outcome: FlowSuccess = {
    ok: true,
    facts: { provider: 'fixture', protocol: 'oauth2',
    grant: 'authorization_code', redirectUri: REDIRECT_URI, scopes: ['openid', 'profile'], stateLength: secrets.state.length, pkceMethod: 'S256', verifierLength: secrets.verifier.length, nonceSent: true },
    token: { access_token: secrets.accessToken, token_type: 'Bearer', extra: {} },
    raw: {},
    deviations: [],
    idToken: { claims: {}, checks: [{ name: 'nonce', ok: true, detail: `= ${JSON.stringify(secrets.nonce)}`, source: 'OIDC Core §3.1.3.7 step 11' }] },
    obtainedAt: Date.now(),
  };
  transcript.checks(flowChecks(outcome));
}
