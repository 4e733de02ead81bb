/**
 * Which kept token a git host gets: `token setup-git <provider> --host HOST` writes the mapping,
 * `git-credential get` reads it. It lives in git-hosts.json in the data folder, a small JSON file
 * anyone can read and edit ({"version": 1, "hosts": {"https://github.com": {"provider": "github"}}});
 * it holds no secret. Keys are origins: scheme, host and port, as git's credential protocol gives
 * them (protocol=, host=).
 */
import { join } from 'node:path';
import { configPathFor, readConfig } from '../config/load.js';
import { catalogDirs, findCatalogEntry } from '../providers/catalog.js';
import { resolveGitHost } from '../providers/resolve.js';
import { findProvider } from '../registry/find.js';
import { dataDir } from '../vault/paths.js';
import type { TokenPlace } from './find.js';
import { usageError } from '../util/errors.js';
import { readJsonMap, writeFileAtomic } from '../util/fs.js';

export interface GitHost {
  provider: string;
  /** Absent: the provider's default profile (`token switch`). */
  profile?: string;
  /** The user name git sends with the token (providers ask for fixed ones: oauth2, x-access-token, x-token-auth). */
  username?: string;
}

interface GitHostsFile {
  version: 1;
  hosts: Record<string, GitHost>;
}

export function gitHostsPath(where: { env: Readonly<Record<string, string | undefined>>; platform: NodeJS.Platform }): string {
  return join(dataDir(where.env, where.platform), 'git-hosts.json');
}

/** True for hosts where a plain http:// connection never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The origin of `--host`: `github.com` (https assumed), `git.example.com:8443`, or a full
 * `https://…` / `http://…` origin. Plain http only for loopback hosts: a token sent there in clear
 * text would be readable on the way.
 */
export function gitOrigin(host: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(`--host ${host} is not a host name`, 'give a host such as github.com, or an origin such as https://git.example.com:8443');
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw usageError(`--host ${host} has more than a host`, 'give only the host (and port): the token is for every repository there');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw usageError(`--host ${host}: git would send the token in clear text`, 'use https:// (plain http:// only for localhost and 127.0.0.1)');
  }
  return url.origin;
}

export async function readGitHosts(path: string): Promise<Record<string, GitHost>> {
  return readJsonMap<GitHost>(path, 'hosts', {
    unreadable: 'check its permissions, or remove it and run token setup-git again',
    shape: 'a git host mapping ({"version": 1, "hosts": {…}})',
    malformed: 'fix it, or remove it and run token setup-git again',
  });
}

export async function saveGitHost(path: string, origin: string, host: GitHost): Promise<void> {
  const hosts = await readGitHosts(path);
  hosts[origin] = host;
  const file: GitHostsFile = { version: 1, hosts };
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o644);
}

/**
 * The git host the provider file names (its `git` block, filled with the keyset's parameters, so a
 * self-managed GitLab gives its own base_url), for `token setup-git` without --host. Undefined when
 * the provider describes none.
 */
export async function providerGitHost(place: TokenPlace, provider: string): Promise<{ origin: string; username?: string } | undefined> {
  const config = (await readConfig(configPathFor(place)))?.config;
  const dirs = catalogDirs(place);
  const found = await findProvider(provider, { keysets: config?.providers ?? {}, catalog: (id) => findCatalogEntry(id, dirs) });
  return found ? resolveGitHost(found.spec, found.keyset) : undefined;
}
