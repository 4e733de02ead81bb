/**
 * The faults the sandbox can inject as a mock identity provider: their names, the value each
 * takes, where each acts and what a client sees. Data only, with no import, so that `sandbox
 * --help` lists them without loading the sandbox (src/cli/program.ts); ./faults.ts checks and
 * keeps them, ./mock.ts and ./server.ts make them happen.
 *
 *   id_token           the token endpoint's id_token, re-signed or altered (OIDC Core §3.1.3.7)
 *   authorization      the authorization response's Location (RFC 9207 §2), or the user's answer
 *   token endpoint     the token endpoint's answer (RFC 6749 §5.1/§5.2, RFC 8628 §3.5)
 *   back channel       every endpoint a client calls with its credentials or a token (token,
 *                      userinfo, introspection, revocation, device authorization, a look-alike's
 *                      API); never the discovery document, the key set, the browser pages or the
 *                      control endpoint, so a client can always set itself up and be switched back
 *   keys               the signing keys themselves
 */
export type FaultPlace = 'id_token' | 'authorization' | 'token endpoint' | 'back channel' | 'keys';

/** The value a fault takes after its name (`latency:500`). */
export type FaultValue =
  | { kind: 'none' }
  | { kind: 'integer'; unit: string; example: number; min: number; max: number; required: boolean; default?: number };

export interface FaultDefinition {
  name: string;
  place: FaultPlace;
  value: FaultValue;
  /** What a client sees, in a few words (sandbox --help, the control endpoint's listing). */
  summary: string;
  /** False for faults that happen once when switched on (a count means nothing for them). */
  countable: boolean;
}

const NONE: FaultValue = { kind: 'none' };

const fault = (name: string, place: FaultPlace, summary: string, value: FaultValue = NONE, countable = true): FaultDefinition => ({
  name,
  place,
  value,
  summary,
  countable,
});

export const FAULTS: readonly FaultDefinition[] = [
  fault('id-token-bad-signature', 'id_token', 'id_token signed by another key under the published kid'),
  fault('id-token-unknown-kid', 'id_token', 'id_token signed by a key whose kid the JWKS does not have'),
  fault('id-token-wrong-aud', 'id_token', 'id_token issued to another client (aud)'),
  fault('id-token-wrong-iss', 'id_token', 'id_token issued by another issuer (iss)'),
  fault('id-token-wrong-nonce', 'id_token', 'id_token with a nonce that is not the request\'s'),
  fault('id-token-expired', 'id_token', 'id_token that expired an hour ago (exp)'),
  fault('id-token-future-iat', 'id_token', 'id_token issued an hour in the future (iat)'),
  fault('id-token-alg-none', 'id_token', 'unsigned id_token (alg "none")'),
  fault('missing-iss', 'authorization', 'authorization response without its iss parameter (RFC 9207)'),
  fault('wrong-iss', 'authorization', 'authorization response naming another issuer (RFC 9207)'),
  fault('consent-denied', 'authorization', 'the user denies: error=access_denied'),
  fault('invalid-grant', 'token endpoint', 'the next code exchange or refresh gets invalid_grant'),
  fault('refresh-reuse-revokes', 'token endpoint', 'refresh tokens rotate; reusing one revokes the whole grant'),
  fault('error-in-200', 'token endpoint', 'the token endpoint answers an error with HTTP 200'),
  fault('form-encoded-token', 'token endpoint', 'token response form-encoded instead of JSON'),
  fault('no-token-type', 'token endpoint', 'token response without token_type'),
  fault('expires-renamed', 'token endpoint', 'token response with "expires" instead of "expires_in"'),
  fault('device-slow-down', 'token endpoint', 'device-code polls answered slow_down (RFC 8628 §3.5)'),
  fault('html-502', 'back channel', 'an HTML 502 page from a gateway'),
  fault('unavailable', 'back channel', '503 with Retry-After (default 30 s)', {
    kind: 'integer',
    unit: 'seconds of Retry-After',
    example: 30,
    min: 0,
    max: 86_400,
    required: false,
    default: 30,
  }),
  fault('latency', 'back channel', 'every answer delayed by MS milliseconds', { kind: 'integer', unit: 'milliseconds', example: 500, min: 0, max: 120_000, required: true }),
  fault('drop-connection', 'back channel', 'the connection closed without an answer'),
  fault('clock-skew', 'id_token', 'the sandbox\'s clock off by SECONDS (id_token iat, exp, auth_time)', {
    kind: 'integer',
    unit: 'seconds (negative: behind)',
    example: 600,
    min: -31_536_000,
    max: 31_536_000,
    required: true,
  }),
  fault('rotate-keys', 'keys', 'a new signing key now; the old one gone from the JWKS', NONE, false),
];

export function faultNames(): string[] {
  return FAULTS.map((definition) => definition.name);
}

/** `latency:MS`: a fault's name as typed, with its value placeholder. */
export function faultUsage(definition: FaultDefinition): string {
  if (definition.value.kind === 'none') return definition.name;
  const placeholder = definition.value.unit.startsWith('milli') ? 'MS' : 'SECONDS';
  return definition.value.required ? `${definition.name}:${placeholder}` : `${definition.name}[:${placeholder}]`;
}

