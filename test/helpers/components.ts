// Which real components (browser, keychain, Redis) this machine has, and the CI rule.
//
// Locally a missing component skips the tests that need it. Under CI (CI=true) it is a failure:
// a CI machine that silently skips the browser or keychain tests proves nothing.
//
//   describe.skipIf(!requireComponent('chromium', hasChromium()))('browser flows', () => { ... });
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Debian package that provides each component (what to `apt-get install -y`). */
const APT_PACKAGES: Record<string, string> = {
  chromium: 'chromium',
  'secret-service': 'gnome-keyring dbus-x11 libsecret-tools',
  keyring: 'gnome-keyring dbus-x11 libsecret-tools',
  redis: 'redis-server',
  zsh: 'zsh',
  fish: 'fish',
};

/** True when an executable named `command` is on PATH (no process is spawned). */
export function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian's Chromium at the path test/helpers/browser.mjs launches. */
export function hasChromium(): boolean {
  return isExecutable('/usr/bin/chromium');
}

/** What test/helpers/with-keyring.sh needs: a private D-Bus session and gnome-keyring. */
export function hasSecretService(): boolean {
  return onPath('gnome-keyring-daemon') && onPath('dbus-run-session');
}

export function hasRedis(): boolean {
  return onPath('redis-server');
}

/**
 * Returns `available`, except that under CI (`CI=true`) a missing component throws instead of
 * returning false, so the test file fails loudly rather than skipping.
 */
export function requireComponent(name: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.CI === 'true') {
    const pkg = APT_PACKAGES[name] ?? name;
    throw new Error(
      `Required test component "${name}" is missing, and under CI missing components fail instead of skipping. ` +
        `Install it with: apt-get install -y ${pkg}`,
    );
  }
  return false;
}
