/**
 * node-oidc-provider's storage adapter, in memory with expiry. oidc-provider ships a similar one
 * but warns on every start that it is for development; ours is meant to be exactly that: the
 * sandbox forgets everything when the process ends. Each sandbox gets its own storage.
 */
interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

export interface AdapterInstance {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** Returns an adapter class (oidc-provider instantiates one per model) over a fresh storage. */
export function memoryAdapter(): new (model: string) => AdapterInstance {
  const records = new Map<string, Stored>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrantId = new Map<string, Set<string>>();
  let writes = 0;

  const live = (key: string): Stored | undefined => {
    const stored = records.get(key);
    if (!stored) return undefined;
    if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) {
      records.delete(key);
      return undefined;
    }
    return stored;
  };
  const sweep = () => {
    for (const key of records.keys()) live(key);
  };

  return class SandboxAdapter implements AdapterInstance {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      if (++writes % 1000 === 0) sweep();
      const key = this.key(id);
      records.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (typeof payload.uid === 'string') byUid.set(payload.uid, id);
      if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, id);
      if (typeof payload.grantId === 'string') {
        const keys = byGrantId.get(payload.grantId) ?? new Set<string>();
        keys.add(key);
        byGrantId.set(payload.grantId, keys);
      }
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      return live(this.key(id))?.payload;
    }

    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      const id = byUid.get(uid);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      const id = byUserCode.get(userCode);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id: string): Promise<void> {
      const stored = live(this.key(id));
      if (stored) stored.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      records.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of byGrantId.get(grantId) ?? []) records.delete(key);
      byGrantId.delete(grantId);
    }
  };
}
