// How login decides it cannot show a browser, and what it accepts back on stdin.
import { describe, expect, it } from 'vitest';
import { hasDisplay, isSsh } from '../../src/cli/environment.js';
import { callbackQuery } from '../../src/cli/login/paste.js';

describe('display and SSH detection', () => {
  it('an SSH session has no usable display, whatever DISPLAY says', () => {
    expect(isSsh({ SSH_CONNECTION: '203.0.113.7 52000 198.51.100.2 22' })).toBe(true);
    expect(isSsh({ SSH_TTY: '/dev/pts/1' })).toBe(true);
    expect(hasDisplay({ env: { SSH_CONNECTION: '1 2 3 4', DISPLAY: ':0' }, platform: 'linux' })).toBe(false);
    expect(hasDisplay({ env: { SSH_CLIENT: '1 2 3' }, platform: 'darwin' })).toBe(false);
  });

  it('Linux needs DISPLAY or WAYLAND_DISPLAY; macOS and Windows always have a desktop', () => {
    expect(hasDisplay({ env: {}, platform: 'linux' })).toBe(false);
    expect(hasDisplay({ env: { DISPLAY: ':0' }, platform: 'linux' })).toBe(true);
    expect(hasDisplay({ env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux' })).toBe(true);
    expect(hasDisplay({ env: {}, platform: 'darwin' })).toBe(true);
    expect(hasDisplay({ env: {}, platform: 'win32' })).toBe(true);
  });
});

describe('a pasted callback URL', () => {
  it('gives its query when it is an authorization response', () => {
    expect(callbackQuery('  http://127.0.0.1:6284/auth?code=abc&state=xyz  ')).toBe('code=abc&state=xyz');
    expect(callbackQuery('http://127.0.0.1:6284/auth?error=access_denied&state=xyz')).toBe('error=access_denied&state=xyz');
    expect(callbackQuery('http://127.0.0.1:6284/auth?oauth_token=t&oauth_verifier=v')).toBe('oauth_token=t&oauth_verifier=v');
  });

  it('ignores anything else', () => {
    expect(callbackQuery('')).toBeUndefined();
    expect(callbackQuery('not a url')).toBeUndefined();
    expect(callbackQuery('https://github.com/login?return_to=x')).toBeUndefined();
  });
});
