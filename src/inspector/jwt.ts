/**
 * A JWT as the inspector shows it (RFC 7519): its header and claims decoded, and what the flow's
 * id_token checks said of its signature (OIDC Core §3.1.3.7 steps 6-7, made against the issuer's
 * JWKS by src/oauth/oidc/id-token.ts), with the key it names. The token itself is not in the view.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { TraceCheck } from '../trace/checks.js';

export interface JwtView {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** verified / failed against the issuer's JWKS, or not checked (an access token, RFC 9068 §4: the API's business). */
  signature: { status: 'verified' | 'failed' | 'unchecked'; detail: string };
  kid?: string;
  alg?: string;
}

export function decodeJwtView(token: string, checks: readonly TraceCheck[]): JwtView | undefined {
  // A JWS in compact serialization has three dot-separated parts (RFC 7515 §7.1).
  if (token.split('.').length !== 3) return undefined;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = { ...decodeProtectedHeader(token) };
    claims = { ...decodeJwt(token) };
  } catch {
    return undefined;
  }
  const signature = checks.find((check) => check.name === 'id_token signature');
  const alg = checks.find((check) => check.name === 'id_token alg');
  const view: JwtView = {
    header,
    claims,
    signature: signature
      ? { status: signature.ok ? 'verified' : 'failed', detail: signature.detail }
      : alg && !alg.ok
        ? { status: 'failed', detail: `not verified: alg ${alg.detail}` }
        : { status: 'unchecked', detail: 'not verified by the broker (an access token is for the API to check)' },
  };
  if (typeof header.kid === 'string') view.kid = header.kid;
  if (typeof header.alg === 'string') view.alg = header.alg;
  return view;
}
