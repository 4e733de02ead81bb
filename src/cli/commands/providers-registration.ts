/**
 * `oauthd-cli providers registration <id>`: the client configuration endpoint (RFC 7592) of a
 * client that `providers register --save <id>` made. Without an update flag it reads the client's
 * configuration (§2.1); with one it sends the whole metadata back with the change (§2.2: what is
 * left out is deleted at the server, so the read comes first). Both answers may carry a new client
 * secret or registration access token (§2.1, §2.2, §3: the server may rotate them, and the old
 * ones stop working): they replace the old ones in the vault at once, before anything is printed.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { openRegisteredClient } from '../registered-client.js';
import { checkRedirectUri, registrationRefs } from './providers-register.js';
import type { ProvidersRegistrationFlags } from './providers-registration.flags.js';
import { saveConfig } from '../../config/load.js';
import type { Keyset } from '../../config/schema.js';
import { parseSecretRef, resolveSecret, vaultAccountForSecret } from '../../config/secrets.js';
import { readClient, updateClient, type RegisteredClient } from '../../oauth/registration.js';
import { describeBackend, type SecretBackend } from '../../vault/backend.js';
import { usageError } from '../../util/errors.js';

export async function run(ctx: Context, id: string, options: ProvidersRegistrationFlags): Promise<void> {
  const ui = new Ui(ctx);
  const changes = requestedChanges(options);
  const { loaded, keyset, registration, vault, token } = await openRegisteredClient(ctx, ui, id, {
    cannot: 'it has no client configuration endpoint here',
    hint: () => `see or change the client in the provider's console, or register one: oauthd-cli providers register <issuer> --save <id>`,
  });
  const http = ctx.factory.http();

  ui.info(`Reading client ${keyset.clientId} at ${registration.clientUri}…`);
  let current = token;
  let client = await readClient(http, registration.clientUri, current);
  const rotated = new Set(await keepRotated(vault, id, keyset, client, current, ctx.env));
  current = client.registration_access_token ?? current;
  if (changes !== undefined) {
    ui.info(`Updating client ${keyset.clientId}: ${Object.keys(changes).join(', ')}…`);
    client = await updateClient(http, registration.clientUri, current, client.client_id, { ...client.metadata, ...changes });
    for (const what of await keepRotated(vault, id, keyset, client, current, ctx.env)) rotated.add(what);
  }
  // The keyset follows what the server now holds: where the references moved, and the scope login asks.
  let keysetChanged = rotated.size > 0;
  if (changes !== undefined && 'scope' in changes) {
    // What the server registered; what was asked where it does not say.
    const registered = typeof client.metadata.scope === 'string' ? client.metadata.scope : typeof changes.scope === 'string' ? changes.scope : '';
    const scope = registered.split(' ').filter(Boolean);
    if (scope.length > 0) keyset.scope = scope;
    else delete keyset.scope;
    keysetChanged = true;
  }
  if (keysetChanged) await saveConfig(loaded.path, loaded.config);

  if (options.json) {
    ui.json({
      provider: id,
      client_id: client.client_id,
      ...(keyset.clientSecret !== undefined && client.client_secret !== undefined ? { client_secret: keyset.clientSecret } : {}),
      ...(client.client_id_issued_at !== undefined ? { client_id_issued_at: client.client_id_issued_at } : {}),
      ...(client.client_secret_expires_at !== undefined ? { client_secret_expires_at: client.client_secret_expires_at } : {}),
      registration_access_token: keyset.registration?.accessToken ?? registration.accessToken,
      registration_client_uri: client.registration_client_uri ?? registration.clientUri,
      ...client.metadata,
    });
    return;
  }
  const metadata = client.metadata;
  const list = (value: unknown) => (Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '—');
  ui.result(
    [
      `${ui.out.green('✓')} ${changes !== undefined ? 'Updated' : 'Registered'} client ${client.client_id} (${id}) at ${registration.clientUri}`,
      `  client name     ${list(metadata.client_name)}`,
      `  auth method     ${list(metadata.token_endpoint_auth_method)}`,
      `  redirect URIs   ${list(metadata.redirect_uris)}`,
      `  grant types     ${list(metadata.grant_types)}`,
      `  scope           ${list(metadata.scope)}`,
      ...(Array.isArray((metadata.jwks as { keys?: unknown } | undefined)?.keys) ? [`  keys            ${((metadata.jwks as { keys: Array<{ kid?: string; alg?: string }> }).keys).map((key) => `${key.kid ?? '(no kid)'} ${key.alg ?? ''}`.trim()).join(', ')}`] : []),
      `  client secret   ${client.client_secret !== undefined && keyset.clientSecret !== undefined ? `${keyset.clientSecret} in ${describeBackend(vault)}` : 'none'}`,
      ...(rotated.size > 0 ? [`  rotated         the provider issued a new ${[...rotated].join(' and a new ')}; kept in ${describeBackend(vault)}`] : []),
    ].join('\n'),
  );
}

/** The metadata the flags change (RFC 7591 §2), or undefined for a read. */
function requestedChanges(options: ProvidersRegistrationFlags): Record<string, unknown> | undefined {
  const changes: Record<string, unknown> = {};
  if (options.redirectUri !== undefined) {
    for (const uri of options.redirectUri) checkRedirectUri(uri);
    changes.redirect_uris = options.redirectUri;
  }
  if (options.scope !== undefined) {
    // An empty --scope deletes the field (§2.2: a field left out of the update is deleted); undefined is left out of the JSON.
    const scope = options.scope.split(/\s+/).filter(Boolean).join(' ');
    changes.scope = scope === '' ? undefined : scope;
  }
  if (options.clientName !== undefined) {
    if (options.clientName.trim() === '') throw usageError('--client-name is empty', 'give the name the provider shows users');
    changes.client_name = options.clientName;
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

/**
 * RFC 7592 §2.1, §2.2, §3: a client secret or registration access token in the answer that is not
 * the one held replaces it in the vault (the old one no longer works). A reference that is not the
 * vault's (env:VAR) cannot be written: the new value goes to the vault under this provider's names,
 * and the keyset's reference moves there. Returns what was rotated.
 */
async function keepRotated(
  vault: SecretBackend,
  id: string,
  keyset: Keyset,
  client: RegisteredClient,
  heldToken: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string[]> {
  const rotated: string[] = [];
  const refs = registrationRefs(id);
  const registration = keyset.registration!;
  if (client.registration_access_token !== undefined && client.registration_access_token !== heldToken) {
    registration.accessToken = await keep(vault, registration.accessToken, refs.registrationToken, client.registration_access_token);
    rotated.push('registration access token');
  }
  if (client.client_secret !== undefined) {
    const held = keyset.clientSecret !== undefined ? await resolveSecret(keyset.clientSecret, `the client secret of ${id}`, env, async () => vault).catch(() => undefined) : undefined;
    if (held !== client.client_secret) {
      keyset.clientSecret = await keep(vault, keyset.clientSecret, refs.secret, client.client_secret);
      rotated.push('client secret');
    }
  }
  return rotated;
}

/** Writes `value` where `reference` points when it is the vault's, else under `fallbackName`; returns the reference to keep. */
async function keep(vault: SecretBackend, reference: string | undefined, fallbackName: string, value: string): Promise<string> {
  const ref = reference !== undefined ? parseSecretRef(reference) : undefined;
  const name = ref?.kind === 'keychain' ? ref.name : fallbackName;
  await vault.set(vaultAccountForSecret(name), value);
  return `keychain:${name}`;
}
