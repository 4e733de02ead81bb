/**
 * OpenID CIBA Core 1.0 in the sandbox, poll mode: node-oidc-provider's `ciba` feature, with the
 * hooks it leaves to the deployer (processLoginHint, validateBindingMessage, verifyUserCode,
 * validateRequestContext, triggerAuthenticationDevice). The user's "authentication device" is a
 * page of the sandbox: each request gets its own approval page, at an unguessable address that is
 * not the auth_req_id (the auth_req_id is the client's credential for polling, CIBA Core §7.3;
 * the page's address is the user's). The acknowledgement carries it as `approval_uri`, a member
 * beyond §7.3 that a client not knowing it ignores; `login sandbox --ciba` prints it, or approves
 * on it itself (--auto-approve).
 */
import { randomToken } from '../util/random.js';
import { SANDBOX_PATH } from './spec.js';
import { USER_NAME, type SandboxUsers } from './users.js';

/** §7.3 interval the sandbox asks for: a quick sandbox, still a real poll. */
export const SANDBOX_CIBA_INTERVAL_SECONDS = 1;

/** §7.1 binding_message: "relatively short and use a limited set of plain text characters". */
const BINDING_MESSAGE = /^[\p{L}\p{N} .,:;!?#+/_()'-]{1,64}$/u;

export interface PendingBackchannel {
  /** The approval page's id (not the auth_req_id). */
  uid: string;
  authReqId: string;
  accountId: string;
  clientId: string;
  scope: string;
  bindingMessage?: string;
  expiresAt: number;
}

/** The requests waiting for the user, in memory: an approval page lives as long as its request. */
export class BackchannelApprovals {
  readonly #pending = new Map<string, PendingBackchannel>();

  add(entry: Omit<PendingBackchannel, 'uid'>): PendingBackchannel {
    const now = Date.now();
    for (const [uid, pending] of this.#pending) if (pending.expiresAt <= now) this.#pending.delete(uid);
    const added = { ...entry, uid: randomToken(16) };
    this.#pending.set(added.uid, added);
    return added;
  }

  get(uid: string): PendingBackchannel | undefined {
    const pending = this.#pending.get(uid);
    return pending && pending.expiresAt > Date.now() ? pending : undefined;
  }

  /** Once decided, the page is gone: a second click cannot change the answer. */
  take(uid: string): PendingBackchannel | undefined {
    const pending = this.get(uid);
    this.#pending.delete(uid);
    return pending;
  }
}

export function approvalPath(uid: string): string {
  return `${SANDBOX_PATH}/ciba/${encodeURIComponent(uid)}`;
}

interface CibaErrors {
  InvalidBindingMessage: new (description: string) => Error;
  InvalidRequest: new (description: string) => Error;
}
interface KoaContext {
  body: unknown;
}
interface BackchannelRequestModel {
  jti: string;
  accountId: string;
  clientId: string;
  scope?: string;
  expiration: number;
  params?: Record<string, unknown>;
}

/**
 * The `features.ciba` configuration. `decideBySelf`, when set, approves each request as soon as it
 * is acknowledged (the mock sandbox with --auto-approve).
 */
export function cibaFeature(
  approvals: BackchannelApprovals,
  users: SandboxUsers,
  issuer: string,
  errors: CibaErrors,
  decideBySelf?: (pending: PendingBackchannel) => void,
) {
  return {
    enabled: true,
    deliveryModes: ['poll'],
    // §7.1 login_hint: a user name of the sandbox (any, or those of --users).
    processLoginHint: async (_ctx: unknown, loginHint: string) => (USER_NAME.test(loginHint) && users.claims(loginHint) ? loginHint : undefined),
    processLoginHintToken: async () => {
      throw new errors.InvalidRequest('the sandbox takes login_hint, not login_hint_token');
    },
    validateBindingMessage: async (_ctx: unknown, bindingMessage: string | undefined) => {
      if (bindingMessage !== undefined && !BINDING_MESSAGE.test(bindingMessage)) {
        throw new errors.InvalidBindingMessage('binding_message: 1 to 64 letters, digits, spaces and simple punctuation');
      }
    },
    validateRequestContext: async () => undefined,
    // §7.1 user_code: the sandbox asks for none.
    verifyUserCode: async () => undefined,
    // §7.2 (the OP's side): the request reaches the user's authentication device, here a page.
    triggerAuthenticationDevice: async (ctx: KoaContext, request: BackchannelRequestModel) => {
      const bindingMessage = typeof request.params?.binding_message === 'string' ? request.params.binding_message : undefined;
      const pending = approvals.add({
        authReqId: request.jti,
        accountId: request.accountId,
        clientId: request.clientId,
        scope: request.scope ?? 'openid',
        ...(bindingMessage !== undefined ? { bindingMessage } : {}),
        expiresAt: Date.now() + request.expiration * 1000,
      });
      const body = ctx.body as Record<string, unknown>;
      body.interval = SANDBOX_CIBA_INTERVAL_SECONDS;
      body.approval_uri = `${new URL(issuer).origin}${approvalPath(pending.uid)}`;
      if (decideBySelf) setImmediate(() => decideBySelf(pending));
    },
  };
}
