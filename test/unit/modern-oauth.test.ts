// The protocol modules of modern OAuth, each request checked as the server would read it, with
// jose verifying what we sign: PAR (RFC 9126), client assertions (RFC 7523), DPoP proofs
// (RFC 9449), client keys, resource indicators (RFC 8707) and authorization_details (RFC 9396).
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { authenticateClient, JWT_BEARER_ASSERTION } from '../../src/oauth/client-auth.js';
import { DpopProver, chooseDpopAlgorithm, dpopHttp } from '../../src/oauth/dpop.js';
import { readClientKey } from '../../src/oauth/keys.js';
import { authorizationQuery, exchangeCode } from '../../src/oauth/oauth2.js';
import { base64Url } from '../../src/util/form-encoding.js';
import { pushAuthorizationRequest, pushedAuthorizationUrl } from '../../src/oauth/par.js';
import { requestObject } from '../../src/oauth/jar.js';
import { JarmRejected, verifyJwtResponse } from '../../src/oauth/jarm.js';
import { isSecretName } from '../../src/trace/redact.js';
import { ProviderError, ProviderConfigurationError } from '../../src/oauth/errors.js';
import type { ProtocolCheck } from '../../src/oauth/outcome.js';
import { catalogProvider, fakeHttp, formFields, json } from './fake-http.js';
import { readClientCertificate } from '../../src/oauth/mtls.js';
import { issue } from '../helpers/certificates.js';

const TOKEN_ENDPOINT = {
  tokenUrl: 'https://as.example/token',
  clientAuth: 'client_secret_basic' as const,
  tokenParams: {},
  tokenHeaders: {},
  tokenRequestBody: 'form' as const,
  tokenResponse: {},
};

describe('PAR (RFC 9126)', () => {
  it('§2.1: the authorization parameters go in the body with the client authentication; §4: the browser gets client_id and request_uri', async () => {
    const provider = await catalogProvider('google', { resource: ['https://api.example/'] });
    const query = authorizationQuery(provider.oauth2!, {
      clientId: 'cid',
      redirectUri: 'http://127.0.0.1:6284/auth',
      state: base64Url('st'),
      scopes: ['openid'],
      resource: ['https://api.example/', 'https://other.example/'],
      authorizationDetails: '[{"type":"account_information"}]',
    });
    const http = fakeHttp([json(201, { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 90 })]);
    const pushed = await pushAuthorizationRequest(http, 'https://as.example/par', TOKEN_ENDPOINT, { clientId: 'cid', clientSecret: 's3cret' }, query);
    expect(pushed).toEqual({ requestUri: 'urn:ietf:params:oauth:request_uri:abc', expiresIn: 90 });
    const sent = new URLSearchParams(http.requests[0]!.body);
    expect(sent.get('redirect_uri')).toBe('http://127.0.0.1:6284/auth');
    expect(sent.getAll('resource')).toEqual(['https://api.example/', 'https://other.example/']);
    expect(JSON.parse(sent.get('authorization_details')!)).toEqual([{ type: 'account_information' }]);
    expect(http.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('cid:s3cret').toString('base64')}`);
    expect(pushedAuthorizationUrl('https://as.example/auth?tenant=x', 'cid', pushed.requestUri)).toBe(
      'https://as.example/auth?tenant=x&client_id=cid&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc',
    );
  });

  it('§2.3: a refusal is a ProviderError of the pushed_authorization endpoint; §2.2: an answer without request_uri is invalid', async () => {
    const refused = pushAuthorizationRequest(fakeHttp([json(400, { error: 'invalid_request', error_description: 'bad redirect' })]), 'https://as.example/par', TOKEN_ENDPOINT, { clientId: 'c' }, 'a=b');
    await expect(refused).rejects.toMatchObject({ endpoint: 'pushed_authorization', code: 'invalid_request' });
    await expect(refused).rejects.toBeInstanceOf(ProviderError);
    const empty = pushAuthorizationRequest(fakeHttp([json(201, { expires_in: 60 })]), 'https://as.example/par', TOKEN_ENDPOINT, { clientId: 'c' }, 'a=b');
    await expect(empty).rejects.toMatchObject({ code: 'invalid_par_response' });
  });
});

describe('client assertions (RFC 7523)', () => {
  it('private_key_jwt: iss = sub = client_id, aud the endpoint, a jti, a short exp; signed with the key, kid in the header', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const key = await readClientKey(JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'k1' }), 'test key');
    const checks: ProtocolCheck[] = [];
    const headers: Record<string, string> = {};
    const fields: Record<string, string> = {};
    await authenticateClient('private_key_jwt', { clientId: 'cid', key, report: (check) => checks.push(check) }, headers, fields, 'https://as.example/token');
    expect(headers.authorization).toBeUndefined();
    expect(fields.client_assertion_type).toBe(JWT_BEARER_ASSERTION);
    const { payload, protectedHeader } = await jwtVerify(fields.client_assertion!, publicKey, { issuer: 'cid', subject: 'cid', audience: 'https://as.example/token' });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'k1' });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.jti).toMatch(/^[\w-]{43}$/);
    expect(checks[0]?.name).toBe('client assertion');
  });

  it('private_key_jwt with the key of the client certificate: the header names the certificate by x5t and x5t#S256 (RFC 7515 §4.1.7-8), as Microsoft reads it; a certificate of another key is not named', async () => {
    const own = await issue('CN=assertion-client');
    const other = await issue('CN=someone-else');
    const key = await readClientKey(own.key, 'k.pem');
    const assertionHeader = async (certificate: ReturnType<typeof readClientCertificate> | undefined) => {
      const fields: Record<string, string> = {};
      await authenticateClient('private_key_jwt', { clientId: 'cid', key, ...(certificate ? { certificate } : {}) }, {}, fields, 'https://as.example/token');
      return decodeProtectedHeader(fields.client_assertion!);
    };
    const der = Buffer.from(own.cert.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(await assertionHeader(readClientCertificate(own.cert, 'c.pem', own.key, 'k.pem'))).toMatchObject({
      'x5t#S256': own.thumbprint,
      x5t: createHash('sha1').update(der).digest('base64url'),
    });
    const foreign = await assertionHeader(readClientCertificate(other.cert, 'o.pem', other.key, 'ok.pem'));
    expect(foreign).not.toHaveProperty('x5t');
    expect(foreign).not.toHaveProperty('x5t#S256');
    expect(await assertionHeader(undefined)).not.toHaveProperty('x5t#S256');
  });

  it('client_secret_jwt: HS256 with the secret (OIDC Core §9); private_key_jwt without a key is a configuration error', async () => {
    const fields: Record<string, string> = {};
    await authenticateClient('client_secret_jwt', { clientId: 'cid', clientSecret: 'a-secret-of-enough-length-for-hs256!!' }, {}, fields, 'https://as.example/token');
    await jwtVerify(fields.client_assertion!, new TextEncoder().encode('a-secret-of-enough-length-for-hs256!!'), { audience: 'https://as.example/token' });
    await expect(authenticateClient('private_key_jwt', { clientId: 'cid' }, {}, {}, 'x')).rejects.toMatchObject({ problem: { kind: 'client-key-missing' } });
  });

  it('keys: PEM or JWK; a public key, an unsigning key type or an algorithm the key cannot make is refused by name', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    expect((await readClientKey(await exportPKCS8(rsa.privateKey), 'k.pem')).alg).toBe('RS256');
    expect((await readClientKey(await exportPKCS8(rsa.privateKey), 'k.pem', 'PS256')).alg).toBe('PS256');
    await expect(readClientKey(await exportSPKI(rsa.publicKey), 'pub.pem')).rejects.toThrow('pub.pem holds a public key');
    await expect(readClientKey(await exportPKCS8(rsa.privateKey), 'k.pem', 'ES256')).rejects.toThrow('k.pem is a rsa key, which cannot sign with ES256');
    const x25519 = await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true });
    await expect(readClientKey(await exportPKCS8(x25519.privateKey), 'x.pem')).rejects.toThrow('x.pem is a x25519 key, which cannot sign a JWT');
    await expect(readClientKey('{"kty":"EC","crv":"P-256","x":"a","y":"b"}', 'pub.jwk')).rejects.toBeInstanceOf(ProviderConfigurationError);
  });
});

describe('DPoP (RFC 9449)', () => {
  it('§4.2: typ dpop+jwt, the public key in the header, htm, htu without query and fragment, iat, jti; ath for a token', async () => {
    const prover = await DpopProver.generate(['ES256']);
    const proof = await prover.proof('get', 'https://rs.example/api/me?x=1#frag', 'the-access-token');
    const header = decodeProtectedHeader(proof);
    expect(header.typ).toBe('dpop+jwt');
    expect(header.jwk).toBeDefined();
    expect((header.jwk as JWK).d).toBeUndefined();
    const { payload } = await jwtVerify(proof, await importJWK(header.jwk as JWK, 'ES256'), { typ: 'dpop+jwt' });
    expect(payload).toMatchObject({ htm: 'GET', htu: 'https://rs.example/api/me', ath: createHash('sha256').update('the-access-token').digest('base64url') });
    expect(typeof payload.jti).toBe('string');
    expect(prover.thumbprint).toBe(await calculateJwkThumbprint(header.jwk as JWK));
    // The kept key makes the same thumbprint (the token's cnf.jkt).
    expect((await DpopProver.fromJwk(await prover.privateJwk())).thumbprint).toBe(prover.thumbprint);
  });

  it('§5.1: the algorithm is one the server lists; none in common is a configuration error', async () => {
    expect(chooseDpopAlgorithm(['RS256', 'ES256'])).toBe('ES256');
    expect(chooseDpopAlgorithm(['PS256'])).toBe('PS256');
    await expect(DpopProver.generate(['HS256'])).rejects.toMatchObject({ problem: { kind: 'feature-unsupported', field: 'dpop_signing_alg_values_supported' } });
  });

  it('§8: a token request answered use_dpop_nonce is sent again once, its proof carrying the nonce; a second refusal is not retried', async () => {
    const prover = await DpopProver.generate();
    const nonceAnswer = json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n-1' });
    const http = fakeHttp([nonceAnswer, json(200, { access_token: 'at', token_type: 'DPoP' }, { 'cache-control': 'no-store' })]);
    const result = await exchangeCode(http, TOKEN_ENDPOINT, { clientId: 'c', clientSecret: 's', dpop: prover }, 'code', 'http://127.0.0.1/auth', undefined);
    expect(result.token.token_type).toBe('DPoP');
    expect(http.requests).toHaveLength(2);
    const first = decodeJwtPayload(http.requests[0]!.headers.dpop!);
    const second = decodeJwtPayload(http.requests[1]!.headers.dpop!);
    expect(first.nonce).toBeUndefined();
    expect(second.nonce).toBe('n-1');
    expect(second.jti).not.toBe(first.jti);

    const again = fakeHttp([json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n-2' }), json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n-2' })]);
    await expect(exchangeCode(again, TOKEN_ENDPOINT, { clientId: 'c', dpop: await DpopProver.generate() }, 'code', 'r', undefined)).rejects.toMatchObject({ code: 'use_dpop_nonce' });
    expect(again.requests).toHaveLength(2);
  });

  it('§7, §9: a resource call goes under the DPoP scheme with an ath proof, retried once on a 401 use_dpop_nonce', async () => {
    const prover = await DpopProver.generate();
    const http = fakeHttp([
      { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'rs-1' } },
      json(200, { sub: 'alice' }),
    ]);
    const send = dpopHttp(http, prover, 'tok');
    const response = await send({ method: 'GET', url: 'https://rs.example/me', headers: { authorization: 'Bearer tok' }, purpose: 'profile request' });
    expect(response.status).toBe(200);
    expect(http.requests[1]!.headers.authorization).toBe('DPoP tok');
    expect(decodeJwtPayload(http.requests[1]!.headers.dpop!)).toMatchObject({ nonce: 'rs-1', htm: 'GET', htu: 'https://rs.example/me' });
    // A request without the token passes as it is.
    await dpopHttp(fakeHttp([json(200, {})]), prover, 'tok')({ method: 'GET', url: 'https://x.example/', headers: {}, purpose: 'x' });
  });
});

describe('resource indicators (RFC 8707) and authorization_details (RFC 9396) in the authorization request', () => {
  it('one resource parameter per target, authorization_details as JSON; a provider extra cannot set either', async () => {
    const provider = await catalogProvider('google');
    const query = new URLSearchParams(
      authorizationQuery(provider.oauth2!, {
        clientId: 'c',
        redirectUri: 'r',
        state: base64Url('s'),
        scopes: [],
        resource: ['https://a.example/', 'https://b.example/'],
        authorizationDetails: '[{"type":"t"}]',
        extra: { resource: 'https://evil.example/', authorization_details: '[]' },
      }),
    );
    expect(query.getAll('resource')).toEqual(['https://a.example/', 'https://b.example/']);
    expect(query.getAll('authorization_details')).toEqual(['[{"type":"t"}]']);
    void formFields;
  });
});

describe('JAR (RFC 9101) and JARM', () => {
  it('§4: the parameters become claims (resource an array, authorization_details JSON), with iss, aud, exp and typ oauth-authz-req+jwt', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const key = await readClientKey(await exportPKCS8(privateKey), 'k.pem');
    const { jwt, check } = await requestObject(key, 'cid', 'https://as.example', 'response_type=code&scope=openid&resource=https%3A%2F%2Fa%2F&resource=https%3A%2F%2Fb%2F&authorization_details=%5B%7B%22type%22%3A%22t%22%7D%5D');
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, { issuer: 'cid', audience: 'https://as.example', typ: 'oauth-authz-req+jwt' });
    expect(payload).toMatchObject({ response_type: 'code', scope: 'openid', client_id: 'cid', resource: ['https://a/', 'https://b/'], authorization_details: [{ type: 't' }] });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(protectedHeader.alg).toBe('ES256');
    expect(check.name).toBe('request object');
  });

  it('JARM §4.4: a response is verified check by check, and the first failed check names the refusal', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const keys = async () => publicKey;
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    const now = Math.floor(Date.now() / 1000);
    const good = await sign({ iss: 'https://as.example', aud: 'cid', exp: now + 60, code: 'c', state: 's' });
    const verified = await verifyJwtResponse(good, { issuer: 'https://as.example', clientId: 'cid', keys });
    expect(verified.params).toMatchObject({ code: 'c', state: 's', iss: 'https://as.example' });
    expect(verified.checks.map((check) => check.name)).toEqual(['JARM alg', 'JARM signature', 'JARM iss', 'JARM aud', 'JARM exp']);

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ iss: 'https://evil.example', aud: 'cid', exp: now + 60 }, 'iss'],
      [{ iss: 'https://as.example', aud: 'other', exp: now + 60 }, 'aud'],
      [{ iss: 'https://as.example', aud: 'cid', exp: now - 3600 }, 'exp'],
    ];
    for (const [claims, failed] of cases) {
      const refused = verifyJwtResponse(await sign(claims), { issuer: 'https://as.example', clientId: 'cid', keys });
      await expect(refused).rejects.toBeInstanceOf(JarmRejected);
      await expect(refused).rejects.toMatchObject({ code: `jarm_${failed}`, check: failed });
    }
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT({ iss: 'https://as.example', aud: 'cid', exp: now + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(other.privateKey);
    await expect(verifyJwtResponse(forged, { issuer: 'https://as.example', clientId: 'cid', keys })).rejects.toMatchObject({ code: 'jarm_signature' });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://as.example', aud: 'cid', exp: now + 60 })).toString('base64url')}.`;
    await expect(verifyJwtResponse(unsigned, { issuer: 'https://as.example', clientId: 'cid', keys })).rejects.toMatchObject({ code: 'jarm_alg' });
  });

  it('traces hide a request object and a JARM response (they carry state, nonce and the code)', () => {
    expect(isSecretName('request')).toBe(true);
    expect(isSecretName('response')).toBe(true);
    expect(isSecretName('response', false)).toBe(false);
  });
});

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
