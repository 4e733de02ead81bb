/**
 * `--har FILE`: the transcript as an HTTP Archive (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/),
 * loadable in a browser's network panel. One entry per exchange with the provider; the steps and
 * checks of the flow, which are not HTTP exchanges this process made, ride along in the custom
 * field `log._trace` (custom fields start with "_", HAR 1.2 "Custom Fields").
 *
 * Events are redacted when recorded, so the file holds what the trace shows: secrets hidden unless
 * --trace-secrets. It is written atomically at mode 0600 either way (under --trace-secrets it holds
 * the client secret and tokens).
 */
import { Cookie } from 'tough-cookie';
import { writeFileAtomic } from '../util/fs.js';
import { usageError } from '../util/errors.js';
import type { NameValue } from './redact.js';
import type { CheckEvent, HttpEvent, RecordedBody, StepEvent, TraceEvent } from './transcript.js';

export interface HarCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  expires?: string;
  httpOnly?: boolean;
  secure?: boolean;
}

export interface HarPostData {
  mimeType: string;
  text: string;
}

export interface HarRequest {
  method: string;
  url: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: NameValue[];
  queryString: NameValue[];
  postData?: HarPostData;
  headersSize: number;
  bodySize: number;
}

export interface HarContent {
  size: number;
  mimeType: string;
  text?: string;
}

export interface HarResponse {
  status: number;
  statusText: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: NameValue[];
  content: HarContent;
  redirectURL: string;
  headersSize: number;
  bodySize: number;
  /** Why no response came (as Chromium writes it, for a status of 0). */
  _error?: string;
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: HarRequest;
  response: HarResponse;
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  comment?: string;
}

export interface HarPage {
  startedDateTime: string;
  id: string;
  title: string;
  pageTimings: Record<string, never>;
}

export type HarTraceItem =
  | { type: 'step'; startedDateTime: string; title: string; url?: string; params: NameValue[]; notes: string[] }
  | { type: 'check'; startedDateTime: string; ok: boolean; name: string; detail: string; source?: string };

export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    pages: HarPage[];
    entries: HarEntry[];
    comment?: string;
    _trace: HarTraceItem[];
  };
}

export interface HarOptions {
  creator: { name: string; version: string };
  /** The page title: what was traced ("oauthd-cli login github"). */
  title: string;
  comment?: string;
}

const PAGE_ID = 'flow';
/** undici's fetch (Node 20) speaks HTTP/1.1. */
const HTTP_VERSION = 'HTTP/1.1';

export function toHar(events: readonly TraceEvent[], options: HarOptions): Har {
  const first = events[0];
  const pages: HarPage[] = first
    ? [{ startedDateTime: iso(Math.min(...events.map((event) => event.at))), id: PAGE_ID, title: options.title, pageTimings: {} }]
    : [];
  const entries = events
    .filter((event): event is HttpEvent => event.kind === 'http')
    .map(toEntry)
    // HAR 1.2 "entries": sorted by startedDateTime is the preferred order.
    .sort((a, b) => a.startedDateTime.localeCompare(b.startedDateTime));
  const trace = events.filter((event): event is StepEvent | CheckEvent => event.kind !== 'http').map(toTraceItem);
  return {
    log: {
      version: '1.2',
      creator: { ...options.creator },
      pages,
      entries,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
      _trace: trace,
    },
  };
}

/** Writes the HAR atomically, mode 0600. A path that cannot be written is the user's to fix. */
export async function writeHar(path: string, events: readonly TraceEvent[], options: HarOptions): Promise<void> {
  const text = `${JSON.stringify(toHar(events, options), null, 2)}\n`;
  try {
    await writeFileAtomic(path, text, 0o600);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw usageError(`cannot write the HAR file ${path} (${reason})`, 'give --har a path in a folder you can write to');
  }
}

function toEntry(event: HttpEvent): HarEntry {
  const { request, response } = event;
  const time = Math.max(0, event.durationMs);
  const entry: HarEntry = {
    pageref: PAGE_ID,
    startedDateTime: iso(event.at),
    time,
    request: {
      method: request.method,
      // HAR 1.2 "request": the absolute URL, fragments not included.
      url: request.url.split('#')[0] ?? request.url,
      httpVersion: HTTP_VERSION,
      cookies: requestCookies(request.headers),
      headers: request.headers.map(copy),
      queryString: request.query.map(copy),
      headersSize: -1,
      bodySize: request.body?.size ?? 0,
    },
    response: response
      ? {
          status: response.status,
          statusText: response.statusText,
          httpVersion: HTTP_VERSION,
          cookies: responseCookies(response.headers),
          headers: response.headers.map(copy),
          content: content(response.body),
          redirectURL: response.redirectURL,
          headersSize: -1,
          // fetch hands over the decoded body: its size on the wire is unknown when it was compressed.
          bodySize: response.headers.some((header) => header.name.toLowerCase() === 'content-encoding') ? -1 : response.body.size,
        }
      : {
          status: 0,
          statusText: '',
          httpVersion: '',
          cookies: [],
          headers: [],
          content: { size: 0, mimeType: 'x-unknown' },
          redirectURL: '',
          headersSize: -1,
          bodySize: -1,
          _error: event.error ?? 'no response',
        },
    cache: {},
    // Only the whole round trip is measured; HAR 1.2 "timings" requires send, wait and receive,
    // and their sum must equal `time`.
    timings: { send: 0, wait: time, receive: 0 },
    comment: event.purpose,
  };
  if (request.body) {
    // HAR 1.2 "postData": text and params are mutually exclusive; text is what viewers show.
    entry.request.postData = { mimeType: request.body.mimeType || 'application/octet-stream', text: request.body.text };
  }
  return entry;
}

function content(body: RecordedBody): HarContent {
  return { size: body.size, mimeType: body.mimeType || 'x-unknown', text: body.text };
}

/** RFC 6265 §5.4: `Cookie: a=1; b=2` (values already redacted). */
function requestCookies(headers: readonly NameValue[]): HarCookie[] {
  return headers
    .filter((header) => header.name.toLowerCase() === 'cookie')
    .flatMap((header) => header.value.split(';'))
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals === -1 ? { name: pair.trim(), value: '' } : { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1).trim() };
    })
    .filter((cookie) => cookie.name !== '');
}

/** RFC 6265 §4.1: each Set-Cookie, parsed by tough-cookie (values already redacted). */
function responseCookies(headers: readonly NameValue[]): HarCookie[] {
  const cookies: HarCookie[] = [];
  for (const header of headers) {
    if (header.name.toLowerCase() !== 'set-cookie') continue;
    const parsed = Cookie.parse(header.value, { loose: true });
    if (!parsed) continue;
    const cookie: HarCookie = { name: parsed.key, value: parsed.value, httpOnly: parsed.httpOnly, secure: parsed.secure };
    if (parsed.path) cookie.path = parsed.path;
    if (parsed.domain) cookie.domain = parsed.domain;
    if (parsed.expires instanceof Date) cookie.expires = parsed.expires.toISOString();
    cookies.push(cookie);
  }
  return cookies;
}

function toTraceItem(event: StepEvent | CheckEvent): HarTraceItem {
  if (event.kind === 'step') {
    return {
      type: 'step',
      startedDateTime: iso(event.at),
      title: event.title,
      ...(event.url !== undefined ? { url: event.url } : {}),
      params: event.params.map(copy),
      notes: [...event.notes],
    };
  }
  return {
    type: 'check',
    startedDateTime: iso(event.at),
    ok: event.check.ok,
    name: event.check.name,
    detail: event.check.detail,
    ...(event.check.source !== undefined ? { source: event.check.source } : {}),
  };
}

function copy(pair: NameValue): NameValue {
  return { name: pair.name, value: pair.value };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
