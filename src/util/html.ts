/**
 * HTML the broker and the sandbox answer: every value escaped, one optional inline script allowed
 * by a per-response CSP nonce, nothing loaded from elsewhere.
 */
import { randomToken } from './random.js';
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

/**
 * JSON safe inside <script>: `<`, `>`, `&` and the JS line separators are escaped, so no value can
 * close the script element or break the string (the XSS oauthd had with redirect_uri).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `html` is a template tag: interpolated values are escaped unless wrapped in raw(). */
export class RawHtml {
  constructor(readonly value: string) {}
}
export const raw = (value: string) => new RawHtml(value);

export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new RawHtml(out);
}

function render(value: unknown): string {
  if (value instanceof RawHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** Nonces of the response's Content-Security-Policy, fresh for every page. */
export interface Nonces {
  script: string;
  style: string;
}

/**
 * The Content-Security-Policy of every page we render: nothing loads from anywhere, the one inline
 * script and style run under this response's nonces, forms post only to us, no framing.
 */
export function pageCsp(nonces: Nonces): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonces.script}'`,
    `style-src 'nonce-${nonces.style}'`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The slice of a fastify reply a page needs. */
export interface PageReply {
  code(status: number): PageReply;
  header(name: string, value: string): PageReply;
  type(contentType: string): PageReply;
  send(body: string): unknown;
}

/**
 * Sends an HTML page with its own CSP. Only HTML answers pay for nonces and the policy; redirects
 * and JSON, most of the broker's traffic, carry neither. X-Frame-Options says frame-ancestors
 * 'none' to browsers that predate CSP 2.
 */
export function sendPage(reply: PageReply, status: number, render: (nonces: Nonces) => string): unknown {
  const nonces = { script: randomToken(16), style: randomToken(16) };
  return reply
    .code(status)
    .header('content-security-policy', pageCsp(nonces))
    .header('x-frame-options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(render(nonces));
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px;word-break:break-all}
.error{color:#b42318}button{font:inherit;padding:.4rem 1rem;margin-right:.5rem}input{font:inherit;padding:.3rem}`;

/** A complete page; `script` (already safe JS, see jsonForScript) runs under the script nonce. */
export function renderPage(title: string, content: RawHtml, nonces: Nonces, script?: string): string {
  const scriptTag = script ? `<script nonce="${nonces.script}">${script}</script>` : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>` +
    `<style nonce="${nonces.style}">${STYLE}</style></head><body>${content.value}${scriptTag}</body></html>`
  );
}
