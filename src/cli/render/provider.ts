/**
 * How `providers show` looks: its view model (ProviderView, built by src/cli/commands/providers-show.ts
 * from findProvider and oauthd.json) as text for a person, or as the JSON `--json` prints.
 */
import type { ChalkInstance } from 'chalk';
import type { Keyset } from '../../config/schema.js';
import type { ClientAuthMethod, PkceSupport, ProviderSpec } from '../../providers/schema.js';
import { fillTemplate, templateNames } from '../../providers/template.js';
import type { ProviderSource } from '../../registry/find.js';

/** What `providers show` says of a provider, for either view (src/cli/commands/providers-show.ts builds it). */
export interface ProviderView {
  spec: ProviderSpec;
  source: ProviderSource;
  /** The keyset in oauthd.json (the sandbox's own client for the sandbox); undefined: not configured. */
  keyset: Keyset | undefined;
  configured: boolean;
  /** The oauthd.json found, if any. */
  configPath: string | undefined;
  /** broker.port (0: a new port at every run). */
  port: number;
  /** broker.publicUrl, when the broker is served behind one. */
  publicUrl: string | undefined;
  redirectUri: string;
  /** The values the URL templates are filled with: the client id, the parameters' defaults overlaid by the keyset's. */
  templateValues: Record<string, string>;
}

/** What `--json` prints: the description itself, plus what the developer registers and has configured. */
export interface ProviderShowJson extends Omit<ProviderSpec, '$schema'> {
  redirectUri: string;
  configured: boolean;
  /** The keyset in oauthd.json: the client secret only as its reference (env:/keychain:). */
  keyset?: { clientId: string; clientSecret?: string; scope?: string[]; params?: Record<string, string>; issuer?: string };
  source: ProviderSource;
  /** The values the URL templates are filled with: the client id, the parameters' defaults overlaid by the keyset's. */
  templateValues: Record<string, string>;
  /** Each endpoint as a flow will call it; null while a value is missing (a required parameter, a {token.*} field). */
  endpoints: Endpoints;
}

type Filled = string | null;
export interface Endpoints {
  oidc?: { issuer: Filled; jwksUri?: Filled };
  oauth2?: { authorizeUrl: Filled; tokenUrl: Filled; refreshUrl: Filled; revokeUrl?: Filled; introspectUrl?: Filled; deviceAuthorizationUrl?: Filled };
  oauth1?: { requestTokenUrl: Filled; authorizeUrl: Filled; accessTokenUrl: Filled };
  api?: { baseUrl: Filled };
  profile?: { url: Filled };
}

const CLIENT_AUTH: Record<ClientAuthMethod, string> = {
  client_secret_basic: 'client_secret_basic: client id and secret in an HTTP Basic header (RFC 6749 §2.3.1)',
  client_secret_post: 'client_secret_post: client_id and client_secret in the form body (RFC 6749 §2.3.1)',
  client_secret_jwt: 'client_secret_jwt: a JWT assertion signed with the client secret (RFC 7523 §2.2)',
  private_key_jwt: "private_key_jwt: a JWT assertion signed with the client's private key (RFC 7523 §2.2)",
  tls_client_auth: 'tls_client_auth: a client certificate from a CA the provider trusts, in the TLS handshake (RFC 8705 §2.1)',
  self_signed_tls_client_auth: 'self_signed_tls_client_auth: a self-signed client certificate registered with the client, in the TLS handshake (RFC 8705 §2.2)',
  none: 'none: a public client, no secret; PKCE carries the proof (RFC 7636)',
};

const PKCE: Record<PkceSupport, string> = {
  required: 'required: S256 on every flow (RFC 7636)',
  supported: 'supported: S256 on every flow (RFC 7636)',
  undocumented: 'not documented: S256 is sent anyway (RFC 6749 §3.1: unknown parameters are ignored)',
  unsupported: 'unsupported: no code_challenge is sent (the provider rejects or mishandles it)',
};

/** What `--json` prints, keys in this order: the description, then what the developer registers and has configured. */
export function providerJson(view: ProviderView): ProviderShowJson {
  const { $schema: _schema, ...description } = view.spec;
  const output: ProviderShowJson = {
    ...description,
    redirectUri: view.redirectUri,
    configured: view.configured,
    source: view.source,
    templateValues: view.templateValues,
    endpoints: endpoints(view.spec, view.templateValues),
  };
  if (view.keyset && view.source.kind !== 'built-in') output.keyset = publicKeyset(view.keyset);
  return output;
}

/** The text view: what to register, then each part of the description, URL templates shown filled beneath. */
export function renderProvider(view: ProviderView, color: ChalkInstance): string {
  const { spec, source, keyset, redirectUri, port, templateValues: values } = view;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(15)}${value}`);
  const more = (value: string) => lines.push(`  ${''.padEnd(15)}${value}`);
  const url = (label: string, template: string, prefix = '') => {
    row(label, `${prefix}${template}`);
    const filled = tryFill(template, values);
    if (filled !== undefined && filled !== template) more(color.dim(`= ${prefix}${filled}`));
  };

  lines.push(`${color.bold(spec.name)} (${spec.id})`);
  row('docs', spec.docs);
  if (source.kind === 'built-in') {
    row('register', 'nothing to register: the sandbox knows its own client and redirect URI');
  } else {
    row('register at', spec.register ?? `not recorded; see the docs above`);
  }
  row('redirect URI', `${color.bold(redirectUri)}   ${source.kind === 'built-in' ? '(the sandbox registers it itself)' : '← register exactly this'}`);
  more(color.dim(port === 0 ? 'broker.port is 0, so the port changes on every run: set a fixed port to register one URI' : `(oauthd-cli login ${spec.id} --port N changes the port; serve uses broker.port)`));
  if (view.publicUrl && source.kind !== 'built-in') more(`serve behind ${view.publicUrl}: register ${view.publicUrl}/auth too`);
  row('protocols', protocolsOf(spec).join(', '));
  row('source', source.kind === 'file' ? source.file : source.kind === 'issuer' ? `discovery document of ${source.issuer} (cached in oauthd.json)` : 'built into oauthd-cli');
  configuredRows(spec, keyset, source, view.configPath, row, more);

  const usesClientId = collectTemplates([spec.oidc, spec.oauth2, spec.oauth1, spec.api, spec.profile]).includes('client_id');
  if ((spec.params && Object.keys(spec.params).length > 0) || usesClientId) {
    lines.push('', 'Parameters (fill the URL templates; set with --param name=value)');
    if (usesClientId) row('{client_id}', `your client id${keyset ? `: "${keyset.clientId}"` : ' (from the keyset)'}`);
    for (const [name, param] of Object.entries(spec.params ?? {})) {
      const facts = [
        param.default !== undefined ? `default "${param.default}"` : 'no default: required',
        ...(param.example !== undefined ? [`e.g. "${param.example}"`] : []),
        ...(keyset?.params?.[name] !== undefined ? [`yours: "${keyset.params[name]}"`] : []),
      ];
      row(`{${name}}`, param.description);
      more(color.dim(facts.join('; ')));
    }
  }
  const tokenFields = [...new Set(collectTemplates([spec.api, spec.profile]).filter((name) => name.startsWith('token.')))];
  if (tokenFields.length > 0) {
    lines.push('', `Filled from the token response: ${tokenFields.map((name) => `{${name}}`).join(', ')}`);
    // The origins a caller's token field may name (tokenOrigins): anything else is refused.
    for (const [field, origins] of Object.entries(spec.tokenOrigins ?? {})) row('origins', `${field}: ${origins.join(', ')}`);
  }

  if (spec.oidc) {
    lines.push('', 'OpenID Connect');
    url('issuer', spec.oidc.issuer);
    if (spec.oidc.jwksUri) url('keys (JWKS)', spec.oidc.jwksUri);
    else row('keys (JWKS)', 'from the discovery document, read at the first sign-in');
    row('id_token', 'signature, iss, aud, exp and nonce checked on every sign-in');
  }

  const o2 = spec.oauth2;
  if (o2) {
    lines.push('', 'OAuth 2.0');
    url('authorize', o2.authorizeUrl);
    url('token', o2.tokenUrl);
    if (o2.refreshUrl) url('refresh', o2.refreshUrl);
    row('client auth', CLIENT_AUTH[o2.clientAuth]);
    row('PKCE', PKCE[o2.pkce]);
    row('response', o2.responseMode === 'form_post' ? 'form_post: the code comes back as an HTML form POST' : 'query (RFC 6749 §4.1.2)');
    const scopes = o2.scopes;
    row('scopes', `default ${scopes.default.length > 0 ? scopes.default.join(scopes.separator) : '(none)'}${keyset?.scope ? `; yours ${keyset.scope.join(scopes.separator)}` : ''}`);
    more(color.dim(`joined by ${JSON.stringify(scopes.separator)} in the "${scopes.param ?? 'scope'}" parameter`));
    const width = Math.max(0, ...Object.keys(scopes.values ?? {}).map((scope) => scope.length));
    for (const [scope, meaning] of Object.entries(scopes.values ?? {})) more(`${scope.padEnd(width)}  ${color.dim(meaning)}`);
    if (o2.authorizeParams) row('authorize adds', query(o2.authorizeParams));
    if (o2.tokenParams) row('token adds', query(o2.tokenParams));
    if (o2.tokenHeaders) row('token headers', Object.entries(o2.tokenHeaders).map(([name, value]) => `${name}: ${value}`).join(', '));
    if (o2.tokenRequestBody === 'json') row('token body', 'JSON (not the RFC 6749 form encoding)');

    lines.push('', 'Beyond sign-in');
    row('refresh', o2.refresh === true ? 'yes, refresh tokens are issued (RFC 6749 §6)' : o2.refresh === false ? 'no refresh tokens' : 'not documented (a refresh_token is used when one comes back)');
    if (o2.revoke) url('revoke', o2.revoke.url, `${o2.revoke.method ?? 'POST'} `);
    else row('revoke', 'no revocation endpoint');
    if (o2.introspectUrl) url('introspect', o2.introspectUrl);
    else row('introspect', 'no introspection endpoint');
    if (o2.deviceAuthorizationUrl) url('device (8628)', o2.deviceAuthorizationUrl);
    else row('device (8628)', 'no device authorization endpoint');
    row('client creds', o2.clientCredentials ? 'yes (RFC 6749 §4.4)' : 'not documented');
  }

  const o1 = spec.oauth1;
  if (o1) {
    lines.push('', 'OAuth 1.0a (RFC 5849)');
    url('request token', o1.requestTokenUrl);
    url('authorize', o1.authorizeUrl);
    url('access token', o1.accessTokenUrl);
    row('signature', o1.signatureMethod);
    if (o1.scopes) row('scopes', `default ${o1.scopes.default.join(o1.scopes.separator) || '(none)'}`);
  }

  if (spec.api) {
    lines.push('', 'API');
    url('base URL', spec.api.baseUrl);
    row(
      'token sent',
      spec.api.tokenIn === 'query'
        ? `in the query: ?${spec.api.queryParam ?? 'access_token'}=<token> (RFC 6750 §2.3)`
        : `Authorization: ${spec.api.scheme ?? 'Bearer'} <token> (RFC 6750 §2.1)`,
    );
    if (spec.api.headers) row('headers', Object.entries(spec.api.headers).map(([name, value]) => `${name}: ${value}`).join(', '));
  }
  if (spec.profile) {
    lines.push('', 'Profile (unified /me)');
    url('endpoint', spec.profile.url, `${spec.profile.method ?? 'GET'} `);
    if (spec.profile.root) row('user object', spec.profile.root);
    row('fields', Object.entries(spec.profile.map).map(([field, path]) => `${field} ← ${path}`).join(', '));
  }
  if (spec.notes) lines.push('', 'Notes', `  ${spec.notes}`);

  return lines.join('\n');
}

/** The protocols a description speaks, as `providers list` and `show` name them. */
export function protocolsOf(spec: ProviderSpec): string[] {
  const protocols: string[] = [];
  if (spec.oauth2) protocols.push('oauth2');
  if (spec.oauth1) protocols.push('oauth1');
  if (spec.oidc) protocols.push('openid');
  return protocols;
}

/** Whether oauthd.json has a keyset, and the command that adds one when it has not. */
function configuredRows(
  spec: ProviderSpec,
  keyset: Keyset | undefined,
  source: ProviderSource,
  configPath: string | undefined,
  row: (label: string, value: string) => void,
  more: (value: string) => void,
): void {
  if (source.kind === 'built-in') {
    row('configured', 'always (built in): oauthd-cli login sandbox');
    return;
  }
  if (!keyset) {
    const required = Object.entries(spec.params ?? {})
      .filter(([, param]) => param.default === undefined)
      .map(([name, param]) => ` --param ${name}=${param.example ?? '…'}`)
      .join('');
    row('configured', `no${configPath ? ` (not in ${configPath})` : ' (no oauthd.json yet: oauthd-cli init)'}`);
    more(`oauthd-cli providers add ${spec.id} --client-id …${spec.oauth2?.clientAuth === 'none' ? '' : ' --client-secret-env VAR'}${required}`);
    return;
  }
  row('configured', `yes, in ${configPath ?? 'oauthd.json'}`);
  more(`client id      ${keyset.clientId}`);
  more(`client secret  ${keyset.clientSecret ? describeSecretRef(keyset.clientSecret) : 'none (a public client)'}`);
}

/** The reference, never the secret: the keyset holds only env:VAR or keychain:NAME. */
function describeSecretRef(reference: string): string {
  if (reference.startsWith('env:')) return `read from $${reference.slice(4)} at run time (${reference})`;
  return `in the vault as "${reference.slice('keychain:'.length)}": the OS keychain, or the 0600 file where none answers (${reference})`;
}

function publicKeyset(keyset: Keyset): NonNullable<ProviderShowJson['keyset']> {
  return {
    clientId: keyset.clientId,
    ...(keyset.clientSecret !== undefined ? { clientSecret: keyset.clientSecret } : {}),
    ...(keyset.scope !== undefined ? { scope: keyset.scope } : {}),
    ...(keyset.params !== undefined ? { params: keyset.params } : {}),
    ...(keyset.issuer !== undefined ? { issuer: keyset.issuer } : {}),
  };
}

/** The template filled, or undefined while a value is missing (a {token.*} field, say). */
function tryFill(template: string, values: Record<string, string>): string | undefined {
  try {
    return fillTemplate(template, values);
  } catch {
    return undefined;
  }
}

/** The URLs the text view shows under "= …", filled the same way (the refresh URL is the token URL unless the file names one). */
function endpoints(spec: ProviderSpec, values: Record<string, string>): Endpoints {
  const fill = (template: string): Filled => tryFill(template, values) ?? null;
  const result: Endpoints = {};
  if (spec.oidc) result.oidc = { issuer: fill(spec.oidc.issuer), ...(spec.oidc.jwksUri ? { jwksUri: fill(spec.oidc.jwksUri) } : {}) };
  const o2 = spec.oauth2;
  if (o2) {
    result.oauth2 = {
      authorizeUrl: fill(o2.authorizeUrl),
      tokenUrl: fill(o2.tokenUrl),
      refreshUrl: fill(o2.refreshUrl ?? o2.tokenUrl),
      ...(o2.revoke ? { revokeUrl: fill(o2.revoke.url) } : {}),
      ...(o2.introspectUrl ? { introspectUrl: fill(o2.introspectUrl) } : {}),
      ...(o2.deviceAuthorizationUrl ? { deviceAuthorizationUrl: fill(o2.deviceAuthorizationUrl) } : {}),
    };
  }
  const o1 = spec.oauth1;
  if (o1) result.oauth1 = { requestTokenUrl: fill(o1.requestTokenUrl), authorizeUrl: fill(o1.authorizeUrl), accessTokenUrl: fill(o1.accessTokenUrl) };
  if (spec.api) result.api = { baseUrl: fill(spec.api.baseUrl) };
  if (spec.profile) result.profile = { url: fill(spec.profile.url) };
  return result;
}

function collectTemplates(value: unknown): string[] {
  if (typeof value === 'string') return templateNames(value);
  if (Array.isArray(value)) return value.flatMap(collectTemplates);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(collectTemplates);
  return [];
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}
