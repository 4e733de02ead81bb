// The Transcript fed by the real fetch client (its HttpObserver) against a token endpoint on
// 127.0.0.1, and by the steps and checks of a flow: what it records, in which order, redacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchClient } from '../../src/oauth/http.js';
import { exchangeCode } from '../../src/oauth/oauth2.js';
import { flowChecks } from '../../src/trace/checks.js';
import { createRedactor, redactionMarker } from '../../src/trace/redact.js';
import { Transcript, type HttpEvent, type StepEvent, type TraceEvent } from '../../src/trace/transcript.js';
import { flowError } from '../../src/util/errors.js';
import type { FlowFacts } from '../../src/oauth/outcome.js';
import { CLIENT_ID, flowSecrets, leakForms, REDIRECT_URI, runTracedFlow, startTokenServer, type TokenServer } from './trace-fixture.js';

const secrets = flowSecrets();
let server: TokenServer;
const transcript = new Transcript();
const streamed: TraceEvent[] = [];

beforeAll(async () => {
  server = await startTokenServer(secrets);
  transcript.listen((event) => streamed.push(event));
  await runTracedFlow(transcript, server, secrets);
});
afterAll(() => server.close());

const steps = () => transcript.events.filter((event): event is StepEvent => event.kind === 'step');
const exchanges = () => transcript.events.filter((event): event is HttpEvent => event.kind === 'http');

describe('a redacted transcript of a flow', () => {
  it('records the steps, every exchange with the provider and the checks, in order, and streams each as it is recorded', () => {
    expect(transcript.events.map((event) => event.kind)).toEqual(['step', 'step', 'http', 'http', 'http', 'http', 'http', 'check', 'check', 'check', 'check', 'check']);
    expect(streamed).toEqual(transcript.events);
    expect(streamed[0]).toBe(transcript.events[0]);
    expect(exchanges().map((event) => event.purpose)).toEqual([
      'token request (authorization_code)',
      'token request (authorization_code)',
      'token request (refresh_token)',
      'token request (authorization_code)',
      'userinfo',
    ]);
  });

  it('holds no secret, in any encoding, anywhere', () => {
    const text = JSON.stringify(transcript.events);
    for (const form of leakForms(secrets)) expect(text).not.toContain(form);
  });

  it('parses the authorization request and the callback into their parameters; the state fingerprints match', () => {
    const [authorize, callback] = steps();
    expect(authorize?.title).toBe('authorization request');
    const param = (step: StepEvent | undefined, name: string) => step?.params.find((p) => p.name === name)?.value;
    expect(param(authorize, 'client_id')).toBe(CLIENT_ID);
    expect(param(authorize, 'redirect_uri')).toBe(REDIRECT_URI);
    expect(param(authorize, 'code_challenge_method')).toBe('S256');
    expect(param(authorize, 'prompt')).toBe('consent');
    expect(param(authorize, 'nonce')).toBe(redactionMarker(secrets.nonce));
    expect(new URL(authorize?.url ?? '').searchParams.get('state')).toBe(redactionMarker(secrets.state));
    expect(callback?.title).toBe('authorization response');
    expect(param(callback, 'state')).toBe(param(authorize, 'state'));
    // The code that came back is the code that was exchanged.
    expect(param(callback, 'code')).toBe(exchanges()[0]?.request.body?.params?.find((p) => p.name === 'code')?.value);
  });

  it('records each exchange: method, URL, headers, body, status, duration', () => {
    const [basic, json, refresh, reused, refused] = exchanges();
    expect(basic?.request.method).toBe('POST');
    expect(basic?.request.url).toBe(`${server.origin}/token`);
    expect(basic?.request.headers.find((h) => h.name === 'authorization')?.value).toBe(`Basic base64(my+client%40example:${redactionMarker(secrets.clientSecret)})`);
    expect(basic?.response?.status).toBe(200);
    expect(basic?.response?.headers.find((h) => h.name === 'set-cookie')?.value).toBe(`sid=${redactionMarker(secrets.sessionCookie)}; Path=/; HttpOnly; Secure`);
    expect(basic?.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(json?.request.body?.text ?? '')).toMatchObject({ client_id: CLIENT_ID, client_secret: redactionMarker(secrets.clientSecret) });
    expect(refresh?.request.query).toEqual([{ name: 'refresh', value: '1' }]);
    expect(reused?.response?.status).toBe(400);
    expect(refused?.response).toBeUndefined();
    expect(refused?.error).toMatch(/connection refused/);
  });

  it('hides a token under an innocent name even when it comes before the token\'s own field', () => {
    const body = JSON.parse(exchanges()[0]?.response?.body.text ?? '{}') as Record<string, unknown>;
    expect(body.note).toBe(`issued ${redactionMarker(secrets.accessToken)}`);
    expect(body.error_info).toEqual({ code: 190 });
  });

  it('hides a secret the provider echoes in an error message, and the nonce in the id_token check', () => {
    const reused = JSON.parse(exchanges()[3]?.response?.body.text ?? '{}') as Record<string, unknown>;
    expect(reused.error_description).toBe(`the code ${redactionMarker(secrets.code)} was already used`);
    const nonceCheck = transcript.events.find((event) => event.kind === 'check' && event.check.name === 'id_token nonce');
    expect(nonceCheck).toMatchObject({ check: { ok: true, detail: `= "${redactionMarker(secrets.nonce)}"` } });
  });
});

describe('transcript plumbing', () => {
  it('a listener that throws never breaks the HTTP client that called the observer', async () => {
    const local = new Transcript();
    local.listen(() => {
      throw new Error('renderer bug');
    });
    const http = fetchClient({ observe: local.observer });
    const result = await exchangeCode(
      http,
      { tokenUrl: `${server.origin}/token`, clientAuth: 'client_secret_post', tokenParams: {}, tokenHeaders: {}, tokenRequestBody: 'form', tokenResponse: {} },
      { clientId: CLIENT_ID, clientSecret: secrets.clientSecret },
      secrets.code,
      REDIRECT_URI,
      undefined,
    );
    expect(result.token.access_token).toBe(secrets.accessToken);
    expect(local.events).toHaveLength(1);
    expect(local.errors).toHaveLength(1);
  });

  it('listen() returns the function that stops the listener', () => {
    const local = new Transcript();
    const seen: string[] = [];
    const stop = local.listen((event) => seen.push(event.kind));
    local.step('one');
    stop();
    local.step('two');
    expect(seen).toEqual(['step']);
    expect(local.events).toHaveLength(2);
  });

  it('a form_post callback and free-text notes are recorded redacted', () => {
    const local = new Transcript();
    local.redactor.add(secrets.clientSecret, 'client_secret');
    const step = local.authorizationResponse({ method: 'POST', params: { code: secrets.code, state: secrets.state, iss: 'https://issuer.example' } });
    const note = local.step('note', { notes: [`secret ${secrets.clientSecret} loaded`] });
    expect(step.title).toBe('authorization response (form_post)');
    expect(step.params).toEqual([
      { name: 'code', value: redactionMarker(secrets.code) },
      { name: 'state', value: redactionMarker(secrets.state) },
      { name: 'iss', value: 'https://issuer.example' },
    ]);
    expect(note.notes).toEqual([`secret ${redactionMarker(secrets.clientSecret)} loaded`]);
  });

  it('a callback given as the request target the broker saw ("/auth?code=…") is parsed too', () => {
    const step = new Transcript().authorizationResponse({ method: 'GET', url: `/auth?code=${secrets.code}&state=${secrets.state}` });
    expect(step.url).toBe(`/auth?code=${encodeURIComponent(redactionMarker(secrets.code))}&state=${encodeURIComponent(redactionMarker(secrets.state))}`);
    expect(step.params.map((param) => param.name)).toEqual(['code', 'state']);
  });

  it('with --trace-secrets the transcript holds the values as sent', async () => {
    const local = new Transcript({ redactor: createRedactor({ revealSecrets: true }) });
    await runTracedFlow(local, server, secrets);
    const text = JSON.stringify(local.events);
    for (const value of [secrets.code, secrets.state, secrets.verifier, secrets.accessToken, secrets.refreshToken, secrets.idToken]) expect(text).toContain(value);
    const basic = local.events.find((event): event is HttpEvent => event.kind === 'http');
    expect(basic?.request.headers.find((h) => h.name === 'authorization')?.value).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  });
});

describe('flowChecks: the hygiene lines of a flow', () => {
  const facts: FlowFacts = { provider: 'p', protocol: 'oauth2',
    grant: 'authorization_code', redirectUri: REDIRECT_URI, scopes: [], stateLength: 43, pkceMethod: 'S256', verifierLength: 43, nonceSent: false };
  const success = (overrides: Partial<FlowFacts>) =>
    flowChecks({ ok: true, facts: { ...facts, ...overrides }, token: { access_token: 'a', token_type: 'Bearer', extra: {} }, raw: {}, deviations: [], obtainedAt: 0 });
  const verdict = (checks: ReturnType<typeof flowChecks>, name: string) => checks.find((check) => check.name === name)?.ok;

  it('passes a 43-character state and an S256 verifier of 43 characters', () => {
    const checks = success({});
    expect(checks.map((check) => [check.name, check.ok])).toEqual([
      ['state', true],
      ['PKCE', true],
      ['redirect_uri', true],
    ]);
    expect(checks[0]?.detail).toMatch(/^43 characters \(25\d bits\)/);
  });

  it('has no PKCE line for OAuth 1.0a, which has no PKCE', () => {
    expect(success({ protocol: 'oauth1',
    grant: 'authorization_code', pkceMethod: undefined, verifierLength: undefined }).map((check) => check.name)).toEqual(['state', 'redirect_uri']);
  });

  it('fails a state under 128 bits, a missing PKCE, a verifier out of RFC 7636 bounds, a nonce without a verified id_token', () => {
    expect(verdict(success({ stateLength: 16 }), 'state')).toBe(false);
    expect(verdict(success({ pkceMethod: undefined, verifierLength: undefined }), 'PKCE')).toBe(false);
    expect(verdict(success({ verifierLength: 42 }), 'PKCE')).toBe(false);
    expect(verdict(success({ nonceSent: true }), 'nonce')).toBe(false);
  });

  it('reports a state mismatch, and a failed id_token check, as failing lines', () => {
    const mismatch = flowChecks({ ok: false, error: flowError('state mismatch: forged', undefined, 'state_mismatch') });
    expect(mismatch).toEqual([{ ok: false, name: 'state', detail: 'state mismatch: forged', source: 'RFC 6749 §10.12' }]);
    const idToken = flowChecks({ ok: false, facts: { ...facts, nonceSent: true }, error: flowError('id_token rejected: aud …', undefined, 'id_token_aud') });
    expect(idToken.at(-1)).toEqual({ ok: false, name: 'id_token_aud', detail: 'id_token rejected: aud …' });
    expect(verdict(idToken, 'nonce')).toBe(false);
  });
});
