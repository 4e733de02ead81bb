// src/oauth/oidc/discovery.ts: metadata URLs and discovery against a real loopback server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchClient } from '../../src/oauth/http.js';
import { discover, isLoopback, metadataUrls } from '../../src/oauth/oidc/discovery.js';
import { freePort } from '../helpers/ports.js';
import { caughtCliError } from './errors.js';

describe('metadataUrls', () => {
  it('an issuer without a path: both documents at the root', () => {
    expect(metadataUrls('https://idp.example')).toEqual([
      'https://idp.example/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server',
    ]);
    expect(metadataUrls('https://idp.example/')).toEqual(metadataUrls('https://idp.example'));
  });

  it('an issuer with a path: OIDC appends, RFC 8414 §3.1 inserts the well-known part before the path', () => {
    // RFC 8414 §3.1's own example: https://example.com/issuer1.
    expect(metadataUrls('https://example.com/issuer1')).toEqual([
      'https://example.com/issuer1/.well-known/openid-configuration',
      'https://example.com/.well-known/oauth-authorization-server/issuer1',
    ]);
    expect(metadataUrls('https://idp.example:8443/tenants/t1/v2.0/')).toEqual([
      'https://idp.example:8443/tenants/t1/v2.0/.well-known/openid-configuration',
      'https://idp.example:8443/.well-known/oauth-authorization-server/tenants/t1/v2.0',
    ]);
  });

  it('isLoopback', () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '::1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['127.0.0.1.example', 'localhost.example', '10.0.0.1']) expect(isLoopback(host), host).toBe(false);
  });
});

describe('discover (against a loopback server)', () => {
  /** Path → [status, body]; every request's path is recorded. */
  let routes: Map<string, [number, string]>;
  let requested: string[];
  let server: http.Server;
  let origin: string;
  const client = fetchClient({ timeoutMs: 5000 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      requested.push(path);
      const [status, body] = routes.get(path) ?? [404, 'not found'];
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    routes = new Map();
    requested = [];
  });

  const metadata = (issuer: string) => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    code_challenge_methods_supported: ['S256'],
  });

  it('reads the OpenID configuration of the issuer', async () => {
    const issuer = `${origin}/tenant`;
    routes.set('/tenant/.well-known/openid-configuration', [200, JSON.stringify(metadata(issuer))]);
    expect(await discover(client, issuer)).toEqual(metadata(issuer));
    expect(requested).toEqual(['/tenant/.well-known/openid-configuration']);
  });

  it('after a 404, falls back to RFC 8414 metadata', async () => {
    const issuer = `${origin}/tenant`;
    routes.set('/.well-known/oauth-authorization-server/tenant', [200, JSON.stringify(metadata(issuer))]);
    expect(await discover(client, issuer)).toEqual(metadata(issuer));
    expect(requested).toEqual(['/tenant/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/tenant']);
  });

  it('an issuer mismatch is a config error naming both issuers', async () => {
    const issuer = `${origin}/tenant`;
    routes.set('/tenant/.well-known/openid-configuration', [200, JSON.stringify(metadata('https://evil.example'))]);
    const error = await caughtCliError(() => discover(client, issuer));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(
      `the discovery document at ${issuer}/.well-known/openid-configuration names the issuer "https://evil.example", not "${issuer}"`,
    );
    expect(error.hint).toBe('use --issuer https://evil.example if that is the provider you mean');
    expect(requested).toHaveLength(1);
  });

  it('no document anywhere: says what each URL answered', async () => {
    const issuer = `${origin}/tenant`;
    routes.set('/.well-known/oauth-authorization-server/tenant', [200, '<html>']);
    const error = await caughtCliError(() => discover(client, issuer));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(
      `no discovery document for ${issuer}: ${issuer}/.well-known/openid-configuration answered HTTP 404; ${origin}/.well-known/oauth-authorization-server/tenant is not JSON`,
    );
    expect(error.hint).toBe('check the issuer URL (it is the "iss" of the provider\'s tokens)');
  });

  it('a document that is JSON but not an object is not metadata', async () => {
    routes.set('/.well-known/openid-configuration', [200, 'null']);
    routes.set('/.well-known/oauth-authorization-server', [200, '["x"]']);
    const error = await caughtCliError(() => discover(client, origin));
    expect(error.message).toBe(
      `no discovery document for ${origin}: ${origin}/.well-known/openid-configuration is not a JSON object; ${origin}/.well-known/oauth-authorization-server is not a JSON object`,
    );
  });

  it('a document without a token endpoint cannot run the code flow', async () => {
    const { token_endpoint: _, ...partial } = metadata(origin);
    routes.set('/.well-known/openid-configuration', [200, JSON.stringify(partial)]);
    const error = await caughtCliError(() => discover(client, origin));
    expect(error.message).toBe(`the discovery document at ${origin}/.well-known/openid-configuration has no token_endpoint`);
    expect(error.hint).toBe('this provider cannot run the authorization-code flow');
  });

  it('refuses a non-https issuer off loopback, and a non-URL, before any request', async () => {
    const plain = await caughtCliError(() => discover(client, 'http://idp.example'));
    expect(plain.message).toBe('the issuer http://idp.example is not https');
    expect(plain.hint).toBe('OpenID Connect requires https except on loopback');
    const notUrl = await caughtCliError(() => discover(client, 'idp.example'));
    expect(notUrl.message).toBe('"idp.example" is not a URL');
    expect(notUrl.hint).toBe('give the issuer as https://idp.example.com');
    expect(requested).toEqual([]);
  });

  it('an unreachable issuer is a config error naming the host and the cause', async () => {
    const port = await freePort();
    const error = await caughtCliError(() => discover(client, `http://127.0.0.1:${port}`));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(`cannot read the discovery document of http://127.0.0.1:${port}: discovery: cannot reach 127.0.0.1:${port} (connection refused)`);
    expect(error.hint).toBe('check the issuer URL and your network');
  });
});
