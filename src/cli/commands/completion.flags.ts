/** `completion`: its arguments, flags and help (commander only; ./completion.ts runs it). */
import { Argument, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (commands, options, provider ids)')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      '\nProvider ids (the catalog, your provider folders, oauthd.json) are looked up when you press TAB.\n' +
        examples([
          'source <(oauthd-cli completion bash)                  # in ~/.bashrc',
          'source <(oauthd-cli completion zsh)                   # in ~/.zshrc, after compinit',
          'oauthd-cli completion fish > ~/.config/fish/completions/oauthd-cli.fish',
        ]),
    );
}

export type CompletionFlags = FlagsOf<ReturnType<typeof declare>>;

/** What the completion scripts call at TAB time: provider ids, one per line. */
export function declareComplete(program: CommandUnknownOpts) {
  return program.command('__complete <what>', { hidden: true });
}
