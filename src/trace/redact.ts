/**
 * Redaction for traces, HAR files and curl lines. A secret is hidden in two ways:
 *
 *   by name:  a query/form/JSON field or a header whose name says it carries a secret
 *             (client_secret, code_verifier, *_token, authorization, cookie, ...);
 *   by value: a value registered with `add()` (the client secret, tokens once known), or learned
 *             when it was first hidden by name, is hidden wherever it shows up again: in URLs,
 *             bodies, error messages, id_token check details.
 *
 * A hidden value reads `[redacted 43 chars #a1b2c3]`: its length and the first 6 hex digits of its
 * SHA-256, so two places holding the same value can be matched (the state sent and the state that
 * came back) without showing either. Every output stays in its own syntax: a redacted URL is still
 * a valid URI (the marker is percent-encoded), a redacted form body still parses, a JSON body is
 * still JSON.
 *
 * `--trace-secrets` is the same Redactor built with `reveal: true`: every method hands its input
 * back unchanged.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A value to hide, and the name of the place it was found in (for a curl placeholder). */
export interface Secret {
  value: string;
  name: string;
}

/** A field name and its (redacted) value, as HAR's queryString and postData.params list them. */
export interface NameValue {
  name: string;
  value: string;
}

/**
 * Whose message a body is. `code`, `state` and `nonce` are secrets as parameters of a request (the
 * authorization response reaches us as a request, and the token request carries the code), but in a
 * response's JSON a "code" is an error number or name (`{"error":{"code":190}}`) that a person
 * debugging needs to read.
 */
export type Direction = 'request' | 'response';

export interface RedactorOptions {
  /** --trace-secrets: show everything. */
  reveal?: boolean;
}

/** Learned values shorter than this are not searched for in free text: "none" or "true" would be hidden everywhere. */
export const LEARN_MIN_LENGTH = 8;

/**
 * Field names that always carry a secret: credentials (RFC 6749 §2.3.1, §4.3, RFC 7523 §2.2),
 * tokens (RFC 6749 §5.1, RFC 8693 §2.1, OIDC Core §3.1.3.3), the PKCE verifier (RFC 7636 §4.5), the
 * device code (RFC 8628 §3.2), CIBA's auth_req_id (OpenID CIBA Core §7.3: with the client's
 * credentials it collects the tokens) and OAuth 1.0a's token secret and verifier (RFC 5849 §2.1, §2.2).
 * oauth_signature is here because with PLAINTEXT (RFC 5849 §3.4.4) it *is* the two secrets.
 */
const ALWAYS_SECRET_NAMES = new Set([
  'client_secret',
  'code_verifier',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'device_code',
  'auth_req_id',
  'assertion',
  'client_assertion',
  'subject_token',
  'actor_token',
  'password',
  'oauth_token',
  'oauth_token_secret',
  'oauth_verifier',
  'oauth_signature',
  'token',
]);

/** Anything named like a token, secret, password, verifier, assertion or key (after snake_casing). */
const SECRET_NAME_PATTERN = /(?:^|_)(?:token|secret|password|passwd|verifier|assertion|api_?key|private_key)$/;

/**
 * Parameters that are secrets while a flow is pending. The code (RFC 6749 §4.1.2) is a one-time
 * credential. `state` is not a credential, but until its callback arrives it is the flow's CSRF
 * binding (RFC 6749 §10.12, RFC 9700 §4.7): whoever reads it from a trace pasted into a chat
 * during the flow can make this broker accept a forged callback (login CSRF). `nonce` binds the
 * id_token to this flow the same way (OIDC Core §15.5.2). Their fingerprints are enough to see
 * that the value that came back is the one that was sent. A request object (RFC 9101 `request`)
 * and a JARM `response` carry them inside a JWT.
 */
const PARAMETER_SECRET_NAMES = new Set(['code', 'state', 'nonce', 'request', 'response']);

/** Headers that carry credentials (RFC 9110 §11.6.2, §11.7.2; RFC 6265 §4; RFC 9449 §4.1). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);
/** x-api-key, x-auth-token, x-amz-security-token, x-csrf-token, x-session-id, ... */
const SECRET_HEADER_PATTERN = /(?:^|-)(?:token|secret|password|api-?key|session|credentials?)(?:-|$)/;

/** `accessToken`, `Access-Token` and `access_token` are the same name. */
export function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
}

/**
 * Whether a field of this name carries a secret. `parameters` says whether the field is an OAuth
 * request parameter (query, form, top level of a request's JSON), where code/state/nonce count.
 */
export function isSecretName(name: string, parameters = true): boolean {
  const normalized = normalizeName(name);
  if (ALWAYS_SECRET_NAMES.has(normalized) || SECRET_NAME_PATTERN.test(normalized)) return true;
  return parameters && PARAMETER_SECRET_NAMES.has(normalized);
}

export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || SECRET_HEADER_PATTERN.test(lower);
}

/** First 6 hex digits of SHA-256: equal values have equal fingerprints. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 6);
}

/** `[redacted 43 chars #a1b2c3]` */
export function redactionMarker(value: string): string {
  return `[redacted ${value.length} char${value.length === 1 ? '' : 's'} #${fingerprint(value)}]`;
}

/** application/x-www-form-urlencoded decoding (WHATWG URL §5.1): `+` is a space. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The forms a registered value can take on the wire; all are hidden as the value itself. */
function variants(value: string): string[] {
  const forms = new Set([value, percentEncoded(value), new URLSearchParams({ v: value }).toString().slice(2)]);
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms].filter((form) => form.length > 0);
}

/** encodeURIComponent, which throws on a lone surrogate (a hostile callback can send one): then the value as it is. */
function percentEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Registered values, shared between a Redactor and the views made with `withMarker`. */
class SecretRegistry {
  private readonly byForm = new Map<string, Secret>();
  private pattern: RegExp | undefined;

  add(value: string, name: string): void {
    if (value.length === 0) return;
    for (const form of variants(value)) {
      if (!this.byForm.has(form)) {
        this.byForm.set(form, { value, name });
        this.pattern = undefined;
      }
    }
  }

  get(form: string): Secret | undefined {
    return this.byForm.get(form);
  }

  /** One alternation, longest forms first, so a value containing another is hidden whole. */
  search(): RegExp | undefined {
    if (this.byForm.size === 0) return undefined;
    this.pattern ??= new RegExp(
      [...this.byForm.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    );
    return this.pattern;
  }
}

/** Where a marker lands: in plain text it reads as is; inside a URI or form it is percent-encoded. */
type Context = 'text' | 'uri';

export class Redactor {
  readonly reveals: boolean;
  // Not readonly: withMarker() gives a view this redactor's registry and its own marker.
  private registry = new SecretRegistry();
  private marker: (secret: Secret) => string = (secret) => redactionMarker(secret.value);

  constructor(options: RedactorOptions = {}) {
    this.reveals = options.reveal === true;
  }

  /**
   * A view that shares this redactor's registered values but writes each hidden value with
   * `marker` (curl.ts uses it to put shell variables where secrets were). Never revealing.
   */
  withMarker(marker: (secret: Secret) => string): Redactor {
    const view = new Redactor();
    view.registry = this.registry;
    view.marker = marker;
    return view;
  }

  /** Registers a secret value (the client secret, a token) so it is hidden wherever it appears. */
  add(value: string | undefined, name = 'secret'): void {
    if (value !== undefined) this.registry.add(value, name);
  }

  /** The marker for a value hidden because of where it was (a field, a header), learning it. */
  private hide(value: string, name: string, context: Context): string {
    const known = this.registry.get(value);
    if (value.length >= LEARN_MIN_LENGTH) this.registry.add(value, name);
    const marker = this.marker(known ?? { value, name });
    return context === 'uri' ? encodeURIComponent(marker) : marker;
  }

  /** Free text: every registered value (in any of its encodings) is hidden. */
  text(input: string): string {
    if (this.reveals) return input;
    return this.scan(input, 'text');
  }

  private scan(input: string, context: Context): string {
    const pattern = this.registry.search();
    if (!pattern) return input;
    return input.replace(pattern, (form) => {
      const secret = this.registry.get(form) as Secret;
      const marker = this.marker(secret);
      return context === 'uri' ? encodeURIComponent(marker) : marker;
    });
  }

  /** A field's value: hidden whole when its name says so, otherwise scanned. */
  field(name: string, value: string, parameters = true): string {
    if (this.reveals) return value;
    return isSecretName(name, parameters) ? this.hide(value, normalizeName(name), 'text') : this.scan(value, 'text');
  }

  /** Name/value pairs (parsed query or form), each value redacted. */
  params(entries: Iterable<[string, string]>): NameValue[] {
    return [...entries].map(([name, value]) => ({ name, value: this.field(name, value) }));
  }

  /** The query parameters of a URL, decoded and redacted (HAR's queryString). */
  query(url: string): NameValue[] {
    try {
      return this.params(new URL(url).searchParams);
    } catch {
      return [];
    }
  }

  /** The fields of a form body, decoded and redacted (HAR's postData.params). */
  formParams(body: string): NameValue[] {
    return this.params(new URLSearchParams(body));
  }

  /**
   * A URL with secrets hidden: query and fragment fields by name (the fragment carries the
   * authorization response in the implicit and hybrid flows, OAuth 2.0 Multiple Response Types
   * §2), a userinfo password, and registered values anywhere. Parts without a secret keep their
   * exact bytes; the result is still a valid URI.
   */
  url(input: string): string {
    if (this.reveals) return input;
    const hashAt = input.indexOf('#');
    const beforeHash = hashAt === -1 ? input : input.slice(0, hashAt);
    const fragment = hashAt === -1 ? undefined : input.slice(hashAt + 1);
    const queryAt = beforeHash.indexOf('?');
    const base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
    const query = queryAt === -1 ? undefined : beforeHash.slice(queryAt + 1);

    let out = this.scan(this.userinfo(base), 'uri');
    if (query !== undefined) out += `?${this.encodedFields(query)}`;
    if (fragment !== undefined) out += `#${fragment.includes('=') ? this.encodedFields(fragment) : this.scan(fragment, 'uri')}`;
    return out;
  }

  /** RFC 3986 §3.2.1: a password in the userinfo is deprecated, and certainly a secret. */
  private userinfo(base: string): string {
    const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*):([^/@]*)@/i.exec(base);
    if (!match) return base;
    const [whole, scheme = '', user = '', password = ''] = match;
    return `${scheme}${user}:${this.hide(formDecode(password), 'password', 'uri')}@${base.slice(whole.length)}`;
  }

  /** `a=1&b=2` (a query, a fragment or a form body), each field redacted in place. */
  private encodedFields(raw: string): string {
    return raw
      .split('&')
      .map((pair) => {
        const equals = pair.indexOf('=');
        if (equals === -1) return this.scan(pair, 'uri');
        const rawName = pair.slice(0, equals);
        const rawValue = pair.slice(equals + 1);
        const name = formDecode(rawName);
        if (isSecretName(name)) return `${rawName}=${this.hide(formDecode(rawValue), normalizeName(name), 'uri')}`;
        return `${rawName}=${this.scan(rawValue, 'uri')}`;
      })
      .join('&');
  }

  /** An application/x-www-form-urlencoded body: still a form, each secret field's value a marker. */
  form(body: string): string {
    if (this.reveals) return body;
    return this.encodedFields(body);
  }

  /** A parsed JSON value, recursively: string values under secret names hidden, other strings scanned. */
  json(value: unknown, direction: Direction = 'response'): unknown {
    if (this.reveals) return value;
    return this.jsonValue(value, direction === 'request', undefined, false);
  }

  /**
   * `childrenAreParameters`: the keys of this object are a request's parameters (only at the top
   * level of a request body: RFC 6749 §4.1.3 sent as JSON by the providers that ask for it).
   */
  private jsonValue(value: unknown, childrenAreParameters: boolean, name: string | undefined, nameIsParameter: boolean): unknown {
    if (typeof value === 'string') {
      return name !== undefined && isSecretName(name, nameIsParameter) ? this.hide(value, normalizeName(name), 'text') : this.scan(value, 'text');
    }
    if (Array.isArray(value)) return value.map((item) => this.jsonValue(item, false, name, nameIsParameter));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.jsonValue(item, false, key, childrenAreParameters)]),
      );
    }
    return value;
  }

  /**
   * A message body, by its content type: JSON stays JSON, a form stays a form, anything else is
   * scanned for registered values. A body without a secret is returned byte for byte.
   */
  body(text: string, contentType: string | undefined, direction: Direction): string {
    if (this.reveals || text === '') return text;
    const kind = bodyKind(contentType, text);
    if (kind === 'json') {
      try {
        const parsed: unknown = JSON.parse(text);
        const redacted = this.json(parsed, direction);
        return JSON.stringify(redacted) === JSON.stringify(parsed) ? text : JSON.stringify(redacted);
      } catch {
        return this.scan(text, 'text');
      }
    }
    if (kind === 'form') return this.form(text);
    return this.scan(text, 'text');
  }

  /** One header value. Credentials are hidden but their shape is kept: scheme, cookie names, attributes. */
  header(name: string, value: string): string {
    if (this.reveals) return value;
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'proxy-authorization') return this.credentials(value);
    if (lower === 'cookie') return this.cookies(value);
    if (lower === 'set-cookie') return this.setCookie(value);
    if (isSecretHeader(lower)) return this.hide(value, lower, 'text');
    return this.scan(value, 'text');
  }

  headers(headers: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, this.header(name, value)]));
  }

  /**
   * `Authorization: <scheme> <credentials>` (RFC 9110 §11.4). Basic (RFC 7617) is decoded: the user
   * id (the client id, RFC 6749 §2.3.1) stays readable, the password is hidden, so a wrong client
   * id or a mis-encoded pair can still be seen. OAuth 1.0a's header (RFC 5849 §3.5.1) keeps its
   * parameter names. Any other scheme (Bearer, DPoP, ...) keeps only the scheme.
   */
  private credentials(value: string): string {
    const match = /^(\S+)\s+([\s\S]*)$/.exec(value.trim());
    if (!match) return this.hide(value, 'authorization', 'text');
    const [, scheme = '', credentials = ''] = match;
    const lowerScheme = scheme.toLowerCase();
    if (lowerScheme === 'basic') {
      const pair = decodeBasic(credentials);
      if (pair) {
        // §2.3.1: both halves were form-urlencoded before joining; the secret is the decoded one.
        const secret = formDecode(pair.password);
        return `${scheme} base64(${this.scan(pair.user, 'text')}:${this.hide(secret, 'client_secret', 'text')})`;
      }
    }
    if (lowerScheme === 'oauth') {
      return `${scheme} ${credentials.replace(/([\w-]+)="([^"]*)"/g, (_whole, key: string, raw: string) =>
        isSecretName(key) ? `${key}="${this.hide(formDecode(raw), normalizeName(key), 'uri')}"` : `${key}="${raw}"`,
      )}`;
    }
    return `${scheme} ${this.hide(credentials, lowerScheme === 'bearer' || lowerScheme === 'dpop' ? 'access_token' : 'authorization', 'text')}`;
  }

  /** `Cookie: a=1; b=2` (RFC 6265 §5.4): names kept, values hidden. */
  private cookies(value: string): string {
    return value
      .split(';')
      .map((pair) => {
        const equals = pair.indexOf('=');
        if (equals === -1) return this.hide(pair.trim(), 'cookie', 'text');
        const name = pair.slice(0, equals).trim();
        return `${name}=${this.hide(pair.slice(equals + 1).trim(), 'cookie', 'text')}`;
      })
      .join('; ');
  }

  /** `Set-Cookie: sid=…; Path=/; HttpOnly` (RFC 6265 §4.1): the value hidden, the attributes kept. */
  private setCookie(value: string): string {
    const semicolon = value.indexOf(';');
    const pair = semicolon === -1 ? value : value.slice(0, semicolon);
    const attributes = semicolon === -1 ? '' : value.slice(semicolon);
    const equals = pair.indexOf('=');
    if (equals === -1) return `${this.hide(pair.trim(), 'cookie', 'text')}${attributes}`;
    return `${pair.slice(0, equals).trim()}=${this.hide(pair.slice(equals + 1).trim(), 'cookie', 'text')}${attributes}`;
  }
}

/** A redactor for the flags: `--trace-secrets` reveals, anything else hides. */
export function createRedactor(options: { revealSecrets?: boolean } = {}): Redactor {
  return new Redactor({ reveal: options.revealSecrets === true });
}

export type BodyKind = 'json' | 'form' | 'text';

/** What a body is, from its media type (RFC 6838 +json suffix included), or its look when untyped. */
export function bodyKind(contentType: string | undefined, text: string): BodyKind {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === '' && /^\s*[[{]/.test(text)) return 'json';
  return 'text';
}

/** RFC 7617 §2: base64 of `user-id ":" password`; undefined when the credentials are not that. */
export function decodeBasic(credentials: string): { user: string; password: string } | undefined {
  const trimmed = credentials.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A marker no real text contains, for views that post-process the redacted output (curl.ts). */
export function sentinelMarker(): { marker: (secret: Secret) => string; pattern: RegExp; secrets: Secret[] } {
  const nonce = randomBytes(6).toString('hex');
  const secrets: Secret[] = [];
  return {
    secrets,
    // Letters, digits and underscores only: unchanged by percent-, form- and JSON-encoding.
    marker: (secret) => {
      let index = secrets.findIndex((known) => known.value === secret.value);
      if (index === -1) index = secrets.push(secret) - 1;
      return `__oauthd_secret_${index}_${nonce}__`;
    },
    pattern: new RegExp(`__oauthd_secret_(\\d+)_${nonce}__`),
  };
}
