// `oauthd-cli completion bash|zsh|fish`, loaded in the real shells: a command, an option, an
// option's values and provider ids (the catalog, the sandbox, and the keysets of oauthd.json,
// asked from the CLI at TAB time). bash is always here; zsh and fish are exercised when installed
// (zsh through its own completion system in a zpty, fish through `complete -C`), otherwise their
// scripts are only checked for structure.
import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, makeTempDir, runCli, type TempDir } from '../helpers/run-cli.js';
import { onPath, requireComponent } from '../helpers/components.js';

interface Setup {
  home: TempDir;
  /** A folder with `oauthd-cli` in it, for PATH: the completion scripts call the CLI by name. */
  bin: string;
  /** The app: oauthd.json with a keyset "acme-idp" that no catalog has. */
  app: string;
  env: Record<string, string>;
}

let setup: Setup;

beforeAll(async () => {
  const home = await makeTempDir('oauthd-cli-completion-');
  const bin = join(home.path, 'bin');
  const app = join(home.path, 'app');
  await mkdir(bin);
  await mkdir(app);
  await symlink(CLI_BIN, join(bin, 'oauthd-cli'));
  const env = { HOME: home.path, XDG_DATA_HOME: join(home.path, 'data'), XDG_CONFIG_HOME: join(home.path, 'config'), OAUTHD_STORE: 'file' };
  const init = await runCli(['init', '--yes'], { cwd: app, env });
  expect(init.code, init.stderr).toBe(0);
  const file = join(app, 'oauthd.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as { providers: Record<string, unknown> };
  config.providers['acme-idp'] = { clientId: 'cli', issuer: 'https://idp.example.com' };
  await writeFile(file, JSON.stringify(config, null, 2));
  // Another project's config, reached only through --config.
  await mkdir(join(home.path, 'other'));
  await writeFile(join(home.path, 'other', 'oauthd.json'), JSON.stringify({ providers: { 'other-idp': { clientId: 'x' } } }));
  setup = { home, bin, app, env };
  return () => home.cleanup();
});

function shellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...setup.env, PATH: `${setup.bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };
  for (const name of ['OAUTHD_CONFIG', 'OAUTHD_PROVIDERS_DIR', 'BASH_ENV', 'ENV', 'ZDOTDIR', 'DBUS_SESSION_BUS_ADDRESS']) delete env[name];
  return env;
}

function run(command: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: setup.app, env: shellEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function script(shell: string): Promise<string> {
  const result = await runCli(['completion', shell], { cwd: setup.app, env: setup.env });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout;
}

/** Completes each line (the cursor at its end) in a real bash with the script loaded; one answer per line. */
async function bashComplete(lines: string[]): Promise<string[][]> {
  const driver = [
    'source <(oauthd-cli completion bash) || exit 3',
    'complete -p oauthd-cli >/dev/null || exit 4',
    'while IFS= read -r line; do',
    '  read -r -a COMP_WORDS <<< "$line"',
    '  [[ $line == *" " ]] && COMP_WORDS+=("")',
    '  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$line; COMP_POINT=${#line}; COMPREPLY=()',
    '  _oauthd_cli oauthd-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
    '  echo "${COMPREPLY[*]}"',
    'done',
  ].join('\n');
  const result = await run('bash', ['--norc', '--noprofile', '-c', driver], `${lines.join('\n')}\n`);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.split('\n').slice(0, lines.length).map((line) => line.split(' ').filter(Boolean).sort());
}

describe('completion bash (in a real bash, through COMP_WORDS and compgen)', () => {
  it('completes commands, subcommands, options, option values and help targets', async () => {
    const answers = await bashComplete([
      'oauthd-cli lo',
      'oauthd-cli providers ',
      'oauthd-cli login --sc',
      'oauthd-cli login --store ',
      'oauthd-cli token print --format ',
      'oauthd-cli help tok',
      'oauthd-cli completion ',
      'oauthd-cli login --scope ',
    ]);
    expect(answers).toEqual([
      ['login', 'logout'],
      ['add', 'discover', 'help', 'list', 'register', 'registration', 'show', 'unregister', 'validate'],
      ['--scope'],
      ['file', 'keychain'],
      ['env', 'exec-credential', 'header', 'json', 'raw'],
      ['token'],
      ['bash', 'fish', 'zsh'],
      [], // a free value: nothing to offer, and certainly not commands
    ]);
  });

  it('completes provider ids from the catalog, the sandbox and oauthd.json (and from --config FILE)', async () => {
    const answers = await bashComplete([
      'oauthd-cli login gith',
      'oauthd-cli token show sandb',
      'oauthd-cli login --profile work acme',
      'oauthd-cli --config ../other/oauthd.json me other',
      'oauthd-cli providers show gitl',
      'oauthd-cli request github ',
    ]);
    expect(answers).toEqual([['github'], ['sandbox'], ['acme-idp'], ['other-idp'], ['gitlab'], []]);
  }, 120_000);
});

describe('__complete providers (what the scripts call at TAB time)', () => {
  it('lists the sandbox, the catalog and the configured keysets, one per line', async () => {
    const result = await runCli(['__complete', 'providers'], { cwd: setup.app, env: setup.env });
    expect(result.code, result.stderr).toBe(0);
    const ids = result.stdout.trim().split('\n');
    expect(ids).toEqual(expect.arrayContaining(['sandbox', 'github', 'google', 'acme-idp']));
    expect(ids).toEqual([...ids].sort());
  });

  it('a broken oauthd.json only means fewer ids, never an error at the prompt', async () => {
    const dir = (await makeTempDir()).path;
    await writeFile(join(dir, 'oauthd.json'), '{ "providers": ');
    const result = await runCli(['__complete', 'providers'], { cwd: dir, env: setup.env });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toContain('github');
  });

  it('is not in the help', async () => {
    const result = await runCli(['--help'], { env: setup.env });
    expect(result.stdout).toContain('completion');
    expect(result.stdout).not.toContain('__complete');
  });
});

it('an unknown shell is a usage error naming the choices', async () => {
  const result = await runCli(['completion', 'powershell'], { env: setup.env });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/bash, zsh, fish/);
});

describe('completion zsh', () => {
  it('has the structure compsys expects (#compdef, compdef registration, the same command table)', async () => {
    const text = await script('zsh');
    expect(text.split('\n')[0]).toBe('#compdef oauthd-cli');
    expect(text).toContain('compdef _oauthd_cli oauthd-cli');
    expect(text).toMatch(/'providers'\) reply=\( 'add:add or update the keyset/);
    expect(text).toContain("'login|--store') echo 'choices:keychain file'");
  });

  it.skipIf(!requireComponent('zsh', onPath('zsh')))('parses (zsh -n) and completes a command, an option and a provider id through compinit', async () => {
    const file = join(setup.home.path, 'oauthd-cli.zsh');
    await writeFile(file, await script('zsh'));
    expect((await run('zsh', ['-n', file])).code).toBe(0);

    // An interactive zsh in a pseudo-terminal (zsh's own zpty): type, press TAB, read the line back.
    const cases: Array<[string, string]> = [
      ['oauthd-cli provi', 'oauthd-cli providers '],
      ['oauthd-cli login --sco', 'oauthd-cli login --scope '],
      ['oauthd-cli login --store k', 'oauthd-cli login --store keychain '],
      ['oauthd-cli login acme', 'oauthd-cli login acme-idp '],
    ];
    const driver = `
zmodload zsh/zpty || exit 3
zpty shell env TERM=dumb zsh -f -i
zpty -w shell 'PS1="> "; autoload -U compinit; compinit -u -D; source ${file}; print READY'
zpty -r shell line '*READY*' && zpty -r shell line '*READY*'
for input expected in ${cases.map(([input, expected]) => `'${input}' '${expected}'`).join(' ')}; do
  zpty -w -n shell "$input"$'\\t'
  out=''
  for i in {1..200}; do
    while zpty -r -t shell chunk; do out+=$chunk; done
    [[ $out == *"$expected"* ]] && break
    sleep 0.1
  done
  if [[ $out == *"$expected"* ]]; then print -r -- "ok $input"; else print -r -- "MISS $input => \${(q+)out}"; fi
  zpty -w -n shell $'\\x15'
  sleep 0.2
  while zpty -r -t shell chunk; do :; done
done
zpty -d shell
`;
    const result = await run('zsh', ['-f', '-c', driver]);
    expect(result.stdout.trim().split('\n'), result.stderr).toEqual(cases.map(([input]) => `ok ${input}`));
  }, 120_000);
});

describe('completion fish', () => {
  it('has one complete line per subcommand and option, and asks the CLI for provider ids', async () => {
    const text = await script('fish');
    expect(text).toContain("complete -c oauthd-cli -n '__oauthd_cli_at \"\" first' -a 'login'");
    expect(text).toMatch(/complete -c oauthd-cli -n '__oauthd_cli_at "login"' -l store -x -a 'keychain file'/);
    expect(text).toContain("complete -c oauthd-cli -n '__oauthd_cli_wants provider' -a '(__oauthd_cli_providers)'");
  });

  it.skipIf(!requireComponent('fish', onPath('fish')))('parses (fish -n) and completes a command, an option and a provider id (complete -C)', async () => {
    const file = join(setup.home.path, 'oauthd-cli.fish');
    await writeFile(file, await script('fish'));
    expect((await run('fish', ['-n', file])).code).toBe(0);
    const lines = ['oauthd-cli lo', 'oauthd-cli login --sc', 'oauthd-cli login --store ', 'oauthd-cli login acme', 'oauthd-cli token show gith'];
    const driver = `source ${file}; for line in ${lines.map((line) => `'${line}'`).join(' ')}; complete -C "$line" | string replace -r '\\t.*' '' | string join ' '; end`;
    const result = await run('fish', ['--no-config', '-c', driver]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(['login logout', '--scope', 'file keychain', 'acme-idp', 'github']);
  }, 120_000);
});
