/** `doctor`: its arguments, flags and help (commander only; ./doctor.ts runs it). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('doctor')
    .description('check the setup before a login needs it: config, store, secrets, each provider, the broker port')
    .option('--json', 'print the checks as a JSON list of {id, label, status, detail, fix}')
    .addHelpText(
      'after',
      '\nOne line per check: ✓ passes, ! warns, ✗ fails (its fix on the next line), i informs.\n' +
        'Exit 0 when no check fails (warnings included), 1 otherwise. Secrets are looked up, never printed;\n' +
        'only discovery documents are fetched, with a 5 s timeout (offline is a warning).\n' +
        examples([
          'oauthd-cli doctor',
          'oauthd-cli doctor --config ../api/oauthd.json',
          'oauthd-cli doctor --json | jq \'.[] | select(.status == "fail")\'',
        ]),
    );
}

export type DoctorFlags = FlagsOf<ReturnType<typeof declare>>;
