/**
 * What a command builds its work from, as gh's cmdutil.Factory: the HTTP client, the vault, the
 * browser opener, the clock and the prompts. A command asks `ctx.factory` instead of constructing
 * them, so a test runs the command in-process with fakes (an in-memory vault, an HTTP client that
 * answers as the provider, a fixed clock) and main() gives the real ones.
 *
 * Everything heavy is imported when first asked for: `--help` and `--version` build a context too.
 */
import { fetchClient, type FetchClientOptions, type HttpClient } from '../oauth/http.js';
import type { VaultOpener, VaultOptions } from '../vault/open.js';

/** The prompts of @inquirer/prompts the commands use (a Ctrl-C rejects with ExitPromptError). */
export interface Prompter {
  input(config: { message: string; default?: string; validate?: (value: string) => boolean | string }): Promise<string>;
  select<Value extends string>(config: { message: string; default?: Value; choices: ReadonlyArray<{ value: Value; name?: string }> }): Promise<Value>;
  password(config: { message: string; mask?: string | boolean; validate?: (value: string) => boolean | string }): Promise<string>;
}

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export interface Factory {
  /**
   * An HTTP client for the provider's endpoints (src/oauth/http.ts): every request goes through
   * it, so traces and tests see them all. `options` as fetchClient's (a trace's observer, a timeout).
   */
  http(options?: FetchClientOptions): HttpClient;
  /**
   * Opens the vault: the OS keychain, or the 0600 file (src/vault/open.ts; env and platform are the
   * context's). src/cli/vault.ts adds the once-only fallback notice.
   */
  vault: VaultOpener;
  /** Opens `url` in the browser ($BROWSER, else the system's); says which one. */
  openBrowser(url: string): Promise<string>;
  clock: Clock;
  prompter: Prompter;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The real dependencies, for `env` and `platform` (main() builds it from `process`). */
export function systemFactory(place: Pick<VaultOptions, 'env' | 'platform'>): Factory {
  return {
    // One client per call: a trace observes only the requests of its own command.
    http: (options) => fetchClient(options),
    vault: async (options = {}) => (await import('../vault/open.js')).openVault({ env: place.env, platform: place.platform, ...options }),
    openBrowser: async (url) => (await import('./browser.js')).openBrowser(url, place.env),
    clock: systemClock,
    prompter: {
      input: async (config) => (await import('@inquirer/prompts')).input(config),
      select: async (config) => (await import('@inquirer/prompts')).select(config),
      password: async (config) => (await import('@inquirer/prompts')).password(config),
    },
  };
}
