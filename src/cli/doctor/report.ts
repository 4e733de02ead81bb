/** The doctor's report: one line per check, ✓ ! ✗ or i, each failure with its fix. */
import type { ChalkInstance } from 'chalk';
import { asCliError } from '../errors.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info';

/** One line of the report; `--json` prints the list of them. */
export interface CheckResult {
  /** Stable identifier: node, config, store, app-secret, provider:<id>:<aspect>, provider-folder, port, browser. */
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for a failure or a warning. */
  fix?: string;
}

/** A check that failed with a thrown error: its message, and its hint as the fix. */
export function failure<T extends object>(base: T, error: unknown, fix?: string): T & Omit<CheckResult, 'id' | 'label'> {
  const explained = asCliError(error);
  const detail = explained ? explained.message : (error as Error).message;
  const remedy = fix ?? explained?.hint;
  return { ...base, status: 'fail', detail, ...(remedy !== undefined ? { fix: remedy } : {}) };
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** One line per check, labels in a column; a fix on the line below its check. */
const MARKS: Record<CheckStatus, (color: ChalkInstance) => string> = {
  pass: (color) => color.green('✓'),
  warn: (color) => color.yellow('!'),
  fail: (color) => color.red('✗'),
  info: (color) => color.cyan('i'),
};

export function render(checks: readonly CheckResult[], color: ChalkInstance): string {
  const width = Math.min(28, Math.max(...checks.map((check) => check.label.length)));
  const lines: string[] = [];
  for (const check of checks) {
    // A detail of several lines (every problem of a broken file) continues in the detail column.
    const [first, ...more] = check.detail.split('\n');
    lines.push(`${MARKS[check.status](color)} ${check.label.padEnd(width)}  ${first}`);
    for (const line of more) lines.push(`  ${''.padEnd(width)}  ${line}`);
    if (check.fix !== undefined && check.status !== 'pass') lines.push(`  ${''.padEnd(width)}  ${color.bold('fix:')} ${check.fix}`);
  }
  return lines.join('\n');
}
