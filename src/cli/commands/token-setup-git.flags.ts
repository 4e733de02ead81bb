/** `token setup-git`: its arguments, flags and help (commander only; ./token-setup-git.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('setup-git <provider>')
    .description('make git use the kept token as the password for the provider\'s git host (like gh auth setup-git)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--host <host>', 'the git host: github.com, git.example.com:8443, or an origin (http:// only for localhost); default: the provider file\'s git.origin')
    .option('--username <name>', 'the user name sent with the token (default: the one in the remote URL, else the provider file\'s git.username, else oauth2)')
    .option('--command <path>', 'the program git runs (default: oauthd-cli when on PATH, else this installation\'s absolute path)')
    .addHelpText(
      'after',
      '\nWrites the host\'s mapping to git-hosts.json in the data folder and, in ~/.gitconfig,\n' +
        'credential.https://HOST.helper = !oauthd-cli git-credential (after an empty value, so other helpers\n' +
        'are not asked for that host). The github, gitlab, bitbucket and gitea provider files name their host\n' +
        'and the user name it wants (their git block), so --host is needed only for other providers.\n' +
        examples([
          'oauthd-cli token setup-git github                       # github.com, user name x-access-token',
          'oauthd-cli token setup-git gitlab                       # the base_url of your gitlab keyset',
          'oauthd-cli token setup-git myidp --host git.example.com --username oauth2',
          'oauthd-cli token setup-git bitbucket --profile work',
        ]),
    );
}

export type SetupGitFlags = FlagsOf<ReturnType<typeof declare>>;
