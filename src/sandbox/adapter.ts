/**
 * node-oidc-provider's storage adapter, on files: one 0600 file per record (grant, session,
 * interaction, code, token) in the sandbox's records folder, so the sandbox outlives the process
 * that issued a token, and several processes (a `serve --sandbox`, a `me sandbox`) share it.
 *
 * - Nothing is cached in memory: every find reads the file, so a revocation or a consumed code
 *   written by another process counts at once.
 * - Every write is atomic (a temporary file renamed over the record, src/util/fs.ts): a reader
 *   sees the old record or the new one, never half of one.
 * - A record's file is named by the SHA-256 of (issuer, model, id), and the id is not written into
 *   it: the folder holds no token, code or refresh token value a client holds, only their hashes
 *   (so a token kept in the keychain is in no plain file). The two lookups oidc-provider needs
 *   besides the id (a session by its uid, a device code by its user code) are index files that
 *   name the id they lead to.
 * - The issuer is part of every name: a token issued on one port is unknown to a sandbox on another.
 * - Expired records are deleted when read, and swept from the whole folder at a process's first
 *   write and every ten minutes after.
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '../util/fs.js';

export interface AdapterInstance {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** One record file. */
interface StoredRecord {
  version: 1;
  issuer: string;
  model: string;
  /** Milliseconds since the epoch; null for records without a lifetime. */
  expiresAt: number | null;
  /** True when oidc-provider's payload carried the id as `jti` (put back on read). */
  jti: boolean;
  payload: Record<string, unknown>;
}

/** An index file: a secondary key (uid, user code) → the record's id. */
interface StoredIndex {
  version: 1;
  index: string;
  expiresAt: number | null;
  id: string;
}

const SWEEP_EVERY_MS = 10 * 60 * 1000;
/** A temporary file this old was left by a process that died mid-write. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/** Returns an adapter class (oidc-provider instantiates one per model) over the folder `dir`. */
export function fileAdapter(dir: string, issuer: string, now: () => number = Date.now): new (model: string) => AdapterInstance {
  const fileFor = (kind: string, key: string) => join(dir, `${kind}.${sha256(`${issuer}\0${kind}\0${key}`)}.json`);
  const expiry = (expiresIn: number | undefined) => (expiresIn ? now() + expiresIn * 1000 : null);
  const live = (expiresAt: number | null) => expiresAt === null || expiresAt > now();

  async function read<T extends { expiresAt: number | null }>(file: string): Promise<T | undefined> {
    const value = await readJson<T>(file);
    if (value === undefined) return undefined;
    if (!live(value.expiresAt)) {
      await rm(file, { force: true });
      return undefined;
    }
    return value;
  }

  let lastSweep = 0;
  async function sweepNow(): Promise<void> {
    lastSweep = now();
    await sweep(dir, now);
  }

  return class SandboxAdapter implements AdapterInstance {
    constructor(private readonly model: string) {}

    private record(id: string): string {
      return fileFor(this.model, id);
    }

    private async write(id: string, record: StoredRecord): Promise<void> {
      await writeFileAtomic(this.record(id), JSON.stringify(record), 0o600);
    }

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      if (now() - lastSweep > SWEEP_EVERY_MS) await sweepNow();
      const { jti, ...rest } = payload;
      const expiresAt = expiry(expiresIn);
      await this.write(id, { version: 1, issuer, model: this.model, expiresAt, jti: jti === id, payload: rest });
      const indexes: Array<[string, unknown]> = [
        ['uid', payload.uid],
        ['userCode', payload.userCode],
      ];
      for (const [index, key] of indexes) {
        if (typeof key !== 'string') continue;
        const entry: StoredIndex = { version: 1, index, expiresAt, id };
        await writeFileAtomic(fileFor(`${this.model}-${index}`, key), JSON.stringify(entry), 0o600);
      }
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      const record = await read<StoredRecord>(this.record(id));
      if (!record || record.model !== this.model || record.issuer !== issuer) return undefined;
      return record.jti ? { ...record.payload, jti: id } : record.payload;
    }

    private async findByIndex(index: string, key: string): Promise<Record<string, unknown> | undefined> {
      const entry = await read<StoredIndex>(fileFor(`${this.model}-${index}`, key));
      return entry && typeof entry.id === 'string' ? this.find(entry.id) : undefined;
    }

    findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      return this.findByIndex('uid', uid);
    }

    findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      return this.findByIndex('userCode', userCode);
    }

    async consume(id: string): Promise<void> {
      const record = await read<StoredRecord>(this.record(id));
      if (!record) return;
      record.payload.consumed = Math.floor(now() / 1000);
      await this.write(id, record);
    }

    async destroy(id: string): Promise<void> {
      await rm(this.record(id), { force: true });
    }

    /** Every record of the grant, whatever its model (codes, tokens, the grant itself). */
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const name of await records(dir)) {
        const file = join(dir, name);
        const record = await readJson<StoredRecord>(file);
        if (record?.issuer === issuer && record.payload?.grantId === grantId) await rm(file, { force: true });
      }
    }
  };
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

async function records(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The parsed file; undefined when it is missing, or not JSON (not one of ours). */
async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as T | null;
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes expired records and index files (of every issuer), and temporaries a crash left behind. */
export async function sweep(dir: string, now: () => number = Date.now): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const file = join(dir, name);
    if (name.endsWith('.tmp')) {
      const age = await stat(file).then((info) => now() - info.mtimeMs).catch(() => 0);
      if (age > STALE_TEMPORARY_MS) await rm(file, { force: true });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    const value = await readJson<{ expiresAt?: unknown }>(file);
    if (value && typeof value.expiresAt === 'number' && value.expiresAt <= now()) await rm(file, { force: true });
  }
}
