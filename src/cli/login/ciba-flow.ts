/**
 * `login --ciba --login-hint USER` (or --id-token-hint, --login-hint-token): OpenID
 * Client-Initiated Backchannel Authentication, poll mode (CIBA Core 1.0). No browser and no callback here: the provider asks the user on their own
 * authentication device, and the CLI polls the token endpoint until they decide. For the sandbox,
 * the authentication device is a page of the sandbox (its `approval_uri`): printed, opened in a
 * browser where there is one, or approved by the CLI itself where --auto-approve applies (the flag,
 * or a machine with no display and no $BROWSER, as the device flow does).
 */
import type { FlowSuccess, ProtocolCheck } from '../../oauth/outcome.js';
import { clientOf } from '../../registry/client.js';
import type { BrokerProvider } from '../../registry/types.js';
import { decodeJwt } from 'jose';
import { POLL_MODE, pollCibaToken, requestBackchannelAuthentication, type BackchannelHint } from '../../oauth/ciba.js';
import type { HttpClient } from '../../oauth/http.js';
import { autoApproveBackchannel } from '../../sandbox/auto-approve.js';
import { findStoredToken } from '../../tokens/find.js';
import { CliError, configError, flowError, isCliError, usageError } from '../../util/errors.js';
import { keptTokenRef } from '../stored-token.js';
import type { Context } from '../context.js';
import { hasDisplay } from '../environment.js';
import type { Ui } from '../ui.js';
import { abortableSleep, polledGrant } from './device-flow.js';

export interface CibaOptions {
  scopes: string[];
  hint: CibaHint;
  bindingMessage?: string;
  userCode?: string;
  browser: boolean;
  autoApprove: boolean;
  timeoutSeconds: number;
  quiet: boolean;
  /** --verbose: each step's check, with its section. */
  report: (check: ProtocolCheck) => void;
}

const SOURCE = 'OpenID CIBA Core';

/** §7.1's hint, and how the CLI names the user it points at (a hint that is a token is never printed). */
export interface CibaHint extends BackchannelHint {
  describe: string;
  /** id_token_hint: where it came from, and its iss and aud, checked against the provider before it is sent. */
  idToken?: { from: string; iss: unknown; aud: unknown };
}

/** The hint flags of `login --ciba`, as given (their values unread). */
export interface CibaHintFlags {
  loginHint?: string;
  idTokenHint?: string;
  loginHintToken?: string;
}

const HINT_FLAGS = { loginHint: '--login-hint', idTokenHint: '--id-token-hint', loginHintToken: '--login-hint-token' } as const;


/** The hint flags given, by their names; §7.1 wants exactly one. */
export function givenHintFlags(flags: CibaHintFlags): string[] {
  return (Object.keys(HINT_FLAGS) as Array<keyof typeof HINT_FLAGS>).filter((key) => flags[key] !== undefined).map((key) => HINT_FLAGS[key]);
}

/**
 * §7.1: the one hint, read before anything is sent. --id-token-hint takes a JWT, or
 * `@provider[:profile]` for the id_token of a kept token (§7.1: "an ID Token previously issued to
 * the Client by the OpenID Provider"; an expired one still names the user, so it is not refreshed).
 */
export async function readCibaHint(ctx: Context, flags: CibaHintFlags): Promise<CibaHint> {
  if (flags.loginHint !== undefined) {
    if (flags.loginHint.trim() === '') throw usageError('--login-hint is empty', 'e.g. oauthd-cli login sandbox --ciba --login-hint alice');
    return { parameter: 'login_hint', value: flags.loginHint, describe: `"${flags.loginHint}"` };
  }
  if (flags.loginHintToken !== undefined) {
    if (flags.loginHintToken.trim() === '') throw usageError('--login-hint-token is empty', 'give the token your provider issued to name the user');
    return { parameter: 'login_hint_token', value: flags.loginHintToken.trim(), describe: 'the user the login_hint_token names' };
  }
  const given = flags.idTokenHint ?? '';
  const kept = keptTokenRef(given, '--id-token-hint');
  let value = given.trim();
  let from = 'the given one';
  if (kept) {
    const { provider: id, profile } = kept;
    const located = await findStoredToken(ctx, id, profile !== undefined ? { profile } : {}).catch((error: unknown) => {
      // Named by the flag: "no token for bank" alone would not say which flag wanted one.
      if (isCliError(error)) throw new CliError(error.kind, `--id-token-hint ${given}: ${error.message}`, error.hint, { code: error.code });
      throw error;
    });
    const idToken = located.stored.token.id_token;
    if (idToken === undefined) {
      throw usageError(`--id-token-hint ${given}: the kept ${id} token (profile ${located.stored.profile}) has no id_token`, `log in with the openid scope first (oauthd-cli login ${id}), or give --login-hint`);
    }
    value = idToken;
    from = `the kept ${id} token's (profile ${located.stored.profile})`;
  }
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(value);
  } catch {
    throw usageError(`--id-token-hint${kept ? ` ${given}: the kept token's id_token` : ''} is not an ID Token (a JWT)`, 'give the ID Token itself, or @provider[:profile] for a kept token\'s');
  }
  return {
    parameter: 'id_token_hint',
    value,
    describe: `the user of an id_token, ${from}${typeof claims.sub === 'string' ? `: sub ${claims.sub}` : ''}`,
    idToken: { from: kept ? `--id-token-hint ${given}` : '--id-token-hint', iss: claims.iss, aud: claims.aud },
  };
}

/**
 * §7.1: the id_token_hint is "an ID Token previously issued to the Client by the OpenID Provider":
 * one of another issuer (another provider, or a sandbox on another port) or another client is
 * refused here, naming both, rather than by the server with a bare invalid_request.
 */
function checkIdTokenHint(hint: CibaHint, issuer: string, clientId: string, providerName: string): void {
  if (hint.idToken === undefined) return;
  const { from, iss, aud } = hint.idToken;
  if (iss !== issuer) {
    throw configError(`${from}: the id_token was issued by ${typeof iss === 'string' ? iss : 'no issuer'}, not by ${providerName} (${issuer})`, 'give an id_token this provider issued (log in to it first), or --login-hint');
  }
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(clientId)) {
    throw configError(`${from}: the id_token was issued to ${audiences.filter((entry) => typeof entry === 'string').join(', ') || 'no client'}, not to this client (${clientId})`, 'give an id_token issued to this client, or --login-hint');
  }
}

/**
 * What the provider must offer for --ciba, checked before anything is sent: a backchannel
 * authentication endpoint (§4 backchannel_authentication_endpoint) that delivers tokens by poll
 * (§4 backchannel_token_delivery_modes_supported), and an issuer (CIBA is OpenID: its token
 * carries an id_token, checked with the issuer's keys).
 */
export function checkCibaSupport(provider: BrokerProvider, userCode = false): void {
  const resolved = provider.resolved;
  const oauth2 = resolved.oauth2;
  const refresh = resolved.origin === 'issuer' ? `, or read its discovery document again: oauthd-cli providers add ${resolved.id} --issuer ${resolved.issuer ?? '<issuer>'}` : '';
  if (!oauth2 || resolved.issuer === undefined) {
    throw configError(`--ciba: ${resolved.name} is no OpenID provider; CIBA is an OpenID Connect flow`, 'drop --ciba');
  }
  if (oauth2.backchannelAuthenticationUrl === undefined) {
    throw configError(`--ciba: ${resolved.name} has no backchannel authentication endpoint (its metadata has no backchannel_authentication_endpoint)`, `drop --ciba${refresh}`);
  }
  const modes = oauth2.backchannelTokenDeliveryModes;
  if (modes !== undefined && !modes.includes(POLL_MODE)) {
    throw configError(
      `--ciba: ${resolved.name} delivers CIBA tokens only by ${modes.join(', ') || 'no mode'} (backchannel_token_delivery_modes_supported has no "poll")`,
      'login --ciba polls; ping and push need an endpoint of the client\'s, which a CLI does not have',
    );
  }
  // §4: "If omitted, the default value is false."
  if (userCode && oauth2.backchannelUserCode !== true) {
    throw configError(`--user-code: ${resolved.name} takes no user code (its metadata has no backchannel_user_code_parameter_supported: true)`, `drop --user-code${refresh}`);
  }
}

export async function cibaFlow(ctx: Context, ui: Ui, http: HttpClient, provider: BrokerProvider, options: CibaOptions): Promise<FlowSuccess> {
  checkCibaSupport(provider, options.userCode !== undefined);
  const resolved = provider.resolved;
  const oauth2 = resolved.oauth2!;
  checkIdTokenHint(options.hint, resolved.issuer!, resolved.clientId, resolved.name);
  const client = await clientOf(provider);
  const endpoint = oauth2.backchannelAuthenticationUrl!;
  const authentication = await requestBackchannelAuthentication(
    http,
    { backchannelAuthenticationUrl: endpoint, clientAuth: oauth2.clientAuth, scopeSeparator: oauth2.scopeSeparator, tokenHeaders: oauth2.tokenHeaders },
    client,
    {
      scopes: options.scopes,
      hint: { parameter: options.hint.parameter, value: options.hint.value },
      ...(options.bindingMessage !== undefined ? { bindingMessage: options.bindingMessage } : {}),
      ...(options.userCode !== undefined ? { userCode: options.userCode } : {}),
    },
  );
  const named = options.hint.parameter === 'login_hint' ? `login_hint ${options.hint.value}` : `${options.hint.parameter}: ${options.hint.describe}`;
  options.report({
    ok: true,
    name: 'CIBA request',
    detail: `${named}${options.bindingMessage !== undefined ? `, binding_message "${options.bindingMessage}"` : ''}${options.userCode !== undefined ? ', user_code' : ''}, client authenticated (${oauth2.clientAuth}) at ${endpoint}`,
    source: `${SOURCE} §7.1`,
  });
  options.report({
    ok: true,
    name: 'CIBA acknowledgement',
    detail: `auth_req_id ${authentication.auth_req_id.length} characters (a credential: redacted in traces), expires in ${authentication.expires_in} s, poll every ${authentication.interval} s`,
    source: `${SOURCE} §7.3`,
  });

  const approvalUri = resolved.origin === 'sandbox' && typeof authentication.extra.approval_uri === 'string' ? authentication.extra.approval_uri : undefined;
  ui.info(
    `Asked ${resolved.name} to authenticate ${options.hint.describe} on their own device${options.bindingMessage !== undefined ? `; it shows ${ui.err.bold(options.bindingMessage)}` : ''}.`,
  );
  // Ends the polling when the approval in the CLI fails: nobody else is going to approve.
  const stop = new AbortController();
  let approval: Promise<never> | undefined;
  const headless = !hasDisplay(ctx) && !ctx.env.BROWSER;
  if (approvalUri !== undefined && (options.autoApprove || (headless && options.browser))) {
    ui.info(
      options.autoApprove
        ? `Approving on the sandbox's approval page in the CLI (--auto-approve), as ${options.hint.describe}.`
        : `No display and no $BROWSER: approving on the sandbox's approval page in the CLI, as ${options.hint.describe} (a real provider would ask them).`,
    );
    approval = autoApproveBackchannel(approvalUri).then(
      () => new Promise<never>(() => undefined),
      (error: Error) => {
        stop.abort();
        throw flowError(`the automatic sandbox approval failed: ${error.message}`, 'run with --debug, or approve on the page (drop --auto-approve)', 'auto_approve_failed');
      },
    );
  } else if (approvalUri !== undefined) {
    ui.info(`The sandbox's approval page (the user's authentication device): ${approvalUri}`);
    if (options.browser && hasDisplay(ctx)) await ctx.factory.openBrowser(approvalUri).catch(() => undefined);
  }

  const expiresIn = Math.min(authentication.expires_in, options.timeoutSeconds);
  const spinner = options.quiet ? undefined : ui.spinner(`Waiting for the approval (the request expires in ${authentication.expires_in} s)…`);
  try {
    const polling = pollCibaToken(http, oauth2, client, authentication.auth_req_id, {
      interval: authentication.interval,
      expiresIn,
      sleep: (ms) => abortableSleep(ms, stop.signal),
      onPending: (poll) => {
        if (poll.slowDown) {
          ui.info(`The provider asked to slow down: polling every ${poll.intervalSeconds} s.`);
          options.report({ ok: true, name: 'CIBA slow_down', detail: `interval raised to ${poll.intervalSeconds} s for this and every later poll`, source: `${SOURCE} §11` });
        }
      },
    });
    const success = await polledGrant(ctx, provider, 'ciba', options.scopes, polling, approval);
    options.report({ ok: true, name: 'CIBA token', detail: `granted after the user approved (grant_type urn:openid:params:grant-type:ciba)`, source: `${SOURCE} §10.1, §11` });
    return success;
  } finally {
    spinner?.stop();
  }
}
