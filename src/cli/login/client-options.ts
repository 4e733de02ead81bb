/**
 * `login`'s flags for the client's side of modern OAuth, read and checked before any browser
 * opens: --par (RFC 9126), --auth-method and --key (RFC 6749 §2.3, RFC 7523), --dpop (RFC 9449),
 * --resource (RFC 8707), --authorization-details (RFC 9396). Each problem is one line naming the
 * flag, the file or the metadata field, and exits 2.
 */
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { readFlagFile } from '../flag-file.js';
import { DpopProver } from '../../oauth/dpop.js';
import { readClientKey } from '../../oauth/keys.js';
import { certificateCheck, readClientCertificate } from '../../oauth/mtls.js';
import { ProviderConfigurationError } from '../../providers/errors.js';
import type { ProtocolCheck } from '../../oauth/outcome.js';
import type { ClientOptions } from '../../registry/client-options.js';
import type { BrokerProvider } from '../../registry/types.js';
import type { ClientAuthMethod } from '../../providers/schema.js';
import { configError, usageError } from '../../util/errors.js';

export interface ClientFlags {
  par?: boolean;
  authMethod?: ClientAuthMethod;
  key?: string;
  cert?: string;
  dpop?: boolean;
  resource?: string[];
  authorizationDetails?: string;
  requestObject?: boolean;
  responseMode?: 'query' | 'jwt';
}

/** True when any flag of this module was given (the device and client-credentials grants take only some). */
export function anyClientFlag(flags: ClientFlags): boolean {
  return (
    flags.par === true ||
    flags.authMethod !== undefined ||
    flags.key !== undefined ||
    flags.cert !== undefined ||
    flags.dpop === true ||
    flags.resource !== undefined ||
    flags.authorizationDetails !== undefined ||
    flags.requestObject === true ||
    flags.responseMode === 'jwt'
  );
}

/** The flags as the registry's ClientOptions: files read, JSON parsed, URIs checked. Nothing is sent. */
export async function readClientFlags(ctx: Context, flags: ClientFlags, report: (check: ProtocolCheck) => void): Promise<ClientOptions> {
  const options: ClientOptions = { report };
  if (flags.par) options.par = true;
  if (flags.authMethod !== undefined) options.authMethod = flags.authMethod;
  if (flags.cert !== undefined) {
    // RFC 8705: the certificate and its key, read and matched now (a key of another certificate
    // would fail in the TLS handshake, naming neither file).
    if (flags.key === undefined) throw usageError(`--cert ${flags.cert} needs --key FILE, the certificate's private key (PEM)`);
    const certFile = resolve(ctx.cwd, flags.cert);
    const keyFile = resolve(ctx.cwd, flags.key);
    const [certText, keyText] = await Promise.all([readFlagFile(certFile, `--cert ${flags.cert}`, 'give the PEM file of the client certificate'), readFlagFile(keyFile, `--key ${flags.key}`, "give the PEM file of the certificate's private key")]);
    try {
      options.certificate = readClientCertificate(certText, `--cert ${flags.cert}`, keyText, `--key ${flags.key}`);
    } catch (error) {
      if (error instanceof ProviderConfigurationError) throw usageError(error.message, 'give the PEM certificate registered for this client and its own private key');
      throw error;
    }
    options.certificateRefs = { cert: `file:${certFile}`, key: `file:${keyFile}` };
    report(certificateCheck(options.certificate, flags.authMethod));
    // The same key signs client assertions and request objects when those are asked too.
    if (flags.authMethod === 'private_key_jwt' || flags.requestObject === true) options.key = await readClientKey(keyText, `--key ${flags.key}`);
  } else if (flags.key !== undefined) {
    const text = await readFlagFile(resolve(ctx.cwd, flags.key), `--key ${flags.key}`, 'give the PEM or JWK file of the client\'s private key');
    options.key = await readClientKey(text, `--key ${flags.key}`);
    report({ ok: true, name: 'client key', detail: `${options.key.alg} from --key ${flags.key}${options.key.kid !== undefined ? `, kid ${options.key.kid}` : ''}`, source: 'RFC 7523 §2.2' });
  }
  if (flags.resource !== undefined) options.resource = flags.resource.map(checkResource);
  if (flags.authorizationDetails !== undefined) options.authorizationDetails = await readAuthorizationDetails(ctx, flags.authorizationDetails);
  if (flags.requestObject) options.requestObject = true;
  if (flags.responseMode === 'jwt') options.jarm = true;
  return options;
}

/** RFC 8707 §2: "an absolute URI ... MUST NOT include a fragment component". */
export function checkResource(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--resource ${value}: not an absolute URI`, 'give the resource as an absolute URI, e.g. --resource https://api.example.com/ (RFC 8707 §2)');
  }
  if (url.hash !== '' || value.includes('#')) throw usageError(`--resource ${value}: a resource URI has no fragment (RFC 8707 §2)`, 'drop the #… part');
  return value;
}

/** RFC 9396 §2: a JSON array of objects, each with a string "type"; from the flag, or @FILE. */
async function readAuthorizationDetails(ctx: Context, value: string): Promise<string> {
  let text = value;
  const source = value.startsWith('@') ? value.slice(1) : undefined;
  if (source !== undefined) {
    text = await readFlagFile(resolve(ctx.cwd, source), `--authorization-details @${source}`, 'give the JSON file of the authorization details, e.g. --authorization-details @details.json');
  }
  const where = source !== undefined ? `--authorization-details @${source}` : '--authorization-details';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`${where} is not JSON (${(error as Error).message})`, 'give a JSON array: --authorization-details \'[{"type":"payment_initiation", ...}]\' or @file.json');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw usageError(`${where} must be a non-empty JSON array of objects (RFC 9396 §2)`);
  parsed.forEach((entry: unknown, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || typeof (entry as { type?: unknown }).type !== 'string') {
      throw usageError(`${where}: element ${index} has no string "type" (RFC 9396 §2: type is REQUIRED)`);
    }
  });
  return JSON.stringify(parsed);
}

/**
 * What the provider must offer for the options (its description, keyset and metadata), checked
 * before the browser opens; then the DPoP key is made for the algorithms it takes.
 */
export async function checkClientOptions(provider: BrokerProvider, options: ClientOptions, flags: ClientFlags, report: (check: ProtocolCheck) => void): Promise<void> {
  const oauth2 = provider.resolved.oauth2;
  const id = provider.resolved.id;
  if (!oauth2) {
    if (anyClientFlag(flags) || options.dpop) throw usageError(`${provider.resolved.name} speaks OAuth 1.0a only; --par, --dpop, --auth-method, --cert, --resource and --authorization-details are OAuth 2`);
    return;
  }
  const metadata = (await provider.openid().catch(() => undefined))?.metadata;
  if (oauth2.par && oauth2.parUrl === undefined) {
    throw configError(
      `--par: ${provider.resolved.name} has no pushed authorization request endpoint (its metadata has no pushed_authorization_request_endpoint)`,
      `drop --par, or refresh its discovery document: oauthd-cli providers add ${id} --issuer <issuer>`,
    );
  }
  const method = oauth2.clientAuth;
  if (method === 'private_key_jwt' && provider.clientKey === undefined) {
    throw usageError('--auth-method private_key_jwt needs the client\'s private key', `give it: --key FILE (PEM or JWK), or set clientKey in the ${id} keyset (env:VAR or keychain:NAME)`);
  }
  if ((method === 'client_secret_jwt' || method === 'client_secret_basic' || method === 'client_secret_post') && flags.authMethod !== undefined && (await provider.clientSecret()) === undefined) {
    throw usageError(`--auth-method ${method} needs a client secret, and the ${id} keyset has none`, `add one: oauthd-cli providers add ${id} --client-secret-env VAR`);
  }
  const supported = metadata?.token_endpoint_auth_methods_supported;
  if (flags.authMethod !== undefined && Array.isArray(supported) && !supported.includes(flags.authMethod)) {
    throw configError(`--auth-method ${flags.authMethod}: the server's token_endpoint_auth_methods_supported lists only ${supported.join(', ')}`, 'pick one of those');
  }
  if (flags.authMethod !== undefined && provider.clients !== undefined && provider.clients[flags.authMethod] === undefined) {
    // A provider with one registered client per method (the sandbox) has none for this one.
    throw configError(`--auth-method ${flags.authMethod}: ${provider.resolved.name} registers no client for it (it has: ${Object.keys(provider.clients).join(', ')})`, 'pick one of those');
  }
  if ((method === 'tls_client_auth' || method === 'self_signed_tls_client_auth') && provider.clientCertificate === undefined) {
    throw usageError(
      `${flags.authMethod !== undefined ? `--auth-method ${method}` : `${id} authenticates with ${method}, which`} needs the client certificate (RFC 8705 §2)`,
      `give it: --cert FILE --key FILE (PEM), or set clientCert and clientKey in the ${id} keyset (file:PATH, env:VAR or keychain:NAME)`,
    );
  }
  if (options.certificate === undefined && provider.clientCertificate !== undefined) {
    // The keyset's certificate, read and matched with its key now: a problem is said before the browser opens.
    const certificate = await provider.clientCertificate();
    if (certificate !== undefined) report(certificateCheck(certificate, method));
  }
  const types = oauth2.authorizationDetailsTypes ?? (metadata?.authorization_details_types_supported as string[] | undefined);
  if (oauth2.authorizationDetails !== undefined && Array.isArray(types)) {
    for (const detail of JSON.parse(oauth2.authorizationDetails) as Array<{ type: string }>) {
      if (!types.includes(detail.type)) {
        throw configError(`--authorization-details: the type "${detail.type}" is not in the server's authorization_details_types_supported (${types.join(', ') || 'none'})`, 'use one of those types (RFC 9396 §10)');
      }
    }
  }
  if ((oauth2.dpop || flags.dpop === true) && options.dpop === undefined) {
    // RFC 9449 §5.1: the server names the algorithms it takes for proofs.
    const algs = oauth2.dpopAlgs ?? (metadata?.dpop_signing_alg_values_supported as string[] | undefined);
    if (flags.dpop && algs === undefined && metadata !== undefined) {
      throw configError(`--dpop: ${provider.resolved.name}'s metadata has no dpop_signing_alg_values_supported: it does not take DPoP proofs (RFC 9449 §5.1)`, 'drop --dpop');
    }
    options.dpop = await DpopProver.generate(algs);
    options.dpop.report = report;
    report({ ok: true, name: 'DPoP key', detail: `a fresh ${options.dpop.alg} key for this login (jkt ${options.dpop.thumbprint}), kept beside the token`, source: 'RFC 9449 §2, §6.1' });
  }
  if (oauth2.requestObject && provider.clientKey === undefined) {
    throw usageError('--request-object is signed with the client\'s private key, and none was given', `give it: --key FILE (PEM or JWK), or set clientKey in the ${id} keyset (env:VAR or keychain:NAME)`);
  }
  const requestAlgs = metadata?.request_object_signing_alg_values_supported as string[] | undefined;
  if (oauth2.requestObject && Array.isArray(requestAlgs) && provider.clientKey !== undefined) {
    const key = await provider.clientKey();
    if (key && !requestAlgs.includes(key.alg)) {
      throw configError(`--request-object: the key signs with ${key.alg}, which the server's request_object_signing_alg_values_supported (${requestAlgs.join(', ')}) does not list`, 'give a key of a type the server takes');
    }
  }
  if (oauth2.jarm) {
    // JARM: the response is verified with the issuer's keys, and the server must offer the mode.
    if (provider.resolved.issuer === undefined) throw configError(`--response-mode jwt: ${provider.resolved.name} is no OpenID provider, so there are no issuer keys to verify the response with`, 'drop --response-mode jwt');
    const modes = metadata?.response_modes_supported;
    if (Array.isArray(modes) && !modes.includes('jwt')) {
      throw configError(`--response-mode jwt: the server's response_modes_supported (${modes.join(', ')}) has no "jwt" (JARM)`, 'drop --response-mode jwt');
    }
  }
  if (options.key === undefined && provider.clientKey !== undefined && method === 'private_key_jwt') {
    // The keyset's key, read now: a missing or unreadable secret is said before the browser opens.
    await provider.clientKey();
  }
}
