/**
 * `oauthd-cli init`: writes oauthd.json with a new app (a public key from the CSPRNG, the domains
 * allowed to use it, the flow) and the broker's defaults, and keeps the new app secret in the vault.
 * A wizard on a TTY; `--yes` never prompts; without a TTY and without --yes it fails at once, saying
 * what it would have asked, instead of waiting on stdin.
 */
import { basename } from 'node:path';
import { access } from 'node:fs/promises';
import type { Context } from '../context.js';
import type { Prompter } from '../factory.js';
import { Ui } from '../ui.js';
import { DEFAULT_BROKER_HOST, DEFAULT_BROKER_PORT, locateConfig, newConfigPath, saveConfig, schemaReference } from '../../config/load.js';
import { normalizeDomain, originBlindRules, parseDomainRule } from '../../config/domains.js';
import type { Config, Flow } from '../../config/schema.js';
import { appSecretAccount } from '../../config/app-secret.js';
import { randomToken } from '../../util/random.js';
import { openUserVault } from '../vault.js';
import { describeBackend } from '../../vault/backend.js';
import { configError, usageError } from '../../util/errors.js';

export interface InitOptions {
  yes?: boolean;
  name?: string;
  flow?: Flow;
  domain?: string[];
  force?: boolean;
  json?: boolean;
}

interface Answers {
  name: string;
  flow: Flow;
  domains: string[];
}

export const DEFAULT_DOMAINS = ['http://localhost:3000'];

export async function run(ctx: Context, options: InitOptions): Promise<void> {
  const ui = new Ui(ctx);
  // Always here (or where --config / $OAUTHD_CONFIG say), never a parent's file.
  const path = newConfigPath(ctx);
  if (!options.force && (await exists(path))) {
    throw configError(`${path} already exists`, 'keep it, or replace it with `oauthd-cli init --force` (its keysets are lost)');
  }
  for (const domain of options.domain ?? []) checkDomain(domain);
  warnAboutParentConfig(ctx, ui, path);

  const defaults: Answers = {
    name: options.name ?? (basename(ctx.cwd) || 'my-app'),
    flow: options.flow ?? 'client',
    domains: options.domain && options.domain.length > 0 ? options.domain : DEFAULT_DOMAINS,
  };
  let answers: Answers;
  if (options.yes) {
    answers = defaults;
  } else if (!ctx.stdin.isTTY) {
    throw usageError(
      'init would ask for the app name, the flow (client or server) and the allowed domains, but stdin is not a terminal',
      'run it in a terminal, or answer with flags: init --yes [--name NAME] [--flow client|server] [--domain URL]…',
    );
  } else {
    answers = await ask(ctx.factory.prompter, defaults, options);
  }
  answers.domains = normalizedDomains(ui, answers.domains);

  const key = randomToken(24);
  const secret = randomToken(32);
  const config: Config = {
    $schema: schemaReference(path),
    app: { name: answers.name, key, domains: answers.domains, flow: answers.flow },
    broker: { host: DEFAULT_BROKER_HOST, port: DEFAULT_BROKER_PORT },
    providers: {},
  };
  const vault = await openUserVault(ctx, ui);
  await vault.set(appSecretAccount(key), secret);
  await saveConfig(path, config);

  if (options.json) {
    ui.json({ config: path, key, secret });
    return;
  }
  ui.result(
    [
      `${ui.out.green('✓')} Created ${path}`,
      `  app      ${answers.name} (${answers.flow} flow)`,
      `  domains  ${answers.domains.join(', ')}`,
      `  key      ${key}`,
      `  secret   ${secret}`,
      `           shown this once; kept in ${describeBackend(vault)}`,
      '           (your back end uses key + secret; OAUTHD_APP_SECRET overrides the stored one)',
      '',
      'Next: oauthd-cli providers add <provider> --client-id … --client-secret-env …',
    ].join('\n'),
  );
}

async function ask(prompter: Prompter, defaults: Answers, options: InitOptions): Promise<Answers> {
  const { input, select } = prompter;
  const name = options.name ?? (await input({ message: 'App name', default: defaults.name, validate: (v) => v.trim() !== '' || 'a name, please' }));
  const flow =
    options.flow ??
    (await select<Flow>({
      message: 'Flow',
      default: defaults.flow,
      choices: [
        { value: 'client', name: 'client: the page receives the tokens (front end only)' },
        { value: 'server', name: 'server: the page gets a one-time code your back end trades for the tokens' },
      ],
    }));
  const domains =
    options.domain && options.domain.length > 0
      ? options.domain
      : splitList(
          await input({
            message: 'Allowed domains (comma-separated; host, scheme://host, scheme://host:port or a full URL)',
            default: defaults.domains.join(', '),
            validate: (value) => {
              try {
                splitList(value).forEach(checkDomain);
                return splitList(value).length > 0 || 'at least one domain';
              } catch (error) {
                return (error as Error).message;
              }
            },
          }),
        );
  return { name: name.trim(), flow, domains };
}

function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** A parent folder's oauthd.json serves this folder today: say that the new file takes over here. */
function warnAboutParentConfig(ctx: Context, ui: Ui, path: string): void {
  const current = locateConfig(ctx);
  if (current.source !== 'found' || current.path === path) return;
  ui.warn(
    `${current.path} already configures this folder (commands use the nearest oauthd.json above them); ` +
      `from now on ${path} is used here and in the folders below, the other one everywhere else`,
  );
}

/**
 * Entries as the file keeps them: `http://localhost:3000/` is the origin `http://localhost:3000`
 * (a page's Origin header has no path; src/config/domains.ts), and a path entry that no origin
 * entry covers is allowed to sign in but not to call APIs: said now, not found out in the page.
 */
function normalizedDomains(ui: Ui, domains: string[]): string[] {
  const entries = domains.map((domain) => {
    const entry = normalizeDomain(domain);
    if (entry !== domain.trim()) ui.info(`Domain ${domain} saved as ${entry}: without a path an entry is an origin, written without the trailing "/".`);
    return entry;
  });
  for (const rule of originBlindRules(entries.map(parseDomainRule))) {
    ui.warn(
      `the domain ${rule.source} has a path: it matches a page's full URL when it signs in, but never the Origin header of its API calls (/me, /request); ` +
        'add the origin too if the page calls APIs through the broker',
    );
  }
  return entries;
}

function checkDomain(domain: string): void {
  try {
    parseDomainRule(domain);
  } catch (error) {
    throw usageError((error as Error).message, 'e.g. --domain http://localhost:3000 or --domain https://app.example.com');
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
