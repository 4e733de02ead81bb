/**
 * `oauthd-cli token show <provider>`: what a kept token is, without printing it: scopes, expiry
 * countdown, the account, where it rests, and the claims of JWTs.
 *
 * An access token that is a JWT (RFC 9068) is meant for the API, which alone checks it: its claims
 * are decoded here, not verified. The id_token was verified when it was received (signature with
 * the issuer's keys, iss, aud, exp, nonce: OIDC Core §3.1.3.7); show says when.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Context } from '../context.js';
import type { ShowFlags } from './token-show.flags.js';
import { Ui } from '../ui.js';
import { claimRows, describeExpiry, isoSeconds, relative, rows, tokenSummary, type TokenSummary } from '../render/stored-token.js';
import { idTokenVerifiedAt, secondsLeft } from '../../tokens/expiry.js';
import { findStoredToken } from '../../tokens/find.js';
import type { StoredToken } from '../../tokens/store.js';
import { describeStore } from '../../tokens/stores.js';
import type { SecretBackend } from '../../vault/backend.js';

/** What `token show` parses (./token-show.flags.ts). */
export type ShowOptions = ShowFlags;

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export interface TokenShowJson extends TokenSummary {
  issuer: string | null;
  requestedScopes: string[];
  /** Negative once expired; null when the lifetime is unknown. */
  expiresInSeconds: number | null;
  refreshToken: boolean;
  accessToken: { length: number; format: 'jwt' | 'opaque'; verified: false } & Partial<DecodedJwt>;
  idToken?: DecodedJwt & { verified: boolean; verifiedAt: string | null };
  /** Names of the provider's other response fields (values: token print --format json). */
  otherFields: string[];
}

/** A JWS compact serialization decoded without verification; undefined for anything else. */
export function decodeUnverified(token: string): DecodedJwt | undefined {
  try {
    return { header: decodeProtectedHeader(token) as Record<string, unknown>, claims: decodeJwt(token) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

export async function run(ctx: Context, provider: string, options: ShowOptions): Promise<void> {
  const ui = new Ui(ctx);
  const { stored, vault } = await findStoredToken(ctx, provider, options);
  const now = ctx.factory.clock.now();
  const shown = describe(stored, vault, now);
  if (options.json) {
    ui.json(shown);
    return;
  }
  ui.result(render(ui, stored, vault, shown, now));
}

export function describe(stored: StoredToken, vault: SecretBackend, now: number): TokenShowJson {
  const access = decodeUnverified(stored.token.access_token);
  const shown: TokenShowJson = {
    ...tokenSummary(stored, vault),
    issuer: stored.issuer ?? null,
    requestedScopes: stored.requestedScopes,
    expiresInSeconds: secondsLeft(stored, now) ?? null,
    refreshToken: stored.token.refresh_token !== undefined,
    accessToken: { length: stored.token.access_token.length, format: access ? 'jwt' : 'opaque', verified: false, ...access },
    otherFields: Object.keys(stored.token.extra),
  };
  const id = stored.token.id_token === undefined ? undefined : decodeUnverified(stored.token.id_token);
  if (id) {
    const verifiedAt = idTokenVerifiedAt(stored);
    shown.idToken = { ...id, verified: verifiedAt !== undefined, verifiedAt: verifiedAt ?? null };
  }
  return shown;
}

function render(ui: Ui, stored: StoredToken, vault: SecretBackend, shown: TokenShowJson, now: number): string {
  const color = ui.out;
  // Top-level rows share one label column; a JWT's header and claims nest under their row.
  const main: Array<[string, string, Array<[string, string]>?]> = [];
  if (stored.subject !== undefined) main.push(['account', stored.subject]);
  if (stored.issuer !== undefined) main.push(['issuer', stored.issuer]);
  if (shown.protocol === 'oauth1') {
    main.push(['protocol', 'OAuth 1.0a token credentials (each API request is signed; oauthd-cli request does it)']);
  } else {
    main.push(['token type', stored.token.token_type]);
  }
  main.push(['scopes', shown.scopes.length === 0 ? '(none)' : `${shown.scopes.join(' ')}${shown.scopesGranted ? '' : '  (asked for; the provider did not say what it granted)'}`]);
  main.push(['obtained', `${isoSeconds(stored.obtainedAt)} (${relative(Date.parse(stored.obtainedAt), now)})`]);
  const left = secondsLeft(stored, now);
  main.push(['expires', `${describeExpiry(stored, now)}${left !== undefined && left <= 0 ? color.yellow(`  → oauthd-cli token refresh ${stored.provider}`) : ''}`]);
  if (shown.protocol === 'oauth2') main.push(['refresh token', shown.refreshToken ? 'yes' : 'no']);
  const access = shown.accessToken;
  main.push([
    shown.protocol === 'oauth1' ? 'oauth_token' : 'access token',
    access.format === 'jwt'
      ? `JWT, ${access.length} characters — decoded, not verified (only the API it is meant for checks it)`
      : `opaque, ${access.length} characters (not a JWT: only the provider can say what it holds; try token introspect)`,
    access.header && access.claims ? jwtRows({ header: access.header, claims: access.claims }, now) : undefined,
  ]);
  if (shown.idToken) {
    main.push([
      'id_token',
      shown.idToken.verifiedAt
        ? `verified by oauthd-cli when received (${isoSeconds(shown.idToken.verifiedAt)}): signature with the issuer's keys, iss, aud, exp (OIDC Core §3.1.3.7)`
        : 'decoded, not verified (no issuer was known to check it when it was received)',
      jwtRows(shown.idToken, now),
    ]);
  }
  if (shown.otherFields.length > 0) main.push(['other fields', `${shown.otherFields.join(', ')} (token print --format json prints them)`]);

  const labels = rows(
    main.map(([label, value]) => [label, value]),
    color,
  );
  const lines = [`${stored.provider} · profile ${stored.profile} · ${describeStore(vault)}`];
  main.forEach(([, , nested], index) => {
    lines.push(labels[index] as string);
    if (nested) lines.push(...rows(nested, color, '      '));
  });
  return lines.join('\n');
}

function jwtRows(jwt: DecodedJwt, now: number): Array<[string, string]> {
  const header = Object.entries(jwt.header)
    .map(([name, value]) => `${name} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return [['(header)', header], ...claimRows(jwt.claims, now)];
}
