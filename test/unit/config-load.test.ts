// src/config/load.ts: finding, reading, validating and saving oauthd.json.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkConfigText,
  configPathFor,
  DEFAULT_CONFIG_FILE,
  describeConfigSource,
  findUpward,
  InvalidConfigError,
  loadConfig,
  locateConfig,
  newConfigPath,
  parseConfig,
  readConfig,
  saveConfig,
} from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { makeTempDir } from '../helpers/run-cli.js';
import { caughtCliError } from './errors.js';

const FILE = '/projects/app/oauthd.json';

function validConfig(): Config {
  return {
    app: { name: 'My app', key: 'k3yABCDEFGHIJKLMNOPQRSTU', domains: ['localhost', 'https://app.example.com'], flow: 'client' },
    broker: { host: '127.0.0.1', port: 6284 },
    providers: {
      github: { clientId: 'Iv1.abc', clientSecret: 'env:GITHUB_CLIENT_SECRET', scope: ['read:user'] },
      microsoft: { clientId: 'cid', clientSecret: 'keychain:microsoft', params: { tenant: 'contoso.com' } },
    },
  };
}

/** The config with `change` applied to a copy, as JSON text. */
function variant(change: (config: Record<string, any>) => void): string {
  const config = structuredClone(validConfig()) as unknown as Record<string, any>;
  change(config);
  return JSON.stringify(config, null, 2);
}

const FIX_HINT = 'fix the file by hand, or recreate it with `oauthd-cli init --force`';

describe('parseConfig', () => {
  it('returns a valid config unchanged', () => {
    expect(parseConfig(JSON.stringify(validConfig()), FILE)).toEqual(validConfig());
  });

  it('malformed JSON: names the file, the line and the column, in one line', async () => {
    const text = '{\n  "app": {\n    "name": "x",,\n  }\n}\n';
    const error = await caughtCliError(() => parseConfig(text, FILE));
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    // Line 3 is `    "name": "x",,`: the second comma is column 17.
    expect(error.message).toBe(`${FILE}: invalid JSON at line 3, column 17: Expected double-quoted property name`);
    expect(error.hint).toBe('fix the JSON syntax');
  });

  it('malformed JSON: an unquoted value is located too, and the file is not echoed', async () => {
    const text = '{\n  "app": {\n    "flow": client\n  }\n}\n';
    const error = await caughtCliError(() => parseConfig(text, FILE));
    expect(error.message).toBe(`${FILE}: invalid JSON at line 3, column 13: Unexpected token 'c'`);
    expect(error.message).not.toContain('\n');
  });

  it('malformed JSON: a file cut short points at its end', async () => {
    const error = await caughtCliError(() => parseConfig('{\n  "app": {', FILE));
    expect(error.message).toBe(`${FILE}: invalid JSON at line 2, column 11: Expected property name or '}'`);
    const empty = await caughtCliError(() => parseConfig('', FILE));
    expect(empty.message).toBe(`${FILE}: invalid JSON at line 1, column 1: Unexpected end of JSON input`);
  });

  it('a union of literals is reported once, as the list of allowed values', async () => {
    const error = await caughtCliError(() => parseConfig(variant((c) => (c.app.flow = 'implicit')), FILE));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(`${FILE}: /app/flow must be one of "client", "server"`);
    expect(error.hint).toBe(FIX_HINT);
  });

  it('an unknown field is named with its JSON pointer', async () => {
    const error = await caughtCliError(() => parseConfig(variant((c) => (c.app.colour = 'blue')), FILE));
    expect(error.message).toBe(`${FILE}: /app has an unknown field "colour"`);
    const top = await caughtCliError(() => parseConfig(variant((c) => (c.extra = 1)), FILE));
    expect(top.message).toBe(`${FILE}: / has an unknown field "extra"`);
  });

  it('a missing field and a wrong type are named with their JSON pointer', async () => {
    const missing = await caughtCliError(() => parseConfig(variant((c) => delete c.broker.port), FILE));
    expect(missing.message).toBe(`${FILE}: /broker is missing the required field "port"`);
    const type = await caughtCliError(() => parseConfig(variant((c) => (c.broker.port = '6284')), FILE));
    expect(type.message).toBe(`${FILE}: /broker/port must be integer`);
  });

  it('a literal client secret is refused, without echoing it, with a hint about references', async () => {
    const secret = 'ghs_7Yb2QzLiteralSecretValue0123456789';
    const error = await caughtCliError(() => parseConfig(variant((c) => (c.providers.github.clientSecret = secret)), FILE));
    expect(error.message).toMatch(new RegExp(`^${FILE}: /providers/github/clientSecret must match \\^\\(env:`));
    expect(error.message).not.toContain(secret);
    expect(error.hint).toBe(
      'a client secret is a reference, never the secret itself: "env:VAR", or store it with `providers add <id> --client-secret-stdin`',
    );
  });

  it('a bad domain entry is named with its index and the reason', async () => {
    const error = await caughtCliError(() => parseConfig(variant((c) => (c.app.domains = ['localhost', 'ftp://example.com'])), FILE));
    expect(error.message).toBe(
      `${FILE}: /app/domains/1 "ftp://example.com" has the scheme ftp: only http and https pages use the broker`,
    );
    expect(error.hint).toBe(FIX_HINT);
    const port = await caughtCliError(() => parseConfig(variant((c) => (c.app.domains = ['https://example.com:70000'])), FILE));
    expect(port.message).toBe(`${FILE}: /app/domains/0 "https://example.com:70000" has a port outside 1-65535`);
  });

  it('domains that are not a list are a schema problem, not a crash', async () => {
    const error = await caughtCliError(() => parseConfig(variant((c) => (c.app.domains = 'example.com')), FILE));
    expect(error.message).toBe(`${FILE}: /app/domains must be array`);
  });

  it('lists every problem, one a line, after the file and their count', async () => {
    const three = await caughtCliError(() =>
      parseConfig(
        variant((c) => {
          c.app.flow = 'implicit';
          c.broker.colour = 'red';
          c.app.domains = ['ftp://x'];
        }),
        FILE,
      ),
    );
    expect(three).toBeInstanceOf(InvalidConfigError);
    expect(three.kind).toBe('config');
    expect(three.message).toBe(
      [
        `${FILE} has 3 problems:`,
        '  /app/flow must be one of "client", "server"',
        '  /broker has an unknown field "colour"',
        '  /app/domains/0 "ftp://x" has the scheme ftp: only http and https pages use the broker',
      ].join('\n'),
    );
    expect((three as InvalidConfigError).problems).toHaveLength(3);
    expect(three.hint).toBe(FIX_HINT);
  });

  it('the client-secret hint wins when any of several problems is a literal secret', async () => {
    const error = await caughtCliError(() =>
      parseConfig(
        variant((c) => {
          c.app.flow = 'implicit';
          c.providers.github.clientSecret = 'literal-secret';
        }),
        FILE,
      ),
    );
    expect(error.message.split('\n')).toHaveLength(3);
    expect(error.hint).toMatch(/^a client secret is a reference/);
  });

  it('checkConfigText: the config, or every problem (a syntax error is one, located)', () => {
    expect(checkConfigText(JSON.stringify(validConfig()))).toEqual({ ok: true, config: validConfig() });
    expect(checkConfigText('{ "app": ')).toEqual({ ok: false, problems: [{ path: '', message: 'invalid JSON at line 1, column 10: Unexpected end of JSON input' }] });
    const broken = checkConfigText(variant((c) => ((c.app.flow = 'x'), (c.broker.port = -1))));
    expect(broken.ok ? [] : broken.problems.map((problem) => problem.path)).toEqual(['/app/flow', '/broker/port']);
  });

  it('a document that is not an object is refused', async () => {
    const error = await caughtCliError(() => parseConfig('[]', FILE));
    expect(error.message).toBe(`${FILE}: / must be object`);
  });
});

describe('locateConfig / configPathFor', () => {
  it('--config beats OAUTHD_CONFIG, both relative to the working folder and taken as given', async () => {
    const dir = (await makeTempDir()).path;
    expect(DEFAULT_CONFIG_FILE).toBe('oauthd.json');
    expect(locateConfig({ cwd: dir, env: { OAUTHD_CONFIG: 'conf/a.json' }, configPath: undefined })).toEqual({
      path: path.join(dir, 'conf/a.json'),
      source: 'env',
    });
    expect(configPathFor({ cwd: dir, env: { OAUTHD_CONFIG: 'conf/a.json' }, configPath: 'b.json' })).toBe(path.join(dir, 'b.json'));
    expect(locateConfig({ cwd: dir, env: {}, configPath: '/etc/oauthd.json' })).toEqual({ path: '/etc/oauthd.json', source: 'flag' });
  });

  it('else finds the nearest oauthd.json from the working folder up, as git finds its repository', async () => {
    const root = (await makeTempDir()).path;
    const deep = path.join(root, 'app', 'src', 'components');
    await mkdir(deep, { recursive: true });
    const location = (cwd: string) => ({ cwd, env: {}, configPath: undefined });

    // Nothing anywhere: ./oauthd.json, the file `init` would make.
    expect(locateConfig(location(deep))).toEqual({ path: path.join(deep, 'oauthd.json'), source: 'none' });

    await writeFile(path.join(root, 'oauthd.json'), '{}');
    expect(locateConfig(location(deep))).toEqual({ path: path.join(root, 'oauthd.json'), source: 'found' });
    await writeFile(path.join(root, 'app', 'oauthd.json'), '{}');
    expect(configPathFor(location(deep))).toBe(path.join(root, 'app', 'oauthd.json'));
    expect(configPathFor(location(path.join(root, 'app')))).toBe(path.join(root, 'app', 'oauthd.json'));
    // A folder named oauthd.json is passed over.
    await mkdir(path.join(root, 'app', 'src', 'oauthd.json'));
    expect(configPathFor(location(deep))).toBe(path.join(root, 'app', 'oauthd.json'));
    // An explicit choice is never replaced by a found file.
    expect(locateConfig({ cwd: deep, env: { OAUTHD_CONFIG: 'mine.json' }, configPath: undefined }).path).toBe(path.join(deep, 'mine.json'));
  });

  it('findUpward stops at the filesystem root', () => {
    expect(findUpward('/', 'no-such-file-anywhere-7f3a.json')).toBeUndefined();
  });

  it('newConfigPath: where init writes, never a parent\'s file', async () => {
    const root = (await makeTempDir()).path;
    const sub = path.join(root, 'sub');
    await mkdir(sub);
    await writeFile(path.join(root, 'oauthd.json'), '{}');
    expect(newConfigPath({ cwd: sub, env: {}, configPath: undefined })).toBe(path.join(sub, 'oauthd.json'));
    expect(newConfigPath({ cwd: sub, env: { OAUTHD_CONFIG: '../x.json' }, configPath: undefined })).toBe(path.join(root, 'x.json'));
    expect(newConfigPath({ cwd: sub, env: {}, configPath: 'y.json' })).toBe(path.join(sub, 'y.json'));
  });

  it('describeConfigSource says how the file was chosen, when it is not ./oauthd.json', () => {
    expect(describeConfigSource({ path: '/a/oauthd.json', source: 'found' }, '/a/b')).toBe('found above the working folder /a/b');
    expect(describeConfigSource({ path: '/a/oauthd.json', source: 'found' }, '/a')).toBeUndefined();
    expect(describeConfigSource({ path: '/a/x.json', source: 'env' }, '/a')).toBe('from $OAUTHD_CONFIG');
    expect(describeConfigSource({ path: '/a/x.json', source: 'flag' }, '/a')).toBe('from --config');
  });
});

describe('readConfig / loadConfig', () => {
  it('readConfig: undefined for a missing file, the config for a present one', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir.path, 'oauthd.json');
    expect(await readConfig(file)).toBeUndefined();
    await writeFile(file, JSON.stringify(validConfig()));
    expect(await readConfig(file)).toEqual({ path: file, config: validConfig() });
  });

  it('readConfig: a folder is a config error that says to give a file', async () => {
    const dir = await makeTempDir();
    const error = await caughtCliError(() => readConfig(dir.path));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(`${dir.path} is a folder, not a config file`);
    expect(error.hint).toBe('give a file with --config FILE');
  });

  it('readConfig: a broken file is named in the error', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir.path, 'oauthd.json');
    await writeFile(file, variant((c) => (c.app.flow = 'both')));
    const error = await caughtCliError(() => readConfig(file));
    expect(error.message).toBe(`${file}: /app/flow must be one of "client", "server"`);
  });

  it('loadConfig: a missing file says how to make one', async () => {
    const dir = await makeTempDir();
    const error = await caughtCliError(() => loadConfig({ cwd: dir.path, env: {}, configPath: undefined }));
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`no config file: no oauthd.json in ${dir.path} nor in any folder above it`);
    const named = await caughtCliError(() => loadConfig({ cwd: dir.path, env: { OAUTHD_CONFIG: 'x.json' }, configPath: undefined }));
    expect(named.message).toBe(`no config file at ${path.join(dir.path, 'x.json')} (from $OAUTHD_CONFIG)`);
    expect(error.hint).toBe('run `oauthd-cli init` in your project folder, or point --config / OAUTHD_CONFIG at the file');
  });

  it('loadConfig: reads --config over OAUTHD_CONFIG over ./oauthd.json', async () => {
    const dir = await makeTempDir();
    const named = (name: string) => variant((c) => (c.app.name = name));
    await writeFile(path.join(dir.path, 'oauthd.json'), named('default'));
    await writeFile(path.join(dir.path, 'env.json'), named('from env'));
    await writeFile(path.join(dir.path, 'flag.json'), named('from flag'));
    const env = { OAUTHD_CONFIG: 'env.json' };
    expect((await loadConfig({ cwd: dir.path, env: {}, configPath: undefined })).config.app.name).toBe('default');
    const fromEnv = await loadConfig({ cwd: dir.path, env, configPath: undefined });
    expect(fromEnv.path).toBe(path.join(dir.path, 'env.json'));
    expect(fromEnv.config.app.name).toBe('from env');
    const fromFlag = await loadConfig({ cwd: dir.path, env, configPath: 'flag.json' });
    expect(fromFlag.path).toBe(path.join(dir.path, 'flag.json'));
    expect(fromFlag.config.app.name).toBe('from flag');
  });
});

describe('saveConfig', () => {
  it('writes formatted JSON that reads back identical, atomically, leaving no temporary file', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir.path, 'nested', 'oauthd.json');
    await saveConfig(file, validConfig());
    expect(await readFile(file, 'utf8')).toBe(`${JSON.stringify(validConfig(), null, 2)}\n`);
    expect((await readConfig(file))?.config).toEqual(validConfig());
    expect((await stat(file)).mode & 0o777).toBe(0o644);

    const changed = { ...validConfig(), app: { ...validConfig().app, name: 'Renamed' } };
    await saveConfig(file, changed);
    expect((await readConfig(file))?.config.app.name).toBe('Renamed');
    expect(await readdir(path.dirname(file))).toEqual(['oauthd.json']);
  });

  it('refuses a config that fails the schema, and leaves the file as it was', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir.path, 'oauthd.json');
    await saveConfig(file, validConfig());
    const before = await readFile(file, 'utf8');
    const invalid = JSON.parse(variant((c) => (c.app.flow = 'implicit'))) as Config;
    const error = await caughtCliError(() => saveConfig(file, invalid));
    expect(error.kind).toBe('config');
    expect(error.message).toBe('refusing to write an invalid config: /app/flow must be one of "client", "server"');
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await readdir(dir.path)).toEqual(['oauthd.json']);
  });

  it('refuses a config it would refuse to read (a bad domain entry)', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir.path, 'oauthd.json');
    const invalid = JSON.parse(variant((c) => (c.app.domains = ['ftp://example.com']))) as Config;
    const error = await caughtCliError(() => saveConfig(file, invalid));
    expect(error.message).toBe(
      'refusing to write an invalid config: /app/domains/0 "ftp://example.com" has the scheme ftp: only http and https pages use the broker',
    );
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('never leaves a temporary file when the write fails', async () => {
    const dir = await makeTempDir();
    // The target is a folder: the rename fails after the temporary file was written.
    const target = path.join(dir.path, 'oauthd.json');
    await mkdir(path.join(target, 'inside'), { recursive: true });
    await expect(saveConfig(target, validConfig())).rejects.toThrow();
    expect(await readdir(dir.path)).toEqual(['oauthd.json']);
  });
});
