/**
 * `--curl`: each request to the provider as a curl command that can be pasted into a POSIX shell.
 *
 * With secrets hidden, each secret becomes a shell variable (`"$CLIENT_SECRET"`, `"$CODE"`,
 * `"$CODE_VERIFIER"`), named after the field or header it was in; the command lists the variables
 * it needs, each with its redaction marker so it can be matched with the trace. Set them and the
 * command sends the same request. (A marker like `[redacted 40 chars #a1b2c3]` in its place would
 * send a request that fails in a confusing way.) The variable holds the value itself: curl's
 * `--data-urlencode` encodes it in a form body; in a URL or JSON body it is inserted as is, which
 * is exact for the URL-safe tokens, codes and verifiers OAuth uses. A Basic password is sent as
 * `-u id:"$CLIENT_SECRET"`; when the secret has characters that RFC 6749 §2.3.1 form-encodes, the
 * variable is CLIENT_SECRET_FORM_ENCODED and must hold that encoded form.
 *
 * With `--trace-secrets` the values are written literally.
 */
import { quote } from 'shell-quote';
import type { HttpRequest } from '../oauth/http.js';
import { bodyKind, decodeBasic, redactionMarker, sentinelMarker, type Redactor, type Secret } from './redact.js';

export interface CurlVariable {
  /** The shell variable: CLIENT_SECRET. */
  name: string;
  /** Its value as the trace shows it: `[redacted 40 chars #a1b2c3]`. */
  redacted: string;
}

export interface CurlCommand {
  /** One line: `curl -X POST 'https://…/token' -H '…' --data-urlencode '…'`. */
  line: string;
  /** The variables the line reads; empty when secrets are shown (or there are none). */
  variables: CurlVariable[];
}

export function curlCommand(request: HttpRequest, redactor: Redactor): CurlCommand {
  const sentinel = sentinelMarker();
  const view = redactor.reveals ? redactor : redactor.withMarker(sentinel.marker);
  const names = new VariableNames();
  const word = (text: string) => shellWord(text, sentinel.pattern, sentinel.secrets, names);

  const args: string[] = ['curl', '-X', request.method, word(view.url(request.url))];
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') contentType = value;
    const basic = lower === 'authorization' ? basicCredentials(value) : undefined;
    if (basic) {
      args.push('-u', word(`${view.text(basic.user)}:${view.reveals ? basic.password : sentinel.marker(basicSecret(basic.password))}`));
    } else {
      args.push('-H', word(`${name}: ${view.header(name, value)}`));
    }
  }
  if (request.body !== undefined && request.body !== '') {
    const kind = bodyKind(contentType, request.body);
    if (kind === 'form') {
      // One --data-urlencode per field: curl percent-encodes the value after the first "=".
      for (const [name, value] of new URLSearchParams(request.body)) {
        args.push('--data-urlencode', word(`${encodeURIComponent(name)}=${view.field(name, value)}`));
      }
    } else {
      args.push('--data-raw', word(kind === 'json' ? view.body(request.body, contentType, 'request') : view.text(request.body)));
    }
  }
  return { line: args.join(' '), variables: names.list() };
}

function basicCredentials(value: string): { user: string; password: string } | undefined {
  const match = /^basic\s+(\S+)$/i.exec(value.trim());
  return match?.[1] === undefined ? undefined : decodeBasic(match[1]);
}

/** The password as it went into the Basic pair: form-encoded per RFC 6749 §2.3.1. */
function basicSecret(asSent: string): Secret {
  let decoded = asSent;
  try {
    decoded = decodeURIComponent(asSent.replace(/\+/g, ' '));
  } catch {
    // Not percent-encoded after all: the value is used as sent.
  }
  return { value: asSent, name: decoded === asSent ? 'client_secret' : 'client_secret_form_encoded' };
}

/** Shell variable names from field names, one per distinct value. */
class VariableNames {
  private readonly byValue = new Map<string, CurlVariable>();
  private readonly taken = new Set<string>();

  nameFor(secret: Secret): string {
    const known = this.byValue.get(secret.value);
    if (known) return known.name;
    const base = secret.name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').toUpperCase() || 'SECRET';
    const stem = /^[0-9]/.test(base) ? `_${base}` : base;
    let name = stem;
    for (let n = 2; this.taken.has(name); n++) name = `${stem}_${n}`;
    this.taken.add(name);
    this.byValue.set(secret.value, { name, redacted: redactionMarker(secret.value) });
    return name;
  }

  list(): CurlVariable[] {
    return [...this.byValue.values()];
  }
}

/** One shell word: literal parts quoted, each secret a double-quoted variable, joined without spaces. */
function shellWord(text: string, pattern: RegExp, secrets: readonly Secret[], names: VariableNames): string {
  // split() with a capturing group alternates literal text and secret indexes.
  const parts = text.split(pattern);
  let out = '';
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      const secret = secrets[Number(part)];
      if (secret) out += `"$${names.nameFor(secret)}"`;
    } else if (part !== '') {
      out += quoteLiteral(part);
    }
  });
  return out === '' ? "''" : out;
}

/**
 * shell-quote's quote() is exact but escapes URL punctuation one character at a time
 * (`https\://host/token\?a\=b`); inside single quotes nothing is special (POSIX sh §2.2.2), so a
 * word without a single quote reads better that way. Words with one keep quote()'s form.
 */
function quoteLiteral(text: string): string {
  const quoted = quote([text]);
  return quoted === text || text.includes("'") ? quoted : `'${text}'`;
}
