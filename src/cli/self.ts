/**
 * How another program (git, kubectl) runs this CLI again: the bare name `oauthd-cli` when that name
 * on PATH is this very installation, else the launcher's absolute path (a checkout, npx's cache).
 * The launcher has a `#!/usr/bin/env node` line and the executable bit, so it runs as it is.
 */
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configPathFor, type ConfigLocation } from '../config/load.js';

/** bin/oauthd-cli.js of this installation (this module is dist/cli/self.js). */
export function launcherPath(): string {
  return fileURLToPath(new URL('../../bin/oauthd-cli.js', import.meta.url));
}

export function selfCommand(env: Readonly<Record<string, string | undefined>>): string {
  const launcher = launcherPath();
  const own = realpathOrUndefined(launcher);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'oauthd-cli');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // The first one on PATH is what a shell would run: use the name only when it is this one.
    return own !== undefined && realpathOrUndefined(candidate) === own ? 'oauthd-cli' : launcher;
  }
  return launcher;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * `{ configPath }` of the oauthd.json this command found, when there is one: a helper that git or
 * kubectl runs from another folder still finds the keyset that refreshes the token.
 */
export function pinnedConfig(location: ConfigLocation): { configPath?: string } {
  const path = configPathFor(location);
  return existsSync(path) ? { configPath: path } : {};
}
