/**
 * `oauthd-cli providers unregister <id>`: deletes a client that `providers register --save <id>`
 * made, at its registration_client_uri with its registration access token (RFC 7592 §2.3), then
 * its keyset in oauthd.json and its secrets in the vault.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { openRegisteredClient } from '../registered-client.js';
import type { ProvidersUnregisterFlags } from './providers-unregister.flags.js';
import { saveConfig } from '../../config/load.js';
import { parseSecretRef, vaultAccountForSecret } from '../../config/secrets.js';
import { deleteClient } from '../../oauth/registration.js';
import { ProviderError } from '../../oauth/errors.js';
import { describeBackend } from '../../vault/backend.js';

export async function run(ctx: Context, id: string, options: ProvidersUnregisterFlags): Promise<void> {
  const ui = new Ui(ctx);
  const { loaded, keyset, registration, vault, token } = await openRegisteredClient(ctx, ui, id, {
    cannot: 'there is nothing to delete at the provider',
    hint: (configPath) => `delete the client in the provider's console, and the keyset from ${configPath} by hand`,
  });
  try {
    await deleteClient(ctx.factory.http(), registration.clientUri, token);
    ui.info(`Deleted client ${keyset.clientId} at ${registration.clientUri}.`);
  } catch (error) {
    // RFC 7592 §2.3: a client the server no longer has is answered 401, like a token it refuses.
    if (!options.forget || !(error instanceof ProviderError)) throw error;
    ui.warn(`the provider refused the delete (${error.message}); forgetting ${id} here anyway (--forget)`);
  }
  // The vault entries the keyset's references name (keychain: only; env: variables are not ours).
  for (const reference of [keyset.clientSecret, registration.accessToken, keyset.clientKey]) {
    if (reference === undefined || reference.startsWith('file:')) continue;
    const ref = parseSecretRef(reference);
    if (ref.kind === 'keychain') await vault.delete(vaultAccountForSecret(ref.name));
  }
  delete loaded.config.providers[id];
  await saveConfig(loaded.path, loaded.config);
  ui.result(`${ui.out.green('✓')} Unregistered ${id}: the client is gone at the provider${options.forget ? ' (or was already)' : ''}, its keyset from ${loaded.path} and its secrets from ${describeBackend(vault)}`);
}
