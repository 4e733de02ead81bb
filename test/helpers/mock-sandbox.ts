// Runs `oauthd-cli sandbox --port 0 --json …` (the built CLI, as an app's test suite runs it) in a
// private HOME, waits for its JSON line, and drives its control endpoint. Asynchronous spawn only.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI_BIN, makeTempDir, REPO_ROOT } from './run-cli.js';

export interface MockSandbox {
  issuer: string;
  discovery: string;
  clientId: string;
  clientSecret: string;
  home: string;
  env: Record<string, string>;
  stderr(): string;
  /** The JSON line as printed. */
  line(): string;
  /** POST {issuer}/_control/faults; returns the status and the JSON answer. */
  fault(body: unknown, init?: { contentType?: string; raw?: string }): Promise<{ status: number; json: Record<string, unknown> }>;
  /** GET {issuer}/_control/faults. */
  faults(): Promise<Array<Record<string, unknown>>>;
  /** DELETE {issuer}/_control/faults. */
  clear(): Promise<void>;
  stop(): Promise<number | null>;
}

export async function startMockSandbox(args: string[] = [], options: { env?: Record<string, string> } = {}): Promise<MockSandbox> {
  const temp = await makeTempDir('oauthd-cli-mock-');
  const home = temp.path;
  const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), ...options.env };
  const childEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...env };
  for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'OAUTHD_CONFIG']) {
    if (!(name in env)) delete childEnv[name];
  }
  const child = spawn(process.execPath, [CLI_BIN, 'sandbox', '--port', '0', '--json', ...args], {
    cwd: home,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sandbox did not print its JSON line within 20 s:\n${stderr}`)), 20_000);
    const check = () => {
      const end = stdout.indexOf('\n');
      if (end === -1) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.slice(0, end)) as Record<string, string>);
      } catch (error) {
        reject(error as Error);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited with ${code} before listening:\n${stderr}`));
    });
  });
  const issuer = line.issuer as string;
  const printed = stdout.slice(0, stdout.indexOf('\n'));
  const control = `${issuer}/_control/faults`;
  return {
    issuer,
    discovery: line.discovery as string,
    clientId: line.client_id as string,
    clientSecret: line.client_secret as string,
    home,
    env,
    stderr: () => stderr,
    line: () => printed,
    async fault(body, init = {}) {
      const response = await fetch(control, {
        method: 'POST',
        headers: { 'content-type': init.contentType ?? 'application/json' },
        body: init.raw ?? JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
    async faults() {
      const response = await fetch(control);
      return ((await response.json()) as { faults: Array<Record<string, unknown>> }).faults;
    },
    async clear() {
      const response = await fetch(control, { method: 'DELETE' });
      if (response.status !== 200) throw new Error(`DELETE ${control}: HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await temp.cleanup();
      return code;
    },
  };
}

/** The independent client (test/fixtures/independent-client.mjs, openid-client), run once with `steps`. */
export async function independentClient(sandbox: Pick<MockSandbox, 'issuer' | 'clientId' | 'clientSecret'>, steps: unknown[]): Promise<Array<Record<string, any>>> {
  const plan = { issuer: sandbox.issuer, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, redirectUri: 'http://127.0.0.1:9/callback', steps };
  const child = spawn(process.execPath, [join(REPO_ROOT, 'test', 'fixtures', 'independent-client.mjs'), JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the independent client exited with ${code}:\n${stderr}`);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text) as Record<string, any>);
}
