/** The store the config asks for: memory by default, Redis for several broker instances. */
import type { StoreConfig } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import type { SecretBackend } from '../vault/backend.js';
import { configError } from '../util/errors.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { FlowStore } from './store.js';

export async function openStore(
  config: StoreConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
  vault: () => Promise<SecretBackend>,
): Promise<FlowStore> {
  if (!config || config.type === 'memory') {
    return new MemoryStore({
      ...(config?.maxEntries !== undefined ? { maxEntries: config.maxEntries } : {}),
      ...(config?.maxBytes !== undefined ? { maxBytes: config.maxBytes } : {}),
    });
  }
  const url = /^(env|keychain):/.test(config.url) ? await resolveSecret(config.url, 'the Redis URL', env, vault) : config.url;
  try {
    return await RedisStore.connect(url, config.prefix);
  } catch (error) {
    throw configError(`cannot connect to Redis at ${redactUrl(url)}: ${(error as Error).message}`, 'start Redis, or set broker.store to {"type": "memory"}');
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
