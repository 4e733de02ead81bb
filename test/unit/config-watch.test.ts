// src/config/watch.ts and src/cli/serve/config-reload.ts: oauthd.json edited while `serve` runs, on
// a real temporary folder with real fs.watch events (editor-style saves: temp file + rename, and
// in-place writes), and the registries the broker reads swapped only on a valid save.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { watchConfigFile, type ConfigFileState, type ConfigFileWatch } from '../../src/config/watch.js';
import { changesBetween, reloadConfigOnChange, type LiveConfig } from '../../src/cli/serve/config-reload.js';
import { parseDomainRule } from '../../src/config/domains.js';
import type { BrokerApp } from '../../src/broker/types.js';
import type { ProviderRegistry } from '../../src/registry/types.js';
import { Ui } from '../../src/cli/ui.js';
import type { Context } from '../../src/cli/context.js';
import { systemFactory } from '../../src/cli/factory.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { makeTempDir } from '../helpers/run-cli.js';

function config(change: (config: Config) => void = () => undefined): Config {
  const value: Config = {
    app: { name: 'app', key: 'k3yABCDEFGHIJKLMNOPQRSTU', domains: ['http://localhost:3000'], flow: 'client' },
    broker: { host: '127.0.0.1', port: 6284 },
    providers: { github: { clientId: 'one' } },
  };
  change(value);
  return value;
}

const text = (value: unknown) => JSON.stringify(value, null, 2);

/** Resolves with the first value `poll` returns that is not undefined (a guard, not a timing assertion). */
async function eventually<T>(poll: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = poll();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let closeable: ConfigFileWatch | LiveConfig | undefined;
afterEach(() => {
  closeable?.close();
  closeable = undefined;
});

describe('watchConfigFile', () => {
  it('reports the file as read first, then each save: valid, broken with every problem, missing', async () => {
    const dir = (await makeTempDir()).path;
    const file = join(dir, 'oauthd.json');
    await writeFile(file, text(config()));
    const states: ConfigFileState[] = [];
    const errors: Error[] = [];
    closeable = watchConfigFile(file, (state) => void states.push(state), (error) => errors.push(error), { debounceMs: 100 });
    const nth = (n: number) => eventually(() => states[n], `state #${n}`);

    expect(await nth(0)).toEqual({ kind: 'valid', config: config() });

    await writeFileAtomic(file, text(config((c) => c.app.domains.push('https://app.example.com'))));
    expect(await nth(1)).toEqual({ kind: 'valid', config: config((c) => c.app.domains.push('https://app.example.com')) });

    await writeFile(file, text(config((c) => ((c.app.flow = 'both' as never), (c.broker.port = 70000)))));
    const broken = await nth(2);
    expect(broken.kind).toBe('broken');
    expect(broken.kind === 'broken' && broken.problems.map((problem) => problem.path)).toEqual(['/app/flow', '/broker/port']);

    await rm(file);
    expect(await nth(3)).toEqual({ kind: 'missing' });
    expect(errors).toEqual([]);
  });

  it('ignores other files of the folder, and reports nothing after close', async () => {
    const dir = (await makeTempDir()).path;
    const file = join(dir, 'oauthd.json');
    await writeFile(file, text(config()));
    const states: ConfigFileState[] = [];
    const watch = watchConfigFile(file, (state) => void states.push(state), () => undefined, { debounceMs: 100 });
    await eventually(() => states[0], 'the first read');
    await writeFile(join(dir, 'package.json'), '{}');
    await writeFile(join(dir, 'oauthd.json.bak'), 'x');
    // The change after them is the next state reported: the other files produced none.
    await writeFile(file, text(config((c) => (c.app.name = 'renamed'))));
    expect(await eventually(() => states[1], 'the edit')).toMatchObject({ kind: 'valid', config: { app: { name: 'renamed' } } });
    watch.close();
    await writeFile(file, '{');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(states).toHaveLength(2);
  });
});

describe('changesBetween', () => {
  it('names app fields and keysets as live changes, broker fields as needing a restart', () => {
    expect(changesBetween(config(), config())).toEqual({ live: [], restart: [] });
    expect(changesBetween(config(), config((c) => (c.$schema = './other.json')))).toEqual({ live: [], restart: [] });
    const after = config((c) => {
      c.app.domains = ['https://app.example.com'];
      c.app.codeTtlSeconds = 30;
      c.providers.github = { clientId: 'two' };
      c.providers.gitlab = { clientId: 'three' };
      c.broker.port = 7000;
      c.broker.store = { type: 'memory' };
    });
    expect(changesBetween(config(), after)).toEqual({
      live: ['app.domains', 'app.codeTtlSeconds', 'providers.github', 'providers.gitlab (added)'],
      restart: ['broker.port', 'broker.store'],
    });
    expect(changesBetween(after, config((c) => (c.providers = {}))).live).toContain('providers.github (removed)');
  });
});

describe('reloadConfigOnChange', () => {
  function brokerApp(app: Config['app']): BrokerApp {
    return { key: app.key, name: app.name, flow: app.flow, domains: app.domains.map(parseDomainRule), refreshTokensToClient: false, codeTtlMs: 60_000 };
  }
  /** A registry that only says which keysets it was built from. */
  function registry(keysets: Config['providers']): ProviderRegistry {
    return { get: async () => undefined, list: async () => Object.keys(keysets).map((id) => ({ id }) as never) };
  }

  it('swaps the app and the keysets on a valid save, keeps them on a broken one, and says which', async () => {
    const dir = (await makeTempDir()).path;
    const file = join(dir, 'oauthd.json');
    await writeFile(file, text(config()));
    const stderr = new PassThrough();
    let said = '';
    stderr.setEncoding('utf8').on('data', (chunk: string) => (said += chunk));
    const ctx = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' }, cwd: dir, debug: false, configPath: undefined, platform: 'linux', factory: systemFactory({ env: {}, platform: 'linux' }) } as Context;
    const live = reloadConfigOnChange({
      ui: new Ui(ctx),
      path: file,
      config: config(),
      app: brokerApp(config().app),
      buildApp: async (app) => brokerApp(app),
      buildProviders: registry,
      debounceMs: 100,
    });
    closeable = live;
    const key = config().app.key;
    const domains = () => live.apps.get(key)?.domains.map((rule) => rule.source);
    const providers = async () => (await live.providers.list()).map((spec) => spec.id);

    await writeFileAtomic(file, text(config((c) => ((c.app.domains = ['http://localhost:3000', 'https://b.example']), (c.providers.gitlab = { clientId: 'x' })))));
    await eventually(() => (domains()?.length === 2 ? true : undefined), 'the new domain');
    expect(await providers()).toEqual(['github', 'gitlab']);
    expect(live.apps.list().map((app) => app.name)).toEqual(['app']);
    await eventually(() => (said.includes('reloaded') ? true : undefined), 'the reload line');
    expect(said).toContain(`${file} reloaded: app.domains, providers.gitlab (added) changed; domains now http://localhost:3000, https://b.example.`);

    await writeFileAtomic(file, text(config((c) => ((c.app.flow = 'both' as never), (c.app.domains = ['ftp://x'])))));
    await eventually(() => (said.includes('still serving') ? true : undefined), 'the broken-file warning');
    expect(said).toContain(
      [
        `warning: ${file} has 2 problems; still serving the last good config:`,
        '  /app/flow must be one of "client", "server"',
        '  /app/domains/0 "ftp://x" has the scheme ftp: only http and https pages use the broker',
      ].join('\n'),
    );
    expect(domains()).toEqual(['http://localhost:3000', 'https://b.example']);
    expect(await providers()).toEqual(['github', 'gitlab']);

    await writeFileAtomic(file, text(config((c) => ((c.app.domains = ['http://localhost:3000', 'https://b.example']), (c.providers.gitlab = { clientId: 'x' }), (c.broker.port = 7000)))));
    await eventually(() => (said.includes('restart serve to apply') ? true : undefined), 'the restart warning');
    expect(said).toContain(`warning: broker.port changed in ${file}: restart serve to apply`);
    expect(said).not.toMatch(/reloaded: .*broker/);
  });
});
