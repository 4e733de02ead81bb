/**
 * DPoP (RFC 9449): tokens bound to a key the client holds. Every request that obtains or uses a
 * bound token carries a proof, a JWT signed with that key (§4.2): its public key in the header,
 * the request's method (htm) and URL (htu, without query and fragment), when it was made (iat), a
 * unique id (jti) and, with an access token, the token's hash (ath). The server may ask for its
 * own nonce in the proofs (§8, §9): it answers `use_dpop_nonce` with a DPoP-Nonce header, and the
 * request is made again, once, with a proof that carries it.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHash, type KeyObject } from 'node:crypto';
import { randomToken } from '../util/random.js';
import { header, type HttpClient, type HttpResponse } from './http.js';
import { ProviderConfigurationError } from './errors.js';
import type { ProtocolCheck } from './outcome.js';

/** What we sign proofs with, in order of preference (§4.2: "asymmetric"; ES256 is the common one). */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;

/** §7.1: a bound token goes in the Authorization header under the DPoP scheme. */
export const DPOP_SCHEME = 'DPoP';

export class DpopProver {
  /** The latest nonce each server gave (§8.1: "the server MAY supply a new nonce" on any answer), by origin. */
  private readonly nonces = new Map<string, string>();
  /** Told of each proof made: --verbose prints its claims. */
  report: ((check: ProtocolCheck) => void) | undefined;

  private constructor(
    private readonly privateKey: CryptoKey | KeyObject,
    readonly alg: string,
    readonly publicJwk: JWK,
    /** §6.1: the JWK SHA-256 thumbprint (RFC 7638) a bound token's cnf.jkt names. */
    readonly thumbprint: string,
  ) {}

  /**
   * A fresh key for one login (§2: "the client generates a key pair"), with the first algorithm
   * of ours the server lists in dpop_signing_alg_values_supported (any of ours when it lists none).
   */
  static async generate(serverAlgs?: readonly string[]): Promise<DpopProver> {
    const alg = chooseDpopAlgorithm(serverAlgs);
    if (alg === undefined) {
      throw new ProviderConfigurationError(
        `the server's dpop_signing_alg_values_supported (${(serverAlgs ?? []).join(', ')}) names none of the algorithms this client signs DPoP proofs with (${DPOP_ALGORITHMS.join(', ')})`,
        { kind: 'feature-unsupported', feature: 'dpop', field: 'dpop_signing_alg_values_supported' },
      );
    }
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return DpopProver.from(privateKey, alg, await exportJWK(publicKey));
  }

  /** The key kept beside a token (its private JWK, with `alg`), for the calls that use the token later. */
  static async fromJwk(jwk: JWK): Promise<DpopProver> {
    const alg = typeof jwk.alg === 'string' ? jwk.alg : 'ES256';
    // Extractable: the broker keeps the key of a refreshed grant again (src/broker/dpop-keys.ts).
    const privateKey = await importJWK(jwk, alg, { extractable: true });
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, alg: _alg, ...publicJwk } = jwk;
    return DpopProver.from(privateKey as CryptoKey, alg, publicJwk);
  }

  private static async from(privateKey: CryptoKey | KeyObject, alg: string, publicJwk: JWK): Promise<DpopProver> {
    const { kty, crv, x, y, n, e } = publicJwk;
    const minimal = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined)) as JWK;
    return new DpopProver(privateKey, alg, minimal, await calculateJwkThumbprint(minimal, 'sha256'));
  }

  /** The private key as a JWK, to keep in the vault beside the bound token (never anywhere else). */
  async privateJwk(): Promise<JWK> {
    return { ...(await exportJWK(this.privateKey)), alg: this.alg };
  }

  /** §4.2: a proof for one request; with `accessToken`, for a request that presents it (ath, §4.2, §7). */
  async proof(method: string, url: string, accessToken?: string): Promise<string> {
    const target = new URL(url);
    // §4.2: htu is the URI "without query and fragment parts".
    const htu = `${target.origin}${target.pathname}`;
    const nonce = this.nonces.get(target.origin);
    const iat = Math.floor(Date.now() / 1000);
    const jti = randomToken();
    const claims: Record<string, string | number> = { jti, htm: method.toUpperCase(), htu, iat };
    if (accessToken !== undefined) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    if (nonce !== undefined) claims.nonce = nonce;
    const proof = await new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: this.alg, jwk: this.publicJwk }).sign(this.privateKey);
    this.report?.({
      ok: true,
      name: 'DPoP proof',
      detail: `${this.alg}, jkt ${this.thumbprint.slice(0, 8)}…: htm ${claims.htm}, htu ${htu}, iat ${iat}, jti ${jti.length} characters${accessToken !== undefined ? ', ath (SHA-256 of the access token)' : ''}${nonce !== undefined ? ", the server's nonce" : ''}`,
      source: 'RFC 9449 §4.2',
    });
    return proof;
  }

  /**
   * Reads the server's nonce from an answer (§8.1, §9: the DPoP-Nonce header); true when the answer
   * refused the proof for want of it (use_dpop_nonce, §8: a 400 at the token endpoint, §9: a 401 with
   * WWW-Authenticate at a resource), so the request is worth sending again with it.
   */
  wantsNonce(response: HttpResponse): boolean {
    const nonce = header(response, 'dpop-nonce');
    const origin = new URL(response.url).origin;
    const previous = this.nonces.get(origin);
    if (nonce !== undefined && nonce !== '') this.nonces.set(origin, nonce);
    if (nonce === undefined || nonce === '' || nonce === previous) return false;
    if (response.status === 401) return /use_dpop_nonce/.test(header(response, 'www-authenticate') ?? '');
    if (response.status !== 400) return false;
    try {
      return (JSON.parse(response.text) as { error?: unknown }).error === 'use_dpop_nonce';
    } catch {
      return false;
    }
  }
}

export function chooseDpopAlgorithm(serverAlgs?: readonly string[]): string | undefined {
  if (serverAlgs === undefined || serverAlgs.length === 0) return DPOP_ALGORITHMS[0];
  return DPOP_ALGORITHMS.find((alg) => serverAlgs.includes(alg));
}

/**
 * An HttpClient for calls that present a DPoP-bound access token (RFC 9449 §7): a request whose
 * Authorization header carries `accessToken` goes under the DPoP scheme, with a proof for its
 * method and URL that binds the token (ath); a `use_dpop_nonce` answer (§9) is retried once with
 * the resource server's nonce. Other requests pass through as they are.
 */
export function dpopHttp(http: HttpClient, prover: DpopProver, accessToken: string): HttpClient {
  return async (request) => {
    const authorization = request.headers.authorization ?? request.headers.Authorization;
    if (authorization === undefined || !authorization.endsWith(` ${accessToken}`)) return http(request);
    const send = async () => {
      const headers: Record<string, string> = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
      headers.authorization = `${DPOP_SCHEME} ${accessToken}`;
      headers.dpop = await prover.proof(request.method, request.url, accessToken);
      return http({ ...request, headers });
    };
    const response = await send();
    return prover.wantsNonce(response) ? send() : response;
  };
}
