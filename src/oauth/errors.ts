/**
 * What goes wrong in the protocol, as data: which exchange failed, how, and what the server said,
 * in the RFCs' own terms (`error`, `error_description`, `error_uri`: RFC 6749 §4.1.2.1, §5.2), with
 * the HTTP status and the response. The shape follows panva's oauth4webapi (ResponseBodyError,
 * AuthorizationResponseError, OperationProcessingError's codes) and node-oidc-provider's error
 * classes.
 *
 * A protocol error decides nothing about who hears of it: no exit code, no status of ours, no
 * advice. The edges translate: src/cli/errors.ts into a message, a hint and an exit code;
 * src/broker/error-answers.ts and upstream.ts into oauthd's envelope and an HTTP status.
 *
 * The message is one line in our words, fit for a terminal and for an HTTP answer alike: never a
 * token, a secret, or more of a body than a short quoted excerpt. The response rides along for
 * whoever needs more (a trace has it anyway), but is not enumerable: an error serialized whole does
 * not carry a body with it.
 */
import type { HttpResponse } from './http.js';

// A provider that cannot work as described is the provider layer's to say (resolve.ts and the
// catalog find most of these); the protocol finds the rest (a discovery document, an RSA key).
export { ProviderConfigurationError, type ConfigurationProblem } from '../providers/errors.js';

export abstract class ProtocolError extends Error {
  /**
   * A stable, machine-readable reason: the server's `error` (invalid_grant), or ours
   * (state_mismatch, html_response). Traces name a failed flow by it.
   */
  abstract readonly code: string;

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}

/** The exchange that failed, by the RFC's name for its endpoint. */
export type Endpoint =
  /** RFC 6749 §4.1.2: the authorization response, brought back by the browser. */
  | 'authorization'
  /** RFC 6749 §3.2, §5 (and RFC 8628 §3.4, §3.5: polled with a device code). */
  | 'token'
  /** RFC 8628 §3.1, §3.2. */
  | 'device_authorization'
  /** RFC 9126 §2: the pushed authorization request endpoint. */
  | 'pushed_authorization'
  /** OpenID CIBA Core §7: the backchannel authentication endpoint. */
  | 'backchannel_authentication'
  /** RFC 7591 §3, RFC 7592 §2: the client registration endpoint and the client configuration endpoint. */
  | 'registration'
  /** RFC 7009 §2. */
  | 'revocation'
  /** RFC 7662 §2. */
  | 'introspection'
  /** The provider's profile or userinfo endpoint (OIDC Core §5.3), as the provider file describes it. */
  | 'profile'
  /** RFC 5849 §2.1: the request-token endpoint. */
  | 'temporary_credentials'
  /** RFC 5849 §2.2: the resource owner's decision, brought back by the browser. */
  | 'resource_owner_authorization'
  /** RFC 5849 §2.3: the access-token endpoint. */
  | 'token_credentials';

function hideResponse(error: Error, response: HttpResponse | undefined): void {
  Object.defineProperty(error, 'response', { value: response, enumerable: false });
}

export interface ProviderErrorFields {
  endpoint: Endpoint;
  /**
   * Ours: the server's `error` when it gave one (at the token endpoint, the RFC 6749 §5.2 code the
   * provider file's tokenResponse.error.codes maps it to), else what the refusal is (http_error, revocation_failed, ...).
   */
  code: string;
  /** The server's error code: RFC 6749 §5.2 `error`, OAuth 1.0a Problem Reporting's `oauth_problem`. */
  error?: string;
  error_description?: string;
  error_uri?: string;
  /** None for an answer that came through the browser (the authorization response). */
  status?: number;
  response?: HttpResponse;
  cause?: unknown;
  /**
   * The grant the request was for is sender-constrained: bound to a DPoP key (RFC 9449) or to the
   * client certificate (RFC 8705 §3). An invalid_grant then often means the proof or the
   * certificate was not the one the grant is bound to.
   */
  binding?: 'dpop' | 'certificate';
}

/**
 * The server said no: an OAuth error response (RFC 6749 §4.1.2.1, §5.2; RFC 7009 §2.2.1; RFC 8628
 * §3.5; OAuth 1.0a Problem Reporting), an API's own refusal (Slack's `{"ok": false}`), or a status
 * that is no success and no answer to read. `error` is there only when the server named one.
 */
export class ProviderError extends ProtocolError {
  readonly code: string;
  readonly endpoint: Endpoint;
  readonly error: string | undefined;
  readonly error_description: string | undefined;
  readonly error_uri: string | undefined;
  readonly status: number | undefined;
  declare readonly response: HttpResponse | undefined;
  readonly binding: 'dpop' | 'certificate' | undefined;

  constructor(message: string, fields: ProviderErrorFields) {
    super(message, fields.cause);
    this.binding = fields.binding;
    this.endpoint = fields.endpoint;
    this.code = fields.code;
    this.error = fields.error;
    this.error_description = fields.error_description;
    this.error_uri = fields.error_uri;
    this.status = fields.status;
    hideResponse(this, fields.response);
  }
}

/** `error` again, saying the grant it was about is bound to a DPoP key or a certificate (the hint then says so). */
export function withBinding(error: ProviderError, binding: 'dpop' | 'certificate'): ProviderError {
  if (error.binding !== undefined) return error;
  return new ProviderError(error.message, {
    endpoint: error.endpoint,
    code: error.code,
    ...(error.error !== undefined ? { error: error.error } : {}),
    ...(error.error_description !== undefined ? { error_description: error.error_description } : {}),
    ...(error.error_uri !== undefined ? { error_uri: error.error_uri } : {}),
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.response !== undefined ? { response: error.response } : {}),
    cause: error,
    binding,
  });
}

/** Reasons an answer cannot be used, by the rule it breaks. */
export type InvalidResponseCode =
  /** A body that is empty, where the RFC asks for one. */
  | 'empty_response'
  /** An HTML page where JSON or form fields belong (a login page, a proxy's error page). */
  | 'html_response'
  /** JSON that does not parse. */
  | 'broken_json'
  /** A body that is neither JSON nor form-encoded. */
  | 'unreadable_response'
  /** RFC 6749 §5.1: no access_token. */
  | 'no_access_token'
  /** RFC 5849 §2.1, §2.3: no oauth_token, or no oauth_token_secret. */
  | 'no_oauth_token'
  | 'no_token_secret'
  /** RFC 5849 §2.1: oauth_callback_confirmed is not "true": the callback was not accepted. */
  | 'callback_not_confirmed'
  /** RFC 8628 §3.2: a required field missing, or a verification URI that is no web page. */
  | 'invalid_device_authorization'
  /** RFC 7662 §2.2: no boolean `active`. */
  | 'invalid_introspection_response'
  /** The profile answer has no user, or no id, where the provider file's profile block points. */
  | 'profile_unmapped'
  /** RFC 9126 §2.2: no request_uri, or no positive expires_in. */
  | 'invalid_par_response'
  /** OpenID CIBA Core §7.3: no auth_req_id, or no positive expires_in. */
  | 'invalid_backchannel_response'
  /** RFC 7591 §3.2.1: no client_id. */
  | 'invalid_registration_response';

export interface InvalidResponseFields {
  endpoint: Endpoint;
  code: InvalidResponseCode;
  status?: number;
  response?: HttpResponse;
  /**
   * What came instead: the names of the fields received (never their values), "none" when there
   * were none, or a short excerpt of an answer that is no object at all.
   */
  received?: string;
  /**
   * What the answer had to hold, where advice needs it: the callback URL the server had to confirm,
   * the provider file's field (profile.root, profile.map.id) that points at the missing value.
   */
  expected?: string;
}

/** An answer that is not what the RFC (or the provider file) says it is, so nothing can be read from it. */
export class InvalidResponseError extends ProtocolError {
  readonly code: InvalidResponseCode;
  readonly endpoint: Endpoint;
  readonly status: number | undefined;
  readonly received: string | undefined;
  readonly expected: string | undefined;
  declare readonly response: HttpResponse | undefined;

  constructor(message: string, fields: InvalidResponseFields) {
    super(message);
    this.endpoint = fields.endpoint;
    this.code = fields.code;
    this.status = fields.status;
    this.received = fields.received;
    this.expected = fields.expected;
    hideResponse(this, fields.response);
  }
}

/**
 * An id_token that cannot be accepted (OIDC Core §3.1.3.7): a failed check (`check` names it; the
 * code is id_token_<check>), or none where one was asked for, or one that cannot be verified, or a
 * refresh's id_token naming another subject (§12.2).
 */
export class TokenRejectedError extends ProtocolError {
  constructor(
    message: string,
    readonly code: string,
    /** The check that failed (signature, iss, aud, exp, nonce, ...), when one did. */
    readonly check?: string,
  ) {
    super(message);
  }
}

/** Why a callback (an authorization response) is not taken. */
export type CallbackProblem =
  /** RFC 6749 §10.12: no state, a state no flow of ours issued, one past its lifetime, or one answered already. */
  | 'state_missing'
  | 'state_mismatch'
  | 'state_expired'
  | 'state_replayed'
  /** RFC 5849 §2.2: the oauth_token of another login; no oauth_verifier (OAuth 1.0, not 1.0a). */
  | 'token_mismatch'
  | 'no_verifier'
  /** §4.1.2: neither a code nor an error. */
  | 'code_missing'
  /** RFC 9207: the response names another issuer, or lacks the iss its server advertises. */
  | 'issuer_mismatch'
  | 'issuer_missing'
  /** The flow's provider is no longer configured. */
  | 'provider_gone'
  /** JARM was asked, and the response came without its signed `response` JWT (a downgrade). */
  | 'jarm_missing';

/**
 * A callback that must not be accepted: forged, replayed, expired, mixed up with another provider's
 * (RFC 6749 §10.12, RFC 9207, RFC 5849 §2.2). Nothing was exchanged.
 */
export class CallbackRejectedError extends ProtocolError {
  constructor(
    message: string,
    readonly code: CallbackProblem,
    /** state_missing: the error the provider sent along, as "error — description (see uri)". */
    readonly providerSaid?: string,
  ) {
    super(message);
  }
}

/** Why a request is not sent, with what advice needs to say. */
export type Refusal =
  /** A target outside the API's base URL (the caller's path or URL): SSRF and token theft. */
  | { code: 'foreign_origin'; apiBase: string }
  /** A token field (`{token.instance_url}`) naming an origin the provider file's tokenOrigins does not allow. */
  | { code: 'token_origin_refused'; field: string; providerName: string }
  /** A template needs a field (`token.instance_url`) the token does not have. */
  | { code: 'template_value_missing'; field: string }
  /** The sealed state would be longer than providers are sent. */
  | { code: 'state_too_long' };

/** A request refused before it is sent: where it would go, or what it would carry, cannot be. */
export class RequestRefusedError extends ProtocolError {
  readonly code: Refusal['code'];

  constructor(
    message: string,
    readonly refusal: Refusal,
  ) {
    super(message);
    this.code = refusal.code;
  }
}

/**
 * A step of a flow that failed for no reason of the protocol's (the provider out of reach, a
 * library's own error): "the token exchange failed: …", with the error itself as the cause.
 */
export class ExchangeFailedError extends ProtocolError {
  readonly code = 'exchange_failed';

  constructor(what: string, cause: unknown) {
    super(`${what}: ${(cause as Error).message}`, cause);
  }
}
