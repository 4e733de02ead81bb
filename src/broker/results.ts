/**
 * The result object oauthd's SDKs read: `{status, provider, state, data}`.
 *   client flow: data holds the tokens (refresh token only when the app opted in, oauthd #109);
 *   server flow: data holds only a single-use code, bound to the app, that the back end trades at
 *                POST /auth/access_token with the app secret.
 * The broker keeps nothing after this point in the client flow; in the server flow the tokens wait
 * in the store under the code until it is taken (or expires).
 */
import type { JWK } from 'jose';
import { randomToken } from '../util/random.js';
import type { TokenSet } from '../oauth/token-response.js';
import { sdkRequestDescription } from './describe.js';
import type { FlowRecord } from './flows.js';
import type { FlowOutcome, FlowSuccess } from '../oauth/outcome.js';
import type { BrokerApp, BrokerDeps } from './types.js';

export const CODE_KEY_PREFIX = 'code:';

/**
 * Where a server-flow code waits: under the app's key as well as the code, so that a back end
 * holding another app's key and secret takes nothing (and so burns nothing) when it presents a
 * code that is not its own. The app key is compared by the store's lookup, before the atomic take.
 * App keys are [A-Za-z0-9_-] (config/schema.ts) and codes base64url: the colon cannot be forged.
 */
export const codeKey = (appKey: string, code: string) => `${CODE_KEY_PREFIX}${appKey}:${code}`;

export interface OauthdResult {
  status: 'success' | 'error';
  provider: string;
  state?: string;
  message?: string;
  data?: Record<string, unknown>;
}

/** What waits under a server-flow code. */
export interface PendingExchange {
  appKey: string;
  provider: string;
  state?: string;
  token: TokenSet;
  idTokenClaims?: Record<string, unknown>;
  /** RFC 9449: the private JWK of the grant's DPoP key (dpop-keys.ts keeps it when the code is traded). */
  dpopKey?: JWK;
}

export function errorResult(provider: string, state: string | undefined, message: string): OauthdResult {
  return { status: 'error', provider, ...(state !== undefined ? { state } : {}), message };
}

export async function deliverResult(deps: BrokerDeps, app: BrokerApp, record: FlowRecord, outcome: FlowOutcome): Promise<OauthdResult> {
  if (!outcome.ok) {
    return errorResult(record.provider, record.clientState, outcome.error.message);
  }
  if (app.flow === 'server') {
    const code = randomToken();
    const pending: PendingExchange = {
      appKey: app.key,
      provider: record.provider,
      token: outcome.token,
      ...(record.clientState !== undefined ? { state: record.clientState } : {}),
      ...(outcome.idToken ? { idTokenClaims: outcome.idToken.claims } : {}),
      ...(outcome.dpop !== undefined ? { dpopKey: await outcome.dpop.privateJwk() } : {}),
    };
    await deps.store.put(codeKey(app.key, code), pending, app.codeTtlMs);
    return success(record, { code });
  }
  if (outcome.dpop !== undefined) {
    // A page has no key to make proofs with (serve refuses the client flow for DPoP keysets; this is for a provider file that says dpop).
    return errorResult(record.provider, record.clientState, 'the provider binds its tokens to a DPoP key (RFC 9449), which a page cannot hold: set the app flow to "server"');
  }
  if (record.delivery.mode === 'query') {
    // A token never travels in a URL query (it would sit in logs and histories).
    return errorResult(record.provider, record.clientState, 'redirect_type=server delivers only codes: set the app flow to "server"');
  }
  const provider = await deps.providers.get(record.provider);
  const keep = provider?.resolved.spec.oauth2?.tokenResponse?.keep ?? [];
  return success(record, {
    ...clientTokenData(outcome, app.refreshTokensToClient, keep),
    ...(provider ? { request: sdkRequestDescription(provider.resolved) } : {}),
  });
}

function success(record: FlowRecord, data: Record<string, unknown>): OauthdResult {
  return { status: 'success', provider: record.provider, ...(record.clientState !== undefined ? { state: record.clientState } : {}), data };
}

/**
 * The token fields a page receives in the client flow: the standard ones, the extra fields the
 * provider file says the API needs (`keep`), and the refresh token only when the app opted in.
 * Other extra fields stay out: they may nest a second copy of a token (Slack's authed_user).
 */
export function clientTokenData(outcome: FlowSuccess, includeRefreshToken: boolean, keep: readonly string[] = []): Record<string, unknown> {
  const { token } = outcome;
  const data: Record<string, unknown> = {};
  for (const field of keep) if (token.extra[field] !== undefined) data[field] = token.extra[field];
  if (token.token_secret !== undefined) {
    // OAuth 1.0a: the SDKs sign API calls with both halves of the token credentials.
    data.oauth_token = token.access_token;
    data.oauth_token_secret = token.token_secret;
    return data;
  }
  data.access_token = token.access_token;
  data.token_type = token.token_type;
  if (token.expires_in !== undefined) data.expires_in = token.expires_in;
  if (token.scope !== undefined) data.scope = token.scope;
  if (token.id_token !== undefined) data.id_token = token.id_token;
  if (includeRefreshToken && token.refresh_token !== undefined) data.refresh_token = token.refresh_token;
  return data;
}
