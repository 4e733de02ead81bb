/**
 * `oauthd-cli providers register <issuer>`: dynamic client registration (RFC 7591). The
 * registration endpoint comes from the issuer's metadata; the client is registered with the
 * loopback redirect URI `login` uses (RFC 8252 §7.3, application_type "native"); its secret and
 * its registration access token (RFC 7592) go to the vault, and oauthd.json (with --save) holds
 * only references to them, so `login <id>` works at once and `providers unregister <id>` can delete
 * the client later. With private_key_jwt (RFC 7523) the client's key comes from --key: its public
 * part is registered by value (RFC 7591 §2 jwks, with its kid and alg) and the private key goes to
 * the vault, where the keyset's clientKey names it. With mTLS (RFC 8705) the certificate comes from
 * --cert (and its key from --key): tls_client_auth registers its subject DN (§2.1.2),
 * self_signed_tls_client_auth the certificate itself (§2.2.2, a JWK with x5c); the keyset names
 * both files (file: references), as `login --cert --key` keeps them.
 */
import { resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { Context } from '../context.js';
import { readFlagFile } from '../flag-file.js';
import { Ui } from '../ui.js';
import { readAll } from '../stdin.js';
import { openUserVault } from '../vault.js';
import { cacheable } from './providers-add.js';
import { REGISTERED_AUTH_METHODS, type ProvidersRegisterFlags } from './providers-register.flags.js';
import { DEFAULT_BROKER_PORT, locateConfig, missingConfigError, readConfig, saveConfig } from '../../config/load.js';
import type { Keyset } from '../../config/schema.js';
import { vaultAccountForSecret } from '../../config/secrets.js';
import { discover, type ServerMetadata } from '../../oauth/oidc/discovery.js';
import { deleteClient, registerClient, type ClientMetadata, type RegisteredClient } from '../../oauth/registration.js';
import { CIBA_GRANT_TYPE, POLL_MODE } from '../../oauth/ciba.js';
import { DEVICE_CODE_GRANT_TYPE } from '../../oauth/device.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { describeBackend, type SecretBackend } from '../../vault/backend.js';
import { readClientKey } from '../../oauth/keys.js';
import { readClientCertificate } from '../../oauth/mtls.js';
import { ProviderConfigurationError } from '../../providers/errors.js';
import { configError, usageError } from '../../util/errors.js';

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Where a registered client's secrets rest: `keychain:<name>` references name these vault entries. */
export function registrationRefs(name: string): RegistrationRefs {
  return { secret: name, registrationToken: `${name}.registration`, key: `${name}.key` };
}

type RegistrationRefs = { secret: string; registrationToken: string; key: string };

/** private_key_jwt: what goes to the provider (the public JWK) and what stays in the vault (the private one). */
interface RegistrationKey {
  publicJwk: JWK & { kid: string; alg: string };
  /** The private key as a JWK with the same kid and alg, so the assertion's header names the registered key. */
  privateJwk: string;
}

/** RFC 8705: the certificate registered, and the files the keyset names (absolute paths). */
interface RegistrationCertificate {
  certFile: string;
  keyFile: string;
  /** §2.1.2 tls_client_auth_subject_dn: the subject as an RFC 4514 string. */
  subjectDn: string;
  /** §2.2.2: the certificate as a JWK (its public key, x5c, x5t#S256), for self_signed_tls_client_auth. */
  jwk: JWK;
}

const MTLS_METHODS: readonly string[] = ['tls_client_auth', 'self_signed_tls_client_auth'];

export async function run(ctx: Context, issuer: string, options: ProvidersRegisterFlags): Promise<void> {
  const ui = new Ui(ctx);
  const id = options.save;
  if (id !== undefined && !ID.test(id)) throw usageError(`--save "${id}" is not a provider id`, 'use lower-case letters, digits, "-" and "_"');
  if (id === SANDBOX_ID) throw usageError('"sandbox" is the built-in provider\'s id', 'save the registered client under another id: --save mysb');
  if (options.initialAccessToken !== undefined && options.initialAccessTokenStdin) {
    throw usageError('give the initial access token one way: --initial-access-token or --initial-access-token-stdin, not both');
  }
  const redirectUris = options.redirectUri ?? [];
  for (const uri of redirectUris) checkRedirectUri(uri);
  const certificate = await readRegistrationCertificate(ctx, options);
  const key = certificate === undefined ? await readRegistrationKey(ctx, options) : undefined;

  // Everything that can be refused here is refused before the provider sees a request.
  const target = locateConfig(ctx);
  const loaded = await readConfig(target.path);
  if (id !== undefined && !loaded) throw missingConfigError(target, ctx.cwd);
  if (id !== undefined && loaded?.config.providers[id]) {
    throw usageError(`${id} is a keyset of ${target.path} already`, `pick another id, or remove that one first: oauthd-cli providers unregister ${id} (a registered client) or edit the file`);
  }
  const initialAccessToken = options.initialAccessTokenStdin ? await readToken(ctx) : options.initialAccessToken;
  // The vault is opened first: a client registered with nowhere to keep its secret would be lost.
  const vault = await openUserVault(ctx, ui);

  const http = ctx.factory.http();
  ui.info(`Reading the discovery document of ${issuer}…`);
  const metadata = await discover(http, issuer);
  const endpoint = metadata.registration_endpoint;
  if (typeof endpoint !== 'string' || endpoint === '') {
    throw configError(`${issuer} has no registration endpoint (its metadata has no registration_endpoint)`, 'register a client in the provider\'s console, then: oauthd-cli providers add <id> --issuer … --client-id …');
  }
  const supported = metadata.token_endpoint_auth_methods_supported;
  if (Array.isArray(supported) && !supported.includes(options.authMethod)) {
    throw configError(`--auth-method ${options.authMethod}: the server's token_endpoint_auth_methods_supported lists only ${supported.join(', ')}`, 'pick one of those');
  }
  const signingAlgs = metadata.token_endpoint_auth_signing_alg_values_supported;
  if (key !== undefined && Array.isArray(signingAlgs) && !signingAlgs.includes(key.publicJwk.alg)) {
    throw configError(
      `--key ${options.key}: a ${key.publicJwk.alg} key, and the server's token_endpoint_auth_signing_alg_values_supported lists only ${signingAlgs.join(', ')}`,
      'give a key of one of those types (RSA for RS256/PS256, EC P-256 for ES256, Ed25519 for EdDSA)',
    );
  }
  const port = loaded?.config.broker.port || DEFAULT_BROKER_PORT;
  const request = clientMetadata(metadata, options, redirectUris.length > 0 ? redirectUris : [`http://127.0.0.1:${port}/auth`], key, certificate);

  ui.info(`Registering a client at ${endpoint}…`);
  const registered = await registerClient(http, endpoint, request, initialAccessToken);
  const name = id ?? `registered.${registered.client_id.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 100)}`;
  const refs = registrationRefs(name);
  try {
    if (registered.client_secret !== undefined) await vault.set(vaultAccountForSecret(refs.secret), registered.client_secret);
    if (registered.registration_access_token !== undefined) await vault.set(vaultAccountForSecret(refs.registrationToken), registered.registration_access_token);
    if (key !== undefined) await vault.set(vaultAccountForSecret(refs.key), key.privateJwk);
    if (id !== undefined && loaded) {
      loaded.config.providers[id] = keysetOf(registered, metadata, issuer, request, refs, ctx.factory.clock.now(), key !== undefined, certificate);
      await saveConfig(loaded.path, loaded.config);
    }
  } catch (error) {
    // Nothing half-done: the client is deleted again where the server lets us (RFC 7592 §2.3).
    await undo(http, vault, registered, refs);
    throw error;
  }

  const secretRef = registered.client_secret !== undefined ? `keychain:${refs.secret}` : undefined;
  const tokenRef = registered.registration_access_token !== undefined ? `keychain:${refs.registrationToken}` : undefined;
  const keyRef = key !== undefined ? `keychain:${refs.key}` : undefined;
  if (options.json) {
    ui.json({
      ...(id !== undefined ? { provider: id } : {}),
      issuer: metadata.issuer,
      client_id: registered.client_id,
      ...(secretRef ? { client_secret: secretRef } : {}),
      ...(registered.client_id_issued_at !== undefined ? { client_id_issued_at: registered.client_id_issued_at } : {}),
      ...(registered.client_secret_expires_at !== undefined ? { client_secret_expires_at: registered.client_secret_expires_at } : {}),
      ...(tokenRef ? { registration_access_token: tokenRef } : {}),
      ...(registered.registration_client_uri ? { registration_client_uri: registered.registration_client_uri } : {}),
      ...registered.metadata,
      // Not an RFC 7591 member: where the private key of the registered jwks rests (never the key).
      ...(keyRef ? { client_key: keyRef } : {}),
    });
    return;
  }
  const granted = registered.metadata;
  ui.result(
    [
      `${ui.out.green('✓')} Registered client ${registered.client_id} at ${metadata.issuer}`,
      `  client secret   ${secretRef ? `kept in ${describeBackend(vault)} (${secretRef})${expiry(registered.client_secret_expires_at)}` : key ? 'none (it signs assertions with its key)' : certificate ? 'none (it shows its certificate)' : 'none (a public client)'}`,
      ...(key && keyRef ? [`  client key      ${key.publicJwk.alg}, kid ${key.publicJwk.kid}: the public JWK registered, the private key kept in ${describeBackend(vault)} (${keyRef})`] : []),
      ...(certificate
        ? [`  certificate     ${certificate.subjectDn}, x5t#S256 ${String(certificate.jwk['x5t#S256'])}: ${options.authMethod === 'tls_client_auth' ? 'its subject DN' : 'the certificate'} registered; the keyset names ${certificate.certFile} and ${certificate.keyFile}`]
        : []),
      `  auth method     ${String(granted.token_endpoint_auth_method ?? request.token_endpoint_auth_method)}`,
      `  redirect URIs   ${(Array.isArray(granted.redirect_uris) ? granted.redirect_uris : request.redirect_uris).join(' ')}`,
      `  grant types     ${(Array.isArray(granted.grant_types) ? granted.grant_types : request.grant_types).join(' ')}`,
      `  management      ${tokenRef && registered.registration_client_uri ? `RFC 7592 at ${registered.registration_client_uri}, its token in the vault (${tokenRef})` : 'none offered (the provider gave no registration access token)'}`,
      ...(id !== undefined ? [`  saved as        ${id} in ${loaded?.path}`, '', `Next: oauthd-cli login ${id}`] : ['', `Keep it as a provider next time with --save <id>; its secrets stay in the vault under ${refs.secret}.`]),
    ].join('\n'),
  );
}

/** RFC 7591 §2: the client login needs: the code flow with a refresh token, and what else the server offers that the CLI speaks. */
function clientMetadata(metadata: ServerMetadata, options: ProvidersRegisterFlags, redirectUris: string[], key: RegistrationKey | undefined, certificate: RegistrationCertificate | undefined): ClientMetadata {
  const grants = ['authorization_code', 'refresh_token'];
  const offered = metadata.grant_types_supported;
  const confidential = options.authMethod !== 'none';
  if (metadata.device_authorization_endpoint && offered?.includes(DEVICE_CODE_GRANT_TYPE)) grants.push(DEVICE_CODE_GRANT_TYPE);
  // OpenID CIBA Core §4: poll mode, for a client that can authenticate (§7.1 requires it).
  const cibaModes = metadata.backchannel_token_delivery_modes_supported;
  const ciba = confidential && typeof metadata.backchannel_authentication_endpoint === 'string' && offered?.includes(CIBA_GRANT_TYPE) && Array.isArray(cibaModes) && cibaModes.includes(POLL_MODE);
  if (ciba) grants.push(CIBA_GRANT_TYPE);
  return {
    client_name: options.clientName ?? 'oauthd-cli',
    // OIDC Registration §2: a client on the user's machine, redirected to loopback (RFC 8252 §7.3).
    application_type: redirectUris.every(isLoopback) ? 'native' : 'web',
    redirect_uris: redirectUris,
    token_endpoint_auth_method: options.authMethod,
    grant_types: grants,
    response_types: ['code'],
    ...(options.scope !== undefined ? { scope: options.scope.split(/\s+/).filter(Boolean).join(' ') } : {}),
    ...(ciba ? { backchannel_token_delivery_mode: POLL_MODE } : {}),
    // RFC 7591 §2 jwks (public parts only), and OIDC Registration §2's algorithm the assertions use.
    ...(key ? { jwks: { keys: [key.publicJwk] }, token_endpoint_auth_signing_alg: key.publicJwk.alg } : {}),
    // RFC 8705 §2.1.2: the subject the server's CA vouches for; §2.2.2: the self-signed certificate itself.
    ...(certificate && options.authMethod === 'tls_client_auth' ? { tls_client_auth_subject_dn: certificate.subjectDn } : {}),
    ...(certificate && options.authMethod === 'self_signed_tls_client_auth' ? { jwks: { keys: [certificate.jwk as Record<string, unknown>] } } : {}),
  };
}

function keysetOf(
  registered: RegisteredClient,
  metadata: ServerMetadata,
  issuer: string,
  request: ClientMetadata,
  refs: RegistrationRefs,
  now: number,
  hasKey: boolean,
  certificate: RegistrationCertificate | undefined,
): Keyset {
  const method = registered.metadata.token_endpoint_auth_method ?? request.token_endpoint_auth_method;
  const keyset: Keyset = {
    clientId: registered.client_id,
    issuer,
    discovered: cacheable(metadata, now),
    ...(registered.client_secret !== undefined ? { clientSecret: `keychain:${refs.secret}` } : {}),
    ...(typeof method === 'string' && (REGISTERED_AUTH_METHODS as readonly string[]).includes(method) ? { authMethod: method as Keyset['authMethod'] } : {}),
    ...(hasKey ? { clientKey: `keychain:${refs.key}` } : {}),
    ...(certificate ? { clientCert: `file:${certificate.certFile}`, clientKey: `file:${certificate.keyFile}` } : {}),
    ...(request.scope !== undefined ? { scope: request.scope.split(' ') } : {}),
  };
  if (registered.registration_access_token !== undefined && registered.registration_client_uri !== undefined) {
    keyset.registration = { clientUri: registered.registration_client_uri, accessToken: `keychain:${refs.registrationToken}` };
  }
  return keyset;
}

async function undo(http: ReturnType<Context['factory']['http']>, vault: SecretBackend, registered: RegisteredClient, refs: RegistrationRefs): Promise<void> {
  if (registered.registration_client_uri && registered.registration_access_token) {
    await deleteClient(http, registered.registration_client_uri, registered.registration_access_token).catch(() => undefined);
  }
  await vault.delete(vaultAccountForSecret(refs.secret)).catch(() => false);
  await vault.delete(vaultAccountForSecret(refs.registrationToken)).catch(() => false);
  await vault.delete(vaultAccountForSecret(refs.key)).catch(() => false);
}

/**
 * --cert and --key for tls_client_auth and self_signed_tls_client_auth (RFC 8705 §2), read and
 * matched before anything is sent; undefined for the other methods (which take no --cert).
 */
async function readRegistrationCertificate(ctx: Context, options: ProvidersRegisterFlags): Promise<RegistrationCertificate | undefined> {
  if (!MTLS_METHODS.includes(options.authMethod)) {
    if (options.cert !== undefined) throw usageError(`--cert goes with --auth-method tls_client_auth or self_signed_tls_client_auth (not ${options.authMethod})`, 'add one of those, or drop --cert');
    return undefined;
  }
  if (options.cert === undefined || options.key === undefined) {
    throw usageError(`--auth-method ${options.authMethod} needs --cert FILE --key FILE: the client certificate (PEM) to register and its private key`, 'e.g. openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=my-client -keyout client.key -out client.crt');
  }
  const certFile = resolve(ctx.cwd, options.cert);
  const keyFile = resolve(ctx.cwd, options.key);
  const [certText, keyText] = await Promise.all([
    readFlagFile(certFile, `--cert ${options.cert}`, 'give the PEM file of the client certificate'),
    readFlagFile(keyFile, `--key ${options.key}`, 'give the PEM file of the certificate\'s private key'),
  ]);
  let read: ReturnType<typeof readClientCertificate>;
  try {
    read = readClientCertificate(certText, `--cert ${options.cert}`, keyText, `--key ${options.key}`);
  } catch (error) {
    if (error instanceof ProviderConfigurationError) throw usageError(error.message, 'give the PEM certificate to register and its own private key');
    throw error;
  }
  const x509 = new X509Certificate(read.certPem);
  const publicJwk = await exportJWK(x509.publicKey);
  return {
    certFile,
    keyFile,
    subjectDn: rfc4514(x509.subject),
    // RFC 7517 §4.7 x5c (base64 DER, not url-safe), §4.9 x5t#S256.
    jwk: { ...publicJwk, kid: read.thumbprint, x5c: [x509.raw.toString('base64')], 'x5t#S256': read.thumbprint },
  };
}

/** RFC 4514 §2.1: the RDNs last to first, joined by commas (Node lists them first to last, a line each). */
function rfc4514(subject: string): string {
  return subject.split('\n').filter(Boolean).reverse().join(',');
}

/**
 * --key for private_key_jwt (RFC 7523 §2.2): read and checked before anything is sent. A key
 * without a kid gets its RFC 7638 thumbprint as one, so the assertions name the key registered.
 */
async function readRegistrationKey(ctx: Context, options: ProvidersRegisterFlags): Promise<RegistrationKey | undefined> {
  if (options.key === undefined) {
    if (options.authMethod === 'private_key_jwt') {
      throw usageError('--auth-method private_key_jwt needs --key FILE: the client\'s private key, whose public part is registered', 'make one: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.pem');
    }
    return undefined;
  }
  if (options.authMethod !== 'private_key_jwt') throw usageError(`--key goes with --auth-method private_key_jwt (not ${options.authMethod})`, 'add --auth-method private_key_jwt, or drop --key');
  const source = `--key ${options.key}`;
  const text = await readFlagFile(resolve(ctx.cwd, options.key), source, 'give the PEM or JWK file of the client\'s private key');
  let read: Awaited<ReturnType<typeof readClientKey>>;
  try {
    read = await readClientKey(text, source);
  } catch (error) {
    if (error instanceof ProviderConfigurationError) throw usageError(error.message, 'give the private key (PEM "PRIVATE KEY", or a JWK with "d"); only its public part is sent');
    throw error;
  }
  const kid = read.kid ?? (await calculateJwkThumbprint(read.publicJwk));
  const { use: _use, key_ops: _ops, ...privateJwk } = await exportJWK(read.privateKey);
  return {
    publicJwk: { ...read.publicJwk, kid, alg: read.alg, use: 'sig' },
    privateJwk: JSON.stringify({ ...privateJwk, kid, alg: read.alg }),
  };
}

function expiry(expiresAt: number | undefined): string {
  return expiresAt !== undefined && expiresAt > 0 ? `, expires ${new Date(expiresAt * 1000).toISOString()}` : '';
}

function isLoopback(uri: string): boolean {
  const host = new URL(uri).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw usageError(`--redirect-uri ${uri}: not an absolute URI`, 'e.g. --redirect-uri http://127.0.0.1:6284/auth');
  }
  // RFC 6749 §3.1.2: no fragment.
  if (url.hash !== '' || uri.includes('#')) throw usageError(`--redirect-uri ${uri}: a redirect URI has no fragment (RFC 6749 §3.1.2)`);
}

async function readToken(ctx: Context): Promise<string> {
  const text = (await readAll(ctx.stdin)).trim();
  if (text === '') throw usageError('--initial-access-token-stdin read nothing', 'pipe the token in: printf %s "$TOKEN" | oauthd-cli providers register …');
  return text;
}
