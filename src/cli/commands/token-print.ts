/**
 * `oauthd-cli token print <provider>`: the kept token on stdout, and nothing else, for scripts:
 *   raw     the access token alone (as `gh auth token`)
 *   header  `Authorization: Bearer <token>` (RFC 6750 §2.1), for `curl -H "$(…)"`
 *   env     `export ACCESS_TOKEN=… REFRESH_TOKEN=…`, quoted for the shell, for `eval "$(…)"`
 *   json    the token response as kept (the same shape as `login --json`)
 *   exec-credential  kubectl's ExecCredential (client.authentication.k8s.io/v1): the token and
 *           its expirationTimestamp, for a kubeconfig exec plugin (`token kubeconfig`)
 * The token is refreshed first (and kept) when it has expired or expires within --min-ttl seconds,
 * once for all the processes that ask at the same time (src/tokens/lock.ts); an expired token
 * without a refresh token is printed all the same, with a warning on stderr.
 */
import { quote } from 'shell-quote';
import type { Context } from '../context.js';
import { PRINT_FORMATS, type PrintFlags, type PrintFormat } from './token-print.flags.js';
import { Ui } from '../ui.js';
import { issuingProvider, tokenHttp, usableToken } from '../stored-token.js';
import { tokenToJson } from '../../oauth/token-response.js';
import { execCredential } from '../../tokens/credentials.js';
import { findStoredToken } from '../../tokens/find.js';
import type { StoredToken } from '../../tokens/store.js';
import { usageError } from '../../util/errors.js';

export { PRINT_FORMATS, type PrintFormat };

/** What `token print` parses (./token-print.flags.ts); `format` is checked again for in-process callers. */
export type PrintOptions = PrintFlags;

export async function run(ctx: Context, provider: string, options: PrintOptions): Promise<void> {
  const ui = new Ui(ctx);
  const format = options.format ?? 'raw';
  if (!PRINT_FORMATS.includes(format)) {
    throw usageError(`--format ${String(format)} is not a format`, `use one of ${PRINT_FORMATS.join(', ')}`);
  }
  const located = await findStoredToken(ctx, provider, options);
  const http = tokenHttp(ctx);
  const stored = await usableToken(ctx, ui, http, located, () => issuingProvider(ctx, ui, http, located, 'refreshed'), options.minTtl);
  ui.result(printed(stored, format));
}

export function printed(stored: StoredToken, format: PrintFormat): string {
  const { token } = stored;
  const oauth1 = token.token_secret !== undefined;
  switch (format) {
    case 'raw':
      return token.access_token;
    case 'json':
      return JSON.stringify(tokenToJson(token), null, 2);
    case 'exec-credential':
      return JSON.stringify(execCredential(stored), null, 2);
    case 'env': {
      const variables: Array<[string, string | undefined]> = oauth1
        ? [
            ['OAUTH_TOKEN', token.access_token],
            ['OAUTH_TOKEN_SECRET', token.token_secret],
          ]
        : [
            ['ACCESS_TOKEN', token.access_token],
            ['REFRESH_TOKEN', token.refresh_token],
          ];
      // shell-quote quotes or escapes every character a POSIX shell reads specially: safe for eval.
      const assignments = variables.filter((entry): entry is [string, string] => entry[1] !== undefined).map(([name, value]) => `${name}=${quote([value])}`);
      return `export ${assignments.join(' ')}`;
    }
    case 'header':
      if (oauth1) {
        throw usageError(
          `${stored.provider} uses OAuth 1.0a: each request carries its own signature (RFC 5849 §3.5.1), so there is no fixed Authorization header`,
          `let oauthd-cli sign the request: oauthd-cli request ${stored.provider} <path>`,
        );
      }
      return `Authorization: ${authorizationScheme(token.token_type)} ${token.access_token}`;
  }
}

/** RFC 6750 §2.1 spells the scheme "Bearer"; providers that answer "bearer" mean the same (schemes are case-insensitive, RFC 9110 §11.1). */
function authorizationScheme(tokenType: string): string {
  return tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType;
}
