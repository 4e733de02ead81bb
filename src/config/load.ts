/**
 * Finding, reading, validating and saving `oauthd.json`.
 *
 * A broken file is a configuration error (exit 2) with one message naming the file, the JSON path
 * and the problem. Saving never leaves a half-written file.
 */
import { readFile } from 'node:fs/promises';
import { relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from './schema.js';
import { compileValidator, type SchemaProblem } from '../util/json-schema.js';
import { JsonSyntaxError, parseJson } from '../util/json.js';
import { configError } from '../util/errors.js';
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

export function configPathFor({ cwd, env, configPath }: ConfigLocation): string {
  return resolve(cwd, configPath ?? env.OAUTHD_CONFIG ?? DEFAULT_CONFIG_FILE);
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

/** Like readConfig, but a missing file is an error that says how to make one. */
export async function loadConfig(location: ConfigLocation): Promise<LoadedConfig> {
  const path = configPathFor(location);
  const loaded = await readConfig(path);
  if (!loaded) {
    throw configError(
      `no config file at ${path}`,
      'run `oauthd-cli init` in your project folder, or point --config / OAUTHD_CONFIG at the file',
    );
  }
  return loaded;
}

export function parseConfig(text: string, path: string): Config {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw configError(`${path}: ${error.message}`, 'fix the JSON syntax');
    throw error;
  }
  const problems = [...checkConfig(value), ...(isObject(value) ? semanticProblems(value as Config) : [])];
  if (problems.length > 0) {
    throw configError(`${path}: ${formatProblem(problems[0] as SchemaProblem)}${more(problems.length)}`, hintFor(problems[0] as SchemaProblem));
  }
  return value as Config;
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

export function formatProblem(problem: SchemaProblem): string {
  return `${problem.path || '/'} ${problem.message}`;
}

function more(count: number): string {
  return count > 1 ? ` (and ${count - 1} more problem${count > 2 ? 's' : ''})` : '';
}

function hintFor(problem: SchemaProblem): string {
  if (/clientSecret$/.test(problem.path)) {
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
  const problems = [...checkConfig(config), ...semanticProblems(config)];
  if (problems.length > 0) {
    // Never write a file we would refuse to read.
    throw configError(`refusing to write an invalid config: ${formatProblem(problems[0] as SchemaProblem)}`);
  }
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o644);
}
