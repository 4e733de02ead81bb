/** The commands a token error suggests, with the profile flag when the profile is not the default. */
import { DEFAULT_PROFILE } from './store.js';

/** " --profile NAME" for commands to suggest, nothing for the default profile. */
export function profileFlag(profile: string): string {
  return profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`;
}

export function loginCommand(provider: string, profile: string): string {
  return `oauthd-cli login ${provider}${profileFlag(profile)}`;
}
