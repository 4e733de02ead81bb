// A project with tokens kept by a real login: init --yes, the OIDC fixture added with
// `providers add myidp --issuer`, then `login myidp` in headless Chromium (test/helpers/browser.mjs)
// for each profile asked, kept in the 0600 vault file of the project's own data folder. The vault
// file can be read and edited directly, to make a token expire without waiting an hour.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { OidcServer } from './oidc-server.js';
import { FIXTURE_CLIENT } from './project.js';
import { browserCommand, makeTempDir, runCli, type RunCliResult } from './run-cli.js';

export interface KeptToken {
  provider: string;
  profile: string;
  subject?: string;
  obtainedAt: string;
  expiresAt?: string;
  requestedScopes: string[];
  needsLogin?: { since: string; error: string; description?: string };
  token: { access_token: string; refresh_token?: string; id_token?: string; scope?: string; token_type: string };
}

export interface TokenProject {
  dir: string;
  /** XDG_DATA_HOME: the vault file is <data>/oauthd-cli/secrets.json. */
  data: string;
  env: Record<string, string>;
  run(args: string[], extra?: { env?: Record<string, string | undefined>; input?: string; cwd?: string }): Promise<RunCliResult>;
  /** The entry `token:<provider>:<profile>` of the vault file. */
  kept(profile?: string, provider?: string): Promise<KeptToken>;
  /** Rewrites an entry of the vault file (e.g. an expiry in the past). */
  edit(profile: string, change: (token: KeptToken) => void, provider?: string): Promise<void>;
}

/** The exit code with stderr as the failure message, so a failing step says why. */
export function ok(result: RunCliResult): RunCliResult {
  expect(result.code, `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).toBe(0);
  return result;
}

export async function tokenProject(server: OidcServer, env: Record<string, string> = {}): Promise<TokenProject> {
  const dir = (await makeTempDir()).path;
  const data = join(dir, 'data');
  const base = { HOME: dir, XDG_DATA_HOME: data, IDP_SECRET: FIXTURE_CLIENT.secret, BROWSER: browserCommand(), OAUTHD_STORE: 'file', ...env };
  const run: TokenProject['run'] = (args, extra = {}) =>
    runCli(args, { cwd: extra.cwd ?? dir, env: { ...base, ...extra.env }, ...(extra.input !== undefined ? { input: extra.input } : {}) });
  const file = join(data, 'oauthd-cli', 'secrets.json');
  const readVault = async () => JSON.parse(await readFile(file, 'utf8')) as { version: 1; entries: Record<string, string> };
  ok(await run(['init', '--yes']));
  ok(await run(['providers', 'add', 'myidp', '--issuer', server.issuer, '--client-id', FIXTURE_CLIENT.id, '--client-secret-env', 'IDP_SECRET']));
  return {
    dir,
    data,
    env: base,
    run,
    async kept(profile = 'default', provider = 'myidp') {
      const text = (await readVault()).entries[`token:${provider}:${profile}`];
      if (text === undefined) throw new Error(`no token:${provider}:${profile} in ${file}`);
      return JSON.parse(text) as KeptToken;
    },
    async edit(profile, change, provider = 'myidp') {
      const vault = await readVault();
      const account = `token:${provider}:${profile}`;
      const token = JSON.parse(vault.entries[account] as string) as KeptToken;
      change(token);
      vault.entries[account] = JSON.stringify(token);
      await writeFile(file, JSON.stringify(vault, null, 2), { mode: 0o600 });
    },
  };
}

/** `login myidp` through the browser as `user` (BROWSER_LOGIN), kept under `profile`. */
export async function login(project: TokenProject, port: number, profile = 'default', user = 'alice', extra: string[] = []): Promise<void> {
  ok(await project.run(['login', 'myidp', '--port', String(port), '--profile', profile, ...extra], { env: { BROWSER_LOGIN: user } }));
}

/** Token requests the fixture received, by grant_type (GET /_test/grants). */
export async function grantCounts(server: OidcServer): Promise<Record<string, number>> {
  return (await (await fetch(`${server.issuer}/_test/grants`)).json()) as Record<string, number>;
}

/** An expiry in the past, as an expired access token has. */
export function expire(token: KeptToken): void {
  token.expiresAt = new Date(Date.now() - 60_000).toISOString();
}
