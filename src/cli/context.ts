/**
 * What every command receives instead of reaching for globals: its streams, environment, working
 * folder, global flags and the factory of its dependencies. Tests and the in-process callers build
 * one with fakes; main() builds the real one from `process`.
 */
import type { Readable, Writable } from 'node:stream';
import { systemFactory, type Factory } from './factory.js';

export interface OutputStream extends Writable {
  isTTY?: boolean;
}
export interface InputStream extends Readable {
  isTTY?: boolean;
}

export interface Context {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: InputStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** --debug: stack traces and internal detail on stderr. */
  debug: boolean;
  /** --config FILE, when given; otherwise $OAUTHD_CONFIG, else the nearest oauthd.json from cwd up (config/load.ts). */
  configPath: string | undefined;
  /** Platform, injectable so headless/SSH detection can be tested. */
  platform: NodeJS.Platform;
  /**
   * The HTTP client, vault, browser opener, clock and prompts a command builds its work from
   * (./factory.ts): the real ones here, fakes in tests (test/helpers/fake-factory.ts).
   */
  factory: Factory;
}

export function processContext(): Context {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    debug: false,
    configPath: undefined,
    platform: process.platform,
    factory: systemFactory({ env: process.env, platform: process.platform }),
  };
}
