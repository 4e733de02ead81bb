// RFC 8705 pieces without a server: reading a certificate with its key (and refusing what does
// not fit, by name), the x5t#S256 thumbprint, the mtls_endpoint_aliases taken from metadata and
// applied to a provider, the certificate on every request of a bound token's client, and what
// serve refuses (a DPoP keyset with the client flow).
import { describe, expect, it } from 'vitest';
import { readClientCertificate, certificateHttp } from '../../src/oauth/mtls.js';
import { mtlsAliasesFrom, specFromMetadata } from '../../src/providers/discovered.js';
import { resolveProvider, withMtlsEndpoints } from '../../src/providers/resolve.js';
import { authenticateClient } from '../../src/oauth/client-auth.js';
import { ProviderConfigurationError } from '../../src/oauth/errors.js';
import { serveProblems } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { HttpRequest } from '../../src/oauth/http.js';
import { issue, makeCa } from '../helpers/certificates.js';

describe('readClientCertificate', () => {
  it('reads a certificate and its key: the thumbprint is the SHA-256 of the DER (§3.1), the key re-exported as PKCS#8', async () => {
    const ca = await makeCa();
    const client = await issue('CN=unit-client', { ca });
    const certificate = readClientCertificate(client.cert, 'c.pem', client.key, 'k.pem');
    expect(certificate.thumbprint).toBe(client.thumbprint);
    expect(certificate.subject).toBe('CN=unit-client');
    expect(certificate.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(certificate.source).toBe('c.pem');
  });

  it('refuses, naming the files: a key of another certificate, a private key as the certificate, a certificate as the key, no PEM at all', async () => {
    const one = await issue('CN=one');
    const two = await issue('CN=two');
    const refused = (cert: string, key: string) => {
      try {
        readClientCertificate(cert, 'c.pem', key, 'k.pem');
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderConfigurationError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused(one.cert, two.key)).toBe("c.pem does not match k.pem: the certificate's public key is not the key's");
    expect(refused(one.key, one.key)).toBe('c.pem holds a private key, not a certificate (RFC 8705 §2: the client shows an X.509 certificate)');
    expect(refused(one.cert, one.cert)).toBe("k.pem holds a certificate, not the certificate's private key");
    expect(refused('hello', one.key)).toBe('c.pem is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)');
    expect(refused(one.cert, 'hello')).toBe('k.pem is not a PEM private key');
  });
});

describe('mtls_endpoint_aliases (RFC 8705 §5)', () => {
  const metadata = {
    issuer: 'https://idp.test',
    authorization_endpoint: 'https://idp.test/auth',
    token_endpoint: 'https://idp.test/token',
    jwks_uri: 'https://idp.test/jwks',
    userinfo_endpoint: 'https://idp.test/me',
    revocation_endpoint: 'https://idp.test/revoke',
    introspection_endpoint: 'https://idp.test/introspect',
    mtls_endpoint_aliases: {
      token_endpoint: 'https://mtls.idp.test/token',
      userinfo_endpoint: 'https://mtls.idp.test/me',
      revocation_endpoint: 'https://mtls.idp.test/revoke',
      introspection_endpoint: 'https://mtls.idp.test/introspect',
      end_session_endpoint: 'https://mtls.idp.test/logout',
      device_authorization_endpoint: 'http://plain.idp.test/device',
    },
  };

  it('keeps the https aliases of the endpoints this client calls, nothing else', () => {
    expect(mtlsAliasesFrom(metadata.mtls_endpoint_aliases)).toEqual({
      token_endpoint: 'https://mtls.idp.test/token',
      userinfo_endpoint: 'https://mtls.idp.test/me',
      revocation_endpoint: 'https://mtls.idp.test/revoke',
      introspection_endpoint: 'https://mtls.idp.test/introspect',
    });
    expect(mtlsAliasesFrom('nope')).toBeUndefined();
  });

  it('a provider showing a certificate calls the aliases; the browser keeps the plain authorization endpoint', () => {
    const resolved = resolveProvider(specFromMetadata('idp', 'idp', metadata), { clientId: 'c' }, 'issuer');
    expect(resolved.oauth2!.tokenUrl).toBe('https://idp.test/token');
    const mtls = withMtlsEndpoints(resolved);
    expect(mtls.oauth2).toMatchObject({
      authorizeUrl: 'https://idp.test/auth',
      tokenUrl: 'https://mtls.idp.test/token',
      refreshUrl: 'https://mtls.idp.test/token',
      introspectUrl: 'https://mtls.idp.test/introspect',
      revoke: { url: 'https://mtls.idp.test/revoke' },
    });
    expect(mtls.spec.profile!.url).toBe('https://mtls.idp.test/me');
    // Without aliases, nothing moves.
    const plain = resolveProvider(specFromMetadata('idp', 'idp', { ...metadata, mtls_endpoint_aliases: undefined }), { clientId: 'c' }, 'issuer');
    expect(withMtlsEndpoints(plain)).toBe(plain);
  });

  it('an API that is the issuer itself moves with the userinfo alias; any other API stays', () => {
    const spec = specFromMetadata('idp', 'idp', { ...metadata, issuer: 'https://idp.test', userinfo_endpoint: 'https://idp.test/me' });
    spec.api = { baseUrl: 'https://idp.test' };
    const mtls = withMtlsEndpoints(resolveProvider(spec, { clientId: 'c' }, 'issuer'));
    expect(mtls.spec.api!.baseUrl).toBe('https://mtls.idp.test');
    spec.api = { baseUrl: 'https://api.idp.test' };
    expect(withMtlsEndpoints(resolveProvider(spec, { clientId: 'c' }, 'issuer')).spec.api!.baseUrl).toBe('https://api.idp.test');
  });
});

describe('the certificate on the wire', () => {
  it('tls_client_auth sends client_id and no secret; without a certificate it is refused before any request', async () => {
    const one = await issue('CN=one');
    const certificate = readClientCertificate(one.cert, 'c.pem', one.key, 'k.pem');
    const headers: Record<string, string> = {};
    const fields: Record<string, string> = {};
    await authenticateClient('tls_client_auth', { clientId: 'c', clientSecret: 's', certificate }, headers, fields, 'https://idp.test/token');
    expect(fields).toEqual({ client_id: 'c' });
    expect(headers.authorization).toBeUndefined();
    await expect(authenticateClient('self_signed_tls_client_auth', { clientId: 'c' }, {}, {}, 'https://idp.test/token')).rejects.toThrow(
      'self_signed_tls_client_auth authenticates the client with its certificate, and none was given',
    );
  });

  it('certificateHttp puts the certificate on every request it passes on', async () => {
    const one = await issue('CN=one');
    const certificate = readClientCertificate(one.cert, 'c.pem', one.key, 'k.pem');
    const seen: HttpRequest[] = [];
    const http = certificateHttp(async (request) => {
      seen.push(request);
      return { status: 200, statusText: 'OK', headers: {}, text: '{}', url: request.url };
    }, certificate);
    await http({ method: 'GET', url: 'https://api.test/me', headers: {}, purpose: 'profile request' });
    expect(seen[0]!.tls).toBe(certificate);
  });
});

describe('serveProblems', () => {
  const config = (flow: 'client' | 'server') =>
    ({ app: { flow, domains: [] }, providers: { plain: { clientId: 'a' }, bound: { clientId: 'b', dpop: true } } }) as unknown as Config;
  it('a DPoP keyset with the client flow is a problem naming the keyset; the server flow is not', () => {
    const problems = serveProblems(config('client'));
    expect(problems.map((problem) => problem.path)).toEqual(['/providers/bound/dpop']);
    expect(problems[0]!.message).toContain('set /app/flow to "server"');
    expect(serveProblems(config('server'))).toEqual([]);
  });
});
