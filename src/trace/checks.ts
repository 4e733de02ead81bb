/**
 * The hygiene checks of a finished flow, as lines a trace prints: state (RFC 6749 §10.12,
 * RFC 9700 §4.7), PKCE (RFC 7636 §4.1, §4.2), the redirect URI (RFC 6749 §4.1.3), the nonce and the
 * id_token (OIDC Core §3.1.3.7). Built from the facts the broker reports: lengths and methods,
 * never the values.
 */
import type { FlowOutcome } from '../oauth/outcome.js';
import { base64urlEntropyBits } from '../util/random.js';
import { IdTokenRejected } from '../oauth/oidc/id-token.js';

export interface TraceCheck {
  ok: boolean;
  /** What was checked: "state", "PKCE", "id_token aud", ... */
  name: string;
  detail: string;
  /** The RFC section that asks for it. */
  source?: string;
}

/** RFC 6749 §10.10 and RFC 6819 §5.1.4.2.2: at least 128 bits of entropy for state. */
export const MIN_STATE_BITS = 128;
/** RFC 7636 §4.1: 43 to 128 characters. */
const VERIFIER_LENGTH = { min: 43, max: 128 } as const;

/** The flow's codes that mean the callback's state failed: no facts came back for those. */
const STATE_FAILURES = new Set(['state_missing', 'state_mismatch']);

const GRANT_SOURCES: Record<string, string> = { device_code: 'RFC 8628', client_credentials: 'RFC 6749 §4.4', ciba: 'OpenID CIBA Core §10.1' };

export function flowChecks(outcome: FlowOutcome): TraceCheck[] {
  const facts = outcome.facts;
  if (!facts) {
    if (!outcome.ok && STATE_FAILURES.has(outcome.error.code ?? '')) {
      return [{ ok: false, name: 'state', detail: outcome.error.message, source: 'RFC 6749 §10.12' }];
    }
    return !outcome.ok && outcome.error instanceof IdTokenRejected ? idTokenChecks(outcome) : [];
  }
  const checks: TraceCheck[] = [];
  if (facts.grant !== 'authorization_code') {
    // No browser redirect: no state, PKCE, redirect_uri or nonce to check; the id_token still is.
    checks.push({ ok: true, name: 'grant', detail: `${facts.grant} (no redirect: state, PKCE and nonce do not apply)`, source: GRANT_SOURCES[facts.grant] });
    return [...checks, ...idTokenChecks(outcome)];
  }
  // The facts carry the state's length only; its entropy depends on nothing else.
  const bits = base64urlEntropyBits('x'.repeat(facts.stateLength));
  checks.push({
    ok: bits >= MIN_STATE_BITS,
    name: 'state',
    detail: `${facts.stateLength} characters (${bits} bits) from the CSPRNG; the callback's state matched a pending flow and was used once`,
    source: 'RFC 6749 §10.12',
  });
  if (facts.protocol === 'oauth1') {
    // OAuth 1.0a has no PKCE: the oauth_verifier (RFC 5849 §2.2) binds the callback to this login.
  } else if (facts.pkceMethod === undefined) {
    checks.push({ ok: false, name: 'PKCE', detail: 'not sent (the provider is marked as not supporting it)', source: 'RFC 9700 §2.1.1' });
  } else {
    const length = facts.verifierLength ?? 0;
    checks.push({
      ok: facts.pkceMethod === 'S256' && length >= VERIFIER_LENGTH.min && length <= VERIFIER_LENGTH.max,
      name: 'PKCE',
      detail: `${facts.pkceMethod}, verifier ${length} characters (${VERIFIER_LENGTH.min}-${VERIFIER_LENGTH.max} allowed)`,
      source: 'RFC 7636 §4.1, §4.2',
    });
  }
  checks.push({
    ok: true,
    name: 'redirect_uri',
    detail: `${facts.redirectUri} (the same in the authorization and token requests)`,
    source: 'RFC 6749 §4.1.3',
  });
  if (facts.nonceSent) {
    const nonceCheck = outcome.ok ? outcome.idToken?.checks.find((check) => check.name === 'nonce') : undefined;
    checks.push({
      ok: nonceCheck?.ok === true,
      name: 'nonce',
      detail: nonceCheck ? `sent, and ${nonceCheck.ok ? 'matched' : 'not matched'} in the id_token` : 'sent, but no verified id_token came back',
      source: 'OIDC Core §3.1.3.7 step 11',
    });
  }
  return [...checks, ...idTokenChecks(outcome)];
}

function idTokenChecks(outcome: FlowOutcome): TraceCheck[] {
  if (!outcome.ok) {
    // A refused id_token carries every check made; any other failure is one line, the error.
    if (outcome.error instanceof IdTokenRejected) {
      return outcome.error.checks.map((check) => ({ ok: check.ok, name: `id_token ${check.name}`, detail: check.detail, source: check.source }));
    }
    return [{ ok: false, name: outcome.error.code ?? 'flow', detail: outcome.error.message }];
  }
  return (outcome.idToken?.checks ?? []).map((check) => ({ ok: check.ok, name: `id_token ${check.name}`, detail: check.detail, source: check.source }));
}
