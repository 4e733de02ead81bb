/**
 * `oauthd-cli token kubeconfig <provider>`: the kubeconfig `users:` entry whose exec credential
 * plugin runs `oauthd-cli token print <provider> --format exec-credential`, as YAML to paste into
 * ~/.kube/config (or to merge with `kubectl config set-credentials`). kubectl then asks for the
 * token itself, and gets it refreshed when it has expired.
 */
import { stringify } from 'yaml';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { selfCommand } from '../self.js';
import type { TokenCommandOptions } from '../stored-token.js';
import { kubeconfigUser } from '../../tokens/credentials.js';
import { findStoredToken } from '../../tokens/find.js';
import { DEFAULT_PROFILE } from '../../tokens/store.js';
import { isCliError } from '../../util/errors.js';
import { pinnedConfig } from '../self.js';

export interface KubeconfigOptions extends TokenCommandOptions {
  /** The user's name in the kubeconfig (default: oauthd-<provider>, with -<profile> for another profile). */
  name?: string;
  /** What kubectl runs (default: `oauthd-cli` when that is this installation on PATH, else its absolute path). */
  command?: string;
}

export async function run(ctx: Context, provider: string, options: KubeconfigOptions): Promise<void> {
  const ui = new Ui(ctx);
  const profile = options.profile ?? DEFAULT_PROFILE;
  // The entry can be written before the login; a missing token (or a misspelt provider) is worth a word.
  try {
    await findStoredToken(ctx, provider, options);
  } catch (error) {
    if (!isCliError(error)) throw error;
    ui.warn(`${error.message}${error.hint ? `; ${error.hint}` : ''} (kubectl will fail until then)`);
  }
  const name = options.name ?? `oauthd-${provider}${profile === DEFAULT_PROFILE ? '' : `-${profile}`}`;
  const command = options.command ?? selfCommand(ctx.env);
  const entry = kubeconfigUser(command, provider, { ...(options.profile !== undefined ? { profile } : {}), ...pinnedConfig(ctx) }, name);
  ui.info(`Add this to ~/.kube/config and point a context at it: kubectl config set-context --current --user ${name}`);
  ui.result(stringify({ users: [entry] }));
}
