/**
 * `oauthd-cli doctor`: checks everything a login or the broker will need, before it is needed, and
 * prints one line per check — ✓ passes, ! warns, ✗ fails, i informs — each failure with its fix.
 *
 *   Node.js version; oauthd.json (schema and domain rules); where secrets rest (the OS keychain and its
 *   backend, or the 0600 file and its mode); the app secret; for each keyset: its provider description,
 *   template parameters, client secret reference (never the secret), https endpoints, and the issuer's
 *   discovery document; the user provider folder; the broker port; how login will reach a browser.
 *
 * Exit 0 when nothing fails (warnings do not), 1 otherwise. Nothing is written anywhere; the network
 * is touched only for discovery documents, with a short timeout, and being offline is a warning.
 */
import type { Context } from '../context.js';
import { Ui } from '../ui.js';
import { DEFAULT_BROKER_HOST, DEFAULT_BROKER_PORT } from '../../config/load.js';
import { catalogDirs } from '../../providers/catalog.js';
import { flowError } from '../../util/errors.js';
import { render, type CheckResult, type CheckStatus } from '../doctor/report.js';
import { DISCOVERY_TIMEOUT_MS, providerChecks } from '../doctor/provider-checks.js';
import { appSecretCheck, browserCheck, configCheck, nodeCheck, portCheck, providerFolderCheck, storeCheck } from '../doctor/system-checks.js';

export type { CheckResult, CheckStatus };

export interface DoctorOptions {
  json?: boolean;
}

export async function run(ctx: Context, options: DoctorOptions): Promise<void> {
  const ui = new Ui(ctx);
  const checks = await diagnose(ctx);
  if (options.json) ui.json(checks);
  else ui.result(render(checks, ui.out));

  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const failed = count('fail');
  const warnings = count('warn');
  if (failed > 0) {
    throw flowError(
      `${failed} of ${checks.length} checks failed${warnings > 0 ? `, ${warnings} warned` : ''}`,
      'apply the fix under each ✗ line, then run oauthd-cli doctor again',
      'doctor_failed',
    );
  }
  ui.success(`no check failed (${count('pass')} passed${warnings > 0 ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''})`);
}

/** Every check, in the order of the report. */
export async function diagnose(ctx: Context): Promise<CheckResult[]> {
  const checks: CheckResult[] = [nodeCheck(process.versions.node)];

  const configured = await configCheck(ctx);
  checks.push(configured.check);
  const config = configured.loaded?.config;

  const store = await storeCheck(ctx);
  checks.push(store.check);
  const vault = store.vault;

  if (config) {
    checks.push(await appSecretCheck(ctx, config, vault));
    const http = ctx.factory.http({ timeoutMs: DISCOVERY_TIMEOUT_MS });
    const dirs = catalogDirs(ctx);
    // Providers are checked side by side (discovery waits on the network); their lines keep the config's order.
    const perProvider = await Promise.all(
      Object.entries(config.providers).map(([id, keyset]) => providerChecks(ctx, id, keyset, dirs, vault, http)),
    );
    checks.push(...perProvider.flat());
  }
  checks.push(await providerFolderCheck(ctx));

  const host = config?.broker.host ?? DEFAULT_BROKER_HOST;
  const port = config?.broker.port ?? DEFAULT_BROKER_PORT;
  checks.push(await portCheck(host, port, config?.broker.publicUrl));
  checks.push(browserCheck(ctx, port));
  return checks;
}

