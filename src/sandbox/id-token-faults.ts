/**
 * The id_token faults: the token the sandbox issued, altered the way a broken or hostile provider
 * would get it wrong, so that a client's checks of OIDC Core §3.1.3.7 have something to refuse.
 * A claim fault is re-signed with the sandbox's real key (only that claim is wrong); the signature
 * faults are signed by a second key the JWKS never publishes.
 */
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { randomToken } from '../util/random.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** The values a faulty id_token carries, so tests and people recognise them. */
export const FORGED = {
  audience: 'another-client',
  issuer: 'https://impostor.sandbox.test',
  nonce: 'not-the-nonce-you-sent',
  unknownKidPrefix: 'unknown-',
} as const;

export const ID_TOKEN_FAULTS = [
  'id-token-bad-signature',
  'id-token-unknown-kid',
  'id-token-wrong-aud',
  'id-token-wrong-iss',
  'id-token-wrong-nonce',
  'id-token-expired',
  'id-token-future-iat',
  'id-token-alg-none',
] as const;
export type IdTokenFault = (typeof ID_TOKEN_FAULTS)[number];

const HOUR = 3600;

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
}

export class IdTokenForger {
  private constructor(
    private readonly rogue: PrivateKey,
    private readonly key: () => SigningKey,
    private readonly imported = new Map<string, PrivateKey>(),
  ) {}

  /** `key` is the signing key in force (it changes when the keys rotate). */
  static async create(key: () => SigningKey): Promise<IdTokenForger> {
    const { privateKey } = await generateKeyPair('RS256');
    return new IdTokenForger(privateKey, key);
  }

  /**
   * The id_token with `fault` applied (when given) and its time claims moved by `skewSeconds`
   * (the clock-skew fault: a provider whose clock is off).
   */
  async alter(idToken: string, fault: IdTokenFault | undefined, skewSeconds = 0): Promise<string> {
    const header = decodeProtectedHeader(idToken);
    const claims: JWTPayload = { ...decodeJwt(idToken) };
    if (skewSeconds !== 0) {
      for (const name of ['iat', 'exp', 'auth_time', 'nbf'] as const) {
        if (typeof claims[name] === 'number') (claims as Record<string, unknown>)[name] = (claims[name] as number) + skewSeconds;
      }
    }
    const now = Math.floor(Date.now() / 1000) + skewSeconds;
    switch (fault) {
      case 'id-token-wrong-aud':
        claims.aud = FORGED.audience;
        delete claims.azp;
        break;
      case 'id-token-wrong-iss':
        claims.iss = FORGED.issuer;
        break;
      case 'id-token-wrong-nonce':
        claims.nonce = FORGED.nonce;
        break;
      case 'id-token-expired':
        claims.iat = now - 2 * HOUR;
        claims.exp = now - HOUR;
        if (typeof claims.auth_time === 'number') claims.auth_time = now - 2 * HOUR;
        break;
      case 'id-token-future-iat':
        claims.iat = now + HOUR;
        claims.exp = now + 2 * HOUR;
        break;
      case 'id-token-alg-none':
        return new UnsecuredJWT(claims).encode();
      default:
        break;
    }
    const kid = typeof header.kid === 'string' ? header.kid : this.key().kid;
    if (fault === 'id-token-bad-signature') return this.sign(claims, kid, this.rogue);
    if (fault === 'id-token-unknown-kid') return this.sign(claims, `${FORGED.unknownKidPrefix}${randomToken(6)}`, this.rogue);
    if (fault === undefined && skewSeconds === 0) return idToken;
    return this.sign(claims, this.key().kid, await this.signingKey());
  }

  private async signingKey(): Promise<PrivateKey> {
    const { kid, privateJwk } = this.key();
    let key = this.imported.get(kid);
    if (!key) {
      key = (await importJWK(privateJwk, 'RS256')) as PrivateKey;
      this.imported.set(kid, key);
    }
    return key;
  }

  private sign(claims: JWTPayload, kid: string, key: PrivateKey): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  }
}

/** A fresh RS256 signing key (rotate-keys), as the sandbox keeps its own (./state.ts). */
export async function newSigningKey(): Promise<JWK & { kid: string }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomToken(8), alg: 'RS256', use: 'sig' };
}
