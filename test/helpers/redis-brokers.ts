// Several `serve` processes of one project on one real Redis store (as redis-brokers.test.ts runs
// them), each on its own port and, with `inspect`, with its inspector: the sign-in steps a test
// drives (start at a broker, sign in with Chromium, deliver the callback, trade the code) and the
// inspector's API with each broker's cookie.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from './run-cli.js';
import { startServe, type ServeProcess } from './serve.js';
import { addIssuer, newProject } from './project.js';

export const PAGE = 'http://localhost:3000';

export interface RedisBroker {
  serve: ServeProcess;
  port: number;
  /** The inspector's per-run secret, from the banner (with `inspect`). */
  inspectorSecret: string;
  /** GET (or POST with `body`) on the inspector's API, with this run's cookie and the page's Origin. */
  inspector(path: string, body?: unknown): Promise<Response>;
  /** Starts a server flow as the app's page does: the provider's authorization URL. */
  start(state?: string): Promise<string>;
  /** Trades a server-flow code (the app's back end). */
  exchange(code: string): Promise<Response>;
}

export interface RedisBrokers {
  dir: string;
  brokers: RedisBroker[];
  /** Signs in at the provider in Chromium and returns the callback URL, not yet delivered. */
  signIn(authorizeUrl: string): Promise<string>;
  stop(): Promise<Array<number | null>>;
}

/** The code in the callback page's message to the app. */
export function codeIn(page: string): string {
  const message = /var message=("(?:[^"\\]|\\.)*")/.exec(page)?.[1];
  if (!message) throw new Error(`no message in the callback page:\n${page}`);
  return (JSON.parse(JSON.parse(message) as string) as { data: { code: string } }).data.code;
}

export async function startRedisBrokers(options: { redisUrl: string; issuer: string; ports: number[]; inspect?: boolean }): Promise<RedisBrokers> {
  const project = await newProject();
  const init = await runCli(['init', '--yes', '--force', '--json', '--flow', 'server', '--domain', PAGE], { cwd: project.dir, env: project.env });
  const { key, secret } = JSON.parse(init.stdout) as { key: string; secret: string };
  await addIssuer(project, options.issuer);
  const configPath = join(project.dir, 'oauthd.json');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { broker: Record<string, unknown> };
  config.broker.store = { type: 'redis', url: options.redisUrl };
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const brokers: RedisBroker[] = [];
  try {
    for (const port of options.ports) {
      const serve = await startServe({ cwd: project.dir, env: project.env, args: ['--port', String(port), ...(options.inspect ? ['--inspect'] : [])] });
      const printed = /^ {2}inspector {6}(http:\/\/\S+)/m.exec(serve.stderr())?.[1];
      const inspectorSecret = printed ? (new URL(printed).searchParams.get('secret') ?? '') : '';
      const origin = `http://127.0.0.1:${port}`;
      brokers.push({
        serve,
        port,
        inspectorSecret,
        inspector: (path, body) =>
          fetch(`${origin}/inspector/api/${path}`, {
            ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
            headers: { cookie: `oauthd_inspector_${port}=${inspectorSecret}`, origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          }),
        async start(state = 'backend-state') {
          const response = await fetch(`${origin}/auth/myidp?k=${key}&opts=${encodeURIComponent(JSON.stringify({ state }))}`, { redirect: 'manual', headers: { origin: PAGE } });
          if (response.status !== 302) throw new Error(`the flow did not start at ${origin}: ${response.status} ${await response.text()}`);
          return response.headers.get('location')!;
        },
        exchange: (code) =>
          fetch(`${origin}/auth/access_token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ code, key, secret }).toString(),
          }),
      });
    }
  } catch (error) {
    await Promise.all(brokers.map((broker) => broker.serve.stop()));
    throw error;
  }
  return {
    dir: project.dir,
    brokers,
    async signIn(authorizeUrl) {
      const captured = join(project.dir, `callback-${Math.random().toString(36).slice(2)}.txt`);
      const browser = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/browser.mjs'), authorizeUrl], {
        env: { ...process.env, BROWSER_ACTION: 'capture-callback', BROWSER_CAPTURE_FILE: captured },
        stdio: 'ignore',
      });
      const code = await new Promise((resolve) => browser.once('exit', resolve));
      if (code !== 0) throw new Error(`the browser sign-in failed (exit ${String(code)})`);
      return readFile(captured, 'utf8');
    },
    stop: () => Promise.all(brokers.map((broker) => broker.serve.stop())),
  };
}

/** A Server-Sent Events stream read as it comes: `waitFor` resolves once the text so far passes `test` (false after `ms`). */
export function eventStream(response: Response): { text(): string; waitFor(test: (text: string) => boolean, ms?: number): Promise<boolean>; close(): void } {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const waiters = new Set<() => void>();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        for (const wake of waiters) wake();
      }
    } catch {
      // cancelled
    }
  })();
  return {
    text: () => text,
    waitFor: (test, ms = 15_000) =>
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (!test(text)) return;
          finish(true);
        };
        const finish = (result: boolean) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(result);
        };
        const timer = setTimeout(() => finish(false), ms);
        waiters.add(check);
        check();
      }),
    close: () => void reader.cancel().catch(() => undefined),
  };
}
