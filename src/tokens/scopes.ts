/**
 * Re-consent with more or fewer scopes (`login --add-scopes` / `--remove-scopes`): the scopes of
 * the kept token (those granted, RFC 6749 §5.1 `scope`, else those asked for) with some added or
 * taken away, and afterwards what the provider granted of what was asked (§3.3: it may grant less).
 */
import { usageError } from '../util/errors.js';
import type { StoredToken } from './store.js';

export function splitScopes(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}

/** The scopes the kept token holds: granted when the provider said, else asked for. */
export function heldScopes(stored: StoredToken): string[] {
  return stored.token.scope !== undefined ? splitScopes(stored.token.scope) : stored.requestedScopes;
}

/** The union with `add`, then the difference with `remove`, in the order first seen. */
export function rescoped(held: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const scopes = [...new Set([...held, ...add])].filter((scope) => !remove.includes(scope));
  if (scopes.length === 0) {
    throw usageError('--remove-scopes would leave no scope to ask for', 'keep at least one scope, or log out instead: oauthd-cli logout <provider>');
  }
  return scopes;
}

/** What came of a request for `asked`: the scopes granted, and those asked for but not granted. */
export function grantedOf(asked: readonly string[], grantedScope: string | undefined): { granted: string[] | undefined; notGranted: string[] } {
  if (grantedScope === undefined) return { granted: undefined, notGranted: [] };
  const granted = splitScopes(grantedScope);
  return { granted, notGranted: asked.filter((scope) => !granted.includes(scope)) };
}
