/**
 * Opening the system browser. When $BROWSER is set, that command runs with the URL as its last
 * argument (as git and gh do; a "%s" in it is replaced instead); otherwise the `open` package picks
 * the platform's opener. The CLI does not wait for the browser to exit.
 */
import { spawn } from 'node:child_process';
import { parse } from 'shell-quote';
import { usageError } from '../util/errors.js';

export async function openBrowser(url: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const command = env.BROWSER?.trim();
  if (command) {
    const words = parse(command).filter((word): word is string => typeof word === 'string');
    if (words.length === 0) throw usageError(`$BROWSER="${command}" is not a command`, 'set BROWSER to a browser command, or unset it');
    const args = words.some((word) => word.includes('%s')) ? words.map((word) => word.replaceAll('%s', url)) : [...words, url];
    const [program, ...rest] = args as [string, ...string[]];
    await spawnDetached(program, rest, `$BROWSER (${program})`);
    return `$BROWSER (${program})`;
  }
  const { default: open } = await import('open');
  const child = await open(url, { wait: false });
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(usageError(`the system browser could not start: ${error.message}`, 'open the URL yourself, or set $BROWSER')));
    child.once('spawn', () => resolve());
  });
  return 'the system browser';
}

function spawnDetached(program: string, args: string[], name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'ignore', detached: true });
    child.once('error', (error) => reject(usageError(`${name} could not start: ${error.message}`, 'fix $BROWSER, or use --no-browser and open the URL yourself')));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
