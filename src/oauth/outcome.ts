/**
 * The end of a flow, as whoever ran it (the broker, the device and client-credentials grants of
 * `login`) hands it on: the token and the facts the hygiene checks read (src/trace/checks.ts).
 */
import type { DpopProver } from './dpop.js';
import { ProtocolError, ProviderConfigurationError } from './errors.js';
import type { IdTokenCheck } from './oidc/id-token.js';
import type { Deviation, TokenSet } from './token-response.js';
import { CliError } from '../util/errors.js';

/**
 * What a failed flow ends with: a protocol error (src/oauth/errors.ts), a provider that cannot work
 * as configured (src/providers/errors.ts), or a CliError: a secret the config layer cannot read, or
 * the CLI's own end of a login (cancelled, timed out).
 */
export type FlowError = ProtocolError | ProviderConfigurationError | CliError;

export function isFlowError(error: unknown): error is FlowError {
  return error instanceof ProtocolError || error instanceof ProviderConfigurationError || error instanceof CliError;
}

/**
 * One check made along a flow (a PAR request_uri's lifetime, a client assertion's claims, a DPoP
 * proof's, each JARM check), as --verbose and --trace print it: pass or fail, with its RFC section.
 */
export interface ProtocolCheck {
  ok: boolean;
  name: string;
  detail: string;
  source?: string;
}

export interface FlowFacts {
  provider: string;
  protocol: 'oauth2' | 'oauth1';
  /** How the token was obtained; the redirect-based checks apply to authorization_code only. */
  grant: 'authorization_code' | 'device_code' | 'client_credentials' | 'ciba';
  redirectUri: string;
  scopes: string[];
  /** Lengths and methods, never the values: for the hygiene report. */
  stateLength: number;
  pkceMethod: 'S256' | undefined;
  verifierLength: number | undefined;
  nonceSent: boolean;
}

/** The facts of a grant with no browser redirect (device code, client credentials). */
const DIRECT_GRANT_NAMES = { device_code: 'device grant', client_credentials: 'client credentials', ciba: 'CIBA, the user approves on another device' } as const;

export function directGrantFacts(provider: string, grant: keyof typeof DIRECT_GRANT_NAMES, scopes: string[]): FlowFacts {
  return {
    provider,
    protocol: 'oauth2',
    grant,
    redirectUri: `(none: ${DIRECT_GRANT_NAMES[grant]})`,
    scopes,
    stateLength: 0,
    pkceMethod: undefined,
    verifierLength: undefined,
    nonceSent: false,
  };
}

export interface FlowSuccess {
  ok: true;
  facts: FlowFacts;
  token: TokenSet;
  raw: Record<string, unknown>;
  deviations: Deviation[];
  idToken?: { claims: Record<string, unknown>; checks: IdTokenCheck[] };
  /** When the token response was received (ms since the epoch). */
  obtainedAt: number;
  /** RFC 9449: the key a broker's server flow made for this grant, when the token is bound to it (the broker keeps it). */
  dpop?: DpopProver;
}

export interface FlowFailure {
  ok: false;
  error: FlowError;
  facts?: FlowFacts;
}

export type FlowOutcome = FlowSuccess | FlowFailure;
