// main()'s report: only an error nobody anticipated is called a bug. Leaving a prompt is
// "cancelled" (130 for Ctrl-C, 1 for Ctrl-D), the operating system refusing something is its own
// one-line message, and a real bug still says so.
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ExitPromptError } from '@inquirer/core';
import { describe, expect, it } from 'vitest';
import { report } from '../../src/cli/main.js';
import { Cancelled } from '../../src/cli/stdin.js';
import { usageError } from '../../src/util/errors.js';

function reported(error: unknown, debug = false): { code: number; stderr: string } {
  let stderr = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stderr += chunk.toString();
      done();
    },
  });
  const code = report(error, { stderr: stream }, debug);
  return { code, stderr };
}

describe('report', () => {
  it('Ctrl-C at an @inquirer prompt: "cancelled" and 130, nothing about a bug', () => {
    expect(reported(new ExitPromptError('User force closed the prompt with SIGINT'))).toEqual({ code: 130, stderr: 'cancelled\n' });
  });

  it('Ctrl-D at an @inquirer prompt (the input closed as the process exits): "cancelled" and 1', () => {
    expect(reported(new ExitPromptError('User force closed the prompt with 0 null'))).toEqual({ code: 1, stderr: 'cancelled\n' });
  });

  it('a Cancelled from the CLI itself keeps its status', () => {
    expect(reported(new Cancelled(true))).toEqual({ code: 130, stderr: 'cancelled\n' });
    expect(reported(new Cancelled(false))).toEqual({ code: 1, stderr: 'cancelled\n' });
  });

  it('the operating system refusing a file is one line naming it, not a bug', async () => {
    const error = await readFile('/nonexistent-folder/oauthd.json').catch((caught: unknown) => caught);
    const { code, stderr } = reported(error);
    expect(code).toBe(1);
    expect(stderr).toBe("error: ENOENT: no such file or directory, open '/nonexistent-folder/oauthd.json'\n");
  });

  it('an error nobody anticipated is still reported as a bug, with the stack under --debug', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(reported(bug).stderr).toMatch(/^error: Cannot read properties.*\nhint: this is a bug in oauthd-cli/);
    expect(reported(bug, true).stderr).toContain('at ');
  });

  it('a usage error keeps its message, hint and exit code', () => {
    expect(reported(usageError('bad flag', 'use another'))).toEqual({ code: 2, stderr: 'error: bad flag\nhint: use another\n' });
  });
});
