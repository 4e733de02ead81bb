// The trace flags together: which outputs each combination turns on, through a real traced flow.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTraceSession, type TraceFlags } from '../../src/trace/session.js';
import { flowSecrets, leakForms, runTracedFlow, startTokenServer, type TokenServer } from './trace-fixture.js';

const secrets = flowSecrets();
let server: TokenServer;
let dir: string;

beforeAll(async () => {
  server = await startTokenServer(secrets);
  dir = await mkdtemp(join(tmpdir(), 'oauthd-trace-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function traced(flags: TraceFlags): Promise<{ stderr: string; opened: boolean }> {
  let stderr = '';
  const session = openTraceSession(flags, {
    write: (text) => (stderr += text),
    chalk: new Chalk({ level: 0 }),
    creator: { name: 'oauthd-cli', version: '0.0.0-test' },
    title: 'oauthd-cli login fixture',
  });
  if (session) {
    await runTracedFlow(session.transcript, server, secrets);
    await session.finish();
  }
  return { stderr, opened: session !== undefined };
}

describe('openTraceSession', () => {
  it('opens nothing without a trace flag', async () => {
    expect(await traced({})).toEqual({ stderr: '', opened: false });
  });

  it('--trace: the transcript on stderr, redacted, without curl lines', async () => {
    const { stderr } = await traced({ trace: true });
    expect(stderr).toContain('→ POST');
    expect(stderr).not.toContain('$ curl');
    expect(stderr).not.toContain('warning:');
    for (const form of leakForms(secrets)) expect(stderr).not.toContain(form);
  });

  it('--curl alone: only the curl lines', async () => {
    const { stderr } = await traced({ curl: true });
    expect(stderr).toMatch(/^# token request \(authorization_code\)\n/);
    expect(stderr).not.toContain('→');
    for (const form of leakForms(secrets)) expect(stderr).not.toContain(form);
  });

  it('--trace-secrets alone: a warning, then the trace with the values', async () => {
    const { stderr } = await traced({ traceSecrets: true });
    expect(stderr.startsWith('warning: --trace-secrets')).toBe(true);
    expect(stderr).toContain('→ POST');
    expect(stderr).toContain(secrets.verifier);
  });

  it('--har alone: nothing on stderr, a redacted HAR at 0600', async () => {
    const path = join(dir, 'flow.har');
    const { stderr, opened } = await traced({ har: path });
    expect(opened).toBe(true);
    expect(stderr).toBe('');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect((JSON.parse(text) as { log: { entries: unknown[] } }).log.entries).toHaveLength(5);
    for (const form of leakForms(secrets)) expect(text).not.toContain(form);
  });

  it('--har with --trace-secrets: the warning, no trace, and the values in the file', async () => {
    const path = join(dir, 'secrets.har');
    const { stderr } = await traced({ har: path, traceSecrets: true });
    expect(stderr.startsWith('warning: --trace-secrets')).toBe(true);
    expect(stderr).not.toContain('→');
    expect(await readFile(path, 'utf8')).toContain(secrets.accessToken);
  });
});
