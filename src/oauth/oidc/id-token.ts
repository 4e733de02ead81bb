/**
 * ID Token validation, OpenID Connect Core 1.0 §3.1.3.7, one named check at a time so a failure
 * says which claim failed, what was expected and what came back, and verbose output can print a
 * pass/fail line per check. The signature is verified with `jose` against the issuer's JWKS.
 */
import { createHash } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { TokenRejectedError } from '../errors.js';

export interface IdTokenCheck {
  name: string;
  ok: boolean;
  detail: string;
  source: string;
}

export interface IdTokenExpectations {
  issuer: string;
  /** Other iss values the provider accepts, given the token's (signature-checked) claims. */
  acceptIssuers?: (claims: JWTPayload) => string[];
  clientId: string;
  /** The key set of the issuer (jose remote or local JWKS). */
  keys: JWTVerifyGetKey;
  /** The nonce sent in the authorization request, when one was sent. */
  nonce?: string;
  /** The access token issued with this id_token, for at_hash. */
  accessToken?: string;
  /** Algorithms the issuer advertises; RS256 is the default of §3.1.3.7 step 7. */
  allowedAlgorithms?: readonly string[];
  /** Seconds since the epoch; injectable for tests. */
  now?: number;
  /** Allowed clock skew, in seconds. */
  skewSeconds?: number;
}

export interface IdTokenResult {
  claims: JWTPayload;
  checks: IdTokenCheck[];
}

/** A refused id_token: the first failed check is the message; every check made travels along, for verbose output. */
export class IdTokenRejected extends TokenRejectedError {
  constructor(
    failed: IdTokenCheck,
    readonly checks: readonly IdTokenCheck[],
  ) {
    super(`id_token rejected: ${failed.name} ${failed.detail} (${failed.source})`, `id_token_${failed.name}`, failed.name);
  }
}

const DEFAULT_SKEW_SECONDS = 60;

export async function validateIdToken(idToken: string, expect: IdTokenExpectations): Promise<IdTokenResult> {
  const checks: IdTokenCheck[] = [];
  const check = (name: string, ok: boolean, detail: string, source: string) => checks.push({ name, ok, detail, source });

  let claims: JWTPayload;
  let alg: string | undefined;
  let kid: string | undefined;
  try {
    claims = decodeJwt(idToken);
    ({ alg, kid } = decodeProtectedHeader(idToken));
  } catch (error) {
    throw new TokenRejectedError(`the id_token is not a JWT: ${(error as Error).message}`, 'id_token_malformed');
  }

  // Step 6/7: the signature, with an algorithm the issuer uses; "none" is never accepted.
  const allowed = expect.allowedAlgorithms && expect.allowedAlgorithms.length > 0 ? expect.allowedAlgorithms : ['RS256'];
  const algOk = alg !== undefined && alg !== 'none' && allowed.includes(alg);
  check('alg', algOk, algOk ? `${alg}` : `"${alg}" is not one of ${allowed.join(', ')}`, 'OIDC Core §3.1.3.7 step 7');
  if (algOk) {
    try {
      await compactVerify(idToken, expect.keys);
      check('signature', true, `verified with the issuer's key set (${alg})`, 'OIDC Core §3.1.3.7 step 6');
    } catch (error) {
      check('signature', false, describeSignatureError(error, alg, kid), 'OIDC Core §3.1.3.7 step 6');
    }
  }

  // Step 2: iss exactly the issuer (or one the provider documents as its own, e.g. per tenant).
  const issuers = [expect.issuer, ...(expect.acceptIssuers?.(claims) ?? [])];
  const issOk = typeof claims.iss === 'string' && issuers.includes(claims.iss);
  check('iss', issOk, issOk ? compare(claims.iss, claims.iss) : compare(claims.iss, issuers.length > 1 ? issuers : expect.issuer, issuers.length > 1 ? 'to be one of' : 'to be'), 'OIDC Core §3.1.3.7 step 2');

  // Step 3: aud contains the client id; several audiences need azp (step 4/5).
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
  check('aud', audiences.includes(expect.clientId), compare(claims.aud, expect.clientId, 'to contain'), 'OIDC Core §3.1.3.7 step 3');
  const azp = claims.azp as string | undefined;
  if (audiences.length > 1 || azp !== undefined) {
    check('azp', azp === expect.clientId, compare(azp, expect.clientId), 'OIDC Core §3.1.3.7 steps 4-5');
  }

  // Step 9/10: exp in the future, iat not in the future (both with a small skew).
  const now = expect.now ?? Math.floor(Date.now() / 1000);
  const skew = expect.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const exp = claims.exp;
  check(
    'exp',
    typeof exp === 'number' && exp + skew > now,
    typeof exp !== 'number'
      ? 'is missing, expected the expiry time'
      : exp + skew > now
        ? `expires in ${exp - now} s`
        : `is ${exp}, ${now - exp} s ago; expected later than ${now - skew} (now minus ${skew} s of skew)`,
    'OIDC Core §3.1.3.7 step 9',
  );
  const iat = claims.iat;
  check(
    'iat',
    typeof iat === 'number' && iat - skew <= now,
    typeof iat !== 'number'
      ? 'is missing, expected the time of issue'
      : iat - skew <= now
        ? `issued ${now - iat} s ago`
        : `is ${iat}, ${iat - now} s in the future; expected no later than ${now + skew} (now plus ${skew} s of skew)`,
    'OIDC Core §3.1.3.7 step 10',
  );

  // Step 11: the nonce we sent comes back unchanged.
  if (expect.nonce !== undefined) {
    check('nonce', claims.nonce === expect.nonce, compare(claims.nonce, expect.nonce), 'OIDC Core §3.1.3.7 step 11');
  }

  // §3.1.3.8 / §3.3.2.11: at_hash, when present, binds the access token to this id_token.
  if (claims.at_hash !== undefined && expect.accessToken !== undefined && alg) {
    const computed = halfHash(expect.accessToken, alg);
    check('at_hash', computed === claims.at_hash, compare(claims.at_hash, computed), 'OIDC Core §3.1.3.8');
  }

  const failed = checks.find((c) => !c.ok);
  if (failed) throw new IdTokenRejected(failed, checks);
  return { claims, checks };
}

/** "= value" when it matches; "is X, expected Y" when it does not. */
function compare(received: unknown, expected: unknown, verb = 'to be'): string {
  const shown = received === undefined ? 'missing' : JSON.stringify(received);
  const matches = Array.isArray(received) ? received.includes(expected) : received === expected;
  return matches ? `= ${shown}` : `is ${shown}, expected ${verb} ${JSON.stringify(expected)}`;
}

/** The key the token names (kid, alg) against what the issuer's key set holds. */
function describeSignatureError(error: unknown, alg: string | undefined, kid: string | undefined): string {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return kid === undefined
      ? `names no kid, and no ${alg} key in the issuer's JWKS fits`
      : `names kid ${JSON.stringify(kid)} (${alg}), which no key in the issuer's JWKS has`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return `does not verify with the issuer's ${kid === undefined ? `${alg} key` : `key ${JSON.stringify(kid)} (${alg})`}`;
  }
  return (error as Error).message;
}

/** The left-most half of the hash of the ASCII value, base64url (§3.1.3.8 / §3.3.2.11). */
export function halfHash(value: string, alg: string): string {
  const bits = /(\d{3})$/.exec(alg)?.[1];
  const hash = alg === 'EdDSA' || bits === '512' ? 'sha512' : bits === '384' ? 'sha384' : 'sha256';
  const digest = createHash(hash).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
