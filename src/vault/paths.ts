/** The user's data folder for oauthd-cli, per platform convention; OAUTHD_DATA_DIR overrides. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string {
  if (env.OAUTHD_DATA_DIR) return env.OAUTHD_DATA_DIR;
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'oauthd-cli');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'oauthd-cli');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'oauthd-cli');
}
