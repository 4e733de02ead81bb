/**
 * Look-alikes (`sandbox --as slack`): the sandbox answering in the shape of a catalog provider, so
 * that an app wired to that provider runs unchanged against it, its base URLs pointed at the
 * sandbox. Everything here is read from the provider's description (src/providers/schema.ts), the
 * same file the CLI and the broker read the real provider with: each function is the inverse of a
 * reader, so that the description's reader reads the look-alike's answer back.
 *
 *   the description says              the reader does                     the look-alike does
 *   scopes.param / separator          joins scopes with it                splits them back into `scope`
 *   pkce "unsupported"                sends no code_challenge             does not require one
 *   tokenRequestBody "json"           sends JSON                          reads JSON
 *   tokenResponse.paths               reads a field at its path           puts the field at its path
 *   tokenResponse.tokenType           assumes it when token_type is gone  leaves token_type out
 *   tokenResponse.keep                keeps those fields                  sends them (an origin a
 *                                                                         {token.x} URL needs: itself)
 *   tokenResponse.format "form",      reads form-encoded answers          answers form-encoded (the
 *   or Accept asked in tokenHeaders                                       latter unless asked for JSON)
 *   scopes.separator                  turns commas into spaces            answers scope with it
 *   no oidc block                     expects no id_token, no iss         sends neither
 *   profile.map / root                maps the user's fields              writes the claims at those paths
 *   api.tokenIn / scheme / headers    sends the token that way            looks for it there
 *   tokenResponse.error               reads the provider's error codes    answers its errors that way
 *                                     as RFC 6749 §5.2 ones               (status, fields, own codes)
 *   oauth1                            signs each request (RFC 5849)       checks each signature
 *                                                                         (./oauth1-server.ts)
 *   parUrl                            pushes there with --par (RFC 9126)  serves PAR there
 *   requirePar                        pushes every authorization request  refuses one not pushed
 *
 * Each URL of the description is served under the sandbox at /sandbox/<its host><its path>
 * (https://slack.com/api/oauth.v2.access → {origin}/sandbox/slack.com/api/oauth.v2.access), so an
 * app swaps each of the provider's origins for one prefix; a URL a token field decides
 * ({token.instance_url}/…) is served at /sandbox/token.<field>/…, and the field says so. What a
 * description does not say (a numeric id, a nested team object), a look-alike cannot know: it
 * answers the standard way there.
 */
import type { ProviderSpec } from '../providers/schema.js';
import { isSharedSecretMethod, type SharedSecretMethod } from './oauth1-server.js';
import { configError } from '../util/errors.js';
import { getPath } from '../util/json.js';
import type { CaughtAnswer } from './raw-exchange.js';
import { SANDBOX_CLIENT_ID, SANDBOX_PATH } from './spec.js';
import type { Claims } from './users.js';

/** What a look-alike route stands for. */
export type LookalikeEndpoint =
  | 'authorize'
  | 'token'
  | 'revoke'
  | 'introspect'
  | 'device'
  | 'par'
  | 'profile'
  | 'api'
  | 'discovery'
  | 'jwks'
  // OAuth 1.0a (RFC 5849 §2.1, §2.2, §2.3), and where the sandbox's own sign-in comes back to.
  | 'request-token'
  | 'oauth1-authorize'
  | 'access-token'
  | 'oauth1-return';

/** Where the sign-in behind an OAuth 1.0a authorization comes back (the sandbox's own redirect URI). */
export const OAUTH1_RETURN_PATH = `${SANDBOX_PATH}/_oauth1/return`;

export interface LookalikeRoute {
  endpoint: LookalikeEndpoint;
  method: 'GET' | 'POST' | 'DELETE';
  /** The path on the sandbox's origin (api: a prefix; every path under it). */
  path: string;
}

/** Where an unified profile field comes from among OpenID claims (OIDC Core §5.1). */
const PROFILE_CLAIMS: Record<string, readonly string[]> = {
  id: ['sub'],
  name: ['name'],
  firstname: ['given_name'],
  lastname: ['family_name'],
  alias: ['preferred_username', 'nickname'],
  email: ['email'],
  avatar: ['picture'],
  location: ['locale', 'zoneinfo'],
  url: ['profile', 'website'],
};

const PLACEHOLDER = /\{([a-z_][a-z0-9_.]*)\}/gi;

export class Lookalike {
  readonly id: string;
  /** oidc-provider's issuer: the description's (its id_tokens and RFC 9207 iss name it). */
  readonly issuer: string | undefined;
  readonly routes: LookalikeRoute[] = [];
  /** Each of the description's origins (and token-decided bases) → its prefix on the sandbox. */
  readonly origins = new Map<string, string>();
  /** Scopes the description names, for oidc-provider to know. */
  readonly scopes: string[];
  readonly pkceRequired: boolean;
  readonly issuesRefreshTokens: boolean;
  /** RFC 9126 §5: the provider takes only pushed authorization requests (its description's requirePar). */
  readonly requirePar: boolean;
  /** The signature method of an OAuth 1.0a provider (the sandbox checks shared-secret ones). */
  readonly oauth1Method: SharedSecretMethod | undefined;
  private readonly params: Record<string, string>;

  constructor(readonly spec: ProviderSpec) {
    const { oauth2, oauth1 } = spec;
    if (oauth1 && !isSharedSecretMethod(oauth1.signatureMethod) && !oauth2) {
      throw configError(
        `${spec.id} signs with ${oauth1.signatureMethod}, which the sandbox cannot check (it would need the consumer's public key)`,
        'choose a provider that signs with HMAC-SHA1, HMAC-SHA256 or PLAINTEXT, or one with an oauth2 block: oauthd-cli providers list',
      );
    }
    this.oauth1Method = oauth1 && isSharedSecretMethod(oauth1.signatureMethod) ? oauth1.signatureMethod : undefined;
    this.id = spec.id;
    this.params = Object.fromEntries(Object.entries(spec.params ?? {}).map(([name, param]) => [name, param.default ?? param.example ?? 'sandbox']));
    this.params.client_id = SANDBOX_CLIENT_ID;
    this.issuer = spec.oidc ? this.fill(spec.oidc.issuer) : undefined;
    const scopes = oauth2?.scopes ?? oauth1?.scopes;
    this.scopes = [...new Set([...(scopes?.default ?? []), ...Object.keys(scopes?.values ?? {})])].filter((scope) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope));
    this.pkceRequired = oauth2?.pkce === 'required';
    this.issuesRefreshTokens = oauth2?.refresh === true;
    this.requirePar = oauth2?.requirePar === true;

    if (oauth2) {
      this.route('authorize', 'GET', oauth2.authorizeUrl);
      this.route('token', 'POST', oauth2.tokenUrl);
      if (oauth2.refreshUrl) this.route('token', 'POST', oauth2.refreshUrl);
      if (oauth2.revoke) this.route('revoke', oauth2.revoke.method ?? 'POST', oauth2.revoke.url);
      if (oauth2.introspectUrl) this.route('introspect', 'POST', oauth2.introspectUrl);
      if (oauth2.deviceAuthorizationUrl) this.route('device', 'POST', oauth2.deviceAuthorizationUrl);
      if (oauth2.parUrl) this.route('par', 'POST', oauth2.parUrl);
    }
    if (oauth1 && this.oauth1Method) {
      this.route('request-token', 'POST', oauth1.requestTokenUrl);
      this.route('oauth1-authorize', 'GET', oauth1.authorizeUrl);
      this.route('access-token', 'POST', oauth1.accessTokenUrl);
      this.routes.push({ endpoint: 'oauth1-return', method: 'GET', path: OAUTH1_RETURN_PATH });
    }
    if (spec.profile) this.route('profile', spec.profile.method ?? 'GET', spec.profile.url);
    if (spec.api) this.route('api', 'GET', spec.api.baseUrl);
    if (this.issuer) this.route('discovery', 'GET', `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    if (spec.oidc?.jwksUri) this.route('jwks', 'GET', spec.oidc.jwksUri);
  }

  /** The description's URL templates filled with its parameters' defaults (or examples). */
  private fill(template: string): string {
    return template.replace(PLACEHOLDER, (whole, name: string) => (name.startsWith('token.') ? whole : (this.params[name] ?? 'sandbox')));
  }

  /** The sandbox path a URL of the description is served at. */
  localPath(template: string): string {
    const filled = this.fill(template);
    const tokenBase = /^\{token\.([A-Za-z0-9_]+)\}(.*)$/.exec(filled);
    if (tokenBase) {
      const prefix = `${SANDBOX_PATH}/token.${tokenBase[1]}`;
      this.origins.set(`{token.${tokenBase[1]}}`, prefix);
      return `${prefix}${trimSlash(tokenBase[2] ?? '')}`;
    }
    const url = new URL(filled);
    const prefix = `${SANDBOX_PATH}/${url.host}`;
    this.origins.set(url.origin, prefix);
    return `${prefix}${trimSlash(url.pathname)}`;
  }

  /**
   * The provider's URLs for a path of the sandbox (the inverse of localPath): where a client that
   * swaps the origin after signing (OAuth 1.0a) signed the request for.
   */
  providerUrl(path: string): string | undefined {
    for (const [origin, prefix] of this.origins) {
      if (origin.startsWith('{')) continue;
      if (path === prefix || path.startsWith(`${prefix}/`)) return `${origin}${path.slice(prefix.length) || '/'}`;
    }
    return undefined;
  }

  /**
   * The description pointed at this sandbox: each of its URLs with the provider's origin swapped
   * for the sandbox's prefix, every other field as it is (the quirks, the scopes, tokenOrigins).
   * What an app's provider file for the look-alike holds (`oauthd-providers/<id>.json`, so that
   * `oauthd-cli login <id>` signs in here). The OpenID issuer stays the provider's (the id_tokens
   * name it); its keys are the sandbox's, named by jwksUri so that no discovery goes out.
   */
  description(selfOrigin: string): ProviderSpec {
    const spec = structuredClone(this.spec);
    const swap = (template: string) => this.swapped(template, selfOrigin);
    const { oauth2, oauth1, profile, api, oidc } = spec;
    if (oauth2) {
      oauth2.authorizeUrl = swap(oauth2.authorizeUrl);
      oauth2.tokenUrl = swap(oauth2.tokenUrl);
      if (oauth2.refreshUrl) oauth2.refreshUrl = swap(oauth2.refreshUrl);
      if (oauth2.revoke) oauth2.revoke.url = swap(oauth2.revoke.url);
      if (oauth2.introspectUrl) oauth2.introspectUrl = swap(oauth2.introspectUrl);
      if (oauth2.deviceAuthorizationUrl) oauth2.deviceAuthorizationUrl = swap(oauth2.deviceAuthorizationUrl);
      if (oauth2.parUrl) oauth2.parUrl = swap(oauth2.parUrl);
    }
    if (oauth1) {
      oauth1.requestTokenUrl = swap(oauth1.requestTokenUrl);
      oauth1.authorizeUrl = swap(oauth1.authorizeUrl);
      oauth1.accessTokenUrl = swap(oauth1.accessTokenUrl);
    }
    if (profile) profile.url = swap(profile.url);
    if (api) api.baseUrl = swap(api.baseUrl);
    if (oidc) oidc.jwksUri = oidc.jwksUri ? swap(oidc.jwksUri) : `${selfOrigin}${SANDBOX_PATH}/jwks`;
    return spec;
  }

  /** A URL template with its origin (filled) swapped for the sandbox's prefix; one a token field decides is left to the token. */
  private swapped(template: string, selfOrigin: string): string {
    const match = /^(https?:\/\/[^/?#]*)(.*)$/.exec(template);
    if (!match || match[1]!.includes('{token.')) return template;
    const host = new URL(this.fill(match[1]!)).host;
    const rest = match[2] === '/' ? '' : match[2]!;
    return `${selfOrigin}${SANDBOX_PATH}/${host}${rest}`;
  }

  private route(endpoint: LookalikeEndpoint, method: LookalikeRoute['method'], template: string): void {
    const path = this.localPath(template);
    if (this.routes.some((route) => route.path === path && route.method === method)) return;
    this.routes.push({ endpoint, method, path });
  }

  /** The authorization request in standard form (RFC 6749 §4.1.1): the scopes back in `scope`. */
  authorizationQuery(query: URLSearchParams): URLSearchParams {
    const standard = new URLSearchParams(query);
    const rules = this.spec.oauth2!.scopes;
    const split = (value: string | null) => (value ?? '').split(rules.separator).flatMap((part) => part.split(' ')).filter(Boolean);
    const scopes = [...split(standard.get('scope')), ...(rules.param ? split(standard.get(rules.param)) : [])];
    if (rules.param) standard.delete(rules.param);
    if (scopes.length > 0) standard.set('scope', [...new Set(scopes)].join(' '));
    else standard.delete('scope');
    return standard;
  }

  /** A token request sent as JSON (tokenRequestBody "json") as the form oidc-provider reads. */
  tokenRequest(body: Buffer, headers: Record<string, string | string[] | undefined>): { body: Buffer; headers: Record<string, string | string[] | undefined> } {
    const contentType = String(headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') return { body, headers };
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return { body, headers };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { body, headers };
    const fields = new URLSearchParams();
    for (const [name, field] of Object.entries(value)) {
      // A JSON array is a repeated parameter (RFC 8693 §2.1's audience and resource): one field each.
      for (const each of Array.isArray(field) ? field : [field]) {
        if (typeof each === 'string' || typeof each === 'number' || typeof each === 'boolean') fields.append(name, String(each));
      }
    }
    return { body: Buffer.from(fields.toString()), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } };
  }

  /** oidc-provider's token answer in the description's shape (the inverse of token-response.ts). */
  tokenAnswer(answer: CaughtAnswer, request: { headers: Record<string, string | string[] | undefined> }, selfOrigin: string): CaughtAnswer {
    const contentType = String(answer.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/json')) return answer;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return answer;
    }
    const rules = this.spec.oauth2!.tokenResponse ?? {};
    if (typeof body.error === 'string' && rules.error) {
      ({ answer, body } = this.errorAnswer(answer, body, rules.error));
    } else if (answer.status < 300 && typeof body.access_token === 'string') {
      if (!this.spec.oidc) delete body.id_token;
      const separator = this.spec.oauth2!.scopes.separator;
      if (typeof body.scope === 'string' && separator !== ' ') body.scope = body.scope.split(' ').join(separator);
      if (rules.tokenType !== undefined) delete body.token_type;
      for (const [field, path] of Object.entries(rules.paths ?? {})) {
        if (body[field] === undefined || path === field) continue;
        setPath(body, path, body[field]);
        delete body[field];
      }
      for (const field of rules.keep ?? []) {
        if (getPath(body, field) === undefined) body[field] = this.keptValue(field, selfOrigin);
      }
    }
    if (!this.answersForm(request.headers)) return { ...answer, body: Buffer.from(JSON.stringify(body)) };
    const fields = new URLSearchParams();
    for (const [name, value] of Object.entries(body)) {
      if (value !== undefined && value !== null) fields.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
    return { ...answer, headers: { ...answer.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(fields.toString()) };
  }

  /**
   * An error (RFC 6749 §5.2) as the provider says it (tokenResponse.error, the inverse of the
   * reader's mapping): its status, its fields first (Slack's "ok": false), its own code for the RFC
   * code (the first the description lists for it), the description and URI as they were.
   */
  private errorAnswer(
    answer: CaughtAnswer,
    body: Record<string, unknown>,
    shape: NonNullable<NonNullable<NonNullable<ProviderSpec['oauth2']>['tokenResponse']>['error']>,
  ): { answer: CaughtAnswer; body: Record<string, unknown> } {
    const own = Object.entries(shape.codes ?? {}).find(([, standard]) => standard === body.error)?.[0];
    const shaped: Record<string, unknown> = { ...shape.fields, ...body, error: own ?? body.error };
    const status = shape.status ?? answer.status;
    const headers = { ...answer.headers };
    // A 2xx carries no challenge (RFC 9110 §11.6.1 pairs WWW-Authenticate with 401).
    if (status < 400) delete headers['www-authenticate'];
    return { answer: { ...answer, status, headers }, body: shaped };
  }

  /**
   * Form-encoded when the description says the provider answers so, or when it makes the client
   * ask for JSON (tokenHeaders Accept) and this request did not: the provider's own default.
   */
  private answersForm(headers: Record<string, string | string[] | undefined>): boolean {
    const oauth2 = this.spec.oauth2!;
    if (oauth2.tokenResponse?.format === 'form') return true;
    const asked = Object.entries(oauth2.tokenHeaders ?? {}).find(([name]) => name.toLowerCase() === 'accept')?.[1] ?? '';
    return asked.includes('json') && !String(headers.accept ?? '').includes('json');
  }

  /** A field the description keeps: a base URL a {token.x} template needs points here; others are placeholders. */
  private keptValue(field: string, selfOrigin: string): unknown {
    const prefix = this.origins.get(`{token.${field}}`);
    return prefix !== undefined ? `${selfOrigin}${prefix}` : `sandbox-${field}`;
  }

  /** The authorization response as the provider sends it: RFC 9207's iss only from an OpenID provider. */
  authorizationResponse(url: URL): URL {
    if (!this.spec.oidc) url.searchParams.delete('iss');
    return url;
  }

  /** The user's claims as the description's profile endpoint answers them (the inverse of profile.map and root). */
  profile(claims: Claims): unknown {
    const spec = this.spec.profile;
    if (!spec) return claims;
    const user: Record<string, unknown> = {};
    for (const [field, path] of Object.entries(spec.map)) {
      const value = (PROFILE_CLAIMS[field] ?? []).map((claim) => claims[claim]).find((candidate) => candidate !== undefined && candidate !== null);
      if (value !== undefined && path !== undefined) setPath(user, path, value);
    }
    if (spec.root === undefined) return user;
    const wrapped: Record<string, unknown> = {};
    setPath(wrapped, spec.root, user);
    return wrapped;
  }

  /** The access token of an API or profile request, where the description sends it. */
  accessToken(headers: Record<string, string | string[] | undefined>, query: URLSearchParams): string | undefined {
    const templates = { ...this.spec.api?.headers, ...this.spec.profile?.headers };
    for (const [name, template] of Object.entries(templates)) {
      const at = template.indexOf('{token.access_token}');
      if (at === -1) continue;
      const value = headers[name.toLowerCase()];
      const before = template.slice(0, at);
      const after = template.slice(at + '{token.access_token}'.length);
      if (typeof value === 'string' && value.startsWith(before) && value.endsWith(after)) return value.slice(before.length, value.length - after.length) || undefined;
    }
    if (this.spec.api?.tokenIn === 'query') {
      const value = query.get(this.spec.api.queryParam ?? 'access_token');
      if (value) return value;
    }
    const authorization = headers.authorization;
    const match = typeof authorization === 'string' ? /^(\S+)\s+(\S+)$/.exec(authorization) : null;
    const schemes = ['bearer', (this.spec.api?.scheme ?? 'Bearer').toLowerCase()];
    return match && schemes.includes(match[1]!.toLowerCase()) ? match[2] : undefined;
  }
}

/** Sets a dotted path ("authed_user.access_token", "users.0"), making objects (arrays for numbers) on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current: Record<string, unknown> = target;
  keys.forEach((key, index) => {
    if (index === keys.length - 1) {
      current[key] = value;
      return;
    }
    const next = current[key];
    if (next === null || typeof next !== 'object') current[key] = /^\d+$/.test(keys[index + 1]!) ? [] : {};
    current = current[key] as Record<string, unknown>;
  });
}

function trimSlash(path: string): string {
  return path === '/' ? '' : path.replace(/\/$/, '');
}
