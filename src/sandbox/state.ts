/**
 * Where the sandbox keeps what outlives a process: under the user's data folder (src/vault/paths.ts),
 *
 *   sandbox/            0700
 *     keys.json         0600  the signing key, the cookie keys and the client secret
 *     records/          0700  one 0600 file per grant, session, code and token (./adapter.ts)
 *
 * so a token from `login sandbox` can be used, refreshed, introspected and revoked by any later
 * command, and by a `serve --sandbox` reading the same folder.
 *
 * keys.json is created once, by whichever process comes first: it is written beside its final
 * name and published with link(2), which fails when the name exists, so two processes starting
 * at the same moment never end up with two different key sets; the loser reads the winner's.
 */
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomToken } from '../util/random.js';
import { configError } from '../util/errors.js';
import { ensurePrivateDir, publishOnce, readTextIfExists } from '../util/fs.js';
import { dataDir } from '../vault/paths.js';

export interface SandboxKeys {
  version: 1;
  /** The private RS256 key the id_tokens are signed with (its public half is served at /jwks). */
  signingKey: JWK & { kid: string };
  /** Keys of the sandbox's signed cookies (sessions, interactions). */
  cookieKeys: string[];
  /** The secret of the sandbox's one client, which the broker uses (client_secret_basic). */
  clientSecret: string;
}

/** The sandbox folder inside the data folder. */
export function sandboxDir(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string {
  return join(dataDir(env, platform), 'sandbox');
}

export function recordsDir(dir: string): string {
  return join(dir, 'records');
}

/** The sandbox's keys, created on first use. Also makes the folders private. */
export async function loadSandboxKeys(dir: string): Promise<SandboxKeys> {
  await ensurePrivateDir(dir);
  await ensurePrivateDir(recordsDir(dir));
  const file = join(dir, 'keys.json');
  return (await readKeys(file)) ?? (await createKeys(file));
}

async function readKeys(file: string): Promise<SandboxKeys | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const keys = parseKeys(text);
  if (!keys) {
    throw configError(
      `${file} is not the sandbox's key file`,
      `delete the folder ${join(file, '..')} (the sandbox makes new keys; tokens it issued before stop working, log in again)`,
    );
  }
  return keys;
}

function parseKeys(text: string): SandboxKeys | undefined {
  let value: Partial<SandboxKeys> | null;
  try {
    value = JSON.parse(text) as Partial<SandboxKeys> | null;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || value.version !== 1) return undefined;
  const { signingKey, cookieKeys, clientSecret } = value;
  if (typeof signingKey !== 'object' || signingKey === null || signingKey.kty !== 'RSA' || typeof signingKey.d !== 'string' || typeof signingKey.kid !== 'string') {
    return undefined;
  }
  if (!Array.isArray(cookieKeys) || cookieKeys.length === 0 || !cookieKeys.every((key) => typeof key === 'string' && key.length >= 32)) return undefined;
  if (typeof clientSecret !== 'string' || clientSecret.length < 32) return undefined;
  return { version: 1, signingKey, cookieKeys, clientSecret };
}

async function createKeys(file: string): Promise<SandboxKeys> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const keys: SandboxKeys = {
    version: 1,
    signingKey: { ...(await exportJWK(privateKey)), kid: randomToken(8), alg: 'RS256', use: 'sig' },
    cookieKeys: [randomToken(), randomToken()],
    clientSecret: randomToken(),
  };
  // Another process published its keys first: everyone uses those.
  if (!(await publishOnce(file, `${JSON.stringify(keys, null, 2)}\n`))) return (await readKeys(file)) as SandboxKeys;
  return keys;
}

/**
 * The private key of the sandbox's own private_key_jwt client (RFC 7523), in `client-key.json`
 * (0600) beside keys.json, published the same way (link(2): the first process's key wins). It is
 * the key `login sandbox --auth-method private_key_jwt` signs its assertions with when no --key is
 * given; its public half is registered for that client.
 */
export async function loadSandboxClientKey(dir: string): Promise<JWK & { kid: string }> {
  await ensurePrivateDir(dir);
  const file = join(dir, 'client-key.json');
  const read = async (): Promise<(JWK & { kid: string }) | undefined> => {
    const text = await readTextIfExists(file);
    if (text === undefined) return undefined;
    try {
      const jwk = JSON.parse(text) as JWK & { kid: string };
      if (jwk.kty === 'EC' && typeof jwk.d === 'string' && typeof jwk.kid === 'string') return jwk;
    } catch {
      // not JSON: said below
    }
    throw configError(`${file} is not the sandbox's client key`, `delete it (the sandbox makes a new one)`);
  };
  const existing = await read();
  if (existing) return existing;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomToken(8), alg: 'ES256', use: 'sig' };
  if (!(await publishOnce(file, `${JSON.stringify(jwk, null, 2)}\n`))) return (await read()) as JWK & { kid: string };
  return jwk;
}
