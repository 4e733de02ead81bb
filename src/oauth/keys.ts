/**
 * The client's own keys: a private key for client assertions (RFC 7523, private_key_jwt) and
 * request objects (RFC 9101), read from PEM or a JWK, with the JWS algorithm its type implies
 * (RFC 7518 §3.1). A key that cannot sign, or a public key where a private one belongs, is refused
 * here with what it is, before any request is made.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import { ProviderConfigurationError } from './errors.js';

export interface ClientKey {
  privateKey: KeyObject;
  /** The JWS algorithm (RS256, PS256, ES256, ES384, ES512, EdDSA). */
  alg: string;
  /** The key id, when the JWK names one (it selects the key in the client's registered JWKS). */
  kid?: string;
  /** The public half, as a JWK: what the server registers (RFC 7591 jwks). */
  publicJwk: JWK;
}

/** The algorithms each key type can sign with, the first the default. */
const ALGORITHMS: Record<string, readonly string[]> = {
  rsa: ['RS256', 'PS256', 'RS384', 'PS384', 'RS512', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
  'ec:prime256v1': ['ES256'],
  'ec:secp384r1': ['ES384'],
  'ec:secp521r1': ['ES512'],
  ed25519: ['EdDSA'],
};

/** Reads a private key from `text` (PEM, or a JWK as JSON); `source` names it in errors (a file, a secret reference). */
export async function readClientKey(text: string, source: string, wantedAlg?: string): Promise<ClientKey> {
  const trimmed = text.trim();
  let privateKey: KeyObject;
  let jwk: JWK | undefined;
  try {
    if (trimmed.startsWith('{')) {
      jwk = JSON.parse(trimmed) as JWK;
      if (jwk.d === undefined) throw keyProblem(`${source} is a public JWK (no "d"); the client signs with the private key`);
      privateKey = createPrivateKey({ key: jwk as Parameters<typeof createPrivateKey>[0] & object, format: 'jwk' } as never);
    } else if (trimmed.includes('-----BEGIN')) {
      if (/-----BEGIN (PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY)-----/.test(trimmed) && !/PRIVATE KEY-----/.test(trimmed)) {
        throw keyProblem(`${source} holds a public key or a certificate; the client signs with the private key`);
      }
      privateKey = createPrivateKey(trimmed);
    } else {
      throw keyProblem(`${source} is neither a PEM private key nor a JWK`);
    }
  } catch (error) {
    if (error instanceof ProviderConfigurationError) throw error;
    throw keyProblem(`${source} is not a readable private key (${(error as Error).message.split('\n')[0]})`);
  }
  const type = privateKey.asymmetricKeyType === 'ec' ? `ec:${privateKey.asymmetricKeyDetails?.namedCurve ?? '?'}` : (privateKey.asymmetricKeyType ?? '?');
  const usable = ALGORITHMS[type];
  if (!usable) throw keyProblem(`${source} is a ${type} key, which cannot sign a JWT (use RSA, EC P-256/384/521 or Ed25519)`);
  const alg = wantedAlg ?? (typeof jwk?.alg === 'string' ? jwk.alg : usable[0]!);
  if (!usable.includes(alg)) throw keyProblem(`${source} is a ${type} key, which cannot sign with ${alg} (it can: ${usable.join(', ')})`);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = await exportJWK(privateKey);
  return { privateKey, alg, ...(typeof jwk?.kid === 'string' ? { kid: jwk.kid } : {}), publicJwk: { ...publicJwk, alg, use: 'sig', ...(typeof jwk?.kid === 'string' ? { kid: jwk.kid } : {}) } };
}

function keyProblem(message: string): ProviderConfigurationError {
  return new ProviderConfigurationError(message, { kind: 'client-key' });
}
