/** `serve`: its arguments, flags and help (commander only; ./serve.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { examples, parsePort, type FlagsOf } from '../flags.js';

export function declare(program: CommandUnknownOpts) {
  return program
    .command('serve')
    .description('run the broker for your app (oauthd\'s routes, both flows) until Ctrl-C')
    .option('--port <n>', 'port to listen on (default: broker.port in oauthd.json, else 6284)', parsePort)
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--sandbox', 'also mount the embedded authorization server at /sandbox (provider "sandbox") and a demo page at /demo')
    .addOption(new Option('--log <format>', 'request log on stderr: one readable line per request, or JSON lines').choices(['pretty', 'json']).default('pretty'))
    .option('--quiet', 'no request log')
    .option('--inspect', 'record every flow and serve the flow inspector (prints its URL; oauthd-cli inspect opens it)')
    .addHelpText(
      'after',
      examples(['oauthd-cli serve', 'oauthd-cli serve --sandbox --port 8080   # then open http://127.0.0.1:8080/demo', 'oauthd-cli serve --log json 2> broker.log', 'oauthd-cli serve --sandbox --inspect   # then: oauthd-cli inspect']),
    );
}

export type ServeFlags = FlagsOf<ReturnType<typeof declare>>;
