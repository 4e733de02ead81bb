/**
 * `oauthd-cli status`: every kept token (provider, profile, account, scopes granted versus asked,
 * expiry, the store it rests in, whether it has a refresh token) and whether it can be used, with
 * no request sent. Exit codes (src/tokens/status.ts statusExitCode): 0 every token usable (or
 * none kept), 1 a token expired that cannot be refreshed (log in again), 2 a store that cannot be
 * read. Never a token value.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { table } from '../render/stored-token.js';
import { formatDuration } from '../render/token.js';
import { failedStores, statusExitCode, tokenStatus, type StatusReport, type TokenStatus } from '../../tokens/status.js';
import type { StoreChoice } from '../../vault/open.js';
import { configError, flowError } from '../../util/errors.js';

export interface StatusOptions {
  json?: boolean;
  store?: StoreChoice;
}

export async function run(ctx: Context, options: StatusOptions): Promise<void> {
  const ui = new Ui(ctx);
  const report = await tokenStatus(ctx, options.store, ctx.factory.clock.now());
  const code = statusExitCode(report);
  if (options.json) ui.json({ ...report, exitCode: code });
  else ui.result(render(report, ui));
  // What went wrong, once more on stderr with its fix, and the exit code with it (main() reports it).
  if (code === 2) {
    const unreadable = failedStores(report);
    throw configError(
      unreadable.map((store) => `${store.kind === 'keychain' ? 'the keychain' : 'the secrets file'} cannot be read: ${store.problem ?? 'unknown reason'}`).join('; '),
      unreadable.some((store) => store.kind === 'file')
        ? 'make the file readable by you alone (chmod 600), or move it away and log in again'
        : 'start a Secret Service (gnome-keyring) in this session, or read the file: --store file',
    );
  }
  if (code === 1) {
    const stale = report.tokens.filter((token) => token.state === 'login-needed');
    throw flowError(
      `${stale.length} token${stale.length > 1 ? 's' : ''} expired and cannot be refreshed: ${stale.map((token) => `${token.provider} (${token.profile})`).join(', ')}`,
      stale.map((token) => token.fix).join('; '),
      'login_required',
    );
  }
}

function render(report: StatusReport, ui: Ui): string {
  const blocks: string[] = [];
  if (report.tokens.length === 0) {
    blocks.push(
      failedStores(report).length > 0
        ? 'No tokens found in the stores that could be read.'
        : 'No tokens kept. Sign in with: oauthd-cli login <provider>',
    );
  } else {
    const body = report.tokens.map((token) => [
      token.provider,
      `${token.profile}${token.inUse ? ' *' : ''}`,
      token.account ?? '-',
      token.store,
      scopes(token),
      expiry(token),
      token.protocol === 'oauth1' ? 'n/a' : token.refreshToken ? 'yes' : 'no',
      token.state,
    ]);
    blocks.push(table(['PROVIDER', 'PROFILE', 'ACCOUNT', 'STORE', 'SCOPES', 'EXPIRES', 'REFRESH', 'STATE'], body, ui.out));
    const notes = report.tokens.flatMap((token) => notesFor(token));
    if (notes.length > 0) blocks.push(notes.join('\n'));
    if (report.tokens.some((token) => token.inUse) && report.tokens.length > 1) blocks.push('* the profile commands use when they name none (token switch, $OAUTHD_PROFILE)');
  }
  blocks.push(
    report.stores
      .map((store) => {
        const name = `${store.kind}:`.padEnd(10);
        if (!store.readable) return `${name}${store.kind === 'keychain' ? 'not available' : 'unreadable'}: ${store.problem ?? 'unknown reason'}`;
        return `${name}${store.location}${store.kind === 'file' ? ' (mode 0600)' : ''}${store.warning !== undefined ? `\n${' '.repeat(10)}warning: ${store.warning}` : ''}`;
      })
      .join('\n'),
  );
  return blocks.join('\n\n');
}

function scopes(token: TokenStatus): string {
  const shown = token.scopes.granted ?? token.scopes.asked;
  if (shown.length === 0) return '-';
  return `${shown.join(' ')}${token.scopes.granted === null ? ' (asked)' : ''}`;
}

function expiry(token: TokenStatus): string {
  if (token.protocol === 'oauth1') return 'never';
  if (token.expiresInSeconds === null) return 'unknown';
  return token.expiresInSeconds > 0 ? `in ${formatDuration(token.expiresInSeconds)}` : `${formatDuration(-token.expiresInSeconds)} ago`;
}

function notesFor(token: TokenStatus): string[] {
  const name = `${token.provider} (${token.profile})`;
  const notes: string[] = [];
  if (token.scopes.notGranted.length > 0) notes.push(`${name}: asked for ${token.scopes.notGranted.join(' ')}, not granted`);
  if (token.needsLogin !== null) notes.push(`${name}: the provider refused its refresh token (${token.needsLogin.error}); log in again: ${token.fix}`);
  else if (token.state === 'login-needed') notes.push(`${name}: expired, and there is no refresh token; log in again: ${token.fix}`);
  return notes;
}
