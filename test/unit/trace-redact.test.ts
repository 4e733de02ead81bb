// The Redactor: every kind of secret, in every place it can sit, hidden with a length and a
// fingerprint; the syntax around it kept; and --trace-secrets handing everything back unchanged.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../src/oauth/oauth2.js';
import { createRedactor, fingerprint, isSecretName, Redactor, redactionMarker } from '../../src/trace/redact.js';

const MARKER = /\[redacted (\d+) chars? #([0-9a-f]{6})\]/;
const ONLY_MARKER = new RegExp(`^${MARKER.source}$`);
const SECRET = 'Zx9-very_secret.value~123';
const OTHER = 'Qw8-another_secret.value~456';

const sha6 = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 6);

describe('the redaction marker', () => {
  it('shows the length and the first 6 hex digits of the SHA-256', () => {
    expect(redactionMarker(SECRET)).toBe(`[redacted ${SECRET.length} chars #${sha6(SECRET)}]`);
    expect(redactionMarker('x')).toBe(`[redacted 1 char #${sha6('x')}]`);
  });

  it('is equal for equal values and different for different ones', () => {
    expect(fingerprint(SECRET)).toBe(fingerprint(`${SECRET}`));
    expect(fingerprint(SECRET)).not.toBe(fingerprint(OTHER));
    const redactor = createRedactor();
    const sent = redactor.field('state', SECRET);
    const returned = redactor.field('state', SECRET);
    const forged = redactor.field('state', OTHER);
    expect(returned).toBe(sent);
    expect(forged).not.toBe(sent);
  });
});

describe('secret-bearing names', () => {
  const secretNames = [
    'client_secret',
    'code',
    'code_verifier',
    'access_token',
    'refresh_token',
    'id_token',
    'device_code',
    'auth_req_id',
    'assertion',
    'client_assertion',
    'password',
    'oauth_token',
    'oauth_token_secret',
    'oauth_verifier',
    'token',
    'state',
    'nonce',
    'accessToken',
    'Client-Secret',
    'registration_access_token',
    'x_api_key',
  ];
  const plainNames = ['client_id', 'redirect_uri', 'scope', 'grant_type', 'token_type', 'expires_in', 'code_challenge', 'code_challenge_method', 'user_code', 'response_type'];

  it.each(secretNames)('%s is hidden in a query, a form and a JSON request body', (name) => {
    const redactor = createRedactor();
    const url = redactor.url(`https://provider.example/cb?${encodeURIComponent(name)}=${SECRET}&client_id=app`);
    const form = redactor.form(new URLSearchParams({ [name]: SECRET, client_id: 'app' }).toString());
    const json = redactor.body(JSON.stringify({ [name]: SECRET, client_id: 'app' }), 'application/json', 'request');
    for (const out of [url, form, json]) expect(out).not.toContain(SECRET);
    expect(new URL(url).searchParams.get(name)).toMatch(ONLY_MARKER);
    expect(new URLSearchParams(form).get(name)).toMatch(ONLY_MARKER);
    expect((JSON.parse(json) as Record<string, string>)[name]).toMatch(ONLY_MARKER);
  });

  it.each(plainNames)('%s stays readable', (name) => {
    expect(isSecretName(name)).toBe(false);
    expect(createRedactor().field(name, 'visible-value-123')).toBe('visible-value-123');
  });

  it('treats code, state and nonce as secrets only where they are request parameters', () => {
    const redactor = createRedactor();
    // A provider's error in a response: its "code" is what the person debugging needs to read.
    const errorBody = JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: 'expired' }, code: 'invalid_grant' });
    expect(redactor.body(errorBody, 'application/json', 'response')).toBe(errorBody);
    // Nested in a request body they are data too; at the top they are RFC 6749 §4.1.3 parameters.
    const request = JSON.parse(redactor.body(JSON.stringify({ code: SECRET, meta: { state: 'kept-value' } }), 'application/json', 'request')) as {
      code: string;
      meta: { state: string };
    };
    expect(request.code).toMatch(ONLY_MARKER);
    expect(request.meta.state).toBe('kept-value');
  });
});

describe('places a secret can sit', () => {
  it('URL: query and fragment fields, a userinfo password; the rest byte for byte, still a valid URI', () => {
    const redactor = createRedactor();
    const input = `https://user:${SECRET}@provider.example/cb?scope=openid+profile&code=${SECRET}&x=%7E#access_token=${OTHER}&token_type=bearer`;
    const out = redactor.url(input);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(OTHER);
    expect(out).toContain('scope=openid+profile&');
    expect(out).toContain('&x=%7E#');
    expect(out).toContain('&token_type=bearer');
    const parsed = new URL(out);
    expect(parsed.searchParams.get('code')).toBe(redactionMarker(SECRET));
    expect(decodeURIComponent(parsed.password)).toBe(redactionMarker(SECRET));
    expect(new URLSearchParams(parsed.hash.slice(1)).get('access_token')).toBe(redactionMarker(OTHER));
  });

  it('form body: still a form, secret fields replaced, other fields byte for byte', () => {
    const redactor = createRedactor();
    const body = `grant_type=authorization_code&code=${encodeURIComponent(SECRET)}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fauth&client_secret=${encodeURIComponent(OTHER)}`;
    const out = redactor.form(body);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(OTHER);
    expect(out).toContain('grant_type=authorization_code&');
    expect(out).toContain('&redirect_uri=http%3A%2F%2F127.0.0.1%2Fauth&');
    const fields = new URLSearchParams(out);
    expect(fields.get('code')).toBe(redactionMarker(SECRET));
    expect(fields.get('client_secret')).toBe(redactionMarker(OTHER));
    expect(redactor.formParams(body)).toEqual([
      { name: 'grant_type', value: 'authorization_code' },
      { name: 'code', value: redactionMarker(SECRET) },
      { name: 'redirect_uri', value: 'http://127.0.0.1/auth' },
      { name: 'client_secret', value: redactionMarker(OTHER) },
    ]);
  });

  it('JSON body: nested objects and arrays, camelCase names; numbers and plain fields kept', () => {
    const redactor = createRedactor();
    const body = {
      data: { credentials: { refreshToken: SECRET, list: [{ id_token: OTHER, kind: 'jwt' }] } },
      expires_in: 3600,
      error_info: { code: 190 },
    };
    const out = redactor.body(JSON.stringify(body), 'application/vnd.api+json', 'response');
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(OTHER);
    expect(JSON.parse(out)).toEqual({
      data: { credentials: { refreshToken: redactionMarker(SECRET), list: [{ id_token: redactionMarker(OTHER), kind: 'jwt' }] } },
      expires_in: 3600,
      error_info: { code: 190 },
    });
  });

  it('a body without a secret comes back byte for byte', () => {
    const redactor = createRedactor();
    const pretty = '{\n  "token_type": "Bearer",\n  "expires_in": 3600\n}';
    expect(redactor.body(pretty, 'application/json; charset=utf-8', 'response')).toBe(pretty);
    expect(redactor.body('<html>hello</html>', 'text/html', 'response')).toBe('<html>hello</html>');
  });

  it('an untyped body that looks like JSON is read as JSON', () => {
    const out = createRedactor().body(JSON.stringify({ access_token: SECRET }), undefined, 'response');
    expect(JSON.parse(out)).toEqual({ access_token: redactionMarker(SECRET) });
  });

  it('headers: credentials hidden with their shape kept, other headers untouched', () => {
    const redactor = createRedactor();
    const out = redactor.headers({
      Authorization: `Bearer ${SECRET}`,
      'proxy-authorization': `Basic ${Buffer.from(`proxyuser:${OTHER}`).toString('base64')}`,
      cookie: `sid=${SECRET}; theme=${OTHER}`,
      'set-cookie': `sid=${SECRET}; Path=/; HttpOnly; Secure`,
      'x-api-key': SECRET,
      'X-Auth-Token': SECRET,
      'x-amz-security-token': OTHER,
      dpop: OTHER,
      'content-type': 'application/json',
      accept: 'application/json',
    });
    const text = JSON.stringify(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER);
    expect(out.Authorization).toBe(`Bearer ${redactionMarker(SECRET)}`);
    expect(out['proxy-authorization']).toBe(`Basic base64(proxyuser:${redactionMarker(OTHER)})`);
    expect(out.cookie).toBe(`sid=${redactionMarker(SECRET)}; theme=${redactionMarker(OTHER)}`);
    expect(out['set-cookie']).toBe(`sid=${redactionMarker(SECRET)}; Path=/; HttpOnly; Secure`);
    for (const name of ['x-api-key', 'X-Auth-Token', 'x-amz-security-token', 'dpop']) expect(out[name]).toMatch(ONLY_MARKER);
    expect(out['content-type']).toBe('application/json');
    expect(out.accept).toBe('application/json');
  });

  it('Basic: the pair is decoded, the client id readable, the secret fingerprinted as in a form body', () => {
    const redactor = createRedactor();
    const secret = 'p@ss+word/with=special&chars x';
    const header = basicAuthorization('my client', secret);
    const out = redactor.header('authorization', header);
    expect(out).not.toContain(header.slice(6));
    expect(out).toBe(`Basic base64(my+client:${redactionMarker(secret)})`);
    // The same secret sent as client_secret_post elsewhere has the same fingerprint.
    expect(new URLSearchParams(redactor.form(new URLSearchParams({ client_secret: secret }).toString())).get('client_secret')).toBe(
      redactionMarker(secret),
    );
  });

  it('OAuth 1.0a Authorization header: parameter names kept, token and signature hidden', () => {
    const out = createRedactor().header('Authorization', `OAuth oauth_consumer_key="ck-visible", oauth_token="${SECRET}", oauth_signature="${encodeURIComponent(`${OTHER}&`)}"`);
    expect(out).toContain('oauth_consumer_key="ck-visible"');
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(encodeURIComponent(OTHER));
    expect(out).toMatch(/oauth_token="%5Bredacted/);
  });

  it('registered values are hidden wherever they appear: free text, URL paths, encoded, JSON-escaped, under plain names', () => {
    const redactor = createRedactor();
    const secret = 'sk/live+"quoted"&value';
    redactor.add(secret, 'client_secret');
    const inputs = [
      `the provider said: ${secret} is not valid`,
      redactor.url(`https://provider.example/keys/${encodeURIComponent(secret)}?note=${new URLSearchParams({ v: secret }).toString().slice(2)}`),
      redactor.body(JSON.stringify({ error_description: `bad secret ${secret}` }), 'application/json', 'response'),
      redactor.form(new URLSearchParams({ comment: `x${secret}y` }).toString()),
      redactor.header('x-debug', secret),
    ];
    const outputs = [redactor.text(inputs[0] as string), ...inputs.slice(1)];
    for (const out of outputs) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(encodeURIComponent(secret));
      expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
      expect(decodeURIComponent(out.replace(/\+/g, ' '))).toContain(`#${fingerprint(secret)}`);
    }
  });

  it('a value hidden by its name is learned and hidden in later free text (when 8 characters or more)', () => {
    const redactor = createRedactor();
    redactor.body(JSON.stringify({ access_token: SECRET, token_type: 'Bearer' }), 'application/json', 'response');
    expect(redactor.text(`GET /me failed with token ${SECRET}`)).toBe(`GET /me failed with token ${redactionMarker(SECRET)}`);
    // Short values are hidden where they are named, but not searched for: "none" would vanish everywhere.
    expect(redactor.field('password', 'none')).toBe(redactionMarker('none'));
    expect(redactor.text('alg none')).toBe('alg none');
  });

  it('withMarker views share the registered values but write their own marker', () => {
    const redactor = createRedactor();
    redactor.add(SECRET, 'client_secret');
    const view = redactor.withMarker((secret) => `<${secret.name}>`);
    expect(view.text(`x ${SECRET} y`)).toBe('x <client_secret> y');
    expect(view.field('code_verifier', OTHER)).toBe('<code_verifier>');
    // The view learned OTHER; the original redactor hides it in text too.
    expect(redactor.text(OTHER)).toBe(redactionMarker(OTHER));
  });
});

describe('--trace-secrets: a pass-through redactor', () => {
  it('hands every input back unchanged', () => {
    const redactor = new Redactor({ reveal: true });
    expect(redactor.reveals).toBe(true);
    redactor.add(SECRET, 'client_secret');
    const url = `https://u:${SECRET}@p.example/cb?code=${SECRET}#access_token=${OTHER}`;
    const form = `client_secret=${SECRET}&code=${OTHER}`;
    const json = JSON.stringify({ access_token: SECRET, nested: { refresh_token: OTHER } });
    const headers = { authorization: basicAuthorization('id', SECRET), cookie: `sid=${SECRET}`, 'x-api-key': OTHER };
    expect(redactor.url(url)).toBe(url);
    expect(redactor.form(form)).toBe(form);
    expect(redactor.body(json, 'application/json', 'response')).toBe(json);
    expect(redactor.json(JSON.parse(json))).toEqual(JSON.parse(json));
    expect(redactor.headers(headers)).toEqual(headers);
    expect(redactor.text(`free ${SECRET}`)).toBe(`free ${SECRET}`);
    expect(redactor.field('client_secret', SECRET)).toBe(SECRET);
    expect(redactor.formParams(form)).toEqual([
      { name: 'client_secret', value: SECRET },
      { name: 'code', value: OTHER },
    ]);
    expect(createRedactor({ revealSecrets: true }).reveals).toBe(true);
    expect(createRedactor().reveals).toBe(false);
  });
});
