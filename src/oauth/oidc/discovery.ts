/**
 * Authorization server metadata: OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`)
 * and, for plain OAuth servers, RFC 8414 (`/.well-known/oauth-authorization-server`).
 */
import type { HttpClient } from '../http.js';
import { ProviderConfigurationError } from '../errors.js';

export interface ServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri?: string;
  userinfo_endpoint?: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  device_authorization_endpoint?: string;
  end_session_endpoint?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  response_modes_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  [other: string]: unknown;
}

/** Where the metadata of `issuer` lives. RFC 8414 §3.1 inserts the well-known part before the path. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

export async function discover(http: HttpClient, issuer: string): Promise<ServerMetadata> {
  let parsedIssuer: URL;
  try {
    parsedIssuer = new URL(issuer);
  } catch {
    throw new ProviderConfigurationError(`"${issuer}" is not a URL`, { kind: 'issuer-not-url' });
  }
  if (parsedIssuer.protocol !== 'https:' && !isLoopback(parsedIssuer.hostname)) {
    throw new ProviderConfigurationError(`the issuer ${issuer} is not https`, { kind: 'issuer-not-https' });
  }
  const failures: string[] = [];
  for (const url of metadataUrls(issuer)) {
    let response;
    try {
      response = await http({ method: 'GET', url, headers: { accept: 'application/json' }, purpose: 'discovery' });
    } catch (error) {
      throw new ProviderConfigurationError(`cannot read the discovery document of ${issuer}: ${(error as Error).message}`, { kind: 'discovery-unreachable' });
    }
    if (response.status !== 200) {
      failures.push(`${url} answered HTTP ${response.status}`);
      continue;
    }
    let metadata: ServerMetadata;
    try {
      metadata = JSON.parse(response.text) as ServerMetadata;
    } catch {
      failures.push(`${url} is not JSON`);
      continue;
    }
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      failures.push(`${url} is not a JSON object`);
      continue;
    }
    checkMetadata(metadata, issuer, url);
    return metadata;
  }
  throw new ProviderConfigurationError(`no discovery document for ${issuer}: ${failures.join('; ')}`, { kind: 'discovery-missing' });
}

function checkMetadata(metadata: ServerMetadata, issuer: string, url: string): void {
  // OpenID Connect Discovery §4.3 / RFC 8414 §3.3: the issuer in the document MUST be identical.
  if (metadata.issuer !== issuer && metadata.issuer !== issuer.replace(/\/+$/, '')) {
    throw new ProviderConfigurationError(`the discovery document at ${url} names the issuer "${String(metadata.issuer)}", not "${issuer}"`, {
      kind: 'discovery-issuer',
      advertised: String(metadata.issuer),
    });
  }
  for (const field of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof metadata[field] !== 'string') {
      throw new ProviderConfigurationError(`the discovery document at ${url} has no ${field}`, { kind: 'discovery-incomplete' });
    }
  }
}

export function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}
