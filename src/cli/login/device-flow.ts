/**
 * `login --device`: the device authorization grant (RFC 8628). No callback, no redirect URI: the
 * CLI shows a code and a verification address, the user approves on any device, the CLI polls.
 */
import { checkIdToken } from '../../broker/id-token-check.js';
import { directGrantFacts, type FlowSuccess } from '../../broker/outcome.js';
import type { BrokerProvider } from '../../broker/types.js';
import { pollDeviceToken, requestDeviceAuthorization } from '../../oauth/device.js';
import type { HttpClient } from '../../oauth/http.js';
import { usageError } from '../../util/errors.js';
import type { Context } from '../context.js';
import { openBrowser } from '../browser.js';
import { hasDisplay } from '../environment.js';
import type { Ui } from '../ui.js';

export async function deviceFlow(
  ctx: Context,
  ui: Ui,
  http: HttpClient,
  provider: BrokerProvider,
  options: { scopes: string[]; browser: boolean; timeoutSeconds: number; quiet: boolean },
): Promise<FlowSuccess> {
  const resolved = provider.resolved;
  const oauth2 = resolved.oauth2;
  if (!oauth2?.deviceAuthorizationUrl) {
    throw usageError(`${resolved.name} does not offer the device grant`, `sign in through the browser: oauthd-cli login ${resolved.id}`);
  }
  const clientSecret = await provider.clientSecret();
  const client = { clientId: resolved.clientId, ...(clientSecret !== undefined ? { clientSecret } : {}) };
  const authorization = await requestDeviceAuthorization(http, { ...oauth2, deviceAuthorizationUrl: oauth2.deviceAuthorizationUrl }, client, options.scopes);

  const complete = authorization.verification_uri_complete;
  ui.info(
    [
      `To sign in, open ${authorization.verification_uri} and enter the code  ${ui.err.bold(authorization.user_code)}`,
      ...(complete ? [`(or open ${complete}, which carries the code)`] : []),
    ].join('\n'),
  );
  if (options.browser && hasDisplay(ctx)) {
    await openBrowser(complete ?? authorization.verification_uri, ctx.env).catch(() => undefined);
  }
  const expiresIn = Math.min(authorization.expires_in, options.timeoutSeconds);
  const spinner = options.quiet ? undefined : ui.spinner(`Waiting for the approval (code expires in ${authorization.expires_in} s)…`);
  try {
    const result = await pollDeviceToken(http, oauth2, client, authorization.device_code, {
      interval: authorization.interval,
      expiresIn,
      onPending: (poll) => {
        if (poll.slowDown) ui.info(`The provider asked to slow down: polling every ${poll.intervalSeconds} s.`);
      },
    });
    const obtainedAt = Date.now();
    const idToken = await checkIdToken(result.token, await provider.openid(), {
      clientId: resolved.clientId,
      openidAsked: options.scopes.includes('openid'),
      now: obtainedAt,
    });
    return {
      ok: true,
      facts: directGrantFacts(resolved.id, 'device_code', options.scopes),
      token: result.token,
      raw: result.raw,
      deviations: result.deviations,
      obtainedAt,
      ...(idToken ? { idToken } : {}),
    };
  } finally {
    spinner?.stop();
  }
}
