/**
 * Which profile (account) of a provider a command means when it names none: `--profile` first,
 * then $OAUTHD_PROFILE, then the one `token switch` chose (profiles.json in the data folder:
 * {"version": 1, "defaults": {"github": "work"}}), else "default".
 */
import { join } from 'node:path';
import { dataDir } from '../vault/paths.js';
import { configError } from '../util/errors.js';
import { readJsonMap, writeFileAtomic } from '../util/fs.js';
import { DEFAULT_PROFILE } from './store.js';

/** Account names under a provider (login --profile, the token commands, OAUTHD_PROFILE). */
export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

interface ProfilesFile {
  version: 1;
  defaults: Record<string, string>;
}

type Where = { env: Readonly<Record<string, string | undefined>>; platform: NodeJS.Platform };

export function profilesPath(where: Where): string {
  return join(dataDir(where.env, where.platform), 'profiles.json');
}

/** The profiles `token switch` chose, by provider. */
export async function switchedProfiles(where: Where): Promise<Record<string, string>> {
  return readJsonMap<string>(profilesPath(where), 'defaults', {
    unreadable: 'check its permissions, or remove it (every provider then uses the profile "default")',
    shape: 'a profile choice ({"version": 1, "defaults": {…}})',
    malformed: 'fix it, or remove it and run token switch again',
  });
}

/** Where the profile in use came from, for `token switch` and `status` to say. */
export type ProfileSource = 'flag' | 'env' | 'switch' | 'default';

export async function resolveProfile(where: Where, provider: string, flag: string | undefined): Promise<{ profile: string; source: ProfileSource }> {
  if (flag !== undefined) return { profile: flag, source: 'flag' };
  const fromEnv = where.env.OAUTHD_PROFILE;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!PROFILE_NAME.test(fromEnv)) throw configError(`OAUTHD_PROFILE="${fromEnv}" is not a profile name`, 'a profile name is 1 to 64 letters, digits, ".", "-" or "_"');
    return { profile: fromEnv, source: 'env' };
  }
  const switched = (await switchedProfiles(where))[provider];
  if (switched !== undefined && PROFILE_NAME.test(switched)) return { profile: switched, source: 'switch' };
  return { profile: DEFAULT_PROFILE, source: 'default' };
}

/**
 * The profile a command run without --profile picks for `provider` (hints.ts leaves --profile out
 * of a suggested command only for it); undefined when that cannot be told ($OAUTHD_PROFILE is no
 * profile name, profiles.json is unreadable), and then hints always name the profile.
 */
export async function implicitProfile(where: Where, provider: string): Promise<string | undefined> {
  return resolveProfile(where, provider, undefined).then(
    (resolved) => resolved.profile,
    () => undefined,
  );
}

/** `token switch`: `profile` becomes the provider's default; "default" removes the choice. */
export async function switchProfile(where: Where, provider: string, profile: string): Promise<void> {
  const defaults = await switchedProfiles(where);
  if (profile === DEFAULT_PROFILE) delete defaults[provider];
  else defaults[provider] = profile;
  const file: ProfilesFile = { version: 1, defaults };
  await writeFileAtomic(profilesPath(where), `${JSON.stringify(file, null, 2)}\n`, 0o644);
}
