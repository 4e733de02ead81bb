/** How a token looks on stdout: readable by default, the full token response with --json. */
import type { ChalkInstance } from 'chalk';
import type { FlowSuccess } from '../../oauth/outcome.js';
import { shorten } from '../ui.js';

export function renderLoginResult(result: FlowSuccess, providerName: string, savedTo: string | undefined, color: ChalkInstance): string {
  const { token } = result;
  if (token.token_secret !== undefined) return renderOAuth1Result(result, providerName, savedTo, color);
  const rows: Array<[string, string]> = [
    ['token type', token.token_type],
    ['scope', token.scope ?? `(not stated; asked for: ${result.facts.scopes.join(' ') || 'none'})`],
    ['expires', describeExpiry(token.expires_in, result.obtainedAt)],
    ['access token', `${shorten(token.access_token)}  (${token.access_token.length} characters; --json prints it whole)`],
    ['refresh token', token.refresh_token ? `yes (${shorten(token.refresh_token)})` : 'no'],
  ];
  if (result.idToken) {
    const claims = result.idToken.claims;
    rows.push(['id_token', `verified: signature, iss, aud, exp${result.facts.nonceSent ? ', nonce' : ''} (sub ${String(claims.sub)})`]);
  }
  rows.push(['saved', savedTo ?? 'no (--no-save)']);
  return table(providerName, rows, color);
}

/** OAuth 1.0a token credentials (RFC 5849 §2.3): no expiry, no scopes, two halves. */
function renderOAuth1Result(result: FlowSuccess, providerName: string, savedTo: string | undefined, color: ChalkInstance): string {
  const { token } = result;
  const rows: Array<[string, string]> = [
    ['protocol', 'OAuth 1.0a token credentials'],
    ['oauth_token', `${shorten(token.access_token)}  (--json prints it whole)`],
    ['token secret', `${shorten(token.token_secret ?? '')}`],
    ...Object.entries(token.extra)
      .filter(([, value]) => typeof value === 'string')
      .map(([name, value]): [string, string] => [name, String(value)]),
    ['saved', savedTo ?? 'no (--no-save)'],
  ];
  return table(providerName, rows, color);
}

function table(providerName: string, rows: Array<[string, string]>, color: ChalkInstance): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${color.dim(label.padEnd(width))}  ${value}`);
  return `${color.green('✓')} Signed in to ${providerName}\n${lines.join('\n')}`;
}

function describeExpiry(expiresIn: number | undefined, obtainedAt: number): string {
  if (expiresIn === undefined) return 'unknown (the provider gave no expires_in)';
  const at = new Date(obtainedAt + expiresIn * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `in ${formatDuration(expiresIn)} (${at})`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
