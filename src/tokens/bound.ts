/**
 * The HTTP client for calls that present a kept token to a resource (userinfo, the provider's
 * API), as the token's binding requires: a DPoP-bound token with a proof made with the key kept
 * beside it (RFC 9449 §7), a certificate-bound one over a connection that shows the certificate it
 * is bound to (RFC 8705 §3). A token bound to neither goes as it is.
 */
import { dpopHttp } from '../oauth/dpop.js';
import type { HttpClient } from '../oauth/http.js';
import { certificateHttp } from '../oauth/mtls.js';
import type { BrokerProvider } from '../registry/types.js';

export async function boundTokenHttp(http: HttpClient, provider: BrokerProvider, accessToken: string): Promise<HttpClient> {
  const certificate = await provider.clientCertificate?.();
  const withCertificate = certificate !== undefined ? certificateHttp(http, certificate) : http;
  return provider.dpop ? dpopHttp(withCertificate, provider.dpop, accessToken) : withCertificate;
}
