/**
 * Who can sign in to the sandbox. By default anyone: any user name signs in, with claims made up
 * from it. With `sandbox --users FILE`, only the users of the file, each with exactly the claims
 * the file gives (OIDC Core §5.1 names, or any claim an app needs, such as roles):
 *
 *   {
 *     "alice": { "name": "Alice Liddell", "email": "alice@example.test", "email_verified": true, "roles": ["admin"] },
 *     "bob":   { "email": "bob@example.test" }
 *   }
 *
 * The user name is what the sign-in page (or a login_hint) takes, and the `sub` unless the claims
 * set one.
 */
import { readFile } from 'node:fs/promises';
import { configError } from '../util/errors.js';

export type Claims = Record<string, unknown>;

/** What the sign-in form accepts as a user name. */
export const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export const DEFAULT_USER = 'developer';

/** The claims of OpenID Connect's standard scopes (Core §5.4); other claims are always released. */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  openid: ['sub'],
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

const STANDARD = new Set(Object.values(SCOPE_CLAIMS).flat());

/** Claims no users file may set: they are the token's own (OIDC Core §2), not the user's. */
const RESERVED = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'auth_time', 'azp', 'at_hash', 'c_hash', 'acr', 'amr', 'jti', 'sid']);

export interface SandboxUsers {
  /** Undefined when the user cannot sign in. */
  claims(name: string): Claims | undefined;
  /** Who signs in when nobody says (auto-approval without a login_hint). */
  readonly defaultUser: string;
  /** The names of a users file; undefined when anyone signs in. */
  readonly names: readonly string[] | undefined;
  /** Claims beyond the standard scopes' (released with openid). */
  readonly extraClaims: readonly string[];
}

/** Anyone signs in; the claims are made up from the name. */
export function anyUser(): SandboxUsers {
  return {
    claims: (name) =>
      USER_NAME.test(name)
        ? { sub: name, name: `Sandbox User ${name}`, preferred_username: name, email: `${name}@sandbox.test`, email_verified: true }
        : undefined,
    defaultUser: DEFAULT_USER,
    names: undefined,
    extraClaims: [],
  };
}

/** The users of a file, checked whole: every problem is a config error naming the file. */
export async function readUsersFile(file: string): Promise<SandboxUsers> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw configError(`cannot read the users file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'give the path of a JSON file: {"alice": {"email": "alice@example.test"}}');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw configError(`the users file ${file} is not JSON (${(error as Error).message.replace(/ in JSON.*/s, '')})`, 'write an object of user name → claims: {"alice": {"email": "alice@example.test"}}');
  }
  return usersFrom(value, file);
}

export function usersFrom(value: unknown, file: string): SandboxUsers {
  const example = '{"alice": {"email": "alice@example.test"}}';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw configError(`the users file ${file} must hold an object of user name → claims`, `for example ${example}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw configError(`the users file ${file} names no user`, `add one: ${example}`);
  const users = new Map<string, Claims>();
  const extra = new Set<string>();
  for (const [name, claims] of entries) {
    if (!USER_NAME.test(name)) {
      throw configError(`the users file ${file} has the user name ${JSON.stringify(name)}`, 'a user name is 1–64 letters, digits, dots, dashes, underscores or @');
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
      throw configError(`the users file ${file}: the claims of "${name}" must be an object`, `for example ${example}`);
    }
    const reserved = Object.keys(claims).filter((claim) => RESERVED.has(claim));
    if (reserved.length > 0) {
      throw configError(`the users file ${file}: "${name}" sets ${reserved.join(', ')}, which the sandbox sets on each token`, 'remove them from the user\'s claims');
    }
    const sub = (claims as Claims).sub;
    if (sub !== undefined && (typeof sub !== 'string' || sub === '' || sub.length > 255)) {
      throw configError(`the users file ${file}: the sub of "${name}" must be a string of 1 to 255 characters`, 'remove it (the user name is the sub) or make it a string');
    }
    for (const claim of Object.keys(claims)) if (!STANDARD.has(claim)) extra.add(claim);
    users.set(name, { ...(claims as Claims), sub: typeof sub === 'string' ? sub : name });
  }
  return {
    claims: (name) => {
      const found = users.get(name);
      return found ? { ...found } : undefined;
    },
    defaultUser: entries[0]![0],
    names: [...users.keys()],
    extraClaims: [...extra],
  };
}
