// OpenID CIBA Core (§7.1 request, §7.3 acknowledgement, §10.1 and §11 polling) and dynamic client
// registration (RFC 7591 §3, RFC 7592 §2.3): the requests as sent and the answers as read, with an
// injected clock so slow_down arithmetic and expiry are exact and nothing really waits.
import { describe, expect, it } from 'vitest';
import { CIBA_GRANT_TYPE, pollCibaToken, requestBackchannelAuthentication, type BackchannelEndpoint } from '../../src/oauth/ciba.js';
import { deleteClient, readClient, registerClient, updateClient } from '../../src/oauth/registration.js';
import { InvalidResponseError, ProviderError } from '../../src/oauth/errors.js';
import type { TokenEndpoint } from '../../src/oauth/oauth2.js';
import { basic, fakeHttp, formFields, json } from './fake-http.js';
import { caught, explained } from './errors.js';

const BACKCHANNEL: BackchannelEndpoint = { backchannelAuthenticationUrl: 'https://as.example/bc-authorize', clientAuth: 'client_secret_basic' };
const TOKEN_ENDPOINT: TokenEndpoint = { tokenUrl: 'https://as.example/token', clientAuth: 'client_secret_basic', tokenParams: {}, tokenHeaders: {}, tokenRequestBody: 'form', tokenResponse: {} };
const CLIENT = { clientId: 'ciba-client', clientSecret: 's3cret' };

const pending = json(400, { error: 'authorization_pending' });
const tokenAnswer = json(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }, { 'cache-control': 'no-store' });

function fakeClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return { sleeps, now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)) };
}

describe('requestBackchannelAuthentication (OpenID CIBA Core §7.1, §7.3)', () => {
  it('authenticates the client, sends scope, login_hint and binding_message, and reads auth_req_id, expires_in and interval', async () => {
    const http = fakeHttp([json(200, { auth_req_id: 'arid-1', expires_in: 120, interval: 2, approval_uri: 'https://as.example/approve/x' })]);
    const result = await requestBackchannelAuthentication(http, BACKCHANNEL, CLIENT, { scopes: ['openid', 'email'], hint: { parameter: 'login_hint', value: 'alice' }, bindingMessage: 'Order 42' });
    expect(result).toEqual({ auth_req_id: 'arid-1', expires_in: 120, interval: 2, extra: { approval_uri: 'https://as.example/approve/x' } });
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'POST', url: BACKCHANNEL.backchannelAuthenticationUrl });
    expect(request!.headers.authorization).toBe(basic('ciba-client', 's3cret'));
    expect(formFields(request)).toEqual({ scope: 'openid email', login_hint: 'alice', binding_message: 'Order 42' });
  });

  it('sends the one hint it is given by its own name (§7.1): id_token_hint or login_hint_token, never login_hint beside it; user_code when given', async () => {
    const ack = () => json(200, { auth_req_id: 'arid-1', expires_in: 120 });
    const http = fakeHttp([ack(), ack()]);
    await requestBackchannelAuthentication(http, BACKCHANNEL, CLIENT, { scopes: ['openid'], hint: { parameter: 'id_token_hint', value: 'eyJ.a.b' }, userCode: '1234' });
    await requestBackchannelAuthentication(http, BACKCHANNEL, CLIENT, { scopes: ['openid'], hint: { parameter: 'login_hint_token', value: 'lht-1' } });
    expect(formFields(http.requests[0])).toEqual({ scope: 'openid', id_token_hint: 'eyJ.a.b', user_code: '1234' });
    expect(formFields(http.requests[1])).toEqual({ scope: 'openid', login_hint_token: 'lht-1' });
  });

  it('uses 5 s when the server gives no interval (§7.3)', async () => {
    const http = fakeHttp([json(200, { auth_req_id: 'arid-1', expires_in: 120 })]);
    expect((await requestBackchannelAuthentication(http, BACKCHANNEL, CLIENT, { scopes: ['openid'], hint: { parameter: 'login_hint', value: 'a' } })).interval).toBe(5);
  });

  it('an acknowledgement without auth_req_id is named as such', async () => {
    const http = fakeHttp([json(200, { expires_in: 120 })]);
    const error = await caught(() => requestBackchannelAuthentication(http, BACKCHANNEL, CLIENT, { scopes: ['openid'], hint: { parameter: 'login_hint', value: 'a' } }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toBe('the backchannel authentication endpoint answered without auth_req_id (OpenID CIBA Core §7.3 requires them)');
  });

  it('§13 errors keep the server\'s code, and the CLI explains them', async () => {
    const http = fakeHttp([json(400, { error: 'unknown_user_id', error_description: 'no such user' })]);
    const error = await caught(() => requestBackchannelAuthentication(http, BACKCHANNEL, CLIENT, { scopes: ['openid'], hint: { parameter: 'login_hint', value: 'zed' } }));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).endpoint).toBe('backchannel_authentication');
    expect((error as ProviderError).code).toBe('unknown_user_id');
    expect(explained(error).hint).toContain('--login-hint');
  });
});

describe('pollCibaToken (OpenID CIBA Core §10.1, §11)', () => {
  it('polls with the CIBA grant and the auth_req_id, waiting the interval before each poll', async () => {
    const http = fakeHttp([pending, pending, tokenAnswer]);
    const clock = fakeClock();
    const result = await pollCibaToken(http, TOKEN_ENDPOINT, CLIENT, 'arid-1', { interval: 2, expiresIn: 60, sleep: clock.sleep, now: clock.now });
    expect(result.token.access_token).toBe('at-1');
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    for (const request of http.requests) expect(formFields(request)).toEqual({ grant_type: CIBA_GRANT_TYPE, auth_req_id: 'arid-1' });
  });

  it('slow_down adds 5 s for this and every later poll', async () => {
    const http = fakeHttp([json(400, { error: 'slow_down' }), pending, tokenAnswer]);
    const clock = fakeClock();
    const seen: number[] = [];
    await pollCibaToken(http, TOKEN_ENDPOINT, CLIENT, 'arid-1', { interval: 1, expiresIn: 60, sleep: clock.sleep, now: clock.now, onPending: (poll) => seen.push(poll.intervalSeconds) });
    expect(clock.sleeps).toEqual([1000, 6000, 6000]);
    expect(seen).toEqual([6, 6]);
  });

  it('access_denied and expired_token end the polling in the CIBA\'s words', async () => {
    const clock = fakeClock();
    const denied = await caught(() => pollCibaToken(fakeHttp([json(400, { error: 'access_denied' })]), TOKEN_ENDPOINT, CLIENT, 'a', { interval: 1, expiresIn: 60, sleep: clock.sleep, now: clock.now }));
    expect((denied as ProviderError).code).toBe('access_denied');
    expect((denied as Error).message).toBe('the user denied the request on their authentication device');
    const expired = await caught(() => pollCibaToken(fakeHttp([json(400, { error: 'expired_token' })]), TOKEN_ENDPOINT, CLIENT, 'a', { interval: 1, expiresIn: 60, sleep: clock.sleep, now: clock.now }));
    expect((expired as ProviderError).code).toBe('expired_token');
    expect((expired as Error).message).toContain('expired before the user approved it');
  });

  it('stops by itself once expires_in has passed, without a wasted poll', async () => {
    const http = fakeHttp(() => pending);
    const clock = fakeClock();
    const error = await caught(() => pollCibaToken(http, TOKEN_ENDPOINT, CLIENT, 'a', { interval: 5, expiresIn: 12, sleep: clock.sleep, now: clock.now }));
    expect((error as ProviderError).code).toBe('expired_token');
    expect(http.requests).toHaveLength(2);
  });
});

describe('registerClient and deleteClient (RFC 7591 §3, RFC 7592 §2.3)', () => {
  const METADATA = { redirect_uris: ['http://127.0.0.1:6284/auth'], token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'], response_types: ['code'], application_type: 'native' as const };

  it('posts the metadata as JSON with the initial access token as a bearer token, and separates the secrets from the metadata', async () => {
    const http = fakeHttp([
      json(201, { client_id: 'c1', client_secret: 'cs', client_id_issued_at: 1, client_secret_expires_at: 0, registration_access_token: 'rat', registration_client_uri: 'https://as.example/reg/c1', ...METADATA }),
    ]);
    const registered = await registerClient(http, 'https://as.example/reg', METADATA, 'iat-1');
    expect(registered).toEqual({ client_id: 'c1', client_secret: 'cs', client_id_issued_at: 1, client_secret_expires_at: 0, registration_access_token: 'rat', registration_client_uri: 'https://as.example/reg/c1', metadata: METADATA });
    const [request] = http.requests;
    expect(request!.headers.authorization).toBe('Bearer iat-1');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body as string)).toEqual(METADATA);
  });

  it('§3.2.2 errors keep the server\'s code; an answer without client_id is named', async () => {
    const refused = await caught(() => registerClient(fakeHttp([json(400, { error: 'invalid_redirect_uri' })]), 'https://as.example/reg', METADATA));
    expect((refused as ProviderError).code).toBe('invalid_redirect_uri');
    expect(explained(refused).hint).toContain('--redirect-uri');
    const empty = await caught(() => registerClient(fakeHttp([json(201, { client_secret: 'x' })]), 'https://as.example/reg', METADATA));
    expect((empty as Error).message).toContain('without client_id');
  });

  it('deletes with the registration access token; 204 is done, 401 is the server\'s refusal', async () => {
    const http = fakeHttp([{ status: 204, text: '' }, json(401, { error: 'invalid_token' })]);
    await deleteClient(http, 'https://as.example/reg/c1', 'rat');
    expect(http.requests[0]).toMatchObject({ method: 'DELETE', url: 'https://as.example/reg/c1' });
    expect(http.requests[0]!.headers.authorization).toBe('Bearer rat');
    expect(((await caught(() => deleteClient(http, 'https://as.example/reg/c1', 'rat'))) as ProviderError).code).toBe('invalid_token');
  });
});

describe('readClient and updateClient (RFC 7592 §2.1, §2.2)', () => {
  const CONFIGURATION = {
    client_id: 'c1',
    client_secret: 'cs',
    client_id_issued_at: 1,
    client_secret_expires_at: 0,
    registration_access_token: 'rat-2',
    registration_client_uri: 'https://as.example/reg/c1',
    redirect_uris: ['http://127.0.0.1:9/auth'],
    client_name: 'n',
  };

  it('reads with the registration access token as a bearer token, and separates the (maybe rotated) secrets from the metadata', async () => {
    const http = fakeHttp([json(200, CONFIGURATION)]);
    const client = await readClient(http, 'https://as.example/reg/c1', 'rat-1');
    expect(http.requests[0]).toMatchObject({ method: 'GET', url: 'https://as.example/reg/c1' });
    expect(http.requests[0]!.headers.authorization).toBe('Bearer rat-1');
    expect(client).toMatchObject({ client_id: 'c1', client_secret: 'cs', registration_access_token: 'rat-2', metadata: { redirect_uris: ['http://127.0.0.1:9/auth'], client_name: 'n' } });
  });

  it('updates with PUT: the whole metadata with client_id, never the fields the server issues (§2.2) nor the secret', async () => {
    const http = fakeHttp([json(200, { ...CONFIGURATION, client_name: 'm' })]);
    const metadata = { redirect_uris: ['http://127.0.0.1:9/new'], client_name: 'm', grant_types: ['authorization_code'], client_secret: 'cs', registration_access_token: 'x', registration_client_uri: 'y', client_secret_expires_at: 0, client_id_issued_at: 1 };
    const updated = await updateClient(http, 'https://as.example/reg/c1', 'rat-1', 'c1', metadata);
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'PUT', url: 'https://as.example/reg/c1' });
    expect(request!.headers.authorization).toBe('Bearer rat-1');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body as string)).toEqual({ client_id: 'c1', redirect_uris: ['http://127.0.0.1:9/new'], client_name: 'm', grant_types: ['authorization_code'] });
    expect(updated.metadata.client_name).toBe('m');
  });

  it('a refusal keeps the server\'s code (§2.4: invalid_redirect_uri, invalid_client_metadata; 401 for a dead token)', async () => {
    const refused = await caught(() => updateClient(fakeHttp([json(400, { error: 'invalid_redirect_uri' })]), 'https://as.example/reg/c1', 'rat', 'c1', {}));
    expect((refused as ProviderError).code).toBe('invalid_redirect_uri');
    expect((refused as Error).message).toContain('client configuration endpoint refused');
    const dead = await caught(() => readClient(fakeHttp([json(401, { error: 'invalid_token' })]), 'https://as.example/reg/c1', 'rat'));
    expect((dead as ProviderError).code).toBe('invalid_token');
  });
});
