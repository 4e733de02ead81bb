/**
 * The commands a token error suggests. They name the token's profile unless a command without
 * --profile picks that very profile (`implicit`: $OAUTHD_PROFILE, else the profile `token switch`
 * chose, else "default"; profiles.ts implicitProfile): after `token switch github work`, the
 * "default" token's hint must say `--profile default`, or it would point at the "work" one.
 */

/** " --profile NAME" for a command to suggest; nothing when NAME is the profile it picks anyway. */
export function profileFlag(profile: string, implicit: string | undefined): string {
  return profile === implicit ? '' : ` --profile ${profile}`;
}

export function loginCommand(provider: string, profile: string, implicit: string | undefined): string {
  return `oauthd-cli login ${provider}${profileFlag(profile, implicit)}`;
}
