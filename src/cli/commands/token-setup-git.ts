/**
 * `oauthd-cli token setup-git <provider> [--host HOST]`: git asks oauthd-cli for that host's
 * password, as `gh auth setup-git` does for GitHub. The host and the user name default to the
 * provider file's `git` block (github.com, a GitLab's base_url, bitbucket.org). Two writes: the host's mapping to the provider
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
import { gitHostsPath, gitOrigin, providerGitHost, saveGitHost, type GitHost } from '../../tokens/git-hosts.js';
import { DEFAULT_GIT_USERNAME } from '../../tokens/git-credential.js';
import { configError, isCliError, usageError } from '../../util/errors.js';

export interface SetupGitOptions extends TokenCommandOptions {
  host?: string;
  username?: string;
  command?: string;
}

export async function run(ctx: Context, provider: string, options: SetupGitOptions): Promise<void> {
  const ui = new Ui(ctx);
  // The provider file may say where its git host is (github.com, a GitLab's base_url) and the user name it wants.
  // With --host, a provider file that cannot be resolved (a parameter missing) only loses its user name.
  const described = options.host === undefined ? await providerGitHost(ctx, provider) : await providerGitHost(ctx, provider).catch(() => undefined);
  const host = options.host ?? described?.origin;
  if (host === undefined) throw usageError(`the ${provider} provider file names no git host`, `name it: oauthd-cli token setup-git ${provider} --host git.example.com`);
  const origin = gitOrigin(host);
  const username = options.username ?? (described !== undefined && gitOrigin(described.origin) === origin ? described.username : undefined);
  try {
    await findStoredToken(ctx, provider, options);
  } catch (error) {
    if (!isCliError(error)) throw error;
    ui.warn(`${error.message}${error.hint ? `; ${error.hint}` : ''} (git will ask elsewhere until then)`);
  }
  const mapping: GitHost = { provider };
  if (options.profile !== undefined) mapping.profile = options.profile;
  if (username !== undefined) mapping.username = username;
  const hosts = gitHostsPath(ctx);
  await saveGitHost(hosts, origin, mapping);

  const pinned = pinnedConfig(ctx).configPath;
  const helper = `!${quote([options.command ?? selfCommand(ctx.env), ...(pinned !== undefined ? ['--config', pinned] : []), 'git-credential'])}`;
  const key = `credential.${origin}.helper`;
  await git(ctx, ['config', '--global', '--replace-all', key, '']);
  await git(ctx, ['config', '--global', '--add', key, helper]);
  ui.success(`git now asks oauthd-cli for ${origin}: the ${provider} token${options.profile !== undefined ? ` (profile ${options.profile})` : ''}, user name ${username ?? `${DEFAULT_GIT_USERNAME} unless the URL names one`}`);
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
