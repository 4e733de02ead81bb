/**
 * What happened during a flow, in order: the steps the broker takes (the authorization request,
 * the callback), each HTTP exchange with the provider (from the HttpObserver every request passes
 * through, src/oauth/http.ts), and the hygiene checks. Each event is redacted when it is recorded,
 * so what the transcript holds is what may be shown or written to a HAR file; listeners see each
 * event as it is recorded (`--trace` streams them to stderr).
 */
import type { HttpObserver, HttpRequest, HttpResponse } from '../oauth/http.js';
import type { TraceCheck } from './checks.js';
import { curlCommand, type CurlCommand } from './curl.js';
import { bodyKind, createRedactor, type Direction, type NameValue, type Redactor } from './redact.js';

export interface StepEvent {
  kind: 'step';
  /** When it happened, ms since the epoch. */
  at: number;
  title: string;
  /** Redacted; still a valid URI. */
  url?: string;
  /** Decoded and redacted parameters (of the URL, or of a form_post body). */
  params: NameValue[];
  /** Free-text lines, redacted. */
  notes: string[];
}

export interface CheckEvent {
  kind: 'check';
  at: number;
  check: TraceCheck;
}

export interface RecordedBody {
  /** The Content-Type, or "" when none was sent. */
  mimeType: string;
  /** Redacted text. */
  text: string;
  /** Bytes of the original body (UTF-8). */
  size: number;
  /** Decoded, redacted fields of a form body. */
  params?: NameValue[];
}

export interface RecordedRequest {
  method: HttpRequest['method'];
  /** Redacted; still a valid URI. */
  url: string;
  headers: NameValue[];
  query: NameValue[];
  body?: RecordedBody;
}

export interface RecordedResponse {
  status: number;
  statusText: string;
  headers: NameValue[];
  body: RecordedBody;
  /** The Location header, redacted, or "". */
  redirectURL: string;
}

export interface HttpEvent {
  kind: 'http';
  /** When the request started, ms since the epoch. */
  at: number;
  durationMs: number;
  /** What the request was for ("token request (authorization_code)"). */
  purpose: string;
  request: RecordedRequest;
  /** Absent when no response came (connection refused, timeout). */
  response?: RecordedResponse;
  /** Why no response came, redacted. */
  error?: string;
  /** The request as a curl command (placeholders for secrets unless they are shown). */
  curl: CurlCommand;
}

export type TraceEvent = StepEvent | CheckEvent | HttpEvent;
export type TraceListener = (event: TraceEvent) => void;

/** What an HttpObserver receives. */
export type ObservedExchange = Parameters<HttpObserver>[0];

export interface StepDetails {
  url?: string;
  params?: Iterable<[string, string]> | Readonly<Record<string, string | undefined>>;
  notes?: readonly string[];
}

export interface TranscriptOptions {
  /** Hides secrets (the default) or shows them (--trace-secrets). */
  redactor?: Redactor;
  /** A clock, for tests. */
  now?: () => number;
}

export class Transcript {
  readonly redactor: Redactor;
  readonly startedAt: number;
  /**
   * Errors thrown by listeners, or while recording an exchange: kept here, never thrown into the
   * HTTP client that called the observer (it would take them for a failed request).
   */
  readonly errors: unknown[] = [];
  private readonly recorded: TraceEvent[] = [];
  private readonly listeners = new Set<TraceListener>();
  private readonly now: () => number;

  constructor(options: TranscriptOptions = {}) {
    this.redactor = options.redactor ?? createRedactor();
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Every event so far, redacted, in the order recorded. */
  get events(): readonly TraceEvent[] {
    return this.recorded;
  }

  /** Pass to `fetchClient({ observe })`: records each exchange with the provider. */
  readonly observer: HttpObserver = (exchange) => {
    try {
      this.exchange(exchange);
    } catch (error) {
      this.errors.push(error);
    }
  };

  /** Calls `listener` with each event from now on; returns the function that stops it. */
  listen(listener: TraceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A step of the flow, with its URL, parameters and notes (all redacted here). */
  step(title: string, details: StepDetails = {}): StepEvent {
    const params = entriesOf(details.params);
    const event = learnFirst((): StepEvent => {
      const step: StepEvent = {
        kind: 'step',
        at: 0,
        title,
        params: this.redactor.params(params),
        notes: (details.notes ?? []).map((note) => this.redactor.text(note)),
      };
      if (details.url !== undefined) step.url = this.redactor.url(details.url);
      return step;
    });
    event.at = this.now();
    return this.emit(event);
  }

  /** RFC 6749 §4.1.1: the URL the browser is sent to, with its parameters. */
  authorizationRequest(url: string): StepEvent {
    let params: [string, string][] = [];
    try {
      params = [...new URL(url).searchParams];
    } catch {
      // Not a URL: shown as text, redacted.
    }
    return this.step('authorization request', { url, params });
  }

  /**
   * RFC 6749 §4.1.2: the callback as the broker received it: its URL (a query callback) or its
   * form fields (response_mode=form_post), or both.
   */
  authorizationResponse(callback: { method?: 'GET' | 'POST'; url?: string; params?: StepDetails['params'] }): StepEvent {
    let params: [string, string][] = [...entriesOf(callback.params)];
    if (params.length === 0 && callback.url !== undefined) {
      try {
        // The broker sees the request target ("/auth?code=…"): any base parses its query.
        params = [...new URL(callback.url, 'http://broker.invalid').searchParams];
      } catch {
        // Not a URL at all: shown as text, redacted.
      }
    }
    const title = `authorization response${callback.method === 'POST' ? ' (form_post)' : ''}`;
    return this.step(title, { ...(callback.url !== undefined ? { url: callback.url } : {}), params });
  }

  check(check: TraceCheck): CheckEvent {
    return this.emit({
      kind: 'check',
      at: this.now(),
      check: { ...check, detail: this.redactor.text(check.detail) },
    });
  }

  checks(checks: readonly TraceCheck[]): void {
    for (const check of checks) this.check(check);
  }

  /** Records one exchange with the provider (what `observer` does). */
  exchange(exchange: ObservedExchange): HttpEvent {
    const { request, response } = exchange;
    // The request first: a secret it sends (the code, the client secret) is then known when the
    // response echoes it.
    const event: HttpEvent = {
      kind: 'http',
      at: exchange.startedAt,
      durationMs: exchange.durationMs,
      purpose: request.purpose,
      request: learnFirst(() => this.recordRequest(request)),
      curl: curlCommand(request, this.redactor),
    };
    if (response) event.response = learnFirst(() => this.recordResponse(response));
    if (exchange.error) event.error = this.redactor.text(exchange.error.message);
    return this.emit(event);
  }

  private recordRequest(request: HttpRequest): RecordedRequest {
    const recorded: RecordedRequest = {
      method: request.method,
      url: this.redactor.url(request.url),
      headers: this.recordHeaders(request.headers),
      query: this.redactor.query(request.url),
    };
    if (request.body !== undefined) recorded.body = this.recordBody(request.body, headerValue(request.headers, 'content-type'), 'request');
    return recorded;
  }

  private recordResponse(response: HttpResponse): RecordedResponse {
    const location = headerValue(response.headers, 'location');
    return {
      status: response.status,
      statusText: response.statusText,
      headers: this.recordHeaders(response.headers),
      body: this.recordBody(response.text, headerValue(response.headers, 'content-type'), 'response'),
      redirectURL: location === undefined ? '' : this.redactor.url(location),
    };
  }

  private recordHeaders(headers: Readonly<Record<string, string>>): NameValue[] {
    return Object.entries(headers).map(([name, value]) => ({ name, value: this.redactor.header(name, value) }));
  }

  private recordBody(text: string, contentType: string | undefined, direction: Direction): RecordedBody {
    const body: RecordedBody = {
      mimeType: contentType ?? '',
      text: this.redactor.body(text, contentType, direction),
      size: Buffer.byteLength(text, 'utf8'),
    };
    if (bodyKind(contentType, text) === 'form') body.params = this.redactor.formParams(text);
    return body;
  }

  private emit<E extends TraceEvent>(event: E): E {
    this.recorded.push(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.errors.push(error);
      }
    }
    return event;
  }
}

/**
 * Redacts twice and keeps the second result: the first pass learns every value hidden by its name,
 * so the second also hides it where it shows up under an innocent name earlier in the same message
 * (`{"note": "X", "access_token": "X"}`).
 */
function learnFirst<T>(record: () => T): T {
  record();
  return record();
}

function entriesOf(params: StepDetails['params']): [string, string][] {
  if (params === undefined) return [];
  if (Symbol.iterator in params) return [...(params as Iterable<[string, string]>)];
  return Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
