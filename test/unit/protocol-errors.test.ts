// The protocol's errors are data (src/oauth/errors.ts, src/providers/errors.ts), translated at two
// edges: the terminal's words and exit code (src/cli/errors.ts, main's report) and the broker's
// status (src/broker/error-answers.ts, upstream.ts). Real protocol functions throw; each edge is
// read off what it makes of them.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorStatus, faultOf } from '../../src/broker/error-answers.js';
import { profileFailureStatus, refreshFailureStatus, startFailureStatus } from '../../src/broker/upstream.js';
import { asCliError, hintFor } from '../../src/cli/errors.js';
import { report } from '../../src/cli/main.js';
import { apiRequestTarget, fillProviderTemplate } from '../../src/oauth/api.js';
import { discover } from '../../src/oauth/oidc/discovery.js';
import {
  CallbackRejectedError,
  ExchangeFailedError,
  InvalidResponseError,
  ProtocolError,
  ProviderConfigurationError,
  ProviderError,
  RequestRefusedError,
} from '../../src/oauth/errors.js';
import { HttpError, type HttpResponse } from '../../src/oauth/http.js';
import { readTokenResponse } from '../../src/oauth/token-response.js';
import { resolveProvider } from '../../src/providers/resolve.js';
import { configError } from '../../src/util/errors.js';
import { caught } from './errors.js';
import { catalogProvider, fakeHttp, json } from './fake-http.js';

const TOKEN_URL = 'https://idp.example/token';

function answer(status: number, body: string, contentType = 'application/json'): HttpResponse {
  return { status, statusText: '', headers: { 'content-type': contentType }, text: body, url: TOKEN_URL };
}

function reported(error: unknown): { code: number; stderr: string } {
  let stderr = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stderr += chunk.toString();
      done();
    },
  });
  return { code: report(error, { stderr: stream }, false), stderr };
}

describe('the protocol throws data', () => {
  it('RFC 6749 §5.2: a token endpoint refusal is a ProviderError with error, error_description, error_uri, status and the response', async () => {
    const body = '{"error":"invalid_grant","error_description":"Code expired","error_uri":"https://idp.example/errors/grant"}';
    const error = await caught(() => readTokenResponse(answer(400, body)));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      endpoint: 'token',
      code: 'invalid_grant',
      error: 'invalid_grant',
      error_description: 'Code expired',
      error_uri: 'https://idp.example/errors/grant',
      status: 400,
    });
    expect((error as ProviderError).response?.text).toBe(body);
    // No hint, no exit code: those are the edges' to say.
    expect(error).not.toHaveProperty('hint');
    expect(error).not.toHaveProperty('kind');
    // The response rides along without being serialized with the error.
    expect(Object.keys(error as object)).not.toContain('response');
  });

  it('an answer that is no token response is an InvalidResponseError, naming the fields received but not their values', async () => {
    const error = await caught(() => readTokenResponse(answer(200, '{"ok":true,"secret_thing":"do-not-show"}')));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ endpoint: 'token', code: 'no_access_token', status: 200, received: 'ok, secret_thing' });
    expect(JSON.stringify(error)).not.toContain('do-not-show');
  });

  it('a provider that cannot work as configured is a ProviderConfigurationError saying what is missing', async () => {
    const github = await catalogProvider('github');
    const spec = { ...github.spec, params: { tenant: { description: 'the tenant', pattern: '^[a-z]+$' } } };
    const error = await caught(() => resolveProvider(spec, { clientId: 'c', params: { tenant: 'NOT OK' } }, 'catalog'));
    expect(error).toBeInstanceOf(ProviderConfigurationError);
    expect(error).toMatchObject({ provider: 'github', problem: { kind: 'param-mismatch', param: 'tenant' }, code: undefined });
    const discovery = await caught(() => discover(fakeHttp([json(200, { issuer: 'https://other.example' })]), 'https://idp.example'));
    expect(discovery).toMatchObject({ problem: { kind: 'discovery-issuer', advertised: 'https://other.example' } });
  });

  it('a request that must not be sent is a RequestRefusedError, with what advice needs', async () => {
    const github = await catalogProvider('github');
    const token = { access_token: 'tok', token_type: 'Bearer', extra: {} };
    const foreign = await caught(() => apiRequestTarget(github, token, 'https://evil.example/user'));
    expect(foreign).toBeInstanceOf(RequestRefusedError);
    expect((foreign as RequestRefusedError).refusal).toEqual({ code: 'foreign_origin', apiBase: 'https://api.github.com' });
    const missing = await caught(() => fillProviderTemplate(github, 'https://{token.instance_url}/x', {}));
    expect((missing as RequestRefusedError).refusal).toEqual({ code: 'template_value_missing', field: 'token.instance_url' });
  });
});

describe('the CLI edge: message, hint, exit code', () => {
  it('a refusal by the provider exits 1 with advice for its error; a provider that cannot work exits 2', async () => {
    const refusal = await caught(() => readTokenResponse(answer(400, '{"error":"invalid_client"}')));
    expect(reported(refusal)).toEqual({
      code: 1,
      stderr:
        'error: the token endpoint refused: invalid_client [HTTP 400]\n' +
        'hint: the client id or secret is wrong, the client assertion was refused (key, kid or aud: --verbose shows it), the client certificate is not the one registered or not from a CA the provider trusts (--cert), or the provider wants another client authentication (--auth-method, clientAuth)\n',
    });
    const github = await catalogProvider('github');
    const unusable = await caught(() => resolveProvider(github.spec, { clientId: 'c', params: { region: 'eu' } }, 'catalog'));
    expect(reported(unusable)).toEqual({ code: 2, stderr: 'error: github has no parameter "region"\nhint: github takes no --param\n' });
  });

  it('a path outside the API is the caller\'s (exit 2); a token naming a foreign origin is a failed flow (exit 1)', () => {
    expect(asCliError(new RequestRefusedError('refusing', { code: 'foreign_origin', apiBase: 'https://api.example' }))?.exitCode).toBe(2);
    expect(asCliError(new RequestRefusedError('refusing', { code: 'token_origin_refused', field: 'instance_url', providerName: 'X' }))?.exitCode).toBe(1);
  });

  it('no answer at all (HttpError) is a failed flow with network advice, not a bug', () => {
    const error = new HttpError('token request: cannot reach idp.example (connection refused)', TOKEN_URL, 'unreachable');
    expect(reported(error)).toEqual({
      code: 1,
      stderr: 'error: token request: cannot reach idp.example (connection refused)\nhint: check the network, and the URL in the provider file or discovery document\n',
    });
    expect(asCliError(error)?.code).toBe('unreachable');
  });

  it('a provider\'s error code is only ever a key: "constructor" or "__proto__" get the default advice', async () => {
    for (const code of ['constructor', '__proto__', 'toString']) {
      const error = await caught(() => readTokenResponse(answer(400, JSON.stringify({ error: code }))));
      expect(hintFor(error), code).toBe('run with --trace to see the request and the response');
    }
  });

  it('a CliError passes as it is; anything else is no error the CLI explains', () => {
    const config = configError('bad file', 'fix it');
    expect(asCliError(config)).toBe(config);
    expect(asCliError(new TypeError('a bug'))).toBeUndefined();
  });
});

describe('the broker edge: whose fault, which status', () => {
  const providerRefused = (status: number) =>
    new ProviderError('the token endpoint refused: invalid_grant [HTTP 400]', { endpoint: 'token', code: 'invalid_grant', error: 'invalid_grant', status });
  const unusable = new ProviderConfigurationError('x has no parameter "y"', { kind: 'unknown-param', known: [] }, 'x');
  const tokenOrigin = new RequestRefusedError('refusing', { code: 'token_origin_refused', field: 'instance_url', providerName: 'X' });
  const tooLong = new RequestRefusedError('too long', { code: 'state_too_long' });

  it('no route answered it: the caller 400, the provider 502, the broker\'s own configuration (or a secret it cannot read) 503', () => {
    const status = (error: Error) => errorStatus(error as Parameters<typeof errorStatus>[0]);
    expect(status(tooLong)).toBe(400);
    expect(status(providerRefused(400))).toBe(502);
    expect(status(new CallbackRejectedError('state mismatch', 'state_mismatch'))).toBe(502);
    expect(status(unusable)).toBe(503);
    expect(status(configError('$X is not set'))).toBe(503);
    expect(faultOf(new ExchangeFailedError('the token exchange failed', new Error('boom')))).toBe('provider');
  });

  it('starting a flow: a request too big to send 400, anything else 502', () => {
    expect(startFailureStatus(tooLong)).toBe(400);
    expect(startFailureStatus(unusable)).toBe(502);
    expect(startFailureStatus(providerRefused(401))).toBe(502);
  });

  it('a refresh: a §5.2 refusal is the caller\'s 400; a 5xx, an unreadable answer or no status the provider\'s 502', () => {
    expect(refreshFailureStatus(providerRefused(400), 400)).toBe(400);
    expect(refreshFailureStatus(providerRefused(500), 500)).toBe(502);
    expect(refreshFailureStatus(new InvalidResponseError('html', { endpoint: 'token', code: 'html_response', status: 200 }), 200)).toBe(502);
    expect(refreshFailureStatus(providerRefused(400), undefined)).toBe(502);
    expect(refreshFailureStatus(unusable, undefined)).toBe(400);
  });

  it('the profile: a foreign token origin 403, a missing token field 400, the provider\'s 400/401/403 passed on, its failure 502', () => {
    expect(profileFailureStatus(tokenOrigin, undefined)).toBe(403);
    expect(profileFailureStatus(new RequestRefusedError('missing', { code: 'template_value_missing', field: 'token.x' }), undefined)).toBe(400);
    expect(profileFailureStatus(providerRefused(401), 401)).toBe(401);
    expect(profileFailureStatus(providerRefused(500), 500)).toBe(502);
    expect(profileFailureStatus(unusable, undefined)).toBe(400);
  });

  it('every protocol error is a ProtocolError; a provider that cannot work is the provider layer\'s own', () => {
    expect(providerRefused(400)).toBeInstanceOf(ProtocolError);
    expect(tokenOrigin).toBeInstanceOf(ProtocolError);
    expect(unusable).not.toBeInstanceOf(ProtocolError);
    expect(unusable.name).toBe('ProviderConfigurationError');
    expect(providerRefused(400).name).toBe('ProviderError');
  });
});
