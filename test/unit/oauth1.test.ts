// OAuth 1.0a client (src/oauth/oauth1.ts) against the values published in RFC 5849 itself, plus
// the answers a provider can give (with a fake HttpClient).
import { createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/oauth/http.js';
import {
  authorizationUrl,
  readAuthorizationCallback,
  requestTemporaryCredentials,
  requestTokenCredentials,
  signatureBaseString,
  signRequest,
  type OAuth1Endpoints,
} from '../../src/oauth/oauth1.js';
import type { CliError } from '../../src/util/errors.js';
import { caughtCliError, explained } from './errors.js';

/** `OAuth a="1", b="2"` -> { a: '1', b: '2' }, values as they appear on the wire (still encoded). */
function headerParams(value: string): Record<string, string> {
  expect(value).toMatch(/^OAuth /);
  return Object.fromEntries([...value.slice(6).matchAll(/([\w%.-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** The signature as sent, decoded (§3.5.1 encodes it). */
function signatureOf(value: string): string {
  return decodeURIComponent(headerParams(value).oauth_signature!);
}

// RFC 5849 §1.2: printer.example.com's client credentials at photos.example.net.
const PRINTER = { key: 'dpf43f3p2l4k3l03', secret: 'kd94hf93k423kf44' };

describe('RFC 5849 §1.2 example (photos.example.net / printer.example.com, HMAC-SHA1)', () => {
  it('signs the temporary-credentials request with oauth_callback to 74KNZJeDHnMBp0EMJ9ZHt/XKycU=', () => {
    const authorization = signRequest(
      'HMAC-SHA1',
      PRINTER,
      undefined,
      { method: 'POST', url: 'https://photos.example.net/initiate' },
      {
        protocolParams: { oauth_callback: 'http://printer.example.com/ready' },
        nonce: 'wIjqoS',
        timestamp: 137131200,
        realm: 'Photos',
        includeVersion: false,
      },
    );
    // Exactly the RFC's header parameters (order aside), the callback encoded per §3.6.
    expect(headerParams(authorization)).toEqual({
      realm: 'Photos',
      oauth_consumer_key: 'dpf43f3p2l4k3l03',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131200',
      oauth_nonce: 'wIjqoS',
      oauth_callback: 'http%3A%2F%2Fprinter.example.com%2Fready',
      oauth_signature: '74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D',
    });
  });

  it('signs the token request with the temporary secret and oauth_verifier to gKgrFCywp7rO0OXSjdot/IHF7IU=', () => {
    const authorization = signRequest(
      'HMAC-SHA1',
      PRINTER,
      { token: 'hh5s93j4hdidpola', tokenSecret: 'hdhd0244k9j7ao03' },
      { method: 'POST', url: 'https://photos.example.net/token' },
      { protocolParams: { oauth_verifier: 'hfdp7dh39dks9884' }, nonce: 'walatlh', timestamp: 137131201, includeVersion: false },
    );
    expect(headerParams(authorization)).toMatchObject({ oauth_token: 'hh5s93j4hdidpola', oauth_verifier: 'hfdp7dh39dks9884' });
    expect(signatureOf(authorization)).toBe('gKgrFCywp7rO0OXSjdot/IHF7IU=');
  });

  it('signs the photo request (query parameters included) to MdpQcU8iPSUjWoN/UDMsK2sui9I=', () => {
    const request = { method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' };
    const authorization = signRequest(
      'HMAC-SHA1',
      PRINTER,
      { token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' },
      request,
      { nonce: 'chapoH', timestamp: 137131202, realm: 'Photos', includeVersion: false },
    );
    expect(headerParams(authorization).oauth_signature).toBe('MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D');
  });
});

describe('RFC 5849 §3.1 / §3.4.1 example (example.com/request, query + form body)', () => {
  const request = {
    method: 'POST',
    url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'c2&a3=2+q',
  };
  const protocolParams = {
    oauth_consumer_key: '9djdj82h48djs9d2',
    oauth_token: 'kkk9d7dh3k39sjv7',
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: '137131201',
    oauth_nonce: '7d8f3e4a',
  };
  // §3.4.1.1, the lines joined ("line breaks are for display purposes only").
  const RFC_BASE_STRING =
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
    '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
    'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
    'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
    '9d7dh3k39sjv7';

  it('builds the §3.4.1.1 signature base string byte for byte', () => {
    expect(signatureBaseString(request, protocolParams)).toBe(RFC_BASE_STRING);
  });

  it('leaves realm and oauth_signature out of the base string (§3.4.1.3.1)', () => {
    expect(signatureBaseString(request, { ...protocolParams, realm: 'Example', oauth_signature: 'x' })).toBe(RFC_BASE_STRING);
  });

  it('signs it to r6/TJjbCOr97/+UU0NsvSne7s5g= (the RFC prints bYT5CMsGcbgUdFHObYMEfcx6bsw=, corrected by erratum 2550)', () => {
    const authorization = signRequest(
      'HMAC-SHA1',
      { key: '9djdj82h48djs9d2', secret: 'j49sk3j29djd' },
      { token: 'kkk9d7dh3k39sjv7', tokenSecret: 'dh893hdasih9' },
      request,
      { nonce: '7d8f3e4a', timestamp: 137131201, realm: 'Example', includeVersion: false },
    );
    expect(headerParams(authorization).realm).toBe('Example');
    expect(signatureOf(authorization)).toBe('r6/TJjbCOr97/+UU0NsvSne7s5g=');
  });

  it('does not sign a body that is not application/x-www-form-urlencoded', () => {
    const json = { ...request, headers: { 'content-type': 'application/json' }, body: '{"c2":"x"}' };
    const base = signatureBaseString(json, protocolParams);
    expect(base).not.toContain('c2');
    expect(base).toContain('a3%3Da');
  });
});

describe('§3.4.1.2 base string URI', () => {
  it('lower-cases scheme and host, drops the default port, keeps the path encoding and the query parameters', () => {
    const base = signatureBaseString({ method: 'get', url: 'HTTP://EXAMPLE.COM:80/r%20v/X?id=123' }, {});
    expect(base).toBe('GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&id%3D123');
  });

  it('keeps a port that is not the default one', () => {
    const base = signatureBaseString({ method: 'GET', url: 'https://www.example.net:8080/?q=1' }, {});
    expect(base.split('&')[1]).toBe('https%3A%2F%2Fwww.example.net%3A8080%2F');
  });
});

describe('PLAINTEXT (§3.4.4)', () => {
  it('sends the encoded secrets joined by "&" (RFC 5849 §2.1 and §2.3 examples)', () => {
    const consumer = { key: 'jd83jd92dhsh93js', secret: 'ja893SD9' };
    const temporary = signRequest('PLAINTEXT', consumer, undefined, { method: 'POST', url: 'https://server.example.com/request_temp_credentials' }, {
      protocolParams: { oauth_callback: 'http://client.example.net/cb?x=1' },
    });
    expect(headerParams(temporary)).toMatchObject({
      oauth_signature_method: 'PLAINTEXT',
      oauth_callback: 'http%3A%2F%2Fclient.example.net%2Fcb%3Fx%3D1',
      oauth_signature: 'ja893SD9%26',
    });
    const token = signRequest(
      'PLAINTEXT',
      consumer,
      { token: 'hdk48Djdsa', tokenSecret: 'xyz4992k83j47x0b' },
      { method: 'POST', url: 'https://server.example.com/request_token' },
      { protocolParams: { oauth_verifier: '473f82d3' } },
    );
    expect(headerParams(token).oauth_signature).toBe('ja893SD9%26xyz4992k83j47x0b');
  });

  it('percent-encodes each secret before joining them (§3.6), then once more in the header (§3.5.1)', () => {
    const authorization = signRequest('PLAINTEXT', { key: 'k', secret: 'a&b c' }, { token: 't', tokenSecret: 'ü+' }, { method: 'GET', url: 'https://x.example/' });
    expect(signatureOf(authorization)).toBe('a%26b%20c&%C3%BC%2B');
  });
});

describe('RSA-SHA1 (§3.4.3)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const request = {
    method: 'POST',
    url: 'https://jira.example.com/rest/api/2/issue?expand=names',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'summary=Hello+world&project=OA',
  };

  for (const format of ['pkcs8', 'pkcs1'] as const) {
    it(`signs the base string with the private key (${format} PEM); the public key verifies it`, () => {
      const pem = privateKey.export({ type: format, format: 'pem' }).toString();
      const authorization = signRequest('RSA-SHA1', { key: 'jira-consumer', secret: '', privateKeyPem: pem }, { token: 'tok', tokenSecret: '' }, request);
      const params = Object.fromEntries(Object.entries(headerParams(authorization)).map(([k, v]) => [k, decodeURIComponent(v)]));
      expect(params.oauth_signature_method).toBe('RSA-SHA1');
      const { oauth_signature: signature, ...signed } = params;
      const base = signatureBaseString(request, signed);
      expect(base).toContain('summary%3DHello%2520world');
      expect(verify('RSA-SHA1', Buffer.from(base), publicKey, Buffer.from(signature!, 'base64'))).toBe(true);
      // Tampering with a signed body parameter breaks it.
      const tampered = signatureBaseString({ ...request, body: 'summary=Bye&project=OA' }, signed);
      expect(verify('RSA-SHA1', Buffer.from(tampered), publicKey, Buffer.from(signature!, 'base64'))).toBe(false);
    });
  }

  it('refuses a missing, unreadable or non-RSA key with a config error that never echoes the key', () => {
    const attempt = (privateKeyPem: string | undefined) => () =>
      signRequest('RSA-SHA1', { key: 'c', secret: '', ...(privateKeyPem === undefined ? {} : { privateKeyPem }) }, undefined, request);
    expect(attempt(undefined)).toThrow(/needs the consumer RSA private key/);
    const garbage = '-----BEGIN PRIVATE KEY-----\nTOPSECRETNOTAKEY\n-----END PRIVATE KEY-----';
    try {
      attempt(garbage)();
      expect.unreachable();
    } catch (error) {
      const shown = explained(error);
      expect(shown.exitCode).toBe(2);
      expect(shown.message).toMatch(/not a readable PEM/);
      expect(shown.message + shown.hint).not.toContain('TOPSECRET');
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(attempt(ec)).toThrow(/ec key, not an RSA key/);
    expect(createPrivateKey(ec).asymmetricKeyType).toBe('ec');
  });
});

describe('protocol parameters of signRequest', () => {
  const consumer = { key: 'ck', secret: 'cs' };
  const request = { method: 'GET', url: 'https://api.example.com/1.1/me.json' };

  it('sends oauth_version=1.0 unless told not to', () => {
    expect(headerParams(signRequest('HMAC-SHA1', consumer, undefined, request)).oauth_version).toBe('1.0');
    expect(headerParams(signRequest('HMAC-SHA1', consumer, undefined, request, { includeVersion: false })).oauth_version).toBeUndefined();
  });

  it('draws a fresh alphanumeric nonce for every request and stamps it in Unix seconds (§3.3)', () => {
    const first = headerParams(signRequest('HMAC-SHA1', consumer, undefined, request));
    const second = headerParams(signRequest('HMAC-SHA1', consumer, undefined, request));
    expect(first.oauth_nonce).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(first.oauth_nonce).not.toBe(second.oauth_nonce);
    expect(first.oauth_timestamp).toMatch(/^[1-9][0-9]*$/);
    expect(Math.abs(Number(first.oauth_timestamp) - Date.now() / 1000)).toBeLessThan(3600);
  });

  it('signs HMAC-SHA256 with SHA-256 (a 32-byte digest)', () => {
    const authorization = signRequest('HMAC-SHA256', consumer, { token: 't', tokenSecret: 's' }, request);
    expect(headerParams(authorization).oauth_signature_method).toBe('HMAC-SHA256');
    expect(Buffer.from(signatureOf(authorization), 'base64')).toHaveLength(32);
  });
});

describe('authorizationUrl (§2.2)', () => {
  it('adds oauth_token and the provider authorizeParams, keeping the endpoint query', () => {
    const url = new URL(
      authorizationUrl({ authorizeUrl: 'https://www.flickr.com/services/oauth/authorize?lang=fr', authorizeParams: { perms: 'read' } }, 'tmp token/1'),
    );
    expect(url.origin + url.pathname).toBe('https://www.flickr.com/services/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({ lang: 'fr', oauth_token: 'tmp token/1', perms: 'read' });
  });

  it('sends the scopes with the provider separator when the file declares scopes (Trello)', () => {
    const spec = { authorizeUrl: 'https://trello.com/1/OAuthAuthorizeToken', scopes: { separator: ',', default: ['read'] } };
    expect(new URL(authorizationUrl(spec, 't', ['read', 'write'])).searchParams.get('scope')).toBe('read,write');
    expect(new URL(authorizationUrl(spec, 't')).searchParams.has('scope')).toBe(false);
    expect(new URL(authorizationUrl({ authorizeUrl: spec.authorizeUrl }, 't', ['read'])).searchParams.has('scope')).toBe(false);
  });
});

describe('readAuthorizationCallback (§2.2)', () => {
  const read = (query: string) => () => readAuthorizationCallback(new URLSearchParams(query), 'tmp-1');

  it('returns the verifier of the matching temporary token', () => {
    expect(read('x=1&oauth_token=tmp-1&oauth_verifier=v%2B1')()).toBe('v+1');
  });

  it('reports a denial (denied=<token>, as Twitter sends it)', async () => {
    expect(await caughtCliError(read('denied=tmp-1'))).toMatchObject({ code: 'access_denied', kind: 'flow' });
  });

  it('refuses the callback of another temporary token, or none', () => {
    expect(read('oauth_token=tmp-2&oauth_verifier=v')).toThrow(expect.objectContaining({ code: 'token_mismatch' }));
    expect(read('oauth_verifier=v')).toThrow(expect.objectContaining({ code: 'token_mismatch' }));
  });

  it('refuses a callback without oauth_verifier (an OAuth 1.0 provider)', () => {
    expect(read('oauth_token=tmp-1')).toThrow(expect.objectContaining({ code: 'no_verifier' }));
  });
});

// ---------------------------------------------------------------------------------------------
// Requests and answers, with a fake provider

const SPEC: OAuth1Endpoints = {
  requestTokenUrl: 'https://provider.example/oauth/request_token',
  accessTokenUrl: 'https://provider.example/oauth/access_token',
  signatureMethod: 'HMAC-SHA1',
  requestTokenParams: { scope: 'read_public', x_auth_access_type: 'read' },
};
const CONSUMER = { key: 'consumer-key', secret: 'CONSUMER-SECRET-VALUE' };

function answer(status: number, text: string, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }) {
  const requests: HttpRequest[] = [];
  const http: HttpClient = async (request) => {
    requests.push(request);
    const response: HttpResponse = { status, statusText: '', headers, text, url: request.url };
    return response;
  };
  return { http, requests };
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const cliError = explained(error);
  // Secrets never show up in what the user reads.
  expect(`${cliError.message} ${cliError.hint}`).not.toContain(CONSUMER.secret);
  expect(`${cliError.message} ${cliError.hint}`).not.toContain('TOKEN-SECRET-VALUE');
  return cliError;
}

describe('requestTemporaryCredentials (§2.1)', () => {
  it('POSTs a signed form with oauth_callback in the header and requestTokenParams in the body', async () => {
    const { http, requests } = answer(200, 'oauth_token=tmp&oauth_token_secret=tmp-secret&oauth_callback_confirmed=true');
    const result = await requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1:6284/auth?flow=a b');
    expect(result).toEqual({ token: 'tmp', tokenSecret: 'tmp-secret', callbackConfirmed: true, deviations: [] });

    const request = requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(SPEC.requestTokenUrl);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({ scope: 'read_public', x_auth_access_type: 'read' });
    const params = headerParams(request.headers.authorization!);
    expect(params.oauth_callback).toBe('http%3A%2F%2F127.0.0.1%3A6284%2Fauth%3Fflow%3Da%20b');
    expect(params.oauth_token).toBeUndefined();
    // The body parameters are part of what was signed.
    const decoded = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, decodeURIComponent(v)]));
    const { oauth_signature: signature, ...signed } = decoded;
    expect(signatureBaseString(request, signed)).toContain('scope%3Dread_public');
    expect(signature).toBeTruthy();
  });

  it('tolerates a missing oauth_callback_confirmed with a deviation', async () => {
    const { http } = answer(200, 'oauth_token=tmp&oauth_token_secret=s');
    const result = await requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth');
    expect(result.callbackConfirmed).toBe(false);
    expect(result.deviations).toEqual([expect.objectContaining({ code: 'callback-not-confirmed', source: 'RFC 5849 §2.1 (MUST)' })]);
  });

  it('refuses oauth_callback_confirmed other than "true"', async () => {
    const { http } = answer(200, 'oauth_token=tmp&oauth_token_secret=s&oauth_callback_confirmed=false');
    const error = await failure(requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth'));
    expect(error.code).toBe('callback_not_confirmed');
    expect(error.hint).toContain('http://127.0.0.1/auth');
  });

  it('reads form-encoded credentials sent as text/html (Twitter) with a deviation', async () => {
    const { http } = answer(200, 'oauth_token=tmp&oauth_token_secret=s&oauth_callback_confirmed=true', { 'content-type': 'text/html; charset=utf-8' });
    const result = await requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth');
    expect(result.token).toBe('tmp');
    expect(result.deviations.map((d) => d.code)).toEqual(['content-type']);
  });

  it('turns oauth_problem (Problem Reporting) into one line with a hint', async () => {
    const { http } = answer(401, 'oauth_problem=signature_invalid&oauth_problem_advice=the+signature+does+not+match');
    const error = await failure(requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth'));
    expect(error.kind).toBe('flow');
    expect(error.code).toBe('signature_invalid');
    expect(error.message).toBe(
      'the request-token endpoint refused: oauth_problem=signature_invalid — the signature does not match [HTTP 401]',
    );
    expect(error.hint).toMatch(/consumer secret/);
  });

  it('reads oauth_problem from WWW-Authenticate too, and shows the acceptable timestamps', async () => {
    const { http } = answer(401, 'oauth_acceptable_timestamps=100-700', {
      'content-type': 'application/x-www-form-urlencoded',
      'www-authenticate': 'OAuth realm="https://provider.example/", oauth_problem="timestamp_refused"',
    });
    const error = await failure(requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth'));
    expect(error.code).toBe('timestamp_refused');
    expect(error.message).toContain('oauth_acceptable_timestamps=100-700');
    expect(error.hint).toMatch(/clock/);
  });

  it('summarizes a JSON error (Twitter: errors[0].message) and an HTML error page', async () => {
    const json = answer(401, '{"errors":[{"code":32,"message":"Could not authenticate you."}]}', { 'content-type': 'application/json' });
    const jsonError = await failure(requestTemporaryCredentials(json.http, SPEC, CONSUMER, 'http://127.0.0.1/auth'));
    expect(jsonError.message).toBe('the request-token endpoint answered HTTP 401: Could not authenticate you.');
    expect(jsonError.hint).toMatch(/consumer key or secret/);

    const html = answer(503, '<html><head><title>Service Unavailable</title></head><body>down</body></html>', { 'content-type': 'text/html' });
    const htmlError = await failure(requestTemporaryCredentials(html.http, SPEC, CONSUMER, 'http://127.0.0.1/auth'));
    expect(htmlError.message).toBe('the request-token endpoint answered HTTP 503: an HTML page "Service Unavailable"');
    expect(htmlError.hint).toMatch(/try again later/);
  });

  it('refuses a 200 without oauth_token, naming the fields but not their values', async () => {
    const { http } = answer(200, 'oauth_token_secret=TOKEN-SECRET-VALUE&foo=bar');
    const error = await failure(requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth'));
    expect(error.code).toBe('no_oauth_token');
    expect(error.hint).toContain('oauth_token_secret, foo');
  });

  it('refuses a 200 HTML page (wrong URL)', async () => {
    const { http } = answer(200, '<!doctype html><title>Sign in</title>', { 'content-type': 'text/html' });
    expect((await failure(requestTemporaryCredentials(http, SPEC, CONSUMER, 'http://127.0.0.1/auth'))).code).toBe('html_response');
  });
});

describe('requestTokenCredentials (§2.3)', () => {
  it('signs with the temporary credentials and oauth_verifier, and keeps the extra fields', async () => {
    const { http, requests } = answer(200, 'oauth_token=acc&oauth_token_secret=acc-secret&user_id=42&screen_name=alice');
    const result = await requestTokenCredentials(http, SPEC, CONSUMER, { token: 'tmp', tokenSecret: 'TOKEN-SECRET-VALUE' }, 'verif/1');
    expect(result).toEqual({ token: 'acc', tokenSecret: 'acc-secret', extra: { user_id: '42', screen_name: 'alice' }, deviations: [] });
    const request = requests[0]!;
    expect(request.url).toBe(SPEC.accessTokenUrl);
    expect(request.body).toBe('');
    const params = headerParams(request.headers.authorization!);
    expect(params).toMatchObject({ oauth_token: 'tmp', oauth_verifier: 'verif%2F1', oauth_consumer_key: 'consumer-key' });
  });

  it('refuses an answer without oauth_token_secret, except for RSA-SHA1 which never uses it (§4.1)', async () => {
    const missing = answer(200, 'oauth_token=acc');
    const error = await failure(requestTokenCredentials(missing.http, SPEC, CONSUMER, { token: 'tmp', tokenSecret: 's' }, 'v'));
    expect(error.code).toBe('no_token_secret');

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaConsumer = { key: 'jira', secret: '', privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const rsa = answer(200, 'oauth_token=acc');
    const result = await requestTokenCredentials(rsa.http, { ...SPEC, signatureMethod: 'RSA-SHA1' }, rsaConsumer, { token: 'tmp', tokenSecret: '' }, 'v');
    expect(result.tokenSecret).toBe('');
    expect(result.deviations.map((d) => d.code)).toEqual(['missing-token-secret']);
  });

  it('reports a used or unknown temporary token with its oauth_problem', async () => {
    const { http } = answer(401, 'oauth_problem=token_rejected');
    const error = await failure(requestTokenCredentials(http, SPEC, CONSUMER, { token: 'tmp', tokenSecret: 's' }, 'v'));
    expect(error.message).toBe('the access-token endpoint refused: oauth_problem=token_rejected [HTTP 401]');
    expect(error.hint).toMatch(/start the login again/);
  });
});
