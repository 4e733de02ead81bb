/**
 * Where the CLI runs: can it show a browser? Over SSH, or on Linux without DISPLAY/WAYLAND_DISPLAY,
 * launching a browser would fail or open a terminal browser nobody asked for.
 */
import type { Context } from './context.js';

export function isSsh(env: Context['env']): boolean {
  return Boolean(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY);
}

export function hasDisplay(ctx: Pick<Context, 'env' | 'platform'>): boolean {
  if (isSsh(ctx.env)) return false;
  if (ctx.platform === 'darwin' || ctx.platform === 'win32') return true;
  return Boolean(ctx.env.DISPLAY || ctx.env.WAYLAND_DISPLAY);
}
