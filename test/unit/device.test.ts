// RFC 8628: the device authorization request (§3.1, §3.2) and the polling loop (§3.4, §3.5), with
// an injected clock so slow_down arithmetic and expiry are exact and nothing really waits.
import { describe, expect, it } from 'vitest';
import {
  DEVICE_CODE_GRANT_TYPE,
  pollDeviceToken,
  requestDeviceAuthorization,
  type DeviceAuthorizationEndpoint,
  type PendingPoll,
} from '../../src/oauth/device.js';
import type { TokenEndpoint } from '../../src/oauth/oauth2.js';
import { basic, catalogProvider, fakeHttp, formFields, json, type Answer } from './fake-http.js';
import { caughtCliError } from './errors.js';

const DEVICE_ENDPOINT: DeviceAuthorizationEndpoint = {
  deviceAuthorizationUrl: 'https://as.example/device_authorization',
  clientAuth: 'none',
};
const TOKEN_ENDPOINT: TokenEndpoint = {
  tokenUrl: 'https://as.example/token',
  clientAuth: 'client_secret_basic',
  tokenParams: {},
  tokenHeaders: {},
  tokenRequestBody: 'form',
  tokenResponse: {},
};
const CLIENT = { clientId: 'device-client' };

const pending = json(400, { error: 'authorization_pending' });
const slowDown = json(400, { error: 'slow_down' });
const tokenAnswer = json(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-1' }, { 'cache-control': 'no-store' });

/** A clock that moves only when the code under test sleeps. */
function fakeClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}


describe('requestDeviceAuthorization (RFC 8628 §3.1, §3.2)', () => {
  it('posts client_id and the scopes form-encoded and reads the answer', async () => {
    const http = fakeHttp([
      json(200, {
        device_code: 'dc-1',
        user_code: 'WDJB-MJHT',
        verification_uri: 'https://as.example/device',
        verification_uri_complete: 'https://as.example/device?user_code=WDJB-MJHT',
        expires_in: 1800,
        interval: 7,
      }),
    ]);
    const result = await requestDeviceAuthorization(http, DEVICE_ENDPOINT, CLIENT, ['openid', 'email']);
    expect(result).toEqual({
      device_code: 'dc-1',
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://as.example/device',
      verification_uri_complete: 'https://as.example/device?user_code=WDJB-MJHT',
      expires_in: 1800,
      interval: 7,
    });
    const [request] = http.requests;
    expect(request).toMatchObject({ method: 'POST', url: DEVICE_ENDPOINT.deviceAuthorizationUrl });
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(formFields(request)).toEqual({ client_id: 'device-client', scope: 'openid email' });
  });

  it('uses 5 s when the server gives no interval, and accepts verification_url', async () => {
    const http = fakeHttp([json(200, { device_code: 'd', user_code: 'u', verification_url: 'https://www.google.com/device', expires_in: '1800' })]);
    const result = await requestDeviceAuthorization(http, DEVICE_ENDPOINT, CLIENT, []);
    expect(result).toEqual({ device_code: 'd', user_code: 'u', verification_uri: 'https://www.google.com/device', expires_in: 1800, interval: 5 });
    expect(formFields(http.requests[0])).toEqual({ client_id: 'device-client' });
  });

  it('authenticates a confidential client and sends the provider headers (GitHub)', async () => {
    const github = await catalogProvider('github');
    const http = fakeHttp([json(200, { device_code: 'd', user_code: 'u', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: 5 })]);
    await requestDeviceAuthorization(
      http,
      { ...github.oauth2!, deviceAuthorizationUrl: github.oauth2!.deviceAuthorizationUrl!, clientAuth: 'client_secret_basic' },
      { clientId: 'id', clientSecret: 's3cret' },
      github.scopes,
    );
    const [request] = http.requests;
    expect(request!.url).toBe('https://github.com/login/device/code');
    expect(request!.headers.accept).toBe('application/json');
    expect(request!.headers.authorization).toBe(basic('id', 's3cret'));
    expect(formFields(request)).toEqual({ scope: 'read:user user:email' });
  });

  it('names the missing required fields', async () => {
    const http = fakeHttp([json(200, { device_code: 'd', interval: 5 })]);
    const error = await caughtCliError(() => requestDeviceAuthorization(http, DEVICE_ENDPOINT, CLIENT, []));
    expect(error.code).toBe('invalid_device_authorization');
    expect(error.message).toContain('user_code, verification_uri, expires_in');
    expect(error.hint).toContain('device_code, interval');
  });

  it('refuses a verification URI that is not a web page', async () => {
    const http = fakeHttp([json(200, { device_code: 'd', user_code: 'u', verification_uri: 'javascript:alert(1)', expires_in: 600 })]);
    const error = await caughtCliError(() => requestDeviceAuthorization(http, DEVICE_ENDPOINT, CLIENT, []));
    expect(error.code).toBe('invalid_device_authorization');
  });

  it('turns an error answer into one line with the provider message', async () => {
    const http = fakeHttp([json(401, { error: 'invalid_client', error_description: 'client authentication failed' })]);
    const error = await caughtCliError(() => requestDeviceAuthorization(http, DEVICE_ENDPOINT, CLIENT, []));
    expect(error.code).toBe('invalid_client');
    expect(error.message).toBe('the device authorization endpoint refused: invalid_client — client authentication failed [HTTP 401]');
  });
});

describe('pollDeviceToken (RFC 8628 §3.4, §3.5)', () => {
  function poll(answers: Answer[], options: { interval?: number; expiresIn: number }) {
    const clock = fakeClock();
    const http = fakeHttp(answers);
    const pendings: PendingPoll[] = [];
    const result = pollDeviceToken(http, TOKEN_ENDPOINT, { clientId: 'c', clientSecret: 's' }, 'dc-1', {
      ...options,
      sleep: clock.sleep,
      now: clock.now,
      onPending: (p) => pendings.push(p),
    });
    return { clock, http, pendings, result };
  }

  it('waits the interval, continues on authorization_pending, adds 5 s on each slow_down', async () => {
    const { clock, http, pendings, result } = poll([pending, slowDown, pending, slowDown, tokenAnswer], { interval: 5, expiresIn: 600 });
    const { token } = await result;
    expect(token.access_token).toBe('at-1');
    expect(token.refresh_token).toBe('rt-1');
    // before each of the 5 polls: 5, 5, then 10 after the first slow_down, then 15 after the second
    expect(clock.sleeps).toEqual([5000, 5000, 10_000, 10_000, 15_000]);
    expect(pendings.map((p) => [p.attempt, p.intervalSeconds, p.slowDown])).toEqual([
      [1, 5, false],
      [2, 10, true],
      [3, 10, false],
      [4, 15, true],
    ]);
    expect(pendings[0]!.secondsLeft).toBe(595);
    // §3.4: the device code grant, with the client authenticated as at the token endpoint
    expect(http.requests).toHaveLength(5);
    for (const request of http.requests) {
      expect(request.url).toBe(TOKEN_ENDPOINT.tokenUrl);
      expect(request.headers.authorization).toBe(basic('c', 's'));
      expect(formFields(request)).toEqual({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'dc-1' });
    }
  });

  it('defaults to a 5 s interval', async () => {
    const { clock, result } = poll([pending, tokenAnswer], { expiresIn: 600 });
    await result;
    expect(clock.sleeps).toEqual([5000, 5000]);
  });

  it('stops at expires_in without polling past it', async () => {
    const { clock, http, result } = poll([pending, pending, pending, pending], { interval: 5, expiresIn: 12 });
    const error = await caughtCliError(() => result);
    expect(error.code).toBe('expired_token');
    expect(error.message).toContain('expired');
    // polls at t=5 s and t=10 s; the next would be at 15 s, past the 12 s lifetime
    expect(http.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([5000, 5000]);
  });

  it('reports expired_token from the server', async () => {
    const { result } = poll([pending, json(400, { error: 'expired_token' })], { expiresIn: 600 });
    const error = await caughtCliError(() => result);
    expect(error.code).toBe('expired_token');
    expect(error.hint).toContain('start again');
  });

  it('reports access_denied as the user refusing', async () => {
    const { http, result } = poll([pending, json(400, { error: 'access_denied' }), tokenAnswer], { expiresIn: 600 });
    const error = await caughtCliError(() => result);
    expect(error.code).toBe('access_denied');
    expect(error.message).toContain('denied');
    expect(http.requests).toHaveLength(2);
  });

  it('stops on any other error with the provider message', async () => {
    const { http, result } = poll([pending, json(400, { error: 'invalid_grant', error_description: 'device code unknown' }), tokenAnswer], { expiresIn: 600 });
    const error = await caughtCliError(() => result);
    expect(error.code).toBe('invalid_grant');
    expect(error.message).toContain('device code unknown');
    expect(http.requests).toHaveLength(2);
  });

  it('understands pending answers sent with HTTP 200 (GitHub)', async () => {
    const { result } = poll([json(200, { error: 'authorization_pending' }), json(200, { error: 'slow_down', interval: 10 }), tokenAnswer], { expiresIn: 900 });
    await expect(result).resolves.toMatchObject({ token: { access_token: 'at-1' } });
  });
});
