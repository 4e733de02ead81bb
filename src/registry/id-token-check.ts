/**
 * The id_token step shared by every grant that can return one (authorization code, device code):
 * verify it against the provider's issuer and keys before anything is delivered (OIDC Core
 * §3.1.3.7), or refuse when it cannot be verified but was asked for.
 */
import { validateIdToken } from '../oauth/oidc/id-token.js';
import type { TokenSet } from '../oauth/token-response.js';
import { TokenRejectedError } from '../oauth/errors.js';
import type { FlowSuccess } from '../oauth/outcome.js';
import type { OpenIdRuntime } from './types.js';

export interface IdTokenExpectation {
  clientId: string;
  /** The nonce sent in the authorization request (code flow only). */
  nonce?: string;
  /** Whether openid was asked: then an id_token must come back. */
  openidAsked: boolean;
  /** Milliseconds since the epoch. */
  now: number;
}

export async function checkIdToken(token: TokenSet, openid: OpenIdRuntime | undefined, expect: IdTokenExpectation): Promise<FlowSuccess['idToken']> {
  if (token.id_token === undefined) {
    if (expect.openidAsked && openid) {
      throw new TokenRejectedError('openid was asked but no id_token came back', 'id_token_missing');
    }
    return undefined;
  }
  if (!openid) {
    if (expect.nonce !== undefined) {
      throw new TokenRejectedError('an id_token came back, but no issuer is known to verify it', 'id_token_unverifiable');
    }
    return undefined;
  }
  const verified = await validateIdToken(token.id_token, {
    issuer: openid.issuer,
    acceptIssuers: (claims) => openid.acceptIssuers(claims as Record<string, unknown>),
    clientId: expect.clientId,
    keys: openid.keys,
    accessToken: token.access_token,
    now: Math.floor(expect.now / 1000),
    ...(expect.nonce !== undefined ? { nonce: expect.nonce } : {}),
    ...(openid.metadata.id_token_signing_alg_values_supported ? { allowedAlgorithms: openid.metadata.id_token_signing_alg_values_supported } : {}),
  });
  return { claims: verified.claims as Record<string, unknown>, checks: verified.checks };
}
