/**
 * Binding the broker's port, with the errors a developer can act on.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { configError } from '../util/errors.js';

export interface Bound {
  port: number;
  /** http://host:port as browsers on this machine reach it (all interfaces written as 127.0.0.1). */
  origin: string;
  /** http://address:port the socket is bound to, e.g. http://0.0.0.0:6284 for --host 0.0.0.0. */
  address: string;
  /** Whether only this machine can connect (127.0.0.0/8, ::1). */
  loopback: boolean;
}

export async function listen(app: FastifyInstance, host: string, port: number): Promise<Bound> {
  // Fastify has no logger of its own here (the broker's request log is its own, app.ts), so
  // nothing but the command's banner says where it listens.
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw configError(
        `port ${port} on ${host} is in use (another oauthd-cli serve or login?)`,
        'stop the other process, or choose another with --port (0 picks a free one; register the matching redirect URI at the provider)',
      );
    }
    if (code === 'EACCES') throw configError(`not allowed to listen on ${host}:${port}`, 'use a port above 1023 with --port');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw configError(`cannot listen on ${host}: no such local address`, 'use --host 127.0.0.1');
    throw error;
  }
  const { address, port: bound } = app.server.address() as AddressInfo;
  const bracket = (name: string) => (name.includes(':') ? `[${name}]` : name);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : bracket(host);
  return {
    port: bound,
    origin: `http://${shownHost}:${bound}`,
    address: `http://${bracket(address)}:${bound}`,
    loopback: address === '::1' || /^(::ffff:)?127\./.test(address),
  };
}

/** Host header values a loopback broker answers to. */
export function loopbackHosts(port: number, extra: string[] = []): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...extra.map((host) => host.toLowerCase())]);
}
