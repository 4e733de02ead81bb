/**
 * The authorization flows as the broker runs them, for every kind of caller (the CLI, a page in
 * the client flow, a back end in the server flow).
 *
 * OAuth 2 (RFC 6749 §4.1):
 *   start:    the flow is sealed into its state (./flow-state.ts: encrypted, authenticated and
 *             expiring, with the PKCE verifier and the nonce inside); nothing is stored, and the
 *             browser is sent to the provider with the PKCE challenge and, when openid is asked,
 *             the nonce.
 *   complete: the callback's state is opened; a state this broker did not seal, or one that has
 *             expired, ends here, before any code is exchanged. The state is then *claimed* in the
 *             store (single use: a replayed callback finds its marker). The provider's error is
 *             reported as sent. The code is exchanged with the verifier and the exact same
 *             redirect_uri; the token response is normalized, and an id_token is verified before
 *             anything is delivered.
 *
 * OAuth 1.0a (RFC 5849 §2): there is no state; the temporary credentials play its part. The flow is
 * stored under the temporary token (starting one costs a request to the provider, and its token
 * secret must stay with us), taken when the callback brings it back with its verifier, and the
 * verifier is traded for token credentials.
 */
import { pkceFor } from '../oauth/pkce.js';
import { authorizationQuery, exchangeCode, withQuery, type AuthorizationRequest } from '../oauth/oauth2.js';
import { requestObject, requestObjectQuery } from '../oauth/jar.js';
import { JarmRejected, unverifiedResponseParams, verifyJwtResponse } from '../oauth/jarm.js';
import { parCheck, pushAuthorizationRequest, pushedAuthorizationUrl } from '../oauth/par.js';
import { grantedDetailsCheck } from '../oauth/rar.js';
import { clientOf } from '../registry/client.js';
import { DpopProver } from '../oauth/dpop.js';
import * as oauth1 from '../oauth/oauth1.js';
import { oauth1Consumer } from '../oauth/oauth1-signer.js';
import { OAUTH1_TOKEN_TYPE } from '../oauth/token-response.js';
import {
  CallbackRejectedError,
  ExchangeFailedError,
  ProviderConfigurationError,
  ProviderError,
  RequestRefusedError,
} from '../oauth/errors.js';
import { isFlowError, type FlowError, type FlowFacts, type FlowOutcome } from '../oauth/outcome.js';
import { checkIdToken } from '../registry/id-token-check.js';
import { FlowSealer, MAX_STATE_LENGTH, type OpenedState } from './flow-state.js';
import type { BrokerApp, BrokerDeps } from './types.js';
import type { BrokerProvider } from '../registry/types.js';

/** The marker of an answered OAuth 2 callback, under the sealed state's id. */
export const USED_STATE_KEY_PREFIX = 'used:';
export const OAUTH1_FLOW_KEY_PREFIX = 'flow1:';
export const DEFAULT_FLOW_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = '/auth';

/** Where a finished flow's result goes. */
export type Delivery =
  | { mode: 'cli' }
  /** Popup: an HTML page posts the result to its opener, at exactly this origin. */
  | { mode: 'popup'; origin: string }
  /** Redirect (client flow): the browser goes to `url` with `#oauthio=<result>`. */
  | { mode: 'fragment'; url: string; origin: string }
  /** redirect_type=server: the browser goes to `url` with `?oauthio=<result>` (a code only). */
  | { mode: 'query'; url: string; origin: string };

/**
 * A pending flow, as its callback sees it: opened from the sealed state (OAuth 2, with the
 * verifier and nonce derived again) or taken from the store (OAuth 1.0a, as JSON).
 */
export interface FlowRecord {
  appKey: string;
  provider: string;
  redirectUri: string;
  scopes: string[];
  codeVerifier?: string;
  nonce?: string;
  /** OAuth 1.0a: the temporary credentials (§2.1); the secret signs the access-token request. */
  temporary?: oauth1.Credentials;
  /** The state of the SDK or the app's back end (oauthd's opts.state), echoed in the result. */
  clientState?: string;
  delivery: Delivery;
}

export interface StartOptions {
  scopes?: string[];
  clientState?: string;
  delivery: Delivery;
  /** Extra authorize parameters for this flow (oauthd's opts.authorize). */
  extraAuthorize?: Record<string, string>;
}

export interface CallbackParams {
  state?: string;
  code?: string;
  error?: string;
  error_description?: string;
  error_uri?: string;
  iss?: string;
  /** JARM: the whole response as a signed JWT (response_mode=jwt). */
  response?: string;
  /** OAuth 1.0a (RFC 5849 §2.2). */
  oauth_token?: string;
  oauth_verifier?: string;
  /** OAuth 1.0a refusal, as Twitter/X sends it. */
  denied?: string;
}

/** The callback as the broker received it (its URL, or its form_post fields). */
export type CallbackSeen = Parameters<NonNullable<BrokerDeps['trace']>['authorizationResponse']>[0];

export interface Completion {
  record?: FlowRecord;
  outcome: FlowOutcome;
}

export class FlowEngine {
  /** The sealer, once the store has handed over its secret (the first flow waits for it). */
  private sealer: FlowSealer | undefined;
  private sealing: Promise<FlowSealer> | undefined;

  constructor(private readonly deps: BrokerDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private ttl(): number {
    return this.deps.flowTtlMs ?? DEFAULT_FLOW_TTL_MS;
  }

  /** The store's shared secret makes the sealer: brokers on one Redis open each other's states. */
  private async flowSealer(): Promise<FlowSealer> {
    if (this.sealer) return this.sealer;
    this.sealing ??= this.deps.store.sharedSecret('flow-state').then(
      (secret) => (this.sealer = new FlowSealer(secret, this.ttl())),
      (error: unknown) => {
        // Not kept: the next flow asks the store again.
        this.sealing = undefined;
        throw error;
      },
    );
    return this.sealing;
  }

  redirectUri(): string {
    return `${this.deps.publicOrigin()}${CALLBACK_PATH}`;
  }

  /** Creates the flow and returns the provider's authorization URL. (Not async: a promise less per flow.) */
  start(app: BrokerApp, provider: BrokerProvider, options: StartOptions): Promise<string> {
    const inspected = this.deps.inspector?.recorder.begin({
      kind: app.flow === 'cli' ? 'login' : app.flow,
      provider: provider.resolved.id,
      providerName: provider.resolved.name,
      app: app.name,
      redirectUri: this.redirectUri(),
      ...(provider.resolved.spec.register ? { registerUrl: provider.resolved.spec.register } : {}),
    });
    let started = inspected ? inspected.run(() => this.startFlow(app, provider, options)) : this.startFlow(app, provider, options);
    if (inspected) {
      started = started.then(
        (url) => {
          inspected.authorizationRequest(url);
          return url;
        },
        (error: unknown) => {
          if (isFlowError(error)) inspected.finish({ ok: false, error });
          else inspected.fail(error);
          throw error;
        },
      );
    }
    const trace = this.deps.trace;
    if (!trace) return started;
    return started.then((url) => {
      trace.authorizationRequest(url);
      return url;
    });
  }

  private startFlow(app: BrokerApp, provider: BrokerProvider, options: StartOptions): Promise<string> {
    if (provider.resolved.oauth2) return this.startOAuth2(app, provider, options);
    if (provider.resolved.oauth1) return this.startOAuth1(app, provider, options);
    const id = provider.resolved.id;
    return Promise.reject(new ProviderConfigurationError(`${id} describes neither OAuth 2 nor OAuth 1.0a`, { kind: 'no-protocol' }, id));
  }

  private async startOAuth2(app: BrokerApp, provider: BrokerProvider, options: StartOptions): Promise<string> {
    const resolved = provider.resolved;
    const oauth2 = resolved.oauth2!;
    const sealer = this.sealer ?? (await this.flowSealer());
    const scopes = options.scopes ?? resolved.scopes;
    const now = this.now();
    const { state, secrets } = sealer.seal(
      {
        appKey: app.key,
        provider: resolved.id,
        scopes,
        pkce: oauth2.pkce !== 'unsupported',
        openid: scopes.includes('openid'),
        jarm: oauth2.jarm,
        clientState: options.clientState,
        delivery: options.delivery,
        expiresAt: now + this.ttl(),
      },
      now,
    );
    if (state.length > MAX_STATE_LENGTH) {
      throw new RequestRefusedError(`this flow's state would be ${state.length} characters, more than the ${MAX_STATE_LENGTH} providers are sent`, {
        code: 'state_too_long',
      });
    }
    const request: AuthorizationRequest = {
      clientId: resolved.clientId,
      redirectUri: this.redirectUri(),
      state,
      scopes,
      pkce: secrets.codeVerifier === undefined ? undefined : pkceFor(secrets.codeVerifier),
      nonce: secrets.nonce,
      extra: options.extraAuthorize,
      resource: oauth2.resource,
      authorizationDetails: oauth2.authorizationDetails,
      responseMode: oauth2.jarm ? 'jwt' : undefined,
    };
    let query = authorizationQuery(oauth2, request);
    if (oauth2.requestObject) {
      // RFC 9101 §4: the parameters as claims of a JWT signed with the client's key; aud the issuer.
      const key = await provider.clientKey?.();
      if (!key) throw new ProviderConfigurationError('a request object (RFC 9101) is signed with the client\'s private key, and none was given', { kind: 'client-key-missing' }, resolved.id);
      const signed = await requestObject(key, resolved.clientId, resolved.issuer ?? oauth2.authorizeUrl, query);
      provider.report?.(signed.check);
      query = requestObjectQuery(resolved.clientId, signed.jwt);
    }
    if (!oauth2.par) return withQuery(oauth2.authorizeUrl, query);
    // RFC 9126: the parameters go on the back channel; the browser carries client_id and request_uri.
    if (oauth2.parUrl === undefined) {
      throw new ProviderConfigurationError(`${resolved.id} has no pushed authorization request endpoint (RFC 9126 §5)`, { kind: 'feature-unsupported', feature: 'par', field: 'pushed_authorization_request_endpoint' }, resolved.id);
    }
    const pushed = await pushAuthorizationRequest(this.deps.http, oauth2.parUrl, oauth2, await clientOf(provider), query);
    provider.report?.(parCheck(pushed, oauth2.parUrl));
    return pushedAuthorizationUrl(oauth2.authorizeUrl, resolved.clientId, pushed.requestUri);
  }

  private async startOAuth1(app: BrokerApp, provider: BrokerProvider, options: StartOptions): Promise<string> {
    const spec = provider.resolved.oauth1!;
    const scopes = options.scopes ?? provider.resolved.scopes;
    // The provider not answering is a failed flow (502 to whoever started it), not a broker fault.
    const temporary = await oauth1
      .requestTemporaryCredentials(this.deps.http, spec, await oauth1Consumer(provider), this.redirectUri())
      .catch((error: unknown) => Promise.reject(asFlowError(error, 'the temporary-credentials request failed')));
    const record: FlowRecord = {
      appKey: app.key,
      provider: provider.resolved.id,
      redirectUri: this.redirectUri(),
      scopes,
      temporary: { token: temporary.token, tokenSecret: temporary.tokenSecret },
      clientState: options.clientState,
      delivery: options.delivery,
    };
    await this.deps.store.put(OAUTH1_FLOW_KEY_PREFIX + temporary.token, record, this.ttl());
    return oauth1.authorizationUrl(spec, temporary.token, scopes);
  }

  /** Completes the flow the callback belongs to; `seen` is the callback as it came, for the inspector. */
  async complete(params: CallbackParams, seen?: CallbackSeen): Promise<Completion> {
    const recorder = this.deps.inspector?.recorder;
    if (!recorder) return this.completeFlow(params);
    const key = params.state ?? params.oauth_token ?? params.denied;
    const started = recorder.find(key);
    // A callback for no pending flow of ours (forged, expired, replayed) is recorded on its own.
    const inspected =
      started?.status === 'pending'
        ? started
        : recorder.begin({ kind: 'callback', provider: started?.meta.provider ?? '', app: started?.meta.app ?? '(no flow)', providerName: started?.meta.providerName ?? '(unknown)' });
    if (seen) inspected.authorizationResponse(seen);
    try {
      const completion = await inspected.run(() => this.completeFlow(params));
      inspected.finish(completion.outcome);
      return completion;
    } catch (error) {
      inspected.fail(error);
      throw error;
    }
  }

  private completeFlow(params: CallbackParams): Promise<Completion> {
    if (params.state === undefined && (params.oauth_token !== undefined || params.denied !== undefined)) {
      return this.completeOAuth1(params);
    }
    return this.completeOAuth2(params);
  }

  private async completeOAuth2(callback: CallbackParams): Promise<Completion> {
    // JARM: the parameters are inside the JWT. They are read first only to find the flow (its state
    // is sealed, so a forged one ends here); nothing else is believed before the JWT is verified.
    let params = callback;
    const jarmJwt = callback.response;
    if (jarmJwt !== undefined) {
      try {
        params = { ...unverifiedResponseParams(jarmJwt), response: jarmJwt };
      } catch (error) {
        return failure(asFlowError(error));
      }
    }
    if (!params.state) {
      return failure(
        new CallbackRejectedError(
          'the callback carries no state; it cannot be matched to a flow this broker started',
          'state_missing',
          params.error ? describeProviderError(params) : undefined,
        ),
      );
    }
    const now = this.now();
    const opened = (this.sealer ?? (await this.flowSealer())).open(params.state, now);
    if (!opened.ok) return failure(stateRefused(opened.reason));
    // Single use (RFC 6749 §10.12, RFC 9700 §4.7): the first callback for a state claims it until
    // the state expires; a replay finds the marker.
    const sealed = opened.flow;
    if (!(await this.deps.store.claim(USED_STATE_KEY_PREFIX + opened.id, sealed.expiresAt - now))) return failure(stateReplayed());
    const record: FlowRecord = {
      appKey: sealed.appKey,
      provider: sealed.provider,
      redirectUri: this.redirectUri(),
      scopes: sealed.scopes,
      codeVerifier: opened.secrets.codeVerifier,
      nonce: opened.secrets.nonce,
      temporary: undefined,
      clientState: sealed.clientState,
      delivery: sealed.delivery,
    };
    const facts = factsOf(record, params.state.length);
    const fail = (error: FlowError): Completion => ({ record, outcome: { ok: false, error, facts } });
    if (sealed.jarm && jarmJwt === undefined) {
      return fail(new CallbackRejectedError('the authorization response is not the signed JWT this flow asked for (response_mode=jwt); nothing was exchanged', 'jarm_missing'));
    }
    if (jarmJwt !== undefined) {
      const verified = await this.verifyJarm(record.provider, jarmJwt);
      if (verified instanceof Error) return fail(verified);
      params = verified;
    }

    if (params.error) {
      // §4.1.2.1: the provider's error response, as sent.
      return fail(
        new ProviderError(`the provider refused: ${describeProviderError(params)}`, {
          endpoint: 'authorization',
          code: params.error,
          error: params.error,
          error_description: params.error_description,
          error_uri: params.error_uri,
        }),
      );
    }
    if (!params.code) return fail(new CallbackRejectedError('the callback carries neither a code nor an error', 'code_missing'));
    const provider = await this.deps.providers.get(record.provider);
    if (!provider?.resolved.oauth2) return fail(providerGone(record.provider));
    try {
      const openid = await provider.openid();
      // RFC 9207 §2.4: when the server identifies itself in the response, it must be the one we asked.
      if (params.iss !== undefined && openid && params.iss !== openid.issuer) {
        return fail(
          new CallbackRejectedError(`mix-up: the authorization response comes from issuer "${params.iss}", expected "${openid.issuer}" (RFC 9207)`, 'issuer_mismatch'),
        );
      }
      if (params.iss === undefined && openid?.metadata.authorization_response_iss_parameter_supported === true) {
        return fail(
          new CallbackRejectedError(
            'the authorization response lacks the iss parameter its server advertises (RFC 9207 §2.4); nothing was exchanged',
            'issuer_missing',
          ),
        );
      }
      const client = await clientOf(provider);
      // RFC 9449 §5: a provider that binds tokens to DPoP keys gets a proof with the code. `login`
      // brings its own key (provider.dpop); an app's server flow gets one made for this grant, which
      // the broker keeps for the grant's later calls (dpop-keys.ts). The client flow never gets here
      // (serve refuses it at start: a page has no key to make proofs with).
      if (provider.resolved.oauth2.dpop && client.dpop === undefined) {
        client.dpop = await DpopProver.generate(provider.resolved.oauth2.dpopAlgs ?? (openid?.metadata.dpop_signing_alg_values_supported as string[] | undefined));
      }
      const result = await exchangeCode(
        this.deps.http,
        provider.resolved.oauth2,
        client,
        params.code,
        record.redirectUri,
        record.codeVerifier,
        // RFC 8707 §2.2: the resource the access token is for (one: a token has one audience).
        provider.resolved.oauth2.resource.length === 1 ? { resource: provider.resolved.oauth2.resource[0]! } : undefined,
      );
      if (provider.resolved.oauth2.authorizationDetails !== undefined) provider.report?.(grantedDetailsCheck(provider.resolved.oauth2.authorizationDetails, result.raw));
      const obtainedAt = this.now();
      const idToken = await checkIdToken(result.token, openid, {
        clientId: provider.resolved.clientId,
        openidAsked: record.nonce !== undefined,
        now: obtainedAt,
        ...(record.nonce !== undefined ? { nonce: record.nonce } : {}),
      });
      return {
        record,
        outcome: {
          ok: true,
          facts,
          token: result.token,
          raw: result.raw,
          deviations: result.deviations,
          obtainedAt,
          ...(idToken ? { idToken } : {}),
          ...(client.dpop !== undefined && provider.dpop === undefined && result.token.token_type.toLowerCase() === 'dpop' ? { dpop: client.dpop } : {}),
        },
      };
    } catch (error) {
      return fail(asFlowError(error));
    }
  }

  /** JARM §4.4: the response JWT verified with the provider's issuer and keys; its parameters, or why not. */
  private async verifyJarm(providerId: string, jwt: string): Promise<CallbackParams | FlowError> {
    const provider = await this.deps.providers.get(providerId);
    if (!provider) return providerGone(providerId);
    try {
      const openid = await provider.openid();
      if (!openid) {
        return new ProviderConfigurationError(`${providerId} has no issuer and key set to verify a JARM response with`, { kind: 'feature-unsupported', feature: 'jarm', field: 'jwks_uri' }, providerId);
      }
      const { params, checks } = await verifyJwtResponse(jwt, {
        issuer: openid.issuer,
        clientId: provider.resolved.clientId,
        keys: openid.keys,
        now: Math.floor(this.now() / 1000),
      });
      for (const check of checks) provider.report?.(check);
      return params;
    } catch (error) {
      if (error instanceof JarmRejected) for (const check of error.checks) provider.report?.(check);
      return asFlowError(error);
    }
  }

  private async completeOAuth1(params: CallbackParams): Promise<Completion> {
    const temporaryToken = params.oauth_token ?? params.denied ?? '';
    const record = await this.deps.store.take<FlowRecord>(OAUTH1_FLOW_KEY_PREFIX + temporaryToken);
    if (!record?.temporary) return failure(oauth1TokenMismatch());
    const facts = factsOf(record, temporaryToken.length);
    const fail = (error: FlowError): Completion => ({ record, outcome: { ok: false, error, facts } });
    const provider = await this.deps.providers.get(record.provider);
    if (!provider?.resolved.oauth1) return fail(providerGone(record.provider));
    try {
      const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const verifier = oauth1.readAuthorizationCallback(query, record.temporary.token);
      const credentials = await oauth1.requestTokenCredentials(this.deps.http, provider.resolved.oauth1, await oauth1Consumer(provider), record.temporary, verifier);
      return {
        record,
        outcome: {
          ok: true,
          facts,
          token: { access_token: credentials.token, token_secret: credentials.tokenSecret, token_type: OAUTH1_TOKEN_TYPE, extra: credentials.extra },
          raw: { ...credentials.extra },
          deviations: credentials.deviations,
          obtainedAt: this.now(),
        },
      };
    } catch (error) {
      return fail(asFlowError(error));
    }
  }
}

/** A state this broker did not seal (or tampered with), or one past its lifetime. */
function stateRefused(reason: Exclude<OpenedState, { ok: true }>['reason']): CallbackRejectedError {
  if (reason === 'expired') {
    return new CallbackRejectedError('the sign-in took longer than the flow may live: its state has expired; nothing was exchanged', 'state_expired');
  }
  return new CallbackRejectedError(
    "state mismatch: the callback's state was not issued by this broker (forged, altered, or from another broker run); nothing was exchanged",
    'state_mismatch',
  );
}

function stateReplayed(): CallbackRejectedError {
  return new CallbackRejectedError(
    "state mismatch: this callback's state was already answered (a replayed or reloaded callback); nothing was exchanged",
    'state_replayed',
  );
}

function oauth1TokenMismatch(): CallbackRejectedError {
  return new CallbackRejectedError(
    "state mismatch: the callback's oauth_token does not match any pending flow (forged, replayed, or expired); nothing was exchanged",
    'state_mismatch',
  );
}

function providerGone(provider: string): CallbackRejectedError {
  return new CallbackRejectedError(`the provider ${provider} is no longer configured`, 'provider_gone');
}

/** What a step threw, as a flow's error: a protocol or configuration error as it is, anything else named by the step. */
function asFlowError(error: unknown, what = 'the token exchange failed'): FlowError {
  return isFlowError(error) ? error : new ExchangeFailedError(what, error);
}

function failure(error: FlowError): Completion {
  return { outcome: { ok: false, error } };
}

function factsOf(record: FlowRecord, stateLength: number): FlowFacts {
  return {
    provider: record.provider,
    protocol: record.temporary ? 'oauth1' : 'oauth2',
    grant: 'authorization_code',
    redirectUri: record.redirectUri,
    scopes: record.scopes,
    stateLength,
    pkceMethod: record.codeVerifier ? 'S256' : undefined,
    verifierLength: record.codeVerifier?.length,
    nonceSent: record.nonce !== undefined,
  };
}

export function describeProviderError(params: CallbackParams): string {
  let text = params.error ?? 'error';
  if (params.error_description) text += ` — ${params.error_description}`;
  if (params.error_uri) text += ` (see ${params.error_uri})`;
  return text;
}
