/**
 * `login --client-credentials`: a machine-to-machine token (RFC 6749 §4.4), no user and no browser.
 */
import { directGrantFacts, type FlowSuccess } from '../../oauth/outcome.js';
import type { BrokerProvider } from '../../registry/types.js';
import { clientOf } from '../../registry/client.js';
import { clientCredentialsGrant } from '../../oauth/client-credentials.js';
import type { HttpClient } from '../../oauth/http.js';
import type { Clock } from '../factory.js';
import { usageError } from '../../util/errors.js';

export async function clientCredentialsFlow(http: HttpClient, clock: Clock, provider: BrokerProvider, scopes: string[]): Promise<FlowSuccess> {
  const resolved = provider.resolved;
  if (!resolved.oauth2) {
    throw usageError(`${resolved.name} speaks OAuth 1.0a only; it has no client credentials grant`);
  }
  const result = await clientCredentialsGrant(http, resolved.oauth2, await clientOf(provider), scopes);
  return {
    ok: true,
    facts: directGrantFacts(resolved.id, 'client_credentials', scopes),
    token: result.token,
    raw: result.raw,
    deviations: result.deviations,
    obtainedAt: clock.now(),
  };
}
