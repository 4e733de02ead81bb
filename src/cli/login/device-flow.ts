/**
 * `login --device`: the device authorization grant (RFC 8628). No callback, no redirect URI: the
 * CLI shows a code and a verification address, the user approves on any device, the CLI polls.
 * For the sandbox with --auto-approve (or on a machine with no display and no $BROWSER, as the
 * code flow does), the CLI approves on the sandbox's verification pages itself while it polls.
 */
import { checkIdToken } from '../../registry/id-token-check.js';
import { directGrantFacts, type FlowSuccess } from '../../oauth/outcome.js';
import { clientOf } from '../../registry/client.js';
import type { BrokerProvider } from '../../registry/types.js';
import { pollDeviceToken, requestDeviceAuthorization } from '../../oauth/device.js';
import type { HttpClient } from '../../oauth/http.js';
import type { ReadTokenResult } from '../../oauth/token-response.js';
import { autoApproveDevice } from '../../sandbox/auto-approve.js';
import { flowError, usageError } from '../../util/errors.js';
import type { Context } from '../context.js';
import { hasDisplay } from '../environment.js';
import type { Ui } from '../ui.js';

export async function deviceFlow(
  ctx: Context,
  ui: Ui,
  http: HttpClient,
  provider: BrokerProvider,
  options: { scopes: string[]; browser: boolean; autoApprove: boolean; timeoutSeconds: number; quiet: boolean },
): Promise<FlowSuccess> {
  const resolved = provider.resolved;
  const oauth2 = resolved.oauth2;
  if (!oauth2?.deviceAuthorizationUrl) {
    throw usageError(`${resolved.name} does not offer the device grant`, `sign in through the browser: oauthd-cli login ${resolved.id}`);
  }
  const client = await clientOf(provider);
  const authorization = await requestDeviceAuthorization(http, { ...oauth2, deviceAuthorizationUrl: oauth2.deviceAuthorizationUrl }, client, options.scopes);

  const complete = authorization.verification_uri_complete;
  ui.info(
    [
      `To sign in, open ${authorization.verification_uri} and enter the code  ${ui.err.bold(authorization.user_code)}`,
      ...(complete ? [`(or open ${complete}, which carries the code)`] : []),
    ].join('\n'),
  );
  // Ends the polling when the approval in the CLI fails: nobody else is going to approve.
  const stop = new AbortController();
  let approval: Promise<never> | undefined;
  const headless = !hasDisplay(ctx) && !ctx.env.BROWSER;
  if (resolved.origin === 'sandbox' && (options.autoApprove || (headless && options.browser))) {
    ui.info(
      options.autoApprove
        ? 'Approving the device code in the CLI (--auto-approve), as user "developer".'
        : 'No display and no $BROWSER: approving the sandbox device code in the CLI, as user "developer" (a real provider would need you).',
    );
    approval = autoApproveDevice(complete ?? authorization.verification_uri, authorization.user_code).then(
      () => new Promise<never>(() => undefined),
      (error: Error) => {
        stop.abort();
        throw flowError(`the automatic sandbox approval failed: ${error.message}`, 'run with --debug, or approve in a browser (drop --auto-approve)', 'auto_approve_failed');
      },
    );
  } else if (options.browser && hasDisplay(ctx)) {
    await ctx.factory.openBrowser(complete ?? authorization.verification_uri).catch(() => undefined);
  }
  const expiresIn = Math.min(authorization.expires_in, options.timeoutSeconds);
  const spinner = options.quiet ? undefined : ui.spinner(`Waiting for the approval (code expires in ${authorization.expires_in} s)…`);
  try {
    const polling = pollDeviceToken(http, oauth2, client, authorization.device_code, {
      interval: authorization.interval,
      expiresIn,
      sleep: (ms) => abortableSleep(ms, stop.signal),
      onPending: (poll) => {
        if (poll.slowDown) ui.info(`The provider asked to slow down: polling every ${poll.intervalSeconds} s.`);
      },
    });
    return await polledGrant(ctx, provider, 'device_code', options.scopes, polling, approval);
  } finally {
    spinner?.stop();
  }
}

/**
 * The end of a polled grant (the device grant, CIBA): the token the polling gets, unless the CLI's
 * own approval (the sandbox, auto-approved) fails first; its id_token checked as any flow's.
 */
export async function polledGrant(
  ctx: Context,
  provider: BrokerProvider,
  grant: Parameters<typeof directGrantFacts>[1],
  scopes: string[],
  polling: Promise<ReadTokenResult>,
  approval: Promise<never> | undefined,
): Promise<FlowSuccess> {
  // When the approval fails first, the polling ends at its next wait; its rejection is the approval's.
  polling.catch(() => undefined);
  const result = await (approval ? Promise.race([polling, approval]) : polling);
  const obtainedAt = ctx.factory.clock.now();
  const idToken = await checkIdToken(result.token, await provider.openid(), {
    clientId: provider.resolved.clientId,
    openidAsked: scopes.includes('openid'),
    now: obtainedAt,
  });
  return {
    ok: true,
    facts: directGrantFacts(provider.resolved.id, grant, scopes),
    token: result.token,
    raw: result.raw,
    deviations: result.deviations,
    obtainedAt,
    ...(idToken ? { idToken } : {}),
  };
}

/** setTimeout as a promise that rejects as soon as `signal` aborts (the CIBA flow's polling too). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
