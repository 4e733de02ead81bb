/**
 * The CLI's edge for errors: what the terminal says about a failure the protocol or the provider
 * layer reports as data (src/oauth/errors.ts, src/providers/errors.ts, src/oauth/http.ts's
 * HttpError). Each becomes a CliError (src/util/errors.ts): its message as it is, a hint in this
 * program's words (its commands, its flags, the provider file's fields), and an exit code: 2 for a
 * provider that cannot work as configured or a request refused as given, 1 for a flow that failed.
 *
 * main() reports through asCliError, and so does every command that shows a failure it caught
 * (doctor's checks, logout's kept token); the broker's sign-in pages take their hint from here too
 * (BrokerDeps.hintFor). The advice lives here, keyed by the RFC's endpoint and the server's error,
 * so the protocol modules say what happened and only this module says what to do about it.
 */
import {
  CallbackRejectedError,
  ExchangeFailedError,
  InvalidResponseError,
  ProtocolError,
  ProviderConfigurationError,
  ProviderError,
  RequestRefusedError,
  TokenRejectedError,
  type CallbackProblem,
  type Endpoint,
} from '../oauth/errors.js';
import { header, HttpError } from '../oauth/http.js';
import { CliError, type ErrorKind } from '../util/errors.js';

/**
 * The error as the terminal shows it: a CliError as it is; a protocol, provider or HTTP error
 * translated; undefined for anything else (a bug, or the operating system's refusal).
 */
export function asCliError(error: unknown): CliError | undefined {
  if (error instanceof CliError) return error;
  if (error instanceof HttpError) {
    return new CliError('flow', error.message, 'check the network, and the URL in the provider file or discovery document', { code: 'unreachable', cause: error });
  }
  if (error instanceof ProtocolError || error instanceof ProviderConfigurationError) {
    return new CliError(kindOf(error), error.message, hintFor(error), { ...(error.code !== undefined ? { code: error.code } : {}), cause: error.cause });
  }
  return undefined;
}

/** The hint for a failure: what the terminal would print under it. */
export function hintFor(error: unknown): string | undefined {
  if (error instanceof ProviderError) return providerErrorHint(error);
  if (error instanceof InvalidResponseError) return invalidResponseHint(error);
  if (error instanceof ProviderConfigurationError) return configurationHint(error);
  if (error instanceof TokenRejectedError) return error.check !== undefined ? (lookup(CHECK_HINTS, error.check) ?? OTHER_CHECK) : lookup(TOKEN_HINTS, error.code);
  if (error instanceof CallbackRejectedError) return callbackHint(error);
  if (error instanceof RequestRefusedError) return refusalHint(error);
  if (error instanceof ExchangeFailedError) return 'run with --debug for details';
  return asCliError(error)?.hint;
}

function kindOf(error: ProtocolError | ProviderConfigurationError): ErrorKind {
  if (error instanceof ProviderConfigurationError) return 'config';
  // The caller's own input (a path outside the API, a request too big to start): said as usage.
  if (error instanceof RequestRefusedError && (error.code === 'foreign_origin' || error.code === 'state_too_long')) return 'usage';
  return 'flow';
}

/** The advice a table holds for `key` (a provider's error code: never Object.prototype's "constructor"). */
function lookup(table: Readonly<Record<string, string>>, key: string | undefined): string | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

const TRACE = 'run with --trace to see the request and the response';
const TRACE_RESPONSE = 'run with --trace to see the response';

// ---------------------------------------------------------------------------------------------
// The server said no (ProviderError): its error code, else its status, per endpoint.

/** RFC 6749 §5.2 codes (and the variants providers send), and what usually causes them. */
const TOKEN_ERRORS: Record<string, string> = {
  invalid_request: 'a parameter is missing or repeated; run with --trace to see the request',
  invalid_client:
    'the client id or secret is wrong, the client assertion was refused (key, kid or aud: --verbose shows it), the client certificate is not the one registered or not from a CA the provider trusts (--cert), or the provider wants another client authentication (--auth-method, clientAuth)',
  invalid_grant:
    'the code expired or was used already, or redirect_uri / code_verifier differ from the authorization request; start the login again',
  unauthorized_client: 'this client may not use this grant type; check the app settings at the provider',
  unsupported_grant_type: 'the provider does not support this grant type for this client',
  invalid_scope: 'a requested scope is unknown or not allowed for this app; check --scope',
  redirect_uri_mismatch: 'the redirect URI sent is not the one registered at the provider; register the exact value',
  // A provider's own codes (GitHub's bad_verification_code, Slack's invalid_code) arrive here as the
  // §5.2 code its provider file maps them to (tokenResponse.error.codes).
  // RFC 8628 §3.5: the device grant's polling ends with these.
  access_denied: 'start again and approve the request, or sign in with an account allowed to use this app',
  expired_token: 'start again, and approve the request (the device code, or CIBA\'s request on the authentication device) before it expires',
  // RFC 9449 §5, §8: DPoP.
  invalid_dpop_proof: 'the server refused the DPoP proof (its signature, htm/htu, iat or jti); run with --verbose to see the proof\'s claims, and check this machine\'s clock',
  use_dpop_nonce: 'the server wants its DPoP nonce in the proof, and refused the retry that carried it; run with --trace to see both requests',
  // RFC 8707 §2, RFC 9396 §5: what was asked for.
  invalid_target: 'the server does not know a --resource value, or this client may not ask for it; check the URIs',
  invalid_authorization_details: 'the server refused --authorization-details: an unknown type or a field its type does not allow; check authorization_details_types_supported',
  // RFC 9101 §6.3.
  invalid_request_object: 'the server refused the request object (its signature, aud or exp); check the client key registered at the provider',
};

/** invalid_grant for a sender-constrained grant: usually the key or certificate it is bound to was missing or another. */
const BOUND_GRANT_HINTS: Record<'dpop' | 'certificate', string> = {
  dpop:
    'the grant is bound to a DPoP key (RFC 9449): the request needs a proof made with the key that got it (kept beside the token; lost when the entry is edited or copied without it), or the code expired or was used already; log in again',
  certificate:
    'the grant is bound to the client certificate (RFC 8705 §3): the request must show the certificate it was issued to (login --cert, or the keyset\'s clientCert), or the code expired or was used already; log in again',
};

/** RFC 9126 §2.3: the pushed authorization request endpoint's errors. */
const PAR_ERRORS: Record<string, string> = {
  invalid_client: TOKEN_ERRORS.invalid_client!,
  invalid_request: 'the server refused the pushed request\'s parameters; run with --trace to see them',
  invalid_scope: TOKEN_ERRORS.invalid_scope!,
  invalid_target: TOKEN_ERRORS.invalid_target!,
  invalid_authorization_details: TOKEN_ERRORS.invalid_authorization_details!,
  invalid_request_object: TOKEN_ERRORS.invalid_request_object!,
  invalid_redirect_uri: 'the redirect URI pushed is not one registered for this client; register the one login prints',
  unauthorized_client: 'this client may not push authorization requests; check its settings at the provider',
};

/** OpenID CIBA Core §13: the backchannel authentication endpoint's errors. */
const BACKCHANNEL_ERRORS: Record<string, string> = {
  invalid_client: TOKEN_ERRORS.invalid_client!,
  invalid_request: 'a parameter is missing or not allowed (CIBA needs the openid scope); run with --trace to see the request',
  invalid_scope: TOKEN_ERRORS.invalid_scope!,
  unknown_user_id: 'the server knows no user by this hint; check the --login-hint (user name or e-mail) it expects, or the --id-token-hint / --login-hint-token',
  unauthorized_client: 'this client may not use CIBA; register the grant urn:openid:params:grant-type:ciba with poll mode for it at the provider',
  invalid_binding_message: 'the server refused --binding-message; keep it short, letters and digits (node-oidc-provider allows 1–20 of [a-zA-Z0-9-._+/!?#])',
  missing_user_code: 'the server wants the user\'s code with each request: add --user-code CODE',
  invalid_user_code: 'the server refused the user code',
  expired_login_hint_token: 'the login hint token expired; start again',
  access_denied: 'the server refused to start the authentication for this user',
};

/** RFC 7591 §3.2.2 and RFC 7592 §2: the registration endpoint's errors. */
const REGISTRATION_ERRORS: Record<string, string> = {
  invalid_redirect_uri: 'the server refused the redirect URI; give the one it allows with --redirect-uri',
  invalid_client_metadata: 'the server refused a field of the registration (auth method, grant types, scope); run with --trace to see it',
  invalid_software_statement: 'the server refused the software statement',
  unapproved_software_statement: 'the server does not approve this software statement',
  invalid_token: 'the server refused the initial access token (or the registration access token); ask its administrator for a valid one: --initial-access-token-stdin',
  invalid_request: 'a parameter is missing or wrong, or the server registers only with an initial access token (--initial-access-token-stdin); run with --trace to see the request',
};

/** RFC 8628 §3.2 (the §5.2 codes the device authorization endpoint shares). */
const DEVICE_AUTHORIZATION_ERRORS: Record<string, string> = {
  invalid_client: TOKEN_ERRORS.invalid_client!,
  unauthorized_client: 'this client may not use the device flow; enable it in the app settings at the provider',
  invalid_scope: TOKEN_ERRORS.invalid_scope!,
  invalid_request: TOKEN_ERRORS.invalid_request!,
};

/** RFC 7009 §2.2.1 and RFC 6749 §5.2 codes. */
const REVOCATION_ERRORS: Record<string, string> = {
  unsupported_token_type: 'the provider cannot revoke this kind of token; try the other one (access or refresh token)',
  invalid_client: 'the client id or secret is wrong, or the provider wants another client authentication (revoke.auth in the provider file)',
  invalid_request: 'a parameter is missing or wrong; run with --trace to see the request',
};

/** RFC 6749 §4.1.2.1: the authorization endpoint's errors, sent back through the browser. */
const AUTHORIZATION_ERRORS: Record<string, string> = {
  access_denied: 'the user (or a policy) declined the request',
  invalid_scope: 'ask for scopes the app is allowed: check --scope and the app settings at the provider',
  unauthorized_client: 'the app may not use the authorization-code flow; check its settings at the provider',
  invalid_request: 'often a redirect_uri that is not registered exactly; register the one `oauthd-cli serve` or `login` prints',
  // RFC 9126 §4: a request_uri used twice, or after its expires_in; a client that must push.
  invalid_request_uri: 'the pushed request expired or was used already (a request_uri works once, for its expires_in); start the login again',
  // RFC 9101 §6.3.
  invalid_request_object: TOKEN_ERRORS.invalid_request_object!,
  request_not_supported: 'the server takes no request object by value; drop --request-object, or add --par to push it',
  request_uri_not_supported: 'the server takes no request_uri; drop --par',
  invalid_target: TOKEN_ERRORS.invalid_target!,
  invalid_authorization_details: TOKEN_ERRORS.invalid_authorization_details!,
};

/** oauth_problem values (OAuth 1.0a Problem Reporting), and what usually causes them. */
const OAUTH1_PROBLEMS: Record<string, string> = {
  signature_invalid:
    'the consumer secret is wrong, or the provider expects another signatureMethod; check the client secret and the provider file',
  signature_method_rejected: 'the provider does not accept this signature method; fix signatureMethod in the provider file',
  consumer_key_unknown: 'the provider does not know this consumer key; check the client id',
  consumer_key_rejected: 'the provider refuses this consumer key (app disabled or blocked); check the app at the provider',
  consumer_key_refused: 'the provider refuses this consumer key for now (throttled); try again later',
  timestamp_refused: "this machine's clock is off; synchronize it (NTP) and try again",
  nonce_used: 'the provider saw this request before (replayed nonce); start the login again',
  token_used: 'the request token was used already; start the login again',
  token_expired: 'the request token expired (the login took too long); start the login again',
  token_revoked: 'the token was revoked at the provider; log in again',
  token_rejected: 'the provider does not know this token; start the login again',
  verifier_invalid: 'the oauth_verifier does not belong to this request token; start the login again',
  parameter_absent: 'the provider misses a parameter it requires; check requestTokenParams in the provider file',
  parameter_rejected: 'the provider refuses a parameter; check requestTokenParams in the provider file',
  version_rejected: 'the provider does not accept oauth_version 1.0',
  permission_denied: 'the user or the provider refused the access asked',
  permission_unknown: 'the provider does not know the access asked; check authorizeParams and scopes',
  user_refused: 'the user refused access; start the login again and approve the app',
  additional_authorization_required: 'the token does not grant this; log in again asking for more access',
};

/** A token endpoint's status, when its body names no error. */
function tokenStatusHint(status: number | undefined): string {
  if (status === undefined) return TRACE;
  if (status >= 500) return 'the provider failed; try again later, or run with --trace to see the response';
  if (status === 404) return 'the URL is wrong; check the provider file or the discovery document';
  if (status === 401 || status === 403) return 'the client credentials were refused; check the client id and secret';
  return TRACE;
}

function oauth1StatusHint(status: number | undefined): string {
  if (status === undefined) return TRACE;
  if (status >= 500) return 'the provider failed; try again later, or run with --trace to see the response';
  if (status === 404) return 'the URL is wrong; check requestTokenUrl/accessTokenUrl in the provider file';
  if (status === 401 || status === 403) {
    return 'the consumer key or secret was refused, or the signature method is not the one the provider expects';
  }
  return TRACE;
}

function profileStatusHint(status: number | undefined): string {
  if (status === 401) return 'the token is expired or revoked; refresh it or log in again';
  if (status === 403) return 'the token lacks a scope the profile needs; log in again with the profile scopes';
  if (status === 404) return 'the profile URL is wrong; check profile.url in the provider file';
  if (status !== undefined && status >= 500) return 'the provider failed; try again later';
  return TRACE;
}

/** Per endpoint: advice for the server's error code, else for the status. */
const PROVIDER_ERROR_HINTS: Record<Endpoint, (error: ProviderError) => string> = {
  token: (error) =>
    (error.code === 'invalid_grant' && error.binding !== undefined ? BOUND_GRANT_HINTS[error.binding] : undefined) ??
    lookup(TOKEN_ERRORS, error.code) ??
    (error.error === undefined ? tokenStatusHint(error.status) : TRACE),
  device_authorization: (error) =>
    lookup(DEVICE_AUTHORIZATION_ERRORS, error.code) ??
    (error.status === 404 ? 'the provider offers no device flow at this URL; check deviceAuthorizationUrl in the provider file' : TRACE),
  revocation: (error) => {
    if (error.status === 503) {
      // RFC 7009 §2.2.1: the client may retry after a delay, which Retry-After names.
      const retryAfter = error.response === undefined ? undefined : header(error.response, 'retry-after');
      return `try again${retryAfter ? ` after ${/^\d+$/.test(retryAfter) ? `${retryAfter} s` : retryAfter}` : ' in a moment'}`;
    }
    return (
      lookup(REVOCATION_ERRORS, error.error) ??
      (error.status === 401 || error.status === 403
        ? 'the provider refused the credentials sent; check the client secret and revoke.auth in the provider file'
        : error.status === 404
          ? 'the URL is wrong, or (for APIs that say 404 for unknown tokens) the token is already gone'
          : TRACE)
    );
  },
  introspection: (error) =>
    error.status === 401 || error.status === 403 || error.code === 'invalid_client'
      ? // RFC 7662 §2.1: the caller must be authorized; a client that may not introspect is refused too.
        'the server refused the client credentials, or this client may not introspect tokens; check the client secret and the app settings'
      : TRACE,
  profile: (error) =>
    error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce' ? TOKEN_ERRORS[error.code]! : profileStatusHint(error.status),
  backchannel_authentication: (error) =>
    lookup(BACKCHANNEL_ERRORS, error.code) ??
    (error.status === 404 ? 'the URL is not a backchannel authentication endpoint; check backchannel_authentication_endpoint in the discovery document' : TRACE),
  registration: (error) =>
    lookup(REGISTRATION_ERRORS, error.code) ??
    (error.status === 401 || error.status === 403
      ? 'the server wants a valid initial access token to register (RFC 7591 §3): --initial-access-token-stdin'
      : error.status === 404
        ? 'the client is gone at the server already, or the URL is wrong'
        : TRACE),
  pushed_authorization: (error) =>
    lookup(PAR_ERRORS, error.code) ??
    (error.status === 404 || error.status === 405 ? 'the URL is not a PAR endpoint; check pushed_authorization_request_endpoint in the discovery document' : TRACE),
  authorization: (error) => lookup(AUTHORIZATION_ERRORS, error.code) ?? "see the provider's documentation for this error",
  resource_owner_authorization: () => 'start the login again and approve the app',
  temporary_credentials: (error) => oauth1Hint(error),
  token_credentials: (error) => oauth1Hint(error),
};

function oauth1Hint(error: ProviderError): string {
  return lookup(OAUTH1_PROBLEMS, error.code) ?? (error.error === undefined ? oauth1StatusHint(error.status) : TRACE);
}

function providerErrorHint(error: ProviderError): string {
  return PROVIDER_ERROR_HINTS[error.endpoint](error);
}

// ---------------------------------------------------------------------------------------------
// An answer that cannot be read (InvalidResponseError).

function invalidResponseHint(error: InvalidResponseError): string {
  const received = `fields received: ${error.received ?? 'none'}`;
  const url = error.response?.url ?? '';
  switch (error.code) {
    case 'no_access_token':
      return `${received}; if the token sits elsewhere, set tokenResponse.paths.access_token in the provider file`;
    case 'broken_json':
      return 'run with --trace to see the body';
    case 'empty_response':
      return tokenStatusHint(error.status);
    case 'html_response':
      return error.endpoint === 'token' ? `check the token URL (${url}); ${tokenStatusHint(error.status)}` : `check the URL (${url}) in the provider file`;
    case 'unreadable_response':
      if (error.endpoint === 'token') return tokenStatusHint(error.status);
      if (error.endpoint === 'profile') return `check profile.url in the provider file; ${TRACE_RESPONSE}`;
      return TRACE_RESPONSE;
    case 'invalid_device_authorization':
      return error.received !== undefined ? `${received}; ${TRACE_RESPONSE}` : `the provider is misconfigured; ${TRACE_RESPONSE}`;
    case 'invalid_introspection_response':
      return `${received}; the URL may not be an RFC 7662 endpoint (introspectUrl in the provider file)`;
    case 'profile_unmapped':
      return `${received}; fix ${error.expected ?? 'profile.map'} in the provider file`;
    case 'no_oauth_token':
      return `${received}; ${TRACE_RESPONSE}`;
    case 'no_token_secret':
      return TRACE_RESPONSE;
    case 'callback_not_confirmed':
      return `register the callback URL (${error.expected ?? ''}) in the app settings at the provider`;
    case 'invalid_par_response':
    case 'invalid_backchannel_response':
    case 'invalid_registration_response':
      return `${received}; ${TRACE_RESPONSE}`;
  }
}

// ---------------------------------------------------------------------------------------------
// A provider that cannot work as configured (ProviderConfigurationError).

function configurationHint(error: ProviderConfigurationError): string {
  const id = error.provider ?? '<provider>';
  const problem = error.problem;
  switch (problem.kind) {
    case 'missing-param':
      return `set it with: oauthd-cli providers add ${id} --param ${problem.param}=…`;
    case 'param-mismatch':
      return `fix it with: oauthd-cli providers add ${id} --param ${problem.param}=…`;
    case 'unknown-param':
      return problem.known.length > 0 ? `its parameters are: ${problem.known.join(', ')}` : `${id} takes no --param`;
    case 'token-origins':
      return 'fix tokenOrigins in the provider file, or the keyset parameter it uses';
    case 'no-api':
      return 'add api.baseUrl to the provider file';
    case 'no-profile':
      return 'add a "profile" block (url and map) to the provider file';
    case 'no-protocol':
      return 'fix its provider file';
    case 'unsigned-profile':
      return 'call fetchProfile with a signer';
    case 'client-secret-missing':
      return problem.grant === 'oauth1'
        ? `add one: oauthd-cli providers add ${id} --client-secret-env VAR`
        : 'give the keyset its secret: oauthd-cli providers add <provider> --client-secret-stdin (or --client-secret-env VAR)';
    case 'rsa-key':
      return (
        "the keyset's client secret must hold the PEM private key (-----BEGIN PRIVATE KEY----- or " +
        '-----BEGIN RSA PRIVATE KEY-----) whose public key is registered at the provider'
      );
    case 'provider-file':
      return 'fix the provider file (oauthd-cli providers validate shows every problem)';
    case 'client-key-missing':
      return `give the private key: login ${id} --key FILE (PEM or JWK), or the keyset's clientKey (env:VAR or keychain:NAME)`;
    case 'client-key':
      return 'give the PEM or JWK of the private key whose public key is registered at the provider (RSA, EC or Ed25519)';
    case 'client-certificate':
      return 'give the PEM certificate registered for this client (--cert FILE) and its own private key (--key FILE)';
    case 'client-certificate-missing':
      return `give the certificate and its key: login ${id} --cert FILE --key FILE (PEM), or the keyset's clientCert and clientKey (file:PATH, env:VAR or keychain:NAME)`;
    case 'feature-unsupported':
      return `the server's metadata (${problem.field}) does not offer it; drop the flag, or refresh the discovery document: oauthd-cli providers add ${id} --issuer <issuer>`;
    case 'issuer-not-url':
      return 'give the issuer as https://idp.example.com';
    case 'issuer-not-https':
      return 'OpenID Connect requires https except on loopback';
    case 'discovery-unreachable':
      return 'check the issuer URL and your network';
    case 'discovery-missing':
      return 'check the issuer URL (it is the "iss" of the provider\'s tokens)';
    case 'discovery-issuer':
      return `use --issuer ${problem.advertised} if that is the provider you mean`;
    case 'discovery-incomplete':
      return 'this provider cannot run the authorization-code flow';
  }
}

// ---------------------------------------------------------------------------------------------
// An id_token refused (TokenRejectedError), a callback refused, a request refused.

/** OIDC Core §3.1.3.7's checks, by name. */
const CHECK_HINTS: Record<string, string> = {
  signature: "the token was not signed by this issuer's keys: a wrong issuer, a rotated key, or a forged token",
  alg: "the token was not signed by this issuer's keys: a wrong issuer, a rotated key, or a forged token",
  iss: 'the token comes from another issuer; check the issuer configured for this provider',
  aud: 'the token was issued to another client; check the client id',
  azp: 'the token was issued to another client; check the client id',
  exp: "check this machine's clock, or the provider's",
  iat: "check this machine's clock, or the provider's",
  nonce: 'the token does not belong to this login (replayed or mixed up); start again',
};
const OTHER_CHECK = 'the provider sent an id_token that does not match this login';

const TOKEN_HINTS: Record<string, string> = {
  id_token_malformed: 'the provider sent a malformed id_token',
  id_token_missing: 'check that the client may use the openid scope',
  id_token_unverifiable: 'add the provider with --issuer so its keys can be found',
  id_token_sub: 'nothing was saved; log in again',
};

const CALLBACK_HINTS: Record<Exclude<CallbackProblem, 'state_missing'>, string> = {
  state_expired: 'start the sign-in again (a flow lives 10 minutes; `login --timeout` sets its own)',
  state_mismatch: 'start the sign-in again; if this repeats, something between the browser and the broker alters the callback',
  state_replayed: 'start the sign-in again; a callback URL works once',
  token_mismatch: 'start the login again; if it keeps happening, the provider redirects to this callback for another app',
  no_verifier: 'this provider does not speak OAuth 1.0a; it cannot be used safely',
  code_missing: 'the provider sent an incomplete authorization response',
  issuer_mismatch: 'another provider answered this flow; nothing was exchanged',
  issuer_missing: 'something between the provider and the broker stripped it, or the provider misdescribes itself; start again',
  provider_gone: 'restore its keyset and start again',
  jarm_missing: 'something answered the sign-in without the signed response asked for (--response-mode jwt); start again, and check the server supports JARM',
};

function callbackHint(error: CallbackRejectedError): string {
  if (error.code !== 'state_missing') return CALLBACK_HINTS[error.code];
  return error.providerSaid !== undefined ? `the provider said: ${error.providerSaid}` : 'start the sign-in again from your app or `oauthd-cli login`';
}

function refusalHint(error: RequestRefusedError): string {
  const refusal = error.refusal;
  switch (refusal.code) {
    case 'foreign_origin':
      return `give a path under ${refusal.apiBase}, or a URL under it`;
    case 'token_origin_refused':
      return `sign in again; if ${refusal.providerName} really answers with this origin, add it to tokenOrigins.${refusal.field} in the provider file`;
    case 'template_value_missing':
      return `{${refusal.field}} comes from the token response; log in again, or check tokenResponse in the provider file`;
    case 'state_too_long':
      return 'shorten opts.state, redirect_uri or the scopes asked';
  }
}
