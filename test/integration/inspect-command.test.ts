// `oauthd-cli inspect` against a real `serve`: it finds the running broker's inspector through the
// note serve writes under the data folder (0600 in a 0700 folder), opens it with $BROWSER or prints
// it, says which broker when several could be meant, ignores notes of brokers that are gone, and
// says how to start one when none runs.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type TempDir } from '../helpers/run-cli.js';
import { startServe, type ServeProcess } from '../helpers/serve.js';

let project: TempDir;
let env: Record<string, string>;
let broker: ServeProcess | undefined;
let printed: string;

const notes = () => join(project.path, 'data', 'oauthd-cli', 'inspectors');

beforeAll(async () => {
  project = await makeTempDir('oauthd-inspect-');
  env = { HOME: project.path, XDG_DATA_HOME: join(project.path, 'data') };
  expect((await runCli(['init', '--yes'], { cwd: project.path, env })).code).toBe(0);
  broker = await startServe({ cwd: project.path, env, args: ['--port', '0', '--quiet', '--inspect'] });
  printed = /^ {2}inspector {6}(http:\/\/\S+)/m.exec(broker.stderr())![1]!;
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  await project?.cleanup();
});

describe('oauthd-cli inspect', () => {
  it('serve records nothing and serves no inspector without --inspect, and says how to turn it on', async () => {
    const plain = await startServe({ cwd: project.path, env, args: ['--port', '0', '--quiet'] });
    try {
      expect(plain.stderr()).toMatch(/^ {2}inspector {6}off \(serve --inspect/m);
      expect((await fetch(`${plain.origin}/inspector/`, { redirect: 'manual' })).status).toBe(404);
      await expect(stat(join(notes(), `${new URL(plain.origin).port}.json`))).rejects.toThrow(/ENOENT/);
    } finally {
      await plain.stop();
    }
  });

  it('finds the inspector serve published (a 0600 note in a 0700 folder) and prints its URL, which works', async () => {
    const port = new URL(broker!.origin).port;
    const note = join(notes(), `${port}.json`);
    expect((await stat(note)).mode & 0o777).toBe(0o600);
    expect((await stat(notes())).mode & 0o777).toBe(0o700);
    const run = await runCli(['inspect', '--print'], { cwd: project.path, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${printed}\n`);
    const entry = await fetch(printed, { redirect: 'manual' });
    expect(entry.status).toBe(303);
    expect(entry.headers.get('set-cookie')).toMatch(new RegExp(`^oauthd_inspector_${port}=[^;]+; Path=/inspector; HttpOnly; SameSite=Strict$`));
  });

  it('opens it with $BROWSER; without a display or $BROWSER it prints it', async () => {
    const opened = join(project.path, 'opened.txt');
    const recorder = join(project.path, 'record-browser.mjs');
    await writeFile(recorder, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(opened)}, process.argv.at(-1));\n`);
    const run = await runCli(['inspect'], { cwd: project.path, env: { ...env, BROWSER: `${process.execPath} ${recorder}` } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Opened \$BROWSER \(.+\) on the inspector of serve \(.+oauthd\.json\), port \d+\./);
    for (let waited = 0; waited < 5000 && !(await readFile(opened, 'utf8').catch(() => '')); waited += 100) await new Promise((done) => setTimeout(done, 100));
    expect(await readFile(opened, 'utf8')).toBe(printed);

    const headless = await runCli(['inspect'], { cwd: project.path, env });
    expect(headless.code).toBe(0);
    expect(headless.stdout).toBe(`${printed}\n`);
    expect(headless.stderr).toContain('No display and no $BROWSER');
  });

  it('names the brokers running when --port names none, and ignores the note of a broker that is gone', async () => {
    await writeFile(join(notes(), '1.json'), JSON.stringify({ url: 'http://127.0.0.1:1/inspector?secret=x', pid: 2 ** 22 + 12345, port: 1, command: 'serve (gone)', startedAt: new Date().toISOString() }), { mode: 0o600 });
    const wrong = await runCli(['inspect', '--port', '2'], { cwd: project.path, env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: no broker with an inspector runs on port 2$/m);
    expect(wrong.stderr).toMatch(new RegExp(`running: ${new URL(broker!.origin).port} \\(serve`));
    expect(wrong.stderr).not.toContain('serve (gone)');
    await expect(stat(join(notes(), '1.json'))).rejects.toThrow();
  });

  it('when the broker stops (ending an open event stream at once), its note goes, and inspect says how to start one', async () => {
    const port = new URL(broker!.origin).port;
    const secret = new URL(printed).searchParams.get('secret')!;
    const stream = await fetch(`${broker!.origin}/inspector/api/events`, { headers: { cookie: `oauthd_inspector_${port}=${secret}` } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reading = stream.text();
    const stopping = Date.now();
    expect(await broker!.stop()).toBe(0);
    // Before serve's 3 s grace would close the connection by force: the stream was ended.
    expect(Date.now() - stopping).toBeLessThan(2500);
    expect(await reading).toContain('retry: 2000');
    broker = undefined;
    const run = await runCli(['inspect'], { cwd: project.path, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: no running broker has an inspector$/m);
    expect(run.stderr).toContain('oauthd-cli serve');
  });
});
