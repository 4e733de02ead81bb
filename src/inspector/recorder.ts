/**
 * The flow recorder behind the inspector: every flow the broker (and `login`) runs, as a redacted
 * transcript (src/trace/transcript.ts) with what the flow was (provider, app, kind), how it ended,
 * and, when it failed, which step failed and why, in the CLI's words.
 *
 * Bounded in count and in bytes, in memory: the oldest flows go first (finished ones before
 * pending ones), and a flow that grows past its share stops recording (marked truncated).
 *
 * Which flow an HTTP exchange belongs to: the broker runs each flow step inside `handle.run()`, an
 * AsyncLocalStorage scope, and `observer` (given to the one HttpClient, src/oauth/http.ts) files
 * each exchange under the flow whose scope it happens in. A callback finds its flow by the state
 * it carries (only a SHA-256 of it is kept); a /me or API call by the access token's digest.
 *
 * Token values are kept here for the inspector's deliberate reveal and never in a transcript,
 * a summary or a view: what leaves this module is redacted, or decoded claims.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { HttpObserver } from '../oauth/http.js';
import { isFlowError, type FlowError, type FlowOutcome } from '../oauth/outcome.js';
import type { Deviation, TokenSet } from '../oauth/token-response.js';
import { ProviderError, TokenRejectedError } from '../oauth/errors.js';
import { explainRedirectMismatch, looksLikeRedirectMismatch } from '../oauth/redirect-diagnosis.js';
import { flowChecks, type TraceCheck } from '../trace/checks.js';
import { Transcript, type HttpEvent, type StepDetails, type TraceEvent } from '../trace/transcript.js';
import { redactionMarker } from '../trace/redact.js';
import { randomToken } from '../util/random.js';
import { decodeJwtView, type JwtView } from './jwt.js';

/** What kind of flow: the app's (client, server), the CLI's own (login), a direct grant, a refresh, a call with a token, or a callback that matched no flow. */
export type FlowKind = 'client' | 'server' | 'login' | 'device' | 'ciba' | 'client_credentials' | 'refresh' | 'api' | 'callback';
export type FlowStatus = 'pending' | 'ok' | 'failed';

/** The tokens a flow may hold for the reveal. */
export const TOKEN_NAMES = ['access_token', 'refresh_token', 'id_token'] as const;
export type TokenName = (typeof TOKEN_NAMES)[number];

export interface FlowMeta {
  kind: FlowKind;
  /** The provider's id ("" when not known: a stray callback). */
  provider: string;
  providerName?: string;
  /** The app's name ("oauthd-cli login" for the CLI's own). */
  app: string;
  /** Where the provider's app settings are (the catalog's `register`), for the redirect-URI advice. */
  registerUrl?: string;
  /** The redirect URI this flow sends. */
  redirectUri?: string;
}

export interface FlowSummary {
  id: string;
  kind: FlowKind;
  provider: string;
  providerName: string;
  app: string;
  status: FlowStatus;
  startedAt: number;
  /** Until it ended (or now, while pending). */
  durationMs: number;
  /** The one-line error of a failed flow. */
  error?: string;
  steps: number;
}

/** What the CLI prints about a failure: the message, its hint, and the redirect-URI diagnosis when it applies. */
export interface Explanation {
  message: string;
  code?: string;
  hint?: string;
  redirect?: string[];
}

export interface TokenView {
  name: TokenName;
  /** `[redacted 43 chars #a1b2c3]`: enough to match it against a transcript, not to use it. */
  marker: string;
  /** The decoded JWT (header, claims, signature status) when the token is one. */
  jwt?: JwtView;
}

export interface FlowView extends FlowSummary {
  events: TraceEvent[];
  /** Index in `events` of the step that failed. */
  failing?: number;
  explanation?: Explanation;
  /** The token-response linter's findings (src/oauth/token-response.ts). */
  findings: Deviation[];
  tokens: TokenView[];
  truncated: boolean;
  /**
   * A redirect flow still waiting for its callback after a while: what the CLI says when none
   * comes back (the provider may be showing its own error page about the redirect URI).
   */
  waiting?: string[];
}

/** After this long without a callback, a pending redirect flow shows the redirect-URI advice. */
export const NO_CALLBACK_AFTER_MS = 30_000;

export interface RecorderOptions {
  /** At most this many flows (default 100). */
  maxFlows?: number;
  /** At most this many bytes of recorded events and tokens, all flows together (default 4 MiB). */
  maxBytes?: number;
  /** The CLI's hint for an error (src/cli/errors.ts hintFor), so the page says what the terminal says. */
  hintFor?: (error: unknown) => string | undefined;
  now?: () => number;
}

export type RecorderListener = (summary: FlowSummary) => void;

const DEFAULT_MAX_FLOWS = 100;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export class FlowRecorder {
  readonly maxFlows: number;
  readonly maxBytes: number;
  private readonly flows = new Map<string, FlowHandle>();
  /** state / oauth_token / access-token digests → flow id. */
  private readonly links = new Map<string, string>();
  private readonly listeners = new Set<RecorderListener>();
  private readonly scope = new AsyncLocalStorage<FlowHandle>();
  private bytes = 0;
  /** Flows started so far: each flow's place in start order (FlowHandle.sequence). */
  private started = 0;
  readonly now: () => number;
  readonly hintFor: (error: unknown) => string | undefined;

  constructor(options: RecorderOptions = {}) {
    this.maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = options.now ?? Date.now;
    this.hintFor = options.hintFor ?? (() => undefined);
  }

  /** Pass to `fetchClient({ observe })`: files each exchange under the flow it happens in. */
  readonly observer: HttpObserver = (exchange) => {
    this.scope.getStore()?.exchange(exchange);
  };

  begin(meta: FlowMeta): FlowHandle {
    const handle = new FlowHandle(this, randomToken(12), meta);
    this.flows.set(handle.id, handle);
    this.enforceBounds();
    this.changed(handle);
    return handle;
  }

  /** The flow a state (or OAuth 1.0a temporary token, or access token) belongs to, if still kept. */
  find(key: string | undefined): FlowHandle | undefined {
    if (!key) return undefined;
    const id = this.links.get(digest(key));
    return id === undefined ? undefined : this.flows.get(id);
  }

  /** The flow whose scope the caller runs in (inside `handle.run()`). */
  current(): FlowHandle | undefined {
    return this.scope.getStore();
  }

  get(id: string): FlowHandle | undefined {
    return this.flows.get(id);
  }

  /** Newest first. */
  list(): FlowSummary[] {
    return [...this.flows.values()].reverse().map((flow) => flow.summary());
  }

  /** Bytes held now (for tests and the page's footer). */
  size(): { flows: number; bytes: number } {
    return { flows: this.flows.size, bytes: this.bytes };
  }

  /**
   * Ends every flow still pending with `error`: a login that gave up waiting (its timeout, Ctrl-C)
   * ends the flow its broker was waiting on, which no callback will end now.
   */
  endPending(error: unknown): void {
    for (const flow of this.flows.values()) {
      if (flow.status !== 'pending') continue;
      if (isFlowError(error)) flow.finish({ ok: false, error });
      else flow.fail(error);
    }
  }

  subscribe(listener: RecorderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  runIn<T>(handle: FlowHandle, work: () => T): T {
    return this.scope.run(handle, work);
  }

  /** @internal */
  link(key: string, handle: FlowHandle): void {
    const hashed = digest(key);
    this.links.set(hashed, handle.id);
    handle.keys.push(hashed);
  }

  /** @internal A flow grew by `bytes`; false when it may not grow any more. */
  grow(handle: FlowHandle, bytes: number): boolean {
    // One flow keeps at most a quarter of the budget: a huge response cannot push every other flow out.
    if (handle.bytes + bytes > this.maxBytes / 4) return false;
    handle.bytes += bytes;
    this.bytes += bytes;
    this.enforceBounds(handle);
    return true;
  }

  /** @internal */
  changed(handle: FlowHandle): void {
    if (!this.flows.has(handle.id)) return;
    const summary = handle.summary();
    for (const listener of this.listeners) {
      try {
        listener(summary);
      } catch {
        // A listener (an SSE stream that closed) never breaks the flow it watches.
      }
    }
  }

  /** The next flow's place in start order. */
  nextSequence(): number {
    return this.started++;
  }

  private enforceBounds(keep?: FlowHandle): void {
    while (this.flows.size > this.maxFlows || this.bytes > this.maxBytes) {
      const victim = this.oldest(keep);
      if (!victim) return;
      this.evict(victim);
    }
  }

  /** The oldest finished flow, else the oldest pending one; never `keep` (the one growing). */
  private oldest(keep?: FlowHandle): FlowHandle | undefined {
    let pending: FlowHandle | undefined;
    for (const flow of this.flows.values()) {
      if (flow === keep) continue;
      if (flow.status !== 'pending') return flow;
      pending ??= flow;
    }
    return pending;
  }

  private evict(flow: FlowHandle): void {
    this.flows.delete(flow.id);
    this.bytes -= flow.bytes;
    for (const key of flow.keys) if (this.links.get(key) === flow.id) this.links.delete(key);
  }
}

/** One recorded flow: the broker and `login` record through it. */
export class FlowHandle {
  readonly startedAt: number;
  /**
   * Its place among this recorder's flows in start order: flows started in the same millisecond
   * are still ordered (the shared record drops the oldest by it, as this recorder does).
   */
  readonly sequence: number;
  private readonly ledger: Transcript;
  /**
   * The authorization request, recorded as it was sent but redacted only when someone looks or the
   * flow goes on: redaction costs far more than a flow start, and most starts of a flood never
   * come back.
   */
  private deferred: { url: string; at: number } | undefined;
  /** The time an event recorded now is dated at (a deferred request keeps its own). */
  private clock: number | undefined;
  status: FlowStatus = 'pending';
  endedAt: number | undefined;
  bytes = 0;
  truncated = false;
  /** Digests this flow is found by. */
  readonly keys: string[] = [];
  private readonly events: TraceEvent[] = [];
  private readonly secrets = new Map<TokenName, string>();
  private failing: number | undefined;
  private explanation: Explanation | undefined;
  private findings: Deviation[] = [];

  constructor(
    private readonly recorder: FlowRecorder,
    readonly id: string,
    readonly meta: FlowMeta,
  ) {
    this.startedAt = recorder.now();
    this.sequence = recorder.nextSequence();
    this.ledger = new Transcript({ now: () => this.clock ?? recorder.now() });
    this.ledger.listen((event) => this.record(event));
  }

  /** The flow's transcript, with a deferred authorization request recorded first. */
  get transcript(): Transcript {
    this.materialize();
    return this.ledger;
  }

  /** Runs one step of the flow; HTTP exchanges made meanwhile are filed here. */
  run<T>(work: () => T): T {
    return this.recorder.runIn(this, work);
  }

  /** Lets a callback (state), an OAuth 1.0a callback (oauth_token) or a token call find this flow. */
  link(key: string | undefined): void {
    if (key) this.recorder.link(key, this);
  }

  /** RFC 6749 §4.1.1: the URL the browser is sent to; its state (or oauth_token) links the callback here. */
  authorizationRequest(url: string): void {
    this.materialize();
    if (this.recorder.grow(this, url.length)) this.deferred = { url, at: this.recorder.now() };
    else this.truncated = true;
    this.recorder.changed(this);
    this.link(queryParameter(url, 'state') ?? queryParameter(url, 'oauth_token'));
  }

  authorizationResponse(callback: Parameters<Transcript['authorizationResponse']>[0]): void {
    guard(() => this.transcript.authorizationResponse(callback));
  }

  step(title: string, details?: StepDetails): void {
    guard(() => this.transcript.step(title, details));
  }

  exchange(exchange: Parameters<HttpObserver>[0]): void {
    try {
      this.keepTokens(exchange.response?.text);
      this.transcript.exchange(exchange);
    } catch {
      // Recording never fails a request.
    }
  }

  /** The end of the flow: its checks, the linter's findings, and for a failure the failing step and why. */
  finish(outcome: FlowOutcome): void {
    if (this.status !== 'pending') return;
    if (outcome.ok) {
      for (const name of TOKEN_NAMES) {
        const value = outcome.token[name];
        if (typeof value === 'string' && value !== '') this.keep(name, value);
      }
      if (outcome.token.access_token) this.link(outcome.token.access_token);
      this.findings = outcome.deviations;
    }
    guard(() => this.transcript.checks(flowChecks(outcome)));
    if (outcome.ok) {
      this.end('ok');
      return;
    }
    const error = outcome.error;
    const explanation: Explanation = { message: error.message };
    if (error.code !== undefined) explanation.code = error.code;
    const hint = this.recorder.hintFor(error);
    if (hint !== undefined) explanation.hint = hint;
    const sent = outcome.facts?.redirectUri ?? this.meta.redirectUri;
    // As the CLI explains it: the provider's refusal, or no callback before the login's timeout.
    const trigger = looksLikeRedirectMismatch(error) ? 'provider-error' : error.code === 'timeout' ? 'no-callback' : undefined;
    if (sent !== undefined && trigger !== undefined) {
      explanation.redirect = explainRedirectMismatch({
        sent,
        providerName: this.meta.providerName ?? this.meta.provider,
        trigger,
        ...(this.meta.registerUrl ? { registerUrl: this.meta.registerUrl } : {}),
      });
    }
    this.explanation = explanation;
    this.failing = this.failingStep(error);
    this.end('failed');
  }

  /**
   * The end of a call that is not a sign-in (a refresh, an API call with no flow of ours behind
   * its token): the tokens it got and the linter's findings, or its failure; no redirect checks.
   */
  finishCall(result: { ok: true; token?: TokenSet; deviations?: Deviation[] } | { ok: false; error: FlowError }): void {
    if (this.status !== 'pending') return;
    if (!result.ok) {
      this.finish(result);
      return;
    }
    for (const name of TOKEN_NAMES) {
      const value = result.token?.[name];
      if (typeof value === 'string' && value !== '') this.keep(name, value);
    }
    if (result.token?.access_token) this.link(result.token.access_token);
    this.findings = result.deviations ?? [];
    this.end('ok');
  }

  /** A failure that is not a flow error (the store full at the start, a bug): its message only. */
  fail(error: unknown): void {
    if (this.status !== 'pending') return;
    let message = 'failed';
    guard(() => {
      if (error instanceof Error) message = this.transcript.redactor.text(error.message);
    });
    this.explanation = { message };
    guard(() => this.transcript.check({ ok: false, name: 'flow', detail: message }));
    this.failing = this.events.length - 1;
    this.end('failed');
  }

  /** A call made later with this flow's token (/me, the API, a refresh): the flow changes, its end does not. */
  touched(): void {
    this.recorder.changed(this);
  }

  /** The value of a token this flow obtained, for the inspector's reveal only. */
  secret(name: TokenName): string | undefined {
    return this.secrets.get(name);
  }

  private materialize(): void {
    const deferred = this.deferred;
    if (!deferred) return;
    this.deferred = undefined;
    this.recorder.grow(this, -deferred.url.length);
    this.clock = deferred.at;
    try {
      this.ledger.authorizationRequest(deferred.url);
    } catch {
      // Not recordable (see guard()); the flow goes on without it.
    } finally {
      this.clock = undefined;
    }
  }

  summary(): FlowSummary {
    const summary: FlowSummary = {
      id: this.id,
      kind: this.meta.kind,
      provider: this.meta.provider,
      providerName: this.meta.providerName ?? this.meta.provider,
      app: this.meta.app,
      status: this.status,
      startedAt: this.startedAt,
      durationMs: (this.endedAt ?? this.recorder.now()) - this.startedAt,
      steps: this.events.length + (this.deferred ? 1 : 0),
    };
    if (this.explanation) summary.error = this.explanation.message;
    return summary;
  }

  view(): FlowView {
    this.materialize();
    const checks = this.events.filter((event) => event.kind === 'check').map((event) => event.check);
    const view: FlowView = {
      ...this.summary(),
      events: [...this.events],
      findings: [...this.findings],
      tokens: [...this.secrets].map(([name, value]) => tokenView(name, value, checks, (text) => this.transcript.redactor.text(text))),
      truncated: this.truncated,
    };
    if (this.failing !== undefined) view.failing = this.failing;
    const redirected = this.meta.kind === 'client' || this.meta.kind === 'server' || this.meta.kind === 'login';
    if (this.status === 'pending' && redirected && this.meta.redirectUri !== undefined && view.durationMs >= NO_CALLBACK_AFTER_MS) {
      view.waiting = explainRedirectMismatch({
        sent: this.meta.redirectUri,
        providerName: this.meta.providerName ?? this.meta.provider,
        trigger: 'no-callback',
        ...(this.meta.registerUrl ? { registerUrl: this.meta.registerUrl } : {}),
      });
    }
    if (this.explanation) view.explanation = { ...this.explanation };
    return view;
  }

  /** The events, as a HAR's source (src/trace/har.ts). */
  recorded(): readonly TraceEvent[] {
    this.materialize();
    return this.events;
  }

  private end(status: FlowStatus): void {
    this.status = status;
    this.endedAt = this.recorder.now();
    this.recorder.changed(this);
  }

  private record(event: TraceEvent): void {
    if (this.truncated) return;
    if (!this.recorder.grow(this, JSON.stringify(event).length)) {
      this.truncated = true;
      return;
    }
    this.events.push(event);
    this.recorder.changed(this);
  }

  private keep(name: TokenName, value: string): void {
    if (this.secrets.get(name) === value) return;
    if (!this.recorder.grow(this, value.length)) return;
    this.secrets.set(name, value);
    // Hidden from here on wherever it shows up (a later API call, an error message).
    guard(() => this.transcript.redactor.add(value, name));
  }

  /** A token response that the flow then refused (an id_token failing its checks) still shows its tokens, decoded. */
  private keepTokens(text: string | undefined): void {
    if (text === undefined || !text.includes('_token')) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    if (body === null || typeof body !== 'object') return;
    for (const name of TOKEN_NAMES) {
      const value = (body as Record<string, unknown>)[name];
      if (typeof value === 'string' && value !== '') this.keep(name, value);
    }
  }

  /**
   * Which step failed: the authorization response when the provider refused there (RFC 6749
   * §4.1.2.1), else the last exchange that got an error status or no answer, else the first
   * failed check (state, an id_token claim).
   */
  private failingStep(error: unknown): number | undefined {
    const last = (test: (event: TraceEvent) => boolean) => {
      for (let index = this.events.length - 1; index >= 0; index--) if (test(this.events[index] as TraceEvent)) return index;
      return undefined;
    };
    if (error instanceof ProviderError && error.endpoint === 'authorization') {
      const response = last((event) => event.kind === 'step' && event.title.startsWith('authorization response'));
      if (response !== undefined) return response;
    }
    const exchange = last((event) => event.kind === 'http' && failedExchange(event));
    if (exchange !== undefined) return exchange;
    // A refused id_token names the claim that failed (OIDC Core §3.1.3.7): that check, not the
    // nonce line that merely says no verified id_token came back.
    if (error instanceof TokenRejectedError && error.check !== undefined) {
      const named = this.events.findIndex((event) => event.kind === 'check' && !event.check.ok && event.check.name === `id_token ${error.check}`);
      if (named !== -1) return named;
    }
    const check = this.events.findIndex((event) => event.kind === 'check' && !event.check.ok);
    return check === -1 ? undefined : check;
  }
}

/**
 * Recording never fails a flow: whatever a hostile request or a provider's odd answer makes the
 * redaction throw on (a lone surrogate, say) costs that event of the record, never the callback.
 */
function guard(record: () => void): void {
  try {
    record();
  } catch {
    // The event is left out of the record.
  }
}

function failedExchange(event: HttpEvent): boolean {
  return event.response === undefined || event.response.status >= 400;
}

function tokenView(name: TokenName, value: string, checks: readonly TraceCheck[], redact: (text: string) => string): TokenView {
  const view: TokenView = { name, marker: redactionMarker(value) };
  const jwt = decodeJwtView(value, name === 'id_token' ? checks : []);
  if (jwt) {
    // A claim that holds a value hidden elsewhere in the flow (the nonce) is hidden here too.
    for (const [claim, content] of Object.entries(jwt.claims)) if (typeof content === 'string') jwt.claims[claim] = redact(content);
    view.jwt = jwt;
  }
  return view;
}

/**
 * One parameter of a URL's query, without parsing the whole URL (a flow start's hot path; the
 * authorization URL is the broker's own, built by URLSearchParams).
 */
function queryParameter(url: string, name: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  const end = url.indexOf('#', query);
  for (const pair of url.slice(query + 1, end === -1 ? undefined : end).split('&')) {
    if (pair.startsWith(`${name}=`)) {
      try {
        return decodeURIComponent(pair.slice(name.length + 1).replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}
