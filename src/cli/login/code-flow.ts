/**
 * The authorization-code flow of `login`, through the in-process broker. The browser part happens
 * one of four ways: the system browser (or $BROWSER) on the broker's /auth/<provider> route, as an
 * app's popup would; the CLI itself for the sandbox on a machine without a display; or a printed
 * URL, with the final redirected URL accepted back on stdin when the browser cannot reach us.
 */
import type { FlowSuccess } from '../../oauth/outcome.js';
import type { BrokerProvider } from '../../registry/types.js';
import { autoApprove } from '../../sandbox/auto-approve.js';
import { flowError, isCliError } from '../../util/errors.js';
import { explainRedirectMismatch, looksLikeRedirectMismatch } from '../../oauth/redirect-diagnosis.js';
import type { Context } from '../context.js';
import { hasDisplay, isSsh } from '../environment.js';
import type { Ui } from '../ui.js';
import type { LoginBroker } from './broker-runtime.js';
import { watchPastedUrls } from './paste.js';

export interface CodeFlowOptions {
  providerId: string;
  scopes: string[] | undefined;
  isSandbox: boolean;
  browser: boolean;
  autoApprove: boolean;
  timeoutSeconds: number;
  /** No spinner while a trace streams to stderr. */
  quiet: boolean;
}

export async function codeFlow(ctx: Context, ui: Ui, broker: LoginBroker, provider: BrokerProvider, options: CodeFlowOptions): Promise<FlowSuccess> {
  const redirectUri = `${broker.origin}/auth`;
  if (!options.isSandbox) ui.info(`Redirect URI: ${redirectUri} (it must be registered exactly at ${provider.resolved.name})`);

  const completion = Promise.race([broker.outcome, timeout(options.timeoutSeconds, redirectUri)]);
  const stopPasteWatch = await startSignIn(ctx, ui, broker, provider, options);
  const spinner = options.quiet ? undefined : ui.spinner(`Waiting for the sign-in to finish (timeout ${options.timeoutSeconds} s)…`);
  // A redirect URI the provider does not know shows up as its error, or as no callback at all.
  const explain = (trigger: 'provider-error' | 'no-callback', sent = redirectUri) => {
    spinner?.stop();
    const lines = explainRedirectMismatch({ sent, providerName: provider.resolved.name, trigger, ...(provider.resolved.spec.register ? { registerUrl: provider.resolved.spec.register } : {}) });
    for (const line of lines) ui.info(line);
  };
  try {
    const result = await completion.catch((error: unknown) => {
      if (isCliError(error) && error.code === 'timeout' && !options.isSandbox) explain('no-callback');
      throw error;
    });
    if (!result.ok) {
      if (looksLikeRedirectMismatch(result.error)) explain('provider-error', result.facts?.redirectUri);
      throw result.error;
    }
    return result;
  } finally {
    spinner?.stop();
    stopPasteWatch?.();
  }
}

async function startSignIn(
  ctx: Context,
  ui: Ui,
  broker: LoginBroker,
  provider: BrokerProvider,
  options: CodeFlowOptions,
): Promise<(() => void) | undefined> {
  const headless = !hasDisplay(ctx) && !ctx.env.BROWSER;
  if (options.isSandbox && (options.autoApprove || (headless && options.browser))) {
    ui.info(
      options.autoApprove
        ? 'Completing the sandbox sign-in in the CLI (--auto-approve), as user "developer".'
        : 'No display and no $BROWSER: completing the sandbox sign-in in the CLI, as user "developer" (a real provider would need you).',
    );
    autoApprove(brokerStartUrl(broker, options)).catch((error: Error) =>
      broker.settle({
        ok: false,
        error: flowError(`the automatic sandbox sign-in failed: ${error.message}`, 'run with --debug, or sign in with a browser (--no-browser prints the URL)', 'auto_approve_failed'),
      }),
    );
    return undefined;
  }
  if (options.browser && !headless) {
    const url = brokerStartUrl(broker, options);
    const how = await ctx.factory.openBrowser(url);
    ui.info(`Opened ${how} at ${url}`);
    return undefined;
  }

  // No browser here: print the provider's own authorization URL (a browser elsewhere can open it)
  // and take the final URL back on stdin.
  const url = await broker.authorizationUrl(options.providerId, options.scopes);
  const lines = [`${headless ? (isSsh(ctx.env) ? 'This is an SSH session' : 'No display found') + '; open' : 'Open'} this URL in a browser to sign in:`, `  ${url}`];
  if (isSsh(ctx.env)) {
    lines.push(`If that browser runs on your own computer, forward the callback port first:  ssh -L ${broker.port}:127.0.0.1:${broker.port} <this host>`);
  }
  lines.push(`Or, when the browser ends on an address starting with ${broker.origin}/auth? that does not load, paste that whole address here and press Enter.`);
  if (provider.resolved.oauth2?.deviceAuthorizationUrl) {
    lines.push(`${provider.resolved.name} also offers the device grant, which needs no callback: oauthd-cli login ${options.providerId} --device`);
  }
  ui.info(lines.join('\n'));
  return watchPastedUrls(
    ctx.stdin,
    (query) => {
      // Through the broker's own callback route, so the pasted response meets every check.
      void fetch(`${broker.origin}/auth?${query}`).catch((error: Error) =>
        broker.settle({ ok: false, error: flowError(`the pasted URL could not be delivered: ${error.message}`, undefined, 'paste_failed') }),
      );
    },
    (line) => ui.warn(`that is not the callback URL (it must contain code and state): ${line.slice(0, 80)}`),
    (cancelled) => broker.settle({ ok: false, error: cancelled }),
  );
}

function brokerStartUrl(broker: LoginBroker, options: CodeFlowOptions): string {
  const url = new URL(`${broker.origin}/auth/${encodeURIComponent(options.providerId)}`);
  url.searchParams.set('k', broker.cliKey);
  if (options.scopes !== undefined) url.searchParams.set('opts', JSON.stringify({ scope: options.scopes.join(' ') }));
  return url.toString();
}

function timeout(seconds: number, redirectUri: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          flowError(
            `no sign-in came back within ${seconds} s`,
            `finish the sign-in sooner or raise --timeout; if the browser shows an error page instead, the provider probably does not know the redirect URI ${redirectUri}`,
            'timeout',
          ),
        ),
      seconds * 1000,
    );
    timer.unref();
  });
}
