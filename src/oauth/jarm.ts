/**
 * JWT Secured Authorization Response Mode (JARM, OpenID Financial-grade API: JARM §2): with
 * `response_mode=jwt` the authorization response comes back as one parameter, `response`, a JWT
 * the server signed holding the response's parameters (code, state, or error). Before any of them
 * is believed, it is verified like an id_token (JARM §4.4): the signature with the issuer's keys,
 * iss the issuer, aud this client, exp in the future; each check is named, and the first that
 * fails names the refusal.
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { TokenRejectedError } from './errors.js';
import type { ProtocolCheck } from './outcome.js';

const SKEW_SECONDS = 60;

/** The response's parameters as the JWT carries them, read before it is verified (to find the flow by its state). */
export function unverifiedResponseParams(jwt: string): Record<string, string> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(jwt);
  } catch (error) {
    throw new TokenRejectedError(`the JARM response is not a JWT: ${(error as Error).message}`, 'jarm_malformed');
  }
  return stringClaims(claims);
}

function stringClaims(claims: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export class JarmRejected extends TokenRejectedError {
  constructor(
    failed: ProtocolCheck,
    readonly checks: readonly ProtocolCheck[],
  ) {
    super(`JARM response rejected: ${failed.name.replace(/^JARM /, '')} ${failed.detail} (${failed.source ?? 'JARM §4.4'})`, `jarm_${failed.name.replace(/^JARM /, '')}`, failed.name.replace(/^JARM /, ''));
  }
}

/** JARM §4.4: the checks, in order; every one is made, and the response's parameters returned when all pass. */
export async function verifyJwtResponse(
  jwt: string,
  expect: { issuer: string; clientId: string; keys: JWTVerifyGetKey; allowedAlgorithms?: readonly string[]; now?: number },
): Promise<{ params: Record<string, string>; checks: ProtocolCheck[] }> {
  const checks: ProtocolCheck[] = [];
  const check = (name: string, ok: boolean, detail: string, source: string) => checks.push({ name: `JARM ${name}`, ok, detail, source });
  let claims: JWTPayload;
  let alg: string | undefined;
  try {
    claims = decodeJwt(jwt);
    alg = decodeProtectedHeader(jwt).alg;
  } catch (error) {
    throw new TokenRejectedError(`the JARM response is not a JWT: ${(error as Error).message}`, 'jarm_malformed');
  }
  const allowed = expect.allowedAlgorithms && expect.allowedAlgorithms.length > 0 ? expect.allowedAlgorithms : ['RS256', 'PS256', 'ES256', 'EdDSA'];
  const algOk = alg !== undefined && alg !== 'none' && allowed.includes(alg);
  check('alg', algOk, algOk ? `${alg}` : `"${alg}" is not one of ${allowed.join(', ')}`, 'JARM §4.4 step 4');
  if (algOk) {
    try {
      await compactVerify(jwt, expect.keys);
      check('signature', true, `verified with the issuer's key set (${alg})`, 'JARM §4.4 step 4');
    } catch (error) {
      check('signature', false, `does not verify with the issuer's key set (${(error as Error).message})`, 'JARM §4.4 step 4');
    }
  }
  check('iss', claims.iss === expect.issuer, `= ${JSON.stringify(claims.iss)}${claims.iss === expect.issuer ? '' : `, expected "${expect.issuer}"`}`, 'JARM §4.4 step 2');
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
  check('aud', audiences.includes(expect.clientId), `= ${JSON.stringify(claims.aud)}${audiences.includes(expect.clientId) ? '' : `, expected to contain "${expect.clientId}"`}`, 'JARM §4.4 step 3');
  const now = expect.now ?? Math.floor(Date.now() / 1000);
  const exp = claims.exp;
  check(
    'exp',
    typeof exp === 'number' && exp + SKEW_SECONDS > now,
    typeof exp !== 'number' ? 'is missing' : exp + SKEW_SECONDS > now ? `expires in ${exp - now} s` : `passed ${now - exp} s ago`,
    'JARM §4.4 step 5',
  );
  const failed = checks.find((entry) => !entry.ok);
  if (failed) throw new JarmRejected(failed, checks);
  return { params: stringClaims(claims), checks };
}
