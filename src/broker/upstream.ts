/**
 * How the broker answers when a provider it calls on someone's behalf fails (its token endpoint on
 * a refresh, its profile endpoint, its API): the fault is the provider's, so the answer is a 502,
 * or a 504 when it did not answer in time (RFC 9110 §15.6.3, §15.6.5) — never a 500, which would
 * say the broker broke. The answer names what failed in our words; the HTTP library's text (a TLS
 * alert, a parser error) never reaches the caller.
 */
import type { FastifyReply } from 'fastify';
import { HttpError, type HttpClient, type HttpFailure } from '../oauth/http.js';

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
  if (!(error instanceof HttpError)) return false;
  const status = error.failure === 'timeout' ? 504 : 502;
  reply.code(status).send({ status: 'error', message: `${what} ${FAILURE_WORDS[error.failure]}` });
  return true;
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
