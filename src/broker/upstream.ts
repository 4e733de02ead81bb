/**
 * How the broker answers when a provider it calls on someone's behalf fails (its token endpoint on
 * a refresh, its profile endpoint, its API): the fault is the provider's, so the answer is a 502,
 * or a 504 when it did not answer in time (RFC 9110 §15.6.3, §15.6.5) — never a 500, which would
 * say the broker broke. The answer names what failed in our words; the HTTP library's text (a TLS
 * alert, a parser error) never reaches the caller.
 *
 * A call that got an answer, and failed on it, answers by whose fault it is (faultOf,
 * error-answers.ts): the caller's request or token is the caller's (4xx), the provider's failure
 * the provider's (502).
 */
import type { FastifyReply } from 'fastify';
import { InvalidResponseError, RequestRefusedError } from '../oauth/errors.js';
import { HttpError, type HttpClient, type HttpFailure } from '../oauth/http.js';
import { faultOf } from './error-answers.js';
import type { FlowError } from '../oauth/outcome.js';

const FAILURE_WORDS: Record<HttpFailure, string> = {
  timeout: 'did not answer in time',
  unreachable: 'could not be reached',
  tls: 'could not be reached (TLS handshake failed)',
  protocol: 'answered with something that is not HTTP',
};

/**
 * Answers for an upstream that gave no HTTP answer, and true; false when `error` is not such a
 * failure (the caller decides). `what` names the upstream: "the Salesforce API".
 */
export function replyUpstreamFailure(reply: FastifyReply, error: unknown, what: string): boolean {
  const answer = upstreamFailureAnswer(error, what);
  if (!answer) return false;
  reply.code(answer.status).send(answer.body);
  return true;
}

/** replyUpstreamFailure's answer as data (status and body), for a route that answers later; undefined when `error` is no such failure. */
export function upstreamFailureAnswer(error: unknown, what: string): { status: 502 | 504; body: { status: 'error'; message: string } } | undefined {
  if (!(error instanceof HttpError)) return undefined;
  return { status: error.failure === 'timeout' ? 504 : 502, body: { status: 'error', message: `${what} ${FAILURE_WORDS[error.failure]}` } };
}

/**
 * Starting a flow failed (OAuth 1.0a's request-token call, a secret that cannot be read, a state too
 * long to send): a request that cannot be sent is the caller's (400); anything else failed on the
 * way to the provider (502), including a provider the broker cannot use as configured, which the
 * one who started the flow hears about all the same.
 */
export function startFailureStatus(error: FlowError): 400 | 502 {
  return faultOf(error) === 'caller' ? 400 : 502;
}

/**
 * The profile call (/auth/:provider/me) failed with an answer, or before the request was sent.
 * A token field naming a foreign origin is refused (403), one missing is the caller's token's
 * fault (400). A provider that refused the token passes its status on (RFC 6750 §3.1:
 * invalid_request 400, a token the Authorization header cannot carry; invalid_token 401;
 * insufficient_scope 403): the token is all the caller sent. The provider failing is a 502; a
 * provider file that cannot serve a profile, a 400.
 */
export function profileFailureStatus(error: FlowError, upstreamStatus: number | undefined): number {
  if (error instanceof RequestRefusedError && error.code === 'token_origin_refused') return 403;
  if (error instanceof RequestRefusedError && error.code === 'template_value_missing') return 400;
  if (upstreamStatus === 400 || upstreamStatus === 401 || upstreamStatus === 403) return upstreamStatus;
  return faultOf(error) === 'provider' ? 502 : 400;
}

/**
 * A refresh through the broker failed. An RFC 6749 §5.2 refusal (invalid_grant: a revoked or
 * expired refresh token) is the caller's (400); a 5xx, an answer that is no token response at
 * all, or no status at all is the provider's (502).
 */
export function refreshFailureStatus(error: FlowError, upstreamStatus: number | undefined): 400 | 502 {
  const providerFailed = upstreamStatus === undefined || upstreamStatus >= 500 || error instanceof InvalidResponseError;
  return faultOf(error) === 'provider' && providerFailed ? 502 : 400;
}

/**
 * An HttpClient that remembers the status of the last answer, so a route can tell "the provider
 * refused this token" (401/403: the caller's fault) from "the provider failed" (5xx) after a
 * protocol function has turned the answer into an error.
 */
export function statusRecorder(http: HttpClient): { http: HttpClient; lastStatus(): number | undefined } {
  let last: number | undefined;
  return {
    http: async (request) => {
      const response = await http(request);
      last = response.status;
      return response;
    },
    lastStatus: () => last,
  };
}
