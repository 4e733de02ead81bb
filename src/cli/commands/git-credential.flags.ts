/** `git-credential`: its arguments, flags and help (commander only; ./git-credential.ts runs it). */
import { Argument, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('git-credential')
    .description('git\'s credential helper: answers get with the kept token of the host\'s provider (see token setup-git)')
    .addArgument(new Argument('<operation>', 'what git asks').choices(['get', 'store', 'erase'] as const))
    .addHelpText(
      'after',
      '\ngit writes key=value lines on stdin (protocol, host, path, username). get prints username= and\n' +
        'password= for a host mapped by token setup-git (the token refreshed first when it has expired), and\n' +
        'nothing for any other host, so git asks its next helper; it never prompts. store does nothing;\n' +
        'erase (the host refused the token) makes the next get refresh it.\n' +
        examples([
          'oauthd-cli token setup-git github --host github.com   # writes the helper into ~/.gitconfig',
          'printf \'protocol=https\\nhost=github.com\\n\\n\' | oauthd-cli git-credential get',
          'git credential fill <<< $\'url=https://github.com\\n\'   # what git asks the helper',
        ]),
    );
}

export type GitCredentialFlags = FlagsOf<ReturnType<typeof declare>>;
