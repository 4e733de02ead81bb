// `login --inspect` with the grants that have no browser redirect (client credentials, the device
// grant): the built CLI against its embedded sandbox records the grant as a flow of its own kind,
// with its token request and checks, serves it until Ctrl-C, prints the token as usual and exits 0,
// and its note for `oauthd-cli inspect` goes when it stops.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_BIN, makeTempDir } from '../helpers/run-cli.js';
import type { FlowSummary, FlowView } from '../../src/inspector/recorder.js';

async function loginInspect(args: string[], kind: string, requests: string[]): Promise<void> {
  const home = await makeTempDir('oauthd-login-inspect-');
  const env: Record<string, string | undefined> = { ...process.env, HOME: home.path, XDG_DATA_HOME: join(home.path, 'data'), NO_COLOR: '1' };
  for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'OAUTHD_CONFIG']) delete env[name];
  const child = spawn(process.execPath, [CLI_BIN, 'login', 'sandbox', '--inspect', '--no-save', '--json', '--port', '0', ...args], { cwd: home.path, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    for (let waited = 0; !stderr.includes('Press Ctrl-C to stop it.'); waited += 100) {
      if (waited > 40_000 || child.exitCode !== null) throw new Error(`login did not hold its inspector:\n${stderr}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    const token = JSON.parse(stdout) as Record<string, string>;
    expect(token.access_token).toEqual(expect.any(String));
    const url = /^inspector {2}(http:\/\/\S+)$/m.exec(stderr)![1]!;
    const origin = new URL(url).origin;
    const entry = await fetch(url, { redirect: 'manual' });
    const cookie = entry.headers.get('set-cookie')!.split(';')[0]!;
    const { flows } = (await (await fetch(`${origin}/inspector/api/flows`, { headers: { cookie } })).json()) as { flows: FlowSummary[] };
    expect(flows).toMatchObject([{ kind, provider: 'sandbox', status: 'ok', app: 'oauthd-cli login' }]);
    const flow = (await (await fetch(`${origin}/inspector/api/flows/${flows[0]!.id}`, { headers: { cookie } })).json()) as FlowView;
    const purposes = flow.events.flatMap((event) => (event.kind === 'http' ? [event.purpose] : []));
    expect(purposes).toEqual(expect.arrayContaining(requests));
    expect(flow.events.filter((event) => event.kind === 'check').every((event) => event.kind === 'check' && event.check.ok)).toBe(true);
    expect(flow.tokens.map((view) => view.name)).toContain('access_token');
    expect(JSON.stringify(flow)).not.toContain(token.access_token);
    expect(await readdir(join(home.path, 'data', 'oauthd-cli', 'inspectors'))).toEqual([`${new URL(url).port}.json`]);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await readdir(join(home.path, 'data', 'oauthd-cli', 'inspectors'))).toEqual([]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await home.cleanup();
  }
}

describe('login --inspect, grants without a redirect', () => {
  it('--client-credentials is recorded as a client-credentials flow', async () => {
    await loginInspect(['--client-credentials'], 'client_credentials', ['token request (client_credentials)']);
  }, 60_000);

  it('--device (approved on the sandbox) is recorded as a device flow, its polls included', async () => {
    await loginInspect(['--device', '--auto-approve'], 'device', ['device authorization request', 'token request (device_code)']);
  }, 60_000);
});
