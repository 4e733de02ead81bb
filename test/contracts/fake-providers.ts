// Fake providers that behave as their documentation says, quirks included, for the contract tests
// of the catalog (test/contracts/*.test.ts). Each fake registers its endpoints on a FakeNet (the
// broker's HttpClient) and plays its authorization page in the test (`approve`/`deny` read the
// authorize URL the broker built and return the redirect back to the broker's /auth).
//
// Every endpoint CHECKS what the real one checks (client authentication method, redirect_uri,
// PKCE verifier against the challenge, scope separator, required extra parameters) and fails the
// way the provider documents, so a catalog entry that says the wrong thing fails its contract.
// Sources are named next to each provider; "(fake's wording)" marks a message the documentation
// does not spell out.
import { createHmac, randomBytes } from 'node:crypto';
import {
  atHash,
  authorizeQuery,
  bearer,
  CodeBook,
  form,
  grantFrom,
  html,
  json,
  NO_STORE,
  OAuth1Failure,
  OAuth1Verifier,
  pkceVerifies,
  ProviderPage,
  SigningKey,
  text,
  TokenBook,
  type FakeAnswer,
  type FakeNet,
  type FakeRequest,
  type Grant,
  type Redirect,
  type RegisteredClient,
} from './fake-kit.js';

/** The broker's callback, as the contract broker (test/contracts/harness.ts) publishes it. */
export const BROKER_CALLBACK = 'http://127.0.0.1:6284/auth';

export function registered(clientId: string, clientSecret: string, redirectUri = BROKER_CALLBACK): RegisteredClient {
  return { clientId, clientSecret, redirectUri };
}

/** The page of a provider where the user approves or declines the app. */
export interface FakeProvider {
  approve(authorizeUrl: string): Redirect | Promise<Redirect>;
  deny(authorizeUrl: string): Redirect;
}

function withState(query: URLSearchParams, fields: Record<string, string>): Redirect {
  const state = query.get('state');
  return state === null ? fields : { ...fields, state };
}

/** The grant a code was issued for, when it is live and belongs to this client. */
function liveGrant<User>(codes: CodeBook<User>, code: string | null, clientId: string): Grant<User> | 'used' | 'unknown' {
  const grant = codes.redeem(code);
  if (typeof grant === 'string') return grant;
  return grant.clientId === clientId ? grant : 'unknown';
}

/** An API that answers what it was asked, once the credential checks out. */
function echo(request: FakeRequest, extra: Record<string, unknown> = {}): FakeAnswer {
  return json(200, { method: request.method, path: request.parsed.pathname, query: request.parsed.search, body: request.body ?? null, ...extra });
}

// =============================================================================================
// GitHub: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
// and .../troubleshooting-oauth-app-access-token-request-errors
//   - the token endpoint answers form-encoded (`access_token=…&scope=repo%2Cgist&token_type=bearer`)
//     unless asked for JSON with Accept: application/json;
//   - errors come back with HTTP 200 (`error=bad_verification_code`, incorrect_client_credentials,
//     redirect_uri_mismatch), and granted scopes are comma-joined;
//   - client_id and client_secret travel as parameters; PKCE is S256 only;
//   - a redirect_uri must share the callback URL's host and port (loopback: any port) and sit at
//     or under its path; otherwise GitHub redirects to the registered callback with
//     error=redirect_uri_mismatch.

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  avatar_url: string;
  html_url: string;
  location: string | null;
}

export const OCTOCAT: GithubUser = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  email: null,
  avatar_url: 'https://avatars.githubusercontent.com/u/583231?v=4',
  html_url: 'https://github.com/octocat',
  location: 'San Francisco',
};

export function fakeGithub(net: FakeNet, client: RegisteredClient, user: GithubUser = OCTOCAT): FakeProvider {
  const codes = new CodeBook<GithubUser>('gh_code_');
  const tokens = new TokenBook<{ user: GithubUser; scopes: string[] }>();
  const troubleshooting = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/';

  net.on('POST', 'https://github.com/login/oauth/access_token', (request) => {
    const fields = request.form();
    const wantsJson = (request.header('accept') ?? '').includes('application/json');
    const answer = (body: Record<string, string>) => (wantsJson ? json(200, body) : form(200, body));
    const refuse = (error: string, description: string) =>
      answer({ error, error_description: description, error_uri: `${troubleshooting}#${error.replace(/_/g, '-')}` });
    if (fields.get('client_id') !== client.clientId || fields.get('client_secret') !== client.clientSecret) {
      return refuse('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    }
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string') return refuse('bad_verification_code', 'The code passed is incorrect or expired.');
    if (grant.redirectUri !== undefined && fields.get('redirect_uri') !== grant.redirectUri) {
      return refuse('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    }
    if (grant.codeChallenge !== undefined && !pkceVerifies(fields.get('code_verifier'), grant.codeChallenge, grant.codeChallengeMethod)) {
      return refuse('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    const accessToken = tokens.issue('gho_', { user: grant.user, scopes: grant.scopes });
    return answer({ access_token: accessToken, scope: grant.scopes.join(','), token_type: 'bearer' });
  });

  const authenticated = (request: FakeRequest) => tokens.get(bearer(request, ['Bearer', 'token']));
  const badCredentials = json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  net.on('GET', 'https://api.github.com/user', (request) => {
    const session = authenticated(request);
    if (!session) return badCredentials;
    return json(200, { ...session.user, type: 'User' }, { 'x-oauth-scopes': session.scopes.join(', ') });
  });
  net.on('ANY', 'https://api.github.com/', (request) => (authenticated(request) ? echo(request) : badCredentials));

  const read = (url: string) => {
    const query = authorizeQuery('GitHub', url, 'https://github.com/login/oauth/authorize');
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('GitHub', '404 Not Found (unknown client_id)');
    if (query.has('code_challenge') && query.get('code_challenge_method') !== 'S256') {
      throw new ProviderPage('GitHub', 'code_challenge_method must be S256');
    }
    return query;
  };
  return {
    approve(url) {
      const query = read(url);
      const redirect = query.get('redirect_uri');
      if (redirect !== null && !githubRedirectAllowed(redirect, client.redirectUri)) {
        return withState(query, {
          error: 'redirect_uri_mismatch',
          error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
          error_uri: `${troubleshooting}#redirect-uri-mismatch`,
        });
      }
      const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
      });
    },
  };
}

/** GitHub's rule: same host and port (any port on loopback), path at or under the callback's. */
function githubRedirectAllowed(candidate: string, callback: string): boolean {
  const a = new URL(candidate);
  const b = new URL(callback);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(b.hostname);
  const sameHost = a.hostname === b.hostname && (loopback || a.port === b.port);
  return sameHost && (a.pathname === b.pathname || a.pathname.startsWith(b.pathname.replace(/\/?$/, '/')));
}

// =============================================================================================
// Slack: https://docs.slack.dev/authentication/installing-with-oauth and
// https://docs.slack.dev/reference/methods/oauth.v2.access, .../users.identity
//   - user scopes go in user_scope, comma-separated; the user token comes back nested in
//     authed_user (token_type "user"), next to the bot token when bot scopes were asked too;
//   - every Web API answer is HTTP 200; failures are {"ok": false, "error": "invalid_code"}.

export interface SlackUser {
  id: string;
  name: string;
  email: string;
  image_192: string;
  team: { id: string; name: string };
}

export const SLACK_USER: SlackUser = {
  id: 'U0G9QF9C6',
  name: 'Sonny Whether',
  email: 'bobby@slack.com',
  image_192: 'https://avatars.slack-edge.com/sonny_192.jpg',
  team: { id: 'T0G9PQBBK', name: 'Captain Fabian’s Naval Supply' },
};

export function fakeSlack(net: FakeNet, client: RegisteredClient, user: SlackUser = SLACK_USER): FakeProvider {
  const codes = new CodeBook<SlackUser>('slack-code-');
  const tokens = new TokenBook<{ user: SlackUser; scopes: string[]; kind: 'user' | 'bot' }>();
  const failure = (error: string, more: Record<string, unknown> = {}) => json(200, { ok: false, error, ...more });

  net.on('POST', 'https://slack.com/api/oauth.v2.access', (request) => {
    const fields = request.form();
    const basic = request.basic();
    const clientId = basic?.id ?? fields.get('client_id');
    const clientSecret = basic?.secret ?? fields.get('client_secret');
    if (clientId !== client.clientId) return failure('invalid_client_id');
    if (clientSecret !== client.clientSecret) return failure('bad_client_secret');
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string') return failure('invalid_code');
    if (grant.redirectUri !== undefined && fields.get('redirect_uri') !== grant.redirectUri) return failure('bad_redirect_uri');
    const userScopes = (grant.query.get('user_scope') ?? '').split(',').filter(Boolean);
    const botScopes = (grant.query.get('scope') ?? '').split(',').filter(Boolean);
    const body: Record<string, unknown> = {
      ok: true,
      app_id: 'A0KRD7HC3',
      authed_user: { id: grant.user.id },
      team: grant.user.team,
      enterprise: null,
      is_enterprise_install: false,
    };
    if (userScopes.length > 0) {
      Object.assign(body.authed_user as object, {
        scope: userScopes.join(','),
        access_token: tokens.issue('xoxp-', { user: grant.user, scopes: userScopes, kind: 'user' }),
        token_type: 'user',
      });
    }
    if (botScopes.length > 0) {
      Object.assign(body, {
        scope: botScopes.join(','),
        token_type: 'bot',
        access_token: tokens.issue('xoxb-', { user: grant.user, scopes: botScopes, kind: 'bot' }),
        bot_user_id: 'U0KRQLJ9H',
      });
    }
    return json(200, body);
  });

  net.on('GET', 'https://slack.com/api/users.identity', (request) => {
    const session = tokens.get(bearer(request));
    if (!session) return failure('invalid_auth');
    if (session.kind !== 'user') return failure('not_allowed_token_type');
    if (!session.scopes.includes('identity.basic')) return failure('missing_scope', { needed: 'identity.basic', provided: session.scopes.join(',') });
    const identity: Record<string, unknown> = { name: session.user.name, id: session.user.id };
    if (session.scopes.includes('identity.email')) identity.email = session.user.email;
    if (session.scopes.includes('identity.avatar')) identity.image_192 = session.user.image_192;
    return json(200, { ok: true, user: identity, team: { id: session.user.team.id } });
  });
  net.on('ANY', 'https://slack.com/api/', (request) => {
    const session = tokens.get(bearer(request));
    return session ? json(200, { ok: true, method: request.parsed.pathname.slice('/api/'.length), token_kind: session.kind }) : failure('invalid_auth');
  });

  const read = (url: string) => {
    const query = authorizeQuery('Slack', url, 'https://slack.com/oauth/v2/authorize');
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Slack', 'invalid_client_id');
    if (!query.has('scope') && !query.has('user_scope')) throw new ProviderPage('Slack', 'invalid_scope: no scope or user_scope');
    const redirect = query.get('redirect_uri');
    if (redirect !== null && !redirect.startsWith(client.redirectUri)) throw new ProviderPage('Slack', 'bad_redirect_uri');
    return query;
  };
  return {
    approve(url) {
      const query = read(url);
      const scopes = [query.get('user_scope'), query.get('scope')].filter((s): s is string => s !== null).flatMap((s) => s.split(','));
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied' });
    },
  };
}

// =============================================================================================
// Facebook Login, manual flow: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
//   - redirect_uri at the token endpoint must be identical to the dialog's;
//   - errors are Graph API errors, HTTP 400 {"error": {"message", "type": "OAuthException", "code"}};
//   - today the token endpoint answers JSON {access_token, token_type, expires_in}; before Graph
//     API v2.3 (2015) it answered `access_token=…&expires=5183944` as text/plain (`legacy: true`).

export interface FacebookUser {
  id: string;
  name: string;
  first_name: string;
  last_name: string;
  email: string;
  picture: { data: { height: number; is_silhouette: boolean; url: string; width: number } };
}

export const FACEBOOK_USER: FacebookUser = {
  id: '10158912345678901',
  name: 'Mark Fakeberg',
  first_name: 'Mark',
  last_name: 'Fakeberg',
  email: 'mark@fakeberg.example',
  picture: { data: { height: 50, is_silhouette: false, url: 'https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158912345678901', width: 50 } },
};

export function fakeFacebook(net: FakeNet, client: RegisteredClient, options: { legacy?: boolean; user?: FacebookUser } = {}): FakeProvider {
  const user = options.user ?? FACEBOOK_USER;
  const codes = new CodeBook<FacebookUser>('AQ');
  const tokens = new TokenBook<{ user: FacebookUser; scopes: string[] }>();
  const graphError = (message: string, code: number, status = 400) =>
    json(status, { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEfGhIjK' } }, { 'www-authenticate': `OAuth "Facebook Platform" "invalid_request" "${message}"` });

  net.on('ANY', 'https://graph.facebook.com/oauth/access_token', (request) => {
    // The documentation shows a GET with query parameters; a form POST is accepted alike.
    const fields = request.method === 'GET' ? request.parsed.searchParams : request.form();
    if (fields.get('client_id') !== client.clientId) return graphError('Error validating application. Invalid application ID.', 101);
    if (fields.get('client_secret') !== client.clientSecret) return graphError('Error validating client secret.', 1);
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (grant === 'used') return graphError('This authorization code has been used.', 100);
    if (grant === 'unknown') return graphError('Invalid verification code format.', 100);
    if (fields.get('redirect_uri') !== grant.redirectUri) {
      return graphError('Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request', 100);
    }
    if (grant.codeChallenge !== undefined && !pkceVerifies(fields.get('code_verifier'), grant.codeChallenge, grant.codeChallengeMethod)) {
      return graphError('Invalid code verifier. (fake\'s wording)', 100);
    }
    const accessToken = tokens.issue('EAAG', { user: grant.user, scopes: grant.scopes });
    if (options.legacy) return text(200, `access_token=${accessToken}&expires=5183944`);
    return json(200, { access_token: accessToken, token_type: 'bearer', expires_in: 5183944 });
  });

  const session = (request: FakeRequest) => tokens.get(bearer(request, ['Bearer', 'OAuth']) ?? request.parsed.searchParams.get('access_token'));
  const invalidToken = () => graphError('Invalid OAuth access token - Cannot parse access token', 190);
  net.on('GET', 'https://graph.facebook.com/me', (request) => {
    const found = session(request);
    if (!found) return invalidToken();
    const fields = (request.parsed.searchParams.get('fields') ?? 'id,name').split(',');
    const profile: Record<string, unknown> = {};
    for (const field of fields) {
      if (field === 'email' && !found.scopes.includes('email')) continue;
      const value = (found.user as unknown as Record<string, unknown>)[field];
      if (value !== undefined) profile[field] = value;
    }
    return json(200, profile);
  });
  net.on('ANY', 'https://graph.facebook.com/', (request) => (session(request) ? echo(request) : invalidToken()));

  const read = (url: string) => {
    // Unversioned and versioned dialogs (/v19.0/dialog/oauth) are the same endpoint.
    const version = /^\/v\d+\.\d+(?=\/dialog\/oauth$)/.exec(new URL(url).pathname)?.[0] ?? '';
    const query = authorizeQuery('Facebook', url, `https://www.facebook.com${version}/dialog/oauth`);
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Facebook', 'Invalid App ID');
    if (query.get('redirect_uri') !== client.redirectUri) {
      throw new ProviderPage('Facebook', "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.");
    }
    return query;
  };
  return {
    approve(url) {
      const query = read(url);
      const scopes = (query.get('scope') ?? 'public_profile').split(/[\s,]+/).filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), { error_reason: 'user_denied', error: 'access_denied', error_description: 'Permissions error.' });
    },
  };
}

// =============================================================================================
// Salesforce, OAuth 2.0 web server flow: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
// and the OpenID configuration at https://login.salesforce.com/.well-known/openid-configuration
//   - the token response carries instance_url (the org's own host, where every API call and the
//     userinfo call go), id, issued_at and signature, and NO expires_in;
//   - PKCE: a challenge without a verifier is invalid_grant;
//   - openid in the scopes adds an id_token issued by the login host.

export interface SalesforceUser {
  user_id: string;
  organization_id: string;
  preferred_username: string;
  name: string;
  given_name: string;
  family_name: string;
  email: string;
  picture: string;
}

export const SALESFORCE_USER: SalesforceUser = {
  user_id: '005xx000001SwiUAAS',
  organization_id: '00Dxx0000001gPLEAY',
  preferred_username: 'ada@acme.example',
  name: 'Ada Lovelace',
  given_name: 'Ada',
  family_name: 'Lovelace',
  email: 'ada@acme.example',
  picture: 'https://acme-dev-ed.develop.file.force.com/profilephoto/005/F',
};

export interface SalesforceOptions {
  loginHost?: string;
  /** The org's My Domain, returned as instance_url. */
  instanceUrl?: string;
  user?: SalesforceUser;
}

export async function fakeSalesforce(net: FakeNet, client: RegisteredClient, options: SalesforceOptions = {}): Promise<FakeProvider & { key: SigningKey }> {
  const loginHost = options.loginHost ?? 'login.salesforce.com';
  const instanceUrl = options.instanceUrl ?? 'https://acme-dev-ed.develop.my.salesforce.com';
  const user = options.user ?? SALESFORCE_USER;
  const login = `https://${loginHost}`;
  const key = await SigningKey.create('248');
  const codes = new CodeBook<SalesforceUser>('aPrxSalesforce');
  const tokens = new TokenBook<{ user: SalesforceUser; scopes: string[] }>();
  const refuse = (error: string, description: string) => json(400, { error, error_description: description }, NO_STORE);
  const identityUrl = (u: SalesforceUser) => `${login}/id/${u.organization_id}/${u.user_id}`;

  net.on('GET', `${login}/.well-known/openid-configuration`, () =>
    json(200, {
      issuer: login,
      authorization_endpoint: `${login}/services/oauth2/authorize`,
      token_endpoint: `${login}/services/oauth2/token`,
      revocation_endpoint: `${login}/services/oauth2/revoke`,
      userinfo_endpoint: `${login}/services/oauth2/userinfo`,
      jwks_uri: `${login}/id/keys`,
      introspection_endpoint: `${login}/services/oauth2/introspect`,
      response_types_supported: ['code', 'token', 'token id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
    }),
  );
  net.on('GET', `${login}/id/keys`, () => json(200, key.jwks()));

  net.on('POST', `${login}/services/oauth2/token`, async (request) => {
    const fields = request.form();
    if (fields.get('grant_type') !== 'authorization_code') return refuse('unsupported_grant_type', 'grant type not supported');
    const basic = request.basic();
    const clientId = basic?.id ?? fields.get('client_id');
    if (clientId !== client.clientId) return refuse('invalid_client_id', 'client identifier invalid');
    if ((basic?.secret ?? fields.get('client_secret')) !== client.clientSecret) return refuse('invalid_client', 'invalid client credentials');
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string') return refuse('invalid_grant', 'invalid authorization code');
    if (fields.get('redirect_uri') !== grant.redirectUri) return refuse('redirect_uri_mismatch', 'redirect_uri must match configuration');
    if (grant.codeChallenge !== undefined) {
      if (!fields.has('code_verifier')) return refuse('invalid_grant', 'invalid code verifier');
      if (!pkceVerifies(fields.get('code_verifier'), grant.codeChallenge, grant.codeChallengeMethod)) return refuse('invalid_request', 'invalid code verifier');
    }
    const accessToken = tokens.issue('00Dxx0000001gPL!AQ4AQ', { user: grant.user, scopes: grant.scopes });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      signature: 'CMJ4l+CCaPQiKjoOEwEig9H4wqhpuLSk4J2urAe+fVg=',
      scope: grant.scopes.join(' '),
      instance_url: instanceUrl,
      id: identityUrl(grant.user),
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    };
    if (grant.scopes.includes('refresh_token') || grant.scopes.includes('offline_access')) body.refresh_token = `5Aep861${accessToken.slice(-16)}`;
    if (grant.scopes.includes('openid')) {
      body.id_token = await key.idToken({
        iss: login,
        sub: identityUrl(grant.user),
        aud: client.clientId,
        at_hash: atHash(accessToken),
        ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
        name: grant.user.name,
        email: grant.user.email,
      });
    }
    return json(200, body, NO_STORE);
  });

  const session = (request: FakeRequest) => tokens.get(bearer(request));
  net.on('GET', `${instanceUrl}/services/oauth2/userinfo`, (request) => {
    const found = session(request);
    if (!found) return text(403, 'Bad_OAuth_Token');
    return json(200, { sub: identityUrl(found.user), ...found.user, email_verified: true, zoneinfo: 'Europe/London' });
  });
  net.on('ANY', `${instanceUrl}/services/data/`, (request) =>
    session(request) ? echo(request) : json(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]),
  );

  const read = (url: string) => {
    const query = authorizeQuery('Salesforce', url, `${login}/services/oauth2/authorize`);
    if (query.get('response_type') !== 'code') throw new ProviderPage('Salesforce', 'error=unsupported_response_type');
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Salesforce', 'error=invalid_client_id&error_description=client identifier invalid');
    if (query.get('redirect_uri') !== client.redirectUri) throw new ProviderPage('Salesforce', 'error=redirect_uri_mismatch&error_description=redirect_uri must match configuration');
    return query;
  };
  return {
    key,
    approve(url) {
      const query = read(url);
      const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied', error_description: 'end-user denied authorization' });
    },
  };
}

// =============================================================================================
// Reddit: https://github.com/reddit-archive/reddit/wiki/OAuth2
//   - the token request authenticates with HTTP Basic (client_id:client_secret); bad credentials
//     are a bare 401; every other failure is a JSON body with "error" (invalid_grant,
//     unsupported_grant_type when the body is not form-encoded, "NO_TEXT for field code");
//   - duration=permanent is what brings a refresh token;
//   - API calls go to oauth.reddit.com with `Authorization: bearer <token>`.

export interface RedditUser {
  id: string;
  name: string;
  icon_img: string;
}

export const REDDIT_USER: RedditUser = { id: '1w72', name: 'spez_fake', icon_img: 'https://styles.redditmedia.com/t5_1w72/styles/profileIcon.png' };

export function fakeReddit(net: FakeNet, client: RegisteredClient, user: RedditUser = REDDIT_USER): FakeProvider & { outage: boolean } {
  const codes = new CodeBook<RedditUser>('reddit-code-');
  const tokens = new TokenBook<{ user: RedditUser; scopes: string[] }>();
  const state = { outage: false };

  net.on('POST', 'https://www.reddit.com/api/v1/access_token', (request) => {
    if (state.outage) return html(503, 'Reddit - Service Unavailable', '<h1>upstream request timeout</h1><p>Our CDN was unable to reach our servers.</p>');
    const basic = request.basic();
    if (!basic || basic.id !== client.clientId || basic.secret !== client.clientSecret) return json(401, { message: 'Unauthorized', error: 401 });
    if ((request.header('content-type') ?? '').split(';')[0] !== 'application/x-www-form-urlencoded') return json(200, { error: 'unsupported_grant_type' });
    const fields = request.form();
    if (fields.get('grant_type') !== 'authorization_code') return json(200, { error: 'unsupported_grant_type' });
    if (!fields.get('code')) return json(200, { error: 'NO_TEXT for field code' });
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string' || fields.get('redirect_uri') !== grant.redirectUri) return json(200, { error: 'invalid_grant' });
    const body: Record<string, unknown> = {
      access_token: tokens.issue('eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3', { user: grant.user, scopes: grant.scopes }),
      token_type: 'bearer',
      expires_in: 86400,
      scope: grant.scopes.join(' '),
    };
    if (grant.query.get('duration') === 'permanent') body.refresh_token = `${grant.user.id}-refresh-${Date.now()}`;
    return json(200, body);
  });

  const session = (request: FakeRequest) => tokens.get(bearer(request, ['bearer']));
  net.on('GET', 'https://oauth.reddit.com/api/v1/me', (request) => {
    const found = session(request);
    if (!found) return json(401, { message: 'Unauthorized', error: 401 });
    if (!found.scopes.includes('identity')) return json(403, { message: 'Forbidden', error: 403 });
    return json(200, { ...found.user, created_utc: 1118030400, link_karma: 1 });
  });
  net.on('ANY', 'https://oauth.reddit.com/', (request) => (session(request) ? echo(request) : json(401, { message: 'Unauthorized', error: 401 })));

  const read = (url: string) => {
    const query = authorizeQuery('Reddit', url, 'https://www.reddit.com/api/v1/authorize');
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Reddit', 'invalid client id');
    if (query.get('response_type') !== 'code') throw new ProviderPage('Reddit', 'invalid response_type parameter');
    if (query.get('redirect_uri') !== client.redirectUri) throw new ProviderPage('Reddit', 'invalid redirect_uri parameter.');
    if (!['temporary', 'permanent'].includes(query.get('duration') ?? '')) throw new ProviderPage('Reddit', 'invalid duration parameter');
    return query;
  };
  return {
    get outage() {
      return state.outage;
    },
    set outage(value: boolean) {
      state.outage = value;
    },
    approve(url) {
      const query = read(url);
      const scopes = (query.get('scope') ?? '').split(/[\s,]+/).filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied' });
    },
  };
}

// =============================================================================================
// Dropbox: https://developers.dropbox.com/oauth-guide, https://www.dropbox.com/developers/documentation/http/documentation
//   - token_access_type=offline is what brings a refresh token; access tokens are short-lived
//     (expires_in 14400) and the response names the account (account_id, uid);
//   - the client authenticates with Basic or client_id/client_secret in the body; a PKCE client
//     sends client_id and code_verifier alone;
//   - RPC endpoints take JSON arguments; one without arguments (users/get_current_account) is a
//     POST without a body, and a Content-Type with an empty body is a 400 text/plain error.

export interface DropboxUser {
  account_id: string;
  name: { given_name: string; surname: string; familiar_name: string; display_name: string; abbreviated_name: string };
  email: string;
  profile_photo_url: string;
}

export const DROPBOX_USER: DropboxUser = {
  account_id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc',
  name: { given_name: 'Franz', surname: 'Ferdinand', familiar_name: 'Franz', display_name: 'Franz Ferdinand (Personal)', abbreviated_name: 'FF' },
  email: 'franz@dropbox.example',
  profile_photo_url: 'https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA',
};

export function fakeDropbox(net: FakeNet, client: RegisteredClient, user: DropboxUser = DROPBOX_USER): FakeProvider {
  const codes = new CodeBook<DropboxUser>('dbx-code-');
  const tokens = new TokenBook<{ user: DropboxUser; scopes: string[] }>();
  const refuse = (error: string, description: string) => json(400, { error, error_description: description });

  net.on('POST', 'https://api.dropboxapi.com/oauth2/token', (request) => {
    const fields = request.form();
    const basic = request.basic();
    const clientId = basic?.id ?? fields.get('client_id');
    const clientSecret = basic?.secret ?? fields.get('client_secret');
    if (clientId !== client.clientId) return refuse('invalid_client', 'Invalid client_id or client_secret (fake\'s wording)');
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string') return refuse('invalid_grant', "code doesn't exist or has expired");
    const publicPkce = clientSecret === null && grant.codeChallenge !== undefined;
    if (!publicPkce && clientSecret !== client.clientSecret) return refuse('invalid_client', 'Invalid client_id or client_secret (fake\'s wording)');
    if (grant.redirectUri !== undefined && fields.get('redirect_uri') !== grant.redirectUri) return refuse('invalid_grant', 'redirect_uri mismatch');
    if (grant.codeChallenge !== undefined && !pkceVerifies(fields.get('code_verifier'), grant.codeChallenge, grant.codeChallengeMethod)) {
      return refuse('invalid_grant', 'invalid code verifier');
    }
    const body: Record<string, unknown> = {
      access_token: tokens.issue('sl.u.AbX9', { user: grant.user, scopes: grant.scopes }),
      expires_in: 14400,
      token_type: 'bearer',
      scope: grant.scopes.join(' '),
      account_id: grant.user.account_id,
      uid: '12345',
    };
    if (grant.query.get('token_access_type') === 'offline') body.refresh_token = `dbx-refresh-${Date.now()}`;
    return json(200, body);
  });

  const invalidToken = json(401, { error_summary: 'invalid_access_token/..', error: { '.tag': 'invalid_access_token' } });
  net.on('POST', 'https://api.dropboxapi.com/2/users/get_current_account', (request) => {
    const found = tokens.get(bearer(request));
    if (!found) return invalidToken;
    const contentType = request.header('content-type');
    const body = request.body ?? '';
    if (contentType !== undefined && body.trim() !== 'null') {
      return text(400, 'Error in call to API function "users/get_current_account": request body: could not decode input as JSON');
    }
    return json(200, { ...found.user, email_verified: true, disabled: false, locale: 'en', country: 'US', account_type: { '.tag': 'basic' } });
  });
  net.on('POST', 'https://api.dropboxapi.com/2/', (request) => {
    if (!tokens.get(bearer(request))) return invalidToken;
    if ((request.header('content-type') ?? '').split(';')[0] !== 'application/json') {
      return text(400, `Error in call to API function "${request.parsed.pathname.slice(3)}": Bad HTTP "Content-Type" header: "${request.header('content-type') ?? ''}".  Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`);
    }
    return echo(request);
  });

  const read = (url: string) => {
    const query = authorizeQuery('Dropbox', url, 'https://www.dropbox.com/oauth2/authorize');
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Dropbox', 'Invalid client_id');
    if (query.get('response_type') !== 'code') throw new ProviderPage('Dropbox', 'Invalid response_type');
    const redirect = query.get('redirect_uri');
    if (redirect !== null && redirect !== client.redirectUri) throw new ProviderPage('Dropbox', `Invalid redirect_uri: "${redirect}"`);
    if (query.has('token_access_type') && !['offline', 'online', 'legacy'].includes(query.get('token_access_type')!)) {
      throw new ProviderPage('Dropbox', 'Invalid token_access_type');
    }
    if (query.has('code_challenge') && !['S256', 'plain'].includes(query.get('code_challenge_method') ?? 'plain')) {
      throw new ProviderPage('Dropbox', 'Invalid code_challenge_method');
    }
    return query;
  };
  return {
    approve(url) {
      const query = read(url);
      const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied', error_description: 'The user chose not to give your app access to their Dropbox account.' });
    },
  };
}

// =============================================================================================
// Microsoft identity platform: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow,
// .../id-token-claims-reference, .../v2-protocols-oidc
//   - the tenant is in every URL; a code is redeemed at the tenant path it was issued under;
//   - the id_token's iss is https://login.microsoftonline.com/{the user's tenant id}/v2.0 and its
//     tid claim names that tenant, whatever alias (common, organizations, a domain) was used; the
//     discovery document of /common says "{tenantid}" literally;
//   - errors are JSON with an AADSTS code in error_description, error_codes, trace ids;
//   - a web app must send its secret (AADSTS7000218 when it does not).

export interface MicrosoftUser {
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  mail: string;
  userPrincipalName: string;
}

export const MICROSOFT_USER: MicrosoftUser = {
  id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
  displayName: 'Adele Vance',
  givenName: 'Adele',
  surname: 'Vance',
  mail: 'AdeleV@contoso.example',
  userPrincipalName: 'AdeleV@contoso.example',
};

export interface MicrosoftOptions {
  /** The directory the app and the user live in (a GUID). */
  tenantId: string;
  user?: MicrosoftUser;
}

const MS_LOGIN = 'https://login.microsoftonline.com';

export async function fakeMicrosoft(net: FakeNet, client: RegisteredClient, options: MicrosoftOptions): Promise<FakeProvider & { key: SigningKey }> {
  const { tenantId } = options;
  const user = options.user ?? MICROSOFT_USER;
  const key = await SigningKey.create('nOo3ZDrODXEK1jKWhXslHR_KXEg');
  /** The tenant segments that reach this directory: its id, its domain, and the multi-tenant aliases. */
  const aliases = [tenantId, 'contoso.onmicrosoft.com', 'common', 'organizations'];
  const codes = new CodeBook<MicrosoftUser & { tenantPath: string }>('0.AXkA');
  const tokens = new TokenBook<{ user: MicrosoftUser; scopes: string[] }>();
  const aadError = (status: number, error: string, code: number, description: string) =>
    json(status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333 Correlation ID: aaaa0000-bb11-2222-33cc-444444dddddd Timestamp: 2026-11-27 12:00:00Z`,
      error_codes: [code],
      timestamp: '2026-11-27 12:00:00Z',
      trace_id: '0000aaaa-11bb-cccc-dd22-eeeeee333333',
      correlation_id: 'aaaa0000-bb11-2222-33cc-444444dddddd',
      error_uri: `${MS_LOGIN}/error?code=${code}`,
    }, NO_STORE);

  const keys = () => json(200, key.jwks());
  net.on('GET', `${MS_LOGIN}/common/discovery/v2.0/keys`, keys);
  net.on('GET', `${MS_LOGIN}/${tenantId}/discovery/v2.0/keys`, keys);
  for (const alias of aliases) {
    const issuer = alias === 'common' || alias === 'organizations' ? `${MS_LOGIN}/{tenantid}/v2.0` : `${MS_LOGIN}/${tenantId}/v2.0`;
    net.on('GET', `${MS_LOGIN}/${alias}/v2.0/.well-known/openid-configuration`, () =>
      json(200, {
        issuer,
        authorization_endpoint: `${MS_LOGIN}/${alias}/oauth2/v2.0/authorize`,
        token_endpoint: `${MS_LOGIN}/${alias}/oauth2/v2.0/token`,
        jwks_uri: `${MS_LOGIN}/${alias === tenantId ? tenantId : 'common'}/discovery/v2.0/keys`,
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      }),
    );
    net.on('POST', `${MS_LOGIN}/${alias}/oauth2/v2.0/token`, async (request) => {
      const fields = request.form();
      const basic = request.basic();
      if ((basic?.id ?? fields.get('client_id')) !== client.clientId) {
        return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${fields.get('client_id')}' was not found in the directory.`);
      }
      const secret = basic?.secret ?? fields.get('client_secret');
      if (secret === null) return aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      if (secret !== client.clientSecret) return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      const grant = liveGrant(codes, fields.get('code'), client.clientId);
      if (grant === 'used') return aadError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
      if (grant === 'unknown' || grant.user.tenantPath !== alias) {
        return aadError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
      }
      if (fields.get('redirect_uri') !== grant.redirectUri) return aadError(400, 'invalid_grant', 50011, 'The redirect URI does not match the one of the authorization request. (fake\'s wording)');
      if (grant.codeChallenge !== undefined && !pkceVerifies(fields.get('code_verifier'), grant.codeChallenge, grant.codeChallengeMethod)) {
        return aadError(400, 'invalid_grant', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.');
      }
      const { tenantPath: _path, ...profile } = grant.user;
      const graphScopes = grant.scopes.filter((s) => !['openid', 'profile', 'email', 'offline_access'].includes(s));
      const accessToken = tokens.issue('eyJ0eXAiOiJKV1QiLCJub25jZSI6', { user: profile, scopes: grant.scopes });
      const body: Record<string, unknown> = {
        token_type: 'Bearer',
        scope: [...grant.scopes.filter((s) => ['openid', 'profile', 'email'].includes(s)), ...graphScopes.map((s) => `https://graph.microsoft.com/${s}`)].join(' '),
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: accessToken,
      };
      if (grant.scopes.includes('offline_access')) body.refresh_token = `1.AXkA${accessToken.slice(-20)}`;
      if (grant.scopes.includes('openid')) {
        body.id_token = await key.idToken({
          ver: '2.0',
          iss: `${MS_LOGIN}/${tenantId}/v2.0`,
          sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
          aud: client.clientId,
          nbf: Math.floor(Date.now() / 1000),
          tid: tenantId,
          oid: profile.id,
          name: profile.displayName,
          preferred_username: profile.userPrincipalName,
          ...(grant.scopes.includes('email') ? { email: profile.mail } : {}),
          ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
        });
      }
      return json(200, body, NO_STORE);
    });
  }

  const graphError = json(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
  net.on('GET', 'https://graph.microsoft.com/v1.0/me', (request) => {
    const found = tokens.get(bearer(request));
    if (!found) return graphError;
    return json(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...found.user });
  });
  net.on('ANY', 'https://graph.microsoft.com/v1.0/', (request) => (tokens.get(bearer(request)) ? echo(request) : graphError));

  const read = (url: string) => {
    const parsed = new URL(url);
    const alias = parsed.pathname.split('/')[1] ?? '';
    if (!aliases.includes(alias)) throw new ProviderPage('Microsoft', `AADSTS90002: Tenant '${alias}' not found.`);
    const query = authorizeQuery('Microsoft', url, `${MS_LOGIN}/${alias}/oauth2/v2.0/authorize`);
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Microsoft', `AADSTS700016: Application with identifier '${query.get('client_id')}' was not found in the directory.`);
    if (query.get('response_type') !== 'code') throw new ProviderPage('Microsoft', 'AADSTS900144: unsupported response_type');
    if (query.get('redirect_uri') !== client.redirectUri) {
      throw new ProviderPage('Microsoft', `AADSTS50011: The redirect URI '${query.get('redirect_uri')}' specified in the request does not match the redirect URIs configured for the application.`);
    }
    if (!query.get('scope')) throw new ProviderPage('Microsoft', "AADSTS900144: The request body must contain the following parameter: 'scope'.");
    return { query, alias };
  };
  return {
    key,
    approve(url) {
      const { query, alias } = read(url);
      const scopes = query.get('scope')!.split(' ').filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, { ...user, tenantPath: alias }, scopes)), session_state: 'fa9cbe4a-0a8d-4ac1-9c8f-0e9d6d3c5e4b' });
    },
    deny(url) {
      return withState(read(url).query, { error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.' });
    },
  };
}

// =============================================================================================
// Google: https://developers.google.com/identity/protocols/oauth2/web-server,
// https://developers.google.com/identity/openid-connect/openid-connect and .../reference
//   - a refresh token comes only with access_type=offline, and only on a consent screen (the
//     first approval, or prompt=consent);
//   - the answered scope names the full userinfo scope URLs for "email" and "profile";
//   - the id_token's iss is https://accounts.google.com, or "accounts.google.com" for legacy
//     implementations (`legacyIssuer: true`); the userinfo endpoint is on openidconnect.googleapis.com;
//   - errors: 400 {"error": "invalid_grant", ...}, 401 invalid_client.

export interface GoogleUser {
  sub: string;
  name: string;
  given_name: string;
  family_name: string;
  email: string;
  picture: string;
}

export const GOOGLE_USER: GoogleUser = {
  sub: '110169484474386276334',
  name: 'Grace Hopper',
  given_name: 'Grace',
  family_name: 'Hopper',
  email: 'grace@example.com',
  picture: 'https://lh3.googleusercontent.com/a/ACg8ocJ-grace=s96-c',
};

const GOOGLE_SCOPE_URLS: Record<string, string> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};

export async function fakeGoogle(
  net: FakeNet,
  client: RegisteredClient,
  options: { user?: GoogleUser; legacyIssuer?: boolean } = {},
): Promise<FakeProvider & { key: SigningKey; legacyIssuer: boolean }> {
  const user = options.user ?? GOOGLE_USER;
  const key = await SigningKey.create('a50f6e70ef4b548a5fd9142eecd1fb8f54dce9ee');
  const codes = new CodeBook<GoogleUser & { consented: boolean }>('4/0AfJohX');
  const tokens = new TokenBook<{ user: GoogleUser; scopes: string[] }>();
  const consented = new Set<string>();
  const settings = { legacyIssuer: options.legacyIssuer ?? false };
  const refuse = (status: number, error: string, description: string) => json(status, { error, error_description: description }, NO_STORE);

  net.on('GET', 'https://accounts.google.com/.well-known/openid-configuration', () =>
    json(200, {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
      token_endpoint: 'https://oauth2.googleapis.com/token',
      userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
      revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
      jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      code_challenge_methods_supported: ['plain', 'S256'],
    }),
  );
  net.on('GET', 'https://www.googleapis.com/oauth2/v3/certs', () => json(200, key.jwks()));

  net.on('POST', 'https://oauth2.googleapis.com/token', async (request) => {
    const fields = request.form();
    const basic = request.basic();
    if ((basic?.id ?? fields.get('client_id')) !== client.clientId || (basic?.secret ?? fields.get('client_secret')) !== client.clientSecret) {
      return refuse(401, 'invalid_client', 'Unauthorized');
    }
    if (fields.get('grant_type') !== 'authorization_code') return refuse(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (fields.get('grant_type') ?? ''));
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string') return refuse(400, 'invalid_grant', 'Bad Request');
    if (fields.get('redirect_uri') !== grant.redirectUri) return refuse(400, 'redirect_uri_mismatch', 'Bad Request');
    if (grant.codeChallenge !== undefined) {
      if (!fields.has('code_verifier')) return refuse(400, 'invalid_grant', 'Missing code verifier.');
      if (!pkceVerifies(fields.get('code_verifier'), grant.codeChallenge, grant.codeChallengeMethod)) return refuse(400, 'invalid_grant', 'Invalid code verifier.');
    }
    const { consented: refreshable, ...profile } = grant.user;
    const accessToken = tokens.issue('ya29.a0AfB_', { user: profile, scopes: grant.scopes });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: 3599,
      scope: grant.scopes.map((s) => GOOGLE_SCOPE_URLS[s] ?? s).join(' '),
      token_type: 'Bearer',
    };
    if (refreshable) body.refresh_token = `1//0gdm${accessToken.slice(-24)}`;
    if (grant.scopes.includes('openid')) {
      body.id_token = await key.idToken({
        iss: settings.legacyIssuer ? 'accounts.google.com' : 'https://accounts.google.com',
        azp: client.clientId,
        aud: client.clientId,
        sub: profile.sub,
        at_hash: atHash(accessToken),
        ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
        ...(grant.scopes.includes('email') ? { email: profile.email, email_verified: true } : {}),
        ...(grant.scopes.includes('profile') ? { name: profile.name, picture: profile.picture, given_name: profile.given_name, family_name: profile.family_name } : {}),
      });
    }
    return json(200, body, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' });
  });

  net.on('GET', 'https://openidconnect.googleapis.com/v1/userinfo', (request) => {
    const found = tokens.get(bearer(request));
    if (!found) return json(401, { error: 'invalid_request', error_description: 'Invalid Credentials' });
    const claims: Record<string, unknown> = { sub: found.user.sub };
    if (found.scopes.includes('profile')) Object.assign(claims, { name: found.user.name, given_name: found.user.given_name, family_name: found.user.family_name, picture: found.user.picture });
    if (found.scopes.includes('email')) Object.assign(claims, { email: found.user.email, email_verified: true });
    return json(200, claims);
  });
  net.on('ANY', 'https://www.googleapis.com/', (request) =>
    tokens.get(bearer(request))
      ? echo(request)
      : json(401, { error: { code: 401, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', status: 'UNAUTHENTICATED' } }),
  );

  const read = (url: string) => {
    const query = authorizeQuery('Google', url, 'https://accounts.google.com/o/oauth2/v2/auth');
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Google', 'Error 401: invalid_client (The OAuth client was not found.)');
    if (query.get('redirect_uri') !== client.redirectUri) throw new ProviderPage('Google', 'Error 400: redirect_uri_mismatch');
    if (query.get('response_type') !== 'code') throw new ProviderPage('Google', 'Error 400: invalid_request (response_type)');
    if (!query.get('scope')) throw new ProviderPage('Google', 'Error 400: invalid_request (Missing required parameter: scope)');
    if (query.has('access_type') && !['online', 'offline'].includes(query.get('access_type')!)) throw new ProviderPage('Google', 'Error 400: invalid_request (access_type)');
    if (query.has('code_challenge') && !['S256', 'plain'].includes(query.get('code_challenge_method') ?? 'plain')) throw new ProviderPage('Google', 'Error 400: invalid_request (code_challenge_method)');
    return query;
  };
  return {
    key,
    get legacyIssuer() {
      return settings.legacyIssuer;
    },
    set legacyIssuer(value: boolean) {
      settings.legacyIssuer = value;
    },
    approve(url) {
      const query = read(url);
      const scopes = query.get('scope')!.split(' ').filter(Boolean);
      // A consent screen shows on the first approval and whenever prompt includes consent.
      const consentScreen = !consented.has(user.sub) || (query.get('prompt') ?? '').split(' ').includes('consent');
      consented.add(user.sub);
      const refreshable = consentScreen && query.get('access_type') === 'offline';
      return withState(query, { code: codes.issue(grantFrom(query, { ...user, consented: refreshable }, scopes)), scope: scopes.map((s) => GOOGLE_SCOPE_URLS[s] ?? s).join(' '), authuser: '0', prompt: consentScreen ? 'consent' : 'none' });
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied' });
    },
  };
}

// =============================================================================================
// Shopify: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant,
// .../use-expiring-offline-access-tokens, https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
//   - every URL is on the merchant's shop; scopes are comma-separated;
//   - the redirect back carries code, hmac, host, shop, state, timestamp;
//   - the token response has no token_type; with expiring=1 the offline token lasts an hour and
//     comes with a refresh token (required for public apps from 2027), without it it never expires;
//   - the Admin API takes the token in X-Shopify-Access-Token, never in Authorization.

export interface ShopifyShop {
  id: number;
  name: string;
  email: string;
  myshopify_domain: string;
}

export function fakeShopify(net: FakeNet, client: RegisteredClient, shopName = 'my-store'): FakeProvider {
  const origin = `https://${shopName}.myshopify.com`;
  const shop: ShopifyShop = { id: 690933842, name: 'Super Toys', email: 'super@supertoys.example', myshopify_domain: `${shopName}.myshopify.com` };
  const codes = new CodeBook<ShopifyShop>('');
  const tokens = new TokenBook<{ scopes: string[] }>();
  const refreshTokens = new Map<string, string[]>();

  net.on('POST', `${origin}/admin/oauth/access_token`, (request) => {
    // The documentation sends the parameters as JSON or form fields; both are read.
    const fromJson = request.json();
    const fields = fromJson !== null && typeof fromJson === 'object' ? new URLSearchParams(fromJson as Record<string, string>) : request.form();
    if (fields.get('client_id') !== client.clientId || fields.get('client_secret') !== client.clientSecret) {
      return json(400, { error: 'invalid_client', error_description: 'Client credentials are invalid (fake\'s wording)' });
    }
    let scopes: string[];
    if (fields.get('grant_type') === 'refresh_token') {
      // A refresh token works once: the answer carries its replacement.
      const refreshed = refreshTokens.get(fields.get('refresh_token') ?? '');
      if (!refreshed) return json(400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or was already used (fake\'s wording)' });
      refreshTokens.delete(fields.get('refresh_token')!);
      scopes = refreshed;
    } else {
      const grant = liveGrant(codes, fields.get('code'), client.clientId);
      if (typeof grant === 'string') return json(400, { error: 'invalid_request', error_description: 'The authorization code was not found or was already used' });
      scopes = grant.scopes;
    }
    const accessToken = tokens.issue('shpat_', { scopes });
    const body: Record<string, unknown> = { access_token: accessToken, scope: scopes.join(',') };
    if (fields.get('expiring') === '1') {
      const refreshToken = `shprt_${accessToken.slice(6)}`;
      refreshTokens.set(refreshToken, scopes);
      Object.assign(body, { expires_in: 3600, refresh_token: refreshToken, refresh_token_expires_in: 7776000 });
    }
    return json(200, body);
  });

  const invalidToken = json(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  const session = (request: FakeRequest) => tokens.get(request.header('x-shopify-access-token'));
  net.on('GET', `${origin}/admin/api/2025-10/shop.json`, (request) => (session(request) ? json(200, { shop: { ...shop, currency: 'USD' } }) : invalidToken));
  net.on('ANY', `${origin}/admin/`, (request) => (session(request) ? echo(request, { authorization: request.header('authorization') ?? null }) : invalidToken));

  const read = (url: string) => {
    const query = authorizeQuery('Shopify', url, `${origin}/admin/oauth/authorize`);
    if (query.get('client_id') !== client.clientId) throw new ProviderPage('Shopify', 'Oauth error invalid_request: Could not find Shopify API application with api_key');
    if (query.get('redirect_uri') !== client.redirectUri) throw new ProviderPage('Shopify', 'Oauth error invalid_request: The redirect_uri is not whitelisted');
    return query;
  };
  return {
    approve(url) {
      const query = read(url);
      const scopes = (query.get('scope') ?? '').split(',').filter(Boolean);
      const redirect: Record<string, string> = {
        code: codes.issue(grantFrom(query, shop, scopes)),
        host: Buffer.from(`admin.shopify.com/store/${shopName}`).toString('base64url'),
        shop: shop.myshopify_domain,
        timestamp: String(Math.floor(Date.now() / 1000)),
      };
      const stateValue = query.get('state');
      if (stateValue !== null) redirect.state = stateValue;
      // hmac: HMAC-SHA256 with the client secret over the other parameters, sorted, as a query.
      const message = Object.keys(redirect).sort().map((name) => `${name}=${redirect[name]}`).join('&');
      return { ...redirect, hmac: createHmac('sha256', client.clientSecret).update(message).digest('hex') };
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied' });
    },
  };
}

// =============================================================================================
// X, OAuth 2.0 with PKCE: https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token
//   - PKCE is required (S256 or plain); redirect_uri must equal a registered callback;
//   - confidential clients authenticate with HTTP Basic; public clients send client_id alone;
//   - tokens last 2 hours; offline.access adds a refresh token.

export interface XUser {
  id: string;
  name: string;
  username: string;
  profile_image_url: string;
  location: string;
}

export const X_USER: XUser = {
  id: '2244994945',
  name: 'X Dev',
  username: 'XDevelopers',
  profile_image_url: 'https://pbs.twimg.com/profile_images/1445764922474827784/W2zEPN7U_normal.jpg',
  location: '127.0.0.1',
};

export function fakeX(net: FakeNet, client: RegisteredClient & { confidential: boolean }, user: XUser = X_USER): FakeProvider {
  const codes = new CodeBook<XUser>('VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2hPRm1');
  const tokens = new TokenBook<{ user: XUser; scopes: string[] }>();
  const refuse = (status: number, error: string, description: string) => json(status, { error, error_description: description });

  net.on('POST', 'https://api.x.com/2/oauth2/token', (request) => {
    const fields = request.form();
    const basic = request.basic();
    if (client.confidential) {
      if (!basic) return refuse(401, 'unauthorized_client', 'Missing valid authorization header');
      if (basic.id !== client.clientId || basic.secret !== client.clientSecret) return refuse(401, 'unauthorized_client', 'Missing valid authorization header');
    } else if (fields.get('client_id') !== client.clientId) {
      return refuse(400, 'invalid_request', 'Missing required parameter [client_id].');
    }
    const grant = liveGrant(codes, fields.get('code'), client.clientId);
    if (typeof grant === 'string') return refuse(400, 'invalid_request', 'Value passed for the authorization code was invalid.');
    if (fields.get('redirect_uri') !== grant.redirectUri) return refuse(400, 'invalid_request', 'Value passed for the redirect uri did not match the uri of the authorization code.');
    if (!pkceVerifies(fields.get('code_verifier'), grant.codeChallenge!, grant.codeChallengeMethod)) {
      return refuse(400, 'invalid_request', 'Value passed for the code verifier did not match the code challenge.');
    }
    const body: Record<string, unknown> = {
      token_type: 'bearer',
      expires_in: 7200,
      access_token: tokens.issue('bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW', { user: grant.user, scopes: grant.scopes }),
      scope: grant.scopes.join(' '),
    };
    if (grant.scopes.includes('offline.access')) body.refresh_token = `bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtm-refresh-${Date.now()}`;
    return json(200, body);
  });

  const unauthorized = json(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
  net.on('GET', 'https://api.x.com/2/users/me', (request) => {
    const found = tokens.get(bearer(request));
    if (!found) return unauthorized;
    const data: Record<string, unknown> = { id: found.user.id, name: found.user.name, username: found.user.username };
    for (const field of (request.parsed.searchParams.get('user.fields') ?? '').split(',')) {
      const value = (found.user as unknown as Record<string, unknown>)[field];
      if (value !== undefined) data[field] = value;
    }
    return json(200, { data });
  });
  net.on('ANY', 'https://api.x.com/2/', (request) => (tokens.get(bearer(request)) ? echo(request) : unauthorized));

  const read = (url: string) => {
    const query = authorizeQuery('X', url, 'https://x.com/i/oauth2/authorize');
    const problem =
      query.get('response_type') !== 'code' ? 'response_type' :
      query.get('client_id') !== client.clientId ? 'client_id' :
      query.get('redirect_uri') !== client.redirectUri ? 'redirect_uri' :
      !query.get('state') ? 'state' :
      !query.get('code_challenge') ? 'code_challenge' :
      !['S256', 'plain'].includes(query.get('code_challenge_method') ?? '') ? 'code_challenge_method' :
      undefined;
    // X shows one page for every bad request; the parameter named here is for the test's reader.
    if (problem) throw new ProviderPage('X', `Something went wrong. You weren't able to give access to the App. Go back and try logging in again. (${problem})`);
    return query;
  };
  return {
    approve(url) {
      const query = read(url);
      const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean);
      return withState(query, { code: codes.issue(grantFrom(query, user, scopes)) });
    },
    deny(url) {
      return withState(read(url), { error: 'access_denied' });
    },
  };
}

// =============================================================================================
// Twitter/X, OAuth 1.0a: https://docs.x.com/resources/fundamentals/authentication/oauth-1-0a/obtaining-user-access-tokens
// and .../authorizing-a-request, .../creating-a-signature
//   - request_token: signed with the consumer secret, oauth_callback signed in; answers
//     oauth_token, oauth_token_secret, oauth_callback_confirmed=true; a callback URL that is not
//     registered is error 415 (XML); a bad signature is 401 {"errors":[{"code":32,...}]};
//   - the user is sent to /oauth/authorize?oauth_token=…; back come oauth_token and
//     oauth_verifier, or denied=<token>;
//   - access_token: signed with the temporary secret, oauth_verifier signed in; answers the token
//     credentials plus user_id and screen_name.

export interface TwitterUser {
  id: number;
  id_str: string;
  name: string;
  screen_name: string;
  location: string;
  email: string;
  profile_image_url_https: string;
}

export const TWITTER_USER: TwitterUser = {
  id: 6253282,
  id_str: '6253282',
  name: 'Twitter API',
  screen_name: 'TwitterAPI',
  location: 'San Francisco, CA',
  email: 'api@twitter.example',
  profile_image_url_https: 'https://pbs.twimg.com/profile_images/942858479592554497/BbazLO9L_normal.jpg',
};

export function fakeTwitter(
  net: FakeNet,
  consumer: { key: string; secret: string; callback: string },
  user: TwitterUser = TWITTER_USER,
): FakeProvider & { refusals: Array<OAuth1Failure['reason']> } {
  const verifier = new OAuth1Verifier(consumer.key, consumer.secret);
  /** Why each refused request was refused, oldest first (X says only "Could not authenticate you."). */
  const refusals: Array<OAuth1Failure['reason']> = [];
  const temporary = new Map<string, { secret: string; callback: string; verifier?: string }>();
  const access = new Map<string, { secret: string; user: TwitterUser }>();
  const couldNotAuthenticate = json(401, { errors: [{ code: 32, message: 'Could not authenticate you.' }] });
  const random = (bytes: number) => randomBytes(bytes).toString('base64url');

  net.on('POST', 'https://api.x.com/oauth/request_token', (request) => {
    let params: Record<string, string>;
    try {
      params = verifier.verify(request, () => undefined, false);
    } catch (error) {
      if (error instanceof OAuth1Failure) {
        refusals.push(error.reason);
        return couldNotAuthenticate;
      }
      throw error;
    }
    if (params.oauth_callback !== consumer.callback) {
      return {
        status: 403,
        headers: { 'content-type': 'application/xml;charset=utf-8' },
        text: '<?xml version="1.0" encoding="UTF-8"?><errors><error code="415">Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings</error></errors>',
      };
    }
    const token = random(20);
    const secret = random(24);
    temporary.set(token, { secret, callback: params.oauth_callback });
    return form(200, { oauth_token: token, oauth_token_secret: secret, oauth_callback_confirmed: 'true' });
  });

  net.on('POST', 'https://api.x.com/oauth/access_token', (request) => {
    let params: Record<string, string>;
    try {
      params = verifier.verify(request, (token) => temporary.get(token)?.secret, true);
    } catch (error) {
      if (error instanceof OAuth1Failure) {
        refusals.push(error.reason);
        return error.reason === 'unknown_token' ? text(401, 'Invalid request token.') : couldNotAuthenticate;
      }
      throw error;
    }
    const pending = temporary.get(params.oauth_token!)!;
    if (pending.verifier === undefined || params.oauth_verifier !== pending.verifier) {
      return text(401, 'Error processing your OAuth request: Invalid oauth_verifier parameter');
    }
    temporary.delete(params.oauth_token!);
    const token = `${user.id_str}-${random(30)}`;
    const secret = random(33);
    access.set(token, { secret, user });
    return form(200, { oauth_token: token, oauth_token_secret: secret, user_id: user.id_str, screen_name: user.screen_name });
  });

  const signedBy = (request: FakeRequest) => {
    try {
      const params = verifier.verify(request, (token) => access.get(token)?.secret, true);
      return access.get(params.oauth_token!);
    } catch (error) {
      if (error instanceof OAuth1Failure) {
        refusals.push(error.reason);
        return undefined;
      }
      throw error;
    }
  };
  net.on('GET', 'https://api.x.com/1.1/account/verify_credentials.json', (request) => {
    const found = signedBy(request);
    if (!found) return couldNotAuthenticate;
    const { email, ...rest } = found.user;
    return json(200, { ...rest, ...(request.parsed.searchParams.get('include_email') === 'true' ? { email } : {}) });
  });
  net.on('ANY', 'https://api.x.com/1.1/', (request) => (signedBy(request) ? echo(request) : couldNotAuthenticate));

  const read = (url: string) => {
    const query = authorizeQuery('X', url, 'https://api.x.com/oauth/authorize');
    const token = query.get('oauth_token') ?? '';
    const pending = temporary.get(token);
    if (!pending) throw new ProviderPage('X', 'This page is no longer valid. It looks like someone already used the token information you provided.');
    return { token, pending };
  };
  return {
    refusals,
    approve(url) {
      const { token, pending } = read(url);
      pending.verifier = random(24);
      return { oauth_token: token, oauth_verifier: pending.verifier };
    },
    deny(url) {
      const { token } = read(url);
      temporary.delete(token);
      return { denied: token };
    },
  };
}
