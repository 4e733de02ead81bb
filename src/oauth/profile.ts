/**
 * The unified user profile (oauthd's `/auth/:provider/me`): one call to the provider's profile
 * endpoint with the token, and the answer mapped to the same few fields for every provider, as the
 * provider file's `profile` block says. OpenID Connect userinfo (Core §5.3) is one case of it:
 * `sub` maps to `id` (specFromMetadata writes that map for providers found by discovery).
 */
import type { ResolvedProvider } from '../providers/resolve.js';
import type { ProfileField } from '../providers/schema.js';
import { lowerCaseKeys } from '../util/headers.js';
import { getPath } from '../util/json.js';
import { fillProviderTemplate, tokenTemplateValues, withToken } from './api.js';
import { parseBody, refusal, reportsFailure } from './endpoint-response.js';
import { InvalidResponseError, ProviderConfigurationError } from './errors.js';
import type { HttpClient } from './http.js';
import type { TokenSet } from './token-response.js';

export { apiRequestTarget, authorizeApiRequest } from './api.js';

/** oauthd's unified profile: `id` always (a string, whatever type the provider uses), the rest when known. */
export interface Profile {
  id: string;
  name?: string;
  firstname?: string;
  lastname?: string;
  alias?: string;
  email?: string;
  avatar?: string;
  location?: string;
  url?: string;
  /** The provider's answer as received (before `root`). */
  raw: unknown;
}

const OPTIONAL_FIELDS = ['name', 'firstname', 'lastname', 'alias', 'email', 'avatar', 'location', 'url'] as const satisfies readonly ProfileField[];

/**
 * Signs a request the OAuth 1.0a way (RFC 5849 §3.5.1): returns the Authorization header value.
 * OAuth 2 tokens need none; OAuth 1.0a token credentials cannot be used without one.
 */
export type RequestSigner = (request: { method: string; url: string; headers: Record<string, string>; body?: string }) => string;

export async function fetchProfile(http: HttpClient, provider: ResolvedProvider, token: TokenSet, sign?: RequestSigner): Promise<Profile> {
  const spec = provider.spec.profile;
  if (!spec) {
    throw new ProviderConfigurationError(`${provider.id} has no profile endpoint in its provider file`, { kind: 'no-profile' }, provider.id);
  }
  if (token.token_secret !== undefined && !sign) {
    throw new ProviderConfigurationError(`${provider.id} uses OAuth 1.0a; its profile call must be signed with the client credentials`, { kind: 'unsigned-profile' }, provider.id);
  }
  const values = tokenTemplateValues(provider, token);
  const url = new URL(fillProviderTemplate(provider, spec.url, values));
  for (const [name, template] of Object.entries(spec.query ?? {})) {
    url.searchParams.set(name, fillProviderTemplate(provider, template, values, 'text'));
  }
  // profile.headers are the whole header set of this call (the profile endpoint may be on another
  // host than the API, e.g. an OpenID userinfo endpoint); api.tokenIn/scheme/queryParam still say
  // how the token travels.
  const request = withToken(provider, token, url.href, { accept: 'application/json', ...lowerCaseKeys(spec.headers ?? {}) });
  const method = spec.method ?? 'GET';
  if (token.token_secret !== undefined && sign) {
    request.headers.authorization = sign({ method, url: request.url, headers: request.headers });
  }
  const response = await http({ method, url: request.url, headers: request.headers, purpose: 'profile request' });
  const body = parseBody(response);

  const endpoint = `profile endpoint of ${provider.name}`;
  if (response.status < 200 || response.status >= 300 || reportsFailure(body)) {
    throw refusal(response, body, 'profile', endpoint, 'profile_failed');
  }
  if (body === undefined) {
    throw new InvalidResponseError(`the ${endpoint} answered HTTP ${response.status} with a body that is not JSON`, {
      endpoint: 'profile',
      code: 'unreadable_response',
      status: response.status,
      response,
    });
  }
  return mapProfile(body, spec.map, spec.root, provider.id);
}

/** Applies `root` and `map` (dotted paths) to a profile answer. */
export function mapProfile(
  raw: unknown,
  map: { id: string } & Partial<Record<(typeof OPTIONAL_FIELDS)[number], string>>,
  root: string | undefined,
  providerId: string,
): Profile {
  const user = root === undefined ? raw : getPath(raw, root);
  if (user === null || typeof user !== 'object') {
    throw new InvalidResponseError(`the ${providerId} profile has no user object at "${root ?? ''}"`, {
      endpoint: 'profile',
      code: 'profile_unmapped',
      received: describeKeys(raw),
      expected: 'profile.root',
    });
  }
  const id = scalar(getPath(user, map.id));
  if (id === undefined) {
    throw new InvalidResponseError(`the ${providerId} profile has no id at "${map.id}"`, {
      endpoint: 'profile',
      code: 'profile_unmapped',
      received: describeKeys(user),
      expected: 'profile.map.id',
    });
  }
  const profile: Profile = { id, raw };
  for (const field of OPTIONAL_FIELDS) {
    const path = map[field];
    if (path === undefined) continue;
    const value = scalar(getPath(user, path));
    if (value !== undefined) profile[field] = value;
  }
  return profile;
}

/** Strings stay, numbers (GitHub's numeric ids) become strings; empty, null, objects are absent. */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function describeKeys(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)?.slice(0, 60) ?? 'nothing';
  return Object.keys(value).slice(0, 20).join(', ') || 'none';
}
