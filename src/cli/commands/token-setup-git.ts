/**
 * `oauthd-cli token setup-git <provider> --host HOST`: git asks oauthd-cli for that host's
 * password, as `gh auth setup-git` does for GitHub. Two writes: the host's mapping to the provider
 * (git-hosts.json in the data folder, src/tokens/git-hosts.ts) and, in git's global config,
 * `credential.<origin>.helper` set to an empty value (so helpers configured for every host are not
 * asked first) followed by `!oauthd-cli [--config FILE] git-credential`.
 */
import { execFile } from 'node:child_process';
import { quote } from 'shell-quote';
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { pinnedConfig, selfCommand } from '../self.js';
import type { TokenCommandOptions } from '../stored-token.js';
import { findStoredToken } from '../../tokens/find.js';
import { gitHostsPath, gitOrigin, saveGitHost, type GitHost } from '../../tokens/git-hosts.js';
import { DEFAULT_GIT_USERNAME } from '../../tokens/git-credential.js';
import { configError, isCliError, usageError } from '../../util/errors.js';

export interface SetupGitOptions extends TokenCommandOptions {
  host?: string;
  username?: string;
  command?: string;
}

export async function run(ctx: Context, provider: string, options: SetupGitOptions): Promise<void> {
  const ui = new Ui(ctx);
  if (options.host === undefined) throw usageError('token setup-git needs --host', 'name the git host: --host github.com');
  const origin = gitOrigin(options.host);
  try {
    await findStoredToken(ctx, provider, options);
  } catch (error) {
    if (!isCliError(error)) throw error;
    ui.warn(`${error.message}${error.hint ? `; ${error.hint}` : ''} (git will ask elsewhere until then)`);
  }
  const mapping: GitHost = { provider };
  if (options.profile !== undefined) mapping.profile = options.profile;
  if (options.username !== undefined) mapping.username = options.username;
  const hosts = gitHostsPath(ctx);
  await saveGitHost(hosts, origin, mapping);

  const pinned = pinnedConfig(ctx).configPath;
  const helper = `!${quote([options.command ?? selfCommand(ctx.env), ...(pinned !== undefined ? ['--config', pinned] : []), 'git-credential'])}`;
  const key = `credential.${origin}.helper`;
  await git(ctx, ['config', '--global', '--replace-all', key, '']);
  await git(ctx, ['config', '--global', '--add', key, helper]);
  ui.success(`git now asks oauthd-cli for ${origin}: the ${provider} token${options.profile !== undefined ? ` (profile ${options.profile})` : ''}, user name ${options.username ?? `${DEFAULT_GIT_USERNAME} unless the URL names one`}`);
  ui.info(`  ${hosts}: ${origin} → ${provider}`);
  ui.info(`  git config --global ${key}: ${helper}`);
}

function git(ctx: Context, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { env: ctx.env as NodeJS.ProcessEnv, cwd: ctx.cwd, timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(configError('git is not installed (or not on PATH)', 'install git, then run token setup-git again'));
      }
      reject(configError(`git ${args.join(' ')} failed: ${stderr.trim().split('\n')[0] ?? error.message}`, 'check your git configuration (git config --global --list)'));
    });
  });
}
