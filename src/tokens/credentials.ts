/**
 * A kept token in the shapes other tools read it: kubectl's ExecCredential
 * (client.authentication.k8s.io/v1, the exec credential plugin protocol) and the kubeconfig
 * `users:` entry that runs `token print --format exec-credential`. Data only; the commands print it.
 */
import { configError } from '../util/errors.js';
import type { StoredToken } from './store.js';

export const EXEC_CREDENTIAL_API = 'client.authentication.k8s.io/v1';

export interface ExecCredential {
  apiVersion: typeof EXEC_CREDENTIAL_API;
  kind: 'ExecCredential';
  status: {
    token: string;
    /** RFC 3339; kubectl uses the token until then, and runs the plugin again after. Absent: the lifetime is unknown. */
    expirationTimestamp?: string;
  };
}

/** RFC 3339 in UTC without fractions (what Kubernetes writes, metav1.Time). */
export function rfc3339(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The ExecCredential kubectl reads from the plugin's stdout: a bearer token and when it stops. */
export function execCredential(stored: StoredToken): ExecCredential {
  if (stored.token.token_secret !== undefined) {
    throw configError(
      `${stored.provider} uses OAuth 1.0a: its requests are signed one by one (RFC 5849 §3.5.1), and kubectl sends a bearer token`,
      'use a provider whose access tokens are bearer tokens (OAuth 2, RFC 6750)',
    );
  }
  const status: ExecCredential['status'] = { token: stored.token.access_token };
  if (stored.expiresAt !== undefined) status.expirationTimestamp = rfc3339(stored.expiresAt);
  return { apiVersion: EXEC_CREDENTIAL_API, kind: 'ExecCredential', status };
}

export interface KubeconfigUser {
  name: string;
  user: {
    exec: {
      apiVersion: typeof EXEC_CREDENTIAL_API;
      command: string;
      args: string[];
      interactiveMode: 'Never';
      provideClusterInfo: false;
    };
  };
}

/**
 * What another program passes to run a token command again from anywhere: `--config FILE` first
 * when the token's project has one (a refresh needs its keyset, and kubectl or git run in any
 * folder), then the command, the provider, and `--profile` when one was named.
 */
export function commandArgs(command: string[], provider: string, options: { profile?: string; configPath?: string }): string[] {
  return [
    ...(options.configPath !== undefined ? ['--config', options.configPath] : []),
    ...command,
    provider,
    ...(options.profile !== undefined ? ['--profile', options.profile] : []),
  ];
}

/**
 * The kubeconfig `users:` entry whose exec plugin is `command [--config FILE] token print <provider>
 * --format exec-credential`. interactiveMode Never: the plugin never prompts (a token that needs a
 * login fails with a message instead).
 */
export function kubeconfigUser(command: string, provider: string, options: { profile?: string; configPath?: string }, name: string): KubeconfigUser {
  const args = [...commandArgs(['token', 'print'], provider, options), '--format', 'exec-credential'];
  return {
    name,
    user: { exec: { apiVersion: EXEC_CREDENTIAL_API, command, args, interactiveMode: 'Never', provideClusterInfo: false } },
  };
}
