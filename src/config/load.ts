/**
 * Finding, reading, validating and saving `oauthd.json`.
 *
 * The file is found the way git finds its repository: `--config FILE`, else `$OAUTHD_CONFIG`, else
 * the nearest `oauthd.json` from the working folder up to the filesystem root, so every command
 * works from any subfolder of the app. A broken file is a configuration error (exit 2) naming the
 * file and every problem with its JSON path. Saving never leaves a half-written file.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative, resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from './schema.js';
import { compileValidator, type SchemaProblem } from '../util/json-schema.js';
import { JsonSyntaxError, parseJson } from '../util/json.js';
import { CliError, configError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { parseDomainRule } from './domains.js';

export const DEFAULT_CONFIG_FILE = 'oauthd.json';
export const DEFAULT_BROKER_HOST = '127.0.0.1';
export const DEFAULT_BROKER_PORT = 6284;

const checkConfig = compileValidator(Config);

export interface ConfigLocation {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  configPath: string | undefined;
}

/**
 * How the config file was chosen: `flag` (--config), `env` ($OAUTHD_CONFIG), `found` (the nearest
 * oauthd.json from the working folder up), or `none` (no file anywhere: `path` is where `init` would
 * create it, ./oauthd.json).
 */
export type ConfigSource = 'flag' | 'env' | 'found' | 'none';

export interface ConfigTarget {
  path: string;
  source: ConfigSource;
}

/** Where the config is; an explicit --config or $OAUTHD_CONFIG is taken as given (it may not exist). */
export function locateConfig({ cwd, env, configPath }: ConfigLocation): ConfigTarget {
  if (configPath !== undefined) return { path: resolve(cwd, configPath), source: 'flag' };
  if (env.OAUTHD_CONFIG) return { path: resolve(cwd, env.OAUTHD_CONFIG), source: 'env' };
  const found = findUpward(resolve(cwd), DEFAULT_CONFIG_FILE);
  return found !== undefined ? { path: found, source: 'found' } : { path: resolve(cwd, DEFAULT_CONFIG_FILE), source: 'none' };
}

export function configPathFor(location: ConfigLocation): string {
  return locateConfig(location).path;
}

/**
 * Where `init` creates the config: --config, $OAUTHD_CONFIG, or ./oauthd.json in the working
 * folder, never a parent's file (a new project inside an old one gets its own).
 */
export function newConfigPath({ cwd, env, configPath }: ConfigLocation): string {
  return resolve(cwd, configPath ?? (env.OAUTHD_CONFIG || DEFAULT_CONFIG_FILE));
}

/**
 * The nearest file called `name` in `start` or a folder above it, as git looks for `.git` and npm
 * for package.json. Synchronous: a handful of stat calls, made once per command. A folder called
 * `name`, or one we may not look into, is passed over.
 */
export function findUpward(start: string, name: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    try {
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    } catch {
      // EACCES, ENOTDIR: not here.
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** "from --config", "from $OAUTHD_CONFIG", "found above the working folder": how a command chose its file. */
export function describeConfigSource(target: ConfigTarget, cwd: string): string | undefined {
  switch (target.source) {
    case 'flag':
      return 'from --config';
    case 'env':
      return 'from $OAUTHD_CONFIG';
    case 'found':
      return dirname(target.path) === resolve(cwd) ? undefined : `found above the working folder ${resolve(cwd)}`;
    default:
      return undefined;
  }
}

/** The error for a config that is nowhere to be found, saying where it was looked for. */
export function missingConfigError(target: ConfigTarget, cwd: string): CliError {
  const hint = 'run `oauthd-cli init` in your project folder, or point --config / OAUTHD_CONFIG at the file';
  if (target.source === 'none') {
    return configError(`no config file: no ${DEFAULT_CONFIG_FILE} in ${resolve(cwd)} nor in any folder above it`, hint);
  }
  return configError(`no config file at ${target.path} (${describeConfigSource(target, cwd)})`, hint);
}

export interface LoadedConfig {
  path: string;
  config: Config;
}

/** Reads the config; `undefined` when the file does not exist (callers decide if that is fine). */
export async function readConfig(path: string): Promise<LoadedConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw configError(`${path} is a folder, not a config file`, 'give a file with --config FILE');
    throw configError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return { path, config: parseConfig(text, path) };
}

/** Like readConfig, but a missing file is an error that says where it was looked for and how to make one. */
export async function loadConfig(location: ConfigLocation): Promise<LoadedConfig> {
  const target = locateConfig(location);
  const loaded = await readConfig(target.path);
  if (!loaded) throw missingConfigError(target, location.cwd);
  return loaded;
}

/** A config file that does not validate, with every problem (not only the first). */
export class InvalidConfigError extends CliError {
  constructor(
    readonly path: string,
    readonly problems: readonly SchemaProblem[],
  ) {
    super('config', invalidConfigMessage(path, problems), hintFor(problems));
    this.name = 'InvalidConfigError';
  }
}

export type ConfigCheck = { ok: true; config: Config } | { ok: false; problems: SchemaProblem[] };

/**
 * Every problem of a config text: its JSON syntax (one problem, at path ""), else the schema's and
 * the domain grammar's, all of them.
 */
export function checkConfigText(text: string): ConfigCheck {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, problems: [{ path: '', message: error.message }] };
    throw error;
  }
  const problems = configProblems(value);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: value as Config };
}

/** The schema's problems, then what the schema cannot say. */
export function configProblems(value: unknown): SchemaProblem[] {
  return [...checkConfig(value), ...(isObject(value) ? semanticProblems(value as Config) : [])];
}

export function parseConfig(text: string, path: string): Config {
  const checked = checkConfigText(text);
  if (!checked.ok) throw new InvalidConfigError(path, checked.problems);
  return checked.config;
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What the schema cannot say. */
function semanticProblems(config: Config): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  // A non-list `domains` is already a schema problem.
  if (!Array.isArray(config.app?.domains)) return problems;
  config.app.domains.forEach((domain, index) => {
    if (typeof domain !== 'string') return;
    try {
      parseDomainRule(domain);
    } catch (error) {
      problems.push({ path: `/app/domains/${index}`, message: (error as Error).message });
    }
  });
  return problems;
}

/**
 * What `serve` cannot do with a config that is otherwise valid (login and the token commands can):
 * a keyset that binds tokens to DPoP keys (RFC 9449) with the client flow, which hands the token
 * to a page that has no key to make proofs with (src/broker/dpop-keys.ts: the server flow works).
 */
export function serveProblems(config: Config): SchemaProblem[] {
  if (config.app?.flow !== 'client') return [];
  return Object.entries(config.providers ?? {})
    .filter(([, keyset]) => keyset?.dpop === true)
    .map(([id]) => ({
      path: `/providers/${id}/dpop`,
      message:
        `the ${id} keyset binds tokens to DPoP keys, and the client flow hands them to a page that has no key to make proofs with: ` +
        'set /app/flow to "server" (the broker keeps the key and makes the proofs on /me, /request and refresh), or drop dpop (login --dpop still binds a login\'s tokens)',
    }));
}

export function formatProblem(problem: SchemaProblem): string {
  // A JSON syntax error has no pointer: its message says line and column.
  if (problem.path === '' && problem.message.startsWith('invalid JSON')) return problem.message;
  return `${problem.path || '/'} ${problem.message}`;
}

/**
 * One problem: one line, `file: /pointer message`. Several: the file and their count, then one
 * indented line each (all of them: fixing one at a time and re-running is the slow way).
 */
export function invalidConfigMessage(path: string, problems: readonly SchemaProblem[]): string {
  if (problems.length === 1) return `${path}: ${formatProblem(problems[0] as SchemaProblem)}`;
  return [`${path} has ${problems.length} problems:`, ...problems.map((problem) => `  ${formatProblem(problem)}`)].join('\n');
}

function hintFor(problems: readonly SchemaProblem[]): string {
  if (problems.length === 1 && (problems[0] as SchemaProblem).message.startsWith('invalid JSON')) return 'fix the JSON syntax';
  if (problems.some((problem) => /clientSecret$/.test(problem.path))) {
    return 'a client secret is a reference, never the secret itself: "env:VAR", or store it with `providers add <id> --client-secret-stdin`';
  }
  return 'fix the file by hand, or recreate it with `oauthd-cli init --force`';
}

/** The `$schema` value for a config at `configPath`: the shipped schema, relative when possible. */
export function schemaReference(configPath: string): string {
  const shipped = fileURLToPath(new URL('../../schemas/oauthd.schema.json', import.meta.url));
  const path = relative(dirname(configPath), shipped).split('\\').join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

export async function saveConfig(path: string, config: Config): Promise<void> {
  const problems = configProblems(config);
  if (problems.length > 0) {
    // Never write a file we would refuse to read.
    throw configError(`refusing to write an invalid config: ${problems.map(formatProblem).join('; ')}`);
  }
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o644);
}
