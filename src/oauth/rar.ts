/**
 * Rich Authorization Requests (RFC 9396): what the client asks for as `authorization_details`, a
 * JSON array of objects each naming its `type` (§2), sent on the authorization request (§3) or
 * pushed with it (RFC 9126), and what the server granted, in the token response (§7).
 */
import type { ProtocolCheck } from './outcome.js';

function types(details: unknown): string[] | undefined {
  if (!Array.isArray(details)) return undefined;
  return details.map((detail: unknown) => (detail !== null && typeof detail === 'object' && typeof (detail as { type?: unknown }).type === 'string' ? (detail as { type: string }).type : '?'));
}

/** §7: the token response names the authorization_details granted; what --verbose says of them. */
export function grantedDetailsCheck(asked: string, tokenResponse: Record<string, unknown>): ProtocolCheck {
  const askedTypes = types(JSON.parse(asked)) ?? [];
  const granted = types(tokenResponse.authorization_details);
  return {
    ok: granted !== undefined,
    name: 'authorization_details',
    detail:
      granted === undefined
        ? `asked ${askedTypes.join(', ')}; the token response names none granted (RFC 9396 §7 says it carries them)`
        : `asked ${askedTypes.join(', ')}; granted ${granted.join(', ') || 'none'}`,
    source: 'RFC 9396 §2, §7',
  };
}
