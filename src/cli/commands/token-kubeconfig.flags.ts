/** `token kubeconfig`: its arguments, flags and help (commander only; ./token-kubeconfig.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, profileOption, storeOption, type FlagsOf } from '../flags.js';

export function declare(token: CommandUnknownOpts) {
  return token
    .command('kubeconfig <provider>')
    .description('print the kubeconfig users: entry whose exec plugin gets the token from oauthd-cli (refreshed as needed)')
    .addOption(profileOption())
    .addOption(storeOption())
    .option('--name <name>', 'the user name in the kubeconfig (default: oauthd-<provider>[-<profile>])')
    .option('--command <path>', 'the program kubectl runs (default: oauthd-cli when on PATH, else this installation\'s absolute path)')
    .addHelpText(
      'after',
      '\nkubectl runs `oauthd-cli token print <provider> --format exec-credential` (client.authentication.k8s.io/v1)\n' +
        'and reuses the token until its expirationTimestamp. The plugin never prompts (interactiveMode: Never).\n' +
        examples([
          'oauthd-cli token kubeconfig myidp >> ~/.kube/oauthd.yaml',
          'KUBECONFIG=~/.kube/config:~/.kube/oauthd.yaml kubectl config view --flatten > merged.yaml',
          'oauthd-cli token kubeconfig myidp --profile work --name me@work',
        ]),
    );
}

export type KubeconfigFlags = FlagsOf<ReturnType<typeof declare>>;
