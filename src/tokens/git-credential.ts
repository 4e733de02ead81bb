/**
 * git's credential helper protocol (git-credential(1), "INPUT/OUTPUT FORMAT"; gitcredentials(7)
 * "CUSTOM HELPERS"): git writes `key=value` lines and an empty line or the end of input; a `get`
 * answers with the attributes it knows (username, password), or nothing, and git asks the next
 * helper. A token goes only to an origin mapped to it (git-hosts.ts), only over https (or http to
 * a loopback host).
 */
import { configError } from '../util/errors.js';
import { isLoopbackHost, type GitHost } from './git-hosts.js';

export type GitCredentialOperation = 'get' | 'store' | 'erase';
export const GIT_CREDENTIAL_OPERATIONS: readonly GitCredentialOperation[] = ['get', 'store', 'erase'];

/** The attributes git sends: protocol, host (with :port), path, username, password, … */
export type GitCredentialRequest = Record<string, string>;

/**
 * Reads git's description of a credential. A value ends at the newline; a key ends at the first
 * "=". `url=` (what `git credential fill` accepts from a person) is split into its parts, as git
 * does. Repeated keys (`capability[]=`, `wwwauth[]=`) keep their last value: none of them matters here.
 */
export function parseCredentialRequest(text: string): GitCredentialRequest {
  const request: GitCredentialRequest = {};
  for (const line of text.split('\n')) {
    const clean = line.replace(/\r$/, '');
    if (clean === '') break;
    const equals = clean.indexOf('=');
    if (equals <= 0) continue;
    request[clean.slice(0, equals)] = clean.slice(equals + 1);
  }
  if (request.url !== undefined) {
    try {
      const url = new URL(request.url);
      request.protocol ??= url.protocol.replace(/:$/, '');
      request.host ??= url.host;
      if (url.pathname.length > 1) request.path ??= url.pathname.replace(/^\//, '');
      if (url.username) request.username ??= decodeURIComponent(url.username);
    } catch {
      // Not a URL: git would refuse it too; answer nothing.
    }
  }
  return request;
}

/** `protocol://host` of the request, or undefined when git did not say both. */
export function requestOrigin(request: GitCredentialRequest): string | undefined {
  if (!request.protocol || !request.host) return undefined;
  try {
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return undefined;
  }
}

/** Why a `get` answers nothing: no mapping for the origin, or an origin the token may not go to. */
export type Unanswered = 'unmapped' | 'cleartext' | 'other-user';

/**
 * The mapping that answers `request`, or why none does. Plain http only to loopback hosts; a user
 * name git already has (from the URL) must be the mapping's when the mapping names one.
 */
export function mappingFor(request: GitCredentialRequest, hosts: Readonly<Record<string, GitHost>>): { origin: string; host: GitHost } | { unanswered: Unanswered } {
  const origin = requestOrigin(request);
  if (origin === undefined || !Object.hasOwn(hosts, origin)) return { unanswered: 'unmapped' };
  const url = new URL(origin);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) return { unanswered: 'cleartext' };
  const host = hosts[origin] as GitHost;
  if (request.username !== undefined && host.username !== undefined && request.username !== host.username) return { unanswered: 'other-user' };
  return { origin, host };
}

/** The user name sent with a token when neither git nor the mapping names one (GitLab's, accepted by GitHub too). */
export const DEFAULT_GIT_USERNAME = 'oauth2';

/**
 * The answer to `get`: the user name and the token as the password. `password_expiry_utc` (git
 * 2.41+, ignored by older gits) tells git not to keep the token past its expiry.
 */
export function credentialAnswer(request: GitCredentialRequest, host: GitHost, token: string, expiresAt: string | undefined): string {
  const lines = [`username=${request.username ?? host.username ?? DEFAULT_GIT_USERNAME}`, `password=${token}`];
  if (expiresAt !== undefined) lines.push(`password_expiry_utc=${Math.floor(Date.parse(expiresAt) / 1000)}`);
  for (const line of lines) {
    // A value with a newline would inject attributes into git's reading of the answer.
    if (/[\n\0]/.test(line)) throw configError('the token or user name holds a newline, which git\'s credential protocol cannot carry', 'log in again; if it persists, the provider sends malformed tokens');
  }
  return `${lines.join('\n')}\n`;
}
