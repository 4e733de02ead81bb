// The inspector's flow recorder (src/inspector/recorder.ts): exchanges filed under the flow they
// happen in, even when flows interleave; bounds in count and bytes; token values kept for the
// reveal and absent from every view; a failure's failing step and the CLI's explanation.
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { FlowRecorder, type FlowHandle } from '../../src/inspector/recorder.js';
import { ProviderError, CallbackRejectedError } from '../../src/oauth/errors.js';
import type { HttpRequest, HttpResponse } from '../../src/oauth/http.js';
import type { FlowFacts } from '../../src/oauth/outcome.js';
import { flowError, type CliError } from '../../src/util/errors.js';

const FACTS: FlowFacts = {
  provider: 'acme',
  protocol: 'oauth2',
  grant: 'authorization_code',
  redirectUri: 'http://127.0.0.1:6284/auth',
  scopes: ['openid'],
  stateLength: 43,
  pkceMethod: 'S256',
  verifierLength: 43,
  nonceSent: false,
};

function exchange(recorder: FlowRecorder, purpose: string, body: unknown = { ok: true }, status = 200) {
  const request: HttpRequest = { method: 'POST', url: 'https://auth.acme.example/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=the-code-value', purpose };
  const response: HttpResponse = { status, statusText: '', headers: { 'content-type': 'application/json' }, text: JSON.stringify(body), url: request.url };
  recorder.observer({ request, response, startedAt: Date.now(), durationMs: 3 });
}

const meta = (provider = 'acme') => ({ kind: 'client' as const, provider, providerName: 'Acme', app: 'test app', redirectUri: FACTS.redirectUri });
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('FlowRecorder', () => {
  it('files each exchange under the flow whose step it happens in, also when two flows interleave', async () => {
    const recorder = new FlowRecorder();
    const a = recorder.begin(meta('a'));
    const b = recorder.begin(meta('b'));
    const step = (flow: FlowHandle, purpose: string) =>
      flow.run(async () => {
        await tick();
        exchange(recorder, `${purpose} 1`);
        await tick();
        exchange(recorder, `${purpose} 2`);
      });
    await Promise.all([step(a, 'of a'), step(b, 'of b')]);
    // Outside any flow's step: filed nowhere.
    exchange(recorder, 'stray');
    const purposes = (flow: FlowHandle) => flow.view().events.flatMap((event) => (event.kind === 'http' ? [event.purpose] : []));
    expect(purposes(a)).toEqual(['of a 1', 'of a 2']);
    expect(purposes(b)).toEqual(['of b 1', 'of b 2']);
  });

  it('finds a flow by the state of its authorization request, and by its access token once it ended', () => {
    const recorder = new FlowRecorder();
    const flow = recorder.begin(meta());
    flow.authorizationRequest('https://auth.acme.example/authorize?client_id=c&state=the-sealed-state-value&code_challenge=x');
    expect(recorder.find('the-sealed-state-value')).toBe(flow);
    expect(recorder.find('another-state')).toBeUndefined();
    flow.finish({ ok: true, facts: FACTS, token: { access_token: 'access-token-value-1', token_type: 'Bearer', extra: {} }, raw: {}, deviations: [], obtainedAt: Date.now() });
    expect(recorder.find('access-token-value-1')).toBe(flow);
  });

  it('records the authorization request first, dated when it was sent and redacted, even when it is redacted later', () => {
    let now = 1_000;
    const recorder = new FlowRecorder({ now: () => now });
    const flow = recorder.begin(meta());
    flow.authorizationRequest('https://auth.acme.example/authorize?client_id=c&state=the-sealed-state-value');
    expect(recorder.list()[0]?.steps).toBe(1);
    now = 5_000;
    flow.run(() => exchange(recorder, 'token request (authorization_code)'));
    const [request, token] = flow.view().events;
    expect(request).toMatchObject({ kind: 'step', title: 'authorization request', at: 1_000 });
    expect(JSON.stringify(request)).not.toContain('the-sealed-state-value');
    expect(token).toMatchObject({ kind: 'http', purpose: 'token request (authorization_code)' });
  });

  it('a redirect flow with no callback after 30 s shows what the CLI says when none comes back', () => {
    let now = 0;
    const recorder = new FlowRecorder({ now: () => now });
    const flow = recorder.begin(meta());
    flow.authorizationRequest('https://auth.acme.example/authorize?state=s-value-long-enough');
    now = 29_000;
    expect(flow.view().waiting).toBeUndefined();
    now = 31_000;
    expect(flow.view().waiting?.[0]).toBe('No callback came back from Acme. If the browser shows an error page there instead, the redirect URI is the usual cause:');
    flow.fail(new Error('timeout'));
    expect(flow.view().waiting).toBeUndefined();
  });

  it('a value redaction cannot encode (a lone surrogate in a hostile callback) never fails the flow', () => {
    const recorder = new FlowRecorder();
    const flow = recorder.begin(meta());
    expect(() => flow.authorizationResponse({ method: 'POST', params: { state: '\r\nSet-Cookie: x\ud800', code: 'undefined%ZZ__proto__' } })).not.toThrow();
    expect(() => flow.finish({ ok: false, error: new CallbackRejectedError('state \ud800 refused', 'state_mismatch') })).not.toThrow();
    expect(flow.view()).toMatchObject({ status: 'failed' });
  });

  it('a login that gives up (its timeout) ends the pending flow with that error and the no-callback advice', () => {
    const recorder = new FlowRecorder({ hintFor: (error) => (error as CliError).hint });
    const flow = recorder.begin(meta());
    flow.authorizationRequest('https://auth.acme.example/authorize?state=s-value-long-enough');
    const done = recorder.begin(meta());
    done.fail(new Error('earlier'));
    recorder.endPending(flowError('no sign-in came back within 2 s', 'raise --timeout', 'timeout'));
    expect(flow.view()).toMatchObject({ status: 'failed', explanation: { message: 'no sign-in came back within 2 s', hint: 'raise --timeout', code: 'timeout' } });
    expect(flow.view().explanation?.redirect?.[0]).toMatch(/^No callback came back from Acme/);
    expect(done.view().explanation?.message).toBe('earlier');
  });

  it('keeps at most maxFlows flows, dropping finished ones before pending ones', () => {
    const recorder = new FlowRecorder({ maxFlows: 3 });
    const pending = recorder.begin(meta('pending'));
    const finished = [1, 2].map((n) => {
      const flow = recorder.begin(meta(`done-${n}`));
      flow.fail(new Error('no'));
      return flow;
    });
    recorder.begin(meta('new'));
    expect(recorder.list().map((flow) => flow.provider)).toEqual(['new', 'done-2', 'pending']);
    expect(recorder.get(finished[0]!.id)).toBeUndefined();
    expect(recorder.get(pending.id)).toBe(pending);
  });

  it('keeps at most maxBytes, and a flow that outgrows its quarter stops recording, marked truncated', () => {
    const recorder = new FlowRecorder({ maxBytes: 40_000 });
    const big = recorder.begin(meta('big'));
    big.run(() => {
      for (let i = 0; i < 10; i++) exchange(recorder, `call ${i}`, { blob: 'x'.repeat(3000) });
    });
    const view = big.view();
    expect(view.truncated).toBe(true);
    expect(view.events.length).toBeLessThan(10);
    expect(recorder.size().bytes).toBeLessThanOrEqual(10_000);
    // Many flows: the total stays under the budget, the newest are kept.
    for (let n = 0; n < 20; n++) {
      const flow = recorder.begin(meta(`f${n}`));
      flow.run(() => exchange(recorder, 'call', { blob: 'y'.repeat(4000) }));
      flow.fail(new Error('done'));
    }
    expect(recorder.size().bytes).toBeLessThanOrEqual(40_000);
    expect(recorder.list()[0]?.provider).toBe('f19');
    expect(recorder.list().length).toBeLessThan(21);
  });

  it('keeps token values for the reveal only: no summary, view or transcript holds one; a JWT is decoded', async () => {
    const recorder = new FlowRecorder();
    const flow = recorder.begin(meta());
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ sub: 'alice', nonce: 'the-nonce-value-123' })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode('k'.repeat(32)));
    flow.authorizationRequest('https://auth.acme.example/authorize?state=s-value-long-enough&nonce=the-nonce-value-123');
    const tokens = { access_token: 'access-token-value-2', refresh_token: 'refresh-token-value-2', id_token: idToken, token_type: 'Bearer' };
    flow.run(() => exchange(recorder, 'token request (authorization_code)', tokens));
    flow.finish({ ok: true, facts: FACTS, token: { ...tokens, extra: {} }, raw: tokens, deviations: [], obtainedAt: Date.now() });

    const shown = JSON.stringify([flow.view(), recorder.list()]);
    for (const value of [tokens.access_token, tokens.refresh_token, idToken, 'the-nonce-value-123']) expect(shown).not.toContain(value);
    expect(flow.secret('access_token')).toBe(tokens.access_token);
    expect(flow.secret('id_token')).toBe(idToken);
    const id = flow.view().tokens.find((token) => token.name === 'id_token');
    expect(id?.marker).toMatch(/^\[redacted \d+ chars #[0-9a-f]{6}\]$/);
    expect(id?.jwt).toMatchObject({ kid: 'key-1', alg: 'HS256', claims: { sub: 'alice', exp: now + 3600 }, signature: { status: 'unchecked' } });
  });

  it('a refused id_token still shows its tokens, from the token response the flow then refused', () => {
    const recorder = new FlowRecorder();
    const flow = recorder.begin(meta());
    flow.run(() => exchange(recorder, 'token request (authorization_code)', { access_token: 'access-token-value-3', token_type: 'Bearer' }));
    flow.finish({ ok: false, error: new CallbackRejectedError('nope', 'state_mismatch'), facts: FACTS });
    expect(flow.secret('access_token')).toBe('access-token-value-3');
    expect(flow.view().tokens.map((token) => token.name)).toEqual(['access_token']);
  });

  it('a provider refusing the redirect URI: the authorization response is the failing step, with the diagnosis and the hint', () => {
    const recorder = new FlowRecorder({ hintFor: (error) => (error instanceof ProviderError ? 'the hint the CLI prints' : undefined) });
    const flow = recorder.begin({ ...meta(), registerUrl: 'https://acme.example/apps' });
    flow.authorizationRequest('https://auth.acme.example/authorize?state=s-value-long-enough');
    flow.authorizationResponse({ method: 'GET', url: '/auth?error=redirect_uri_mismatch&state=s-value-long-enough' });
    const error = new ProviderError('the provider refused: redirect_uri_mismatch', { endpoint: 'authorization', code: 'redirect_uri_mismatch', error: 'redirect_uri_mismatch' });
    flow.finish({ ok: false, error, facts: FACTS });
    const view = flow.view();
    expect(view.status).toBe('failed');
    expect(view.events[view.failing!]).toMatchObject({ kind: 'step', title: 'authorization response' });
    expect(view.explanation?.hint).toBe('the hint the CLI prints');
    expect(view.explanation?.redirect?.join('\n')).toContain(`Paste this line into Acme's list of redirect URIs (https://acme.example/apps):\n  ${FACTS.redirectUri}`);
  });

  it('a failing exchange is the failing step, and listeners hear each change', () => {
    const recorder = new FlowRecorder();
    const heard: string[] = [];
    recorder.subscribe((summary) => heard.push(summary.status));
    const flow = recorder.begin(meta());
    flow.run(() => exchange(recorder, 'token request (authorization_code)', { error: 'invalid_grant' }, 400));
    flow.finish({ ok: false, error: new ProviderError('the token endpoint refused: invalid_grant', { endpoint: 'token', code: 'invalid_grant', error: 'invalid_grant', status: 400 }), facts: FACTS });
    const view = flow.view();
    expect(view.events[view.failing!]).toMatchObject({ kind: 'http', purpose: 'token request (authorization_code)' });
    expect(heard[0]).toBe('pending');
    expect(heard.at(-1)).toBe('failed');
  });
});
