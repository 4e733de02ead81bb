/**
 * `oauthd-cli git-credential get|store|erase`: git's credential helper (gitcredentials(7)), which
 * `token setup-git` puts in git's config. git writes what it knows on stdin; `get` answers with the
 * kept token of the provider mapped to that host as the password (refreshed first when it has
 * expired), or with nothing for a host it does not know, and git asks the next helper. It never
 * prompts. `store` has nothing to do (the token is kept already); `erase` (the host refused the
 * token) marks the kept token so the next `get` refreshes it.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { readAll } from '../stdin.js';
import { issuingProvider, tokenHttp, usableToken } from '../stored-token.js';
import { findStoredToken } from '../../tokens/find.js';
import { credentialAnswer, mappingFor, parseCredentialRequest, type GitCredentialOperation } from '../../tokens/git-credential.js';
import { gitHostsPath, readGitHosts } from '../../tokens/git-hosts.js';
import { markRejected } from '../../tokens/refresh.js';

export async function run(ctx: Context, operation: GitCredentialOperation): Promise<void> {
  const ui = new Ui(ctx);
  const request = parseCredentialRequest(await readAll(ctx.stdin));
  if (operation === 'store') return;
  const mapped = mappingFor(request, await readGitHosts(gitHostsPath(ctx)));
  if ('unanswered' in mapped) {
    if (mapped.unanswered === 'cleartext') ui.warn(`not sending a token to ${request.protocol}://${request.host}: plain http is only for loopback hosts`);
    return;
  }
  const { host } = mapped;
  const located = await findStoredToken(ctx, host.provider, host.profile !== undefined ? { profile: host.profile } : {});
  if (operation === 'erase') {
    // Only when git refused the token we gave: a password from elsewhere is not ours to judge.
    if (request.password !== undefined && request.password === located.stored.token.access_token) await markRejected(located, ctx.factory.clock.now());
    return;
  }
  const http = tokenHttp(ctx);
  const stored = await usableToken(ctx, ui, http, located, () => issuingProvider(ctx, ui, http, located, 'refreshed'));
  ui.result(credentialAnswer(request, host, stored.token.access_token, stored.expiresAt));
}
