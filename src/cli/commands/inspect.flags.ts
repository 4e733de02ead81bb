/** `inspect`: its arguments, flags and help (commander only; ./inspect.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, parsePort, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('inspect')
    .description('open the inspector of a running broker (serve, login --inspect): every flow, step by step, in the browser')
    .option('--port <n>', 'the broker on this port, when several run', parsePort)
    .option('--print', 'print the inspector\'s URL on stdout instead of opening a browser')
    .addHelpText(
      'after',
      '\nThe URL carries a secret of that broker run, read from <data folder>/inspectors/<port>.json (0600),\n' +
        'written by serve and login --inspect while they run. The page trades it for a cookie.\n' +
        examples(['oauthd-cli inspect', 'oauthd-cli inspect --port 8080', 'BROWSER=firefox oauthd-cli inspect', 'oauthd-cli inspect --print']),
    );
}

export type InspectFlags = FlagsOf<ReturnType<typeof declare>>;
