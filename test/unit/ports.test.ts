// The test harness's port picker: ports the kernel never hands out by itself, one slice per worker.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';

const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);

describe('freePort', () => {
  it('picks ports below the ephemeral range, so no outgoing connection or port-0 bind can take them meanwhile', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port).toBeLessThan(ephemeralLow!);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('skips a port something already listens on', async () => {
    const taken: net.Server[] = [];
    try {
      // Fill most of this worker's slice from outside the picker; what it returns must still be free.
      const first = await freePort();
      const slice = Math.floor((first - 20_000) / 1_500);
      for (let port = 20_000 + slice * 1_500; port < 20_000 + (slice + 1) * 1_500 - 40; port += 1) {
        const server = net.createServer();
        const listening = await new Promise<boolean>((resolve) => {
          server.once('error', () => resolve(false));
          server.listen(port, '127.0.0.1', () => resolve(true));
        });
        if (listening) taken.push(server);
      }
      const port = await freePort().catch(() => undefined);
      if (port !== undefined) {
        const server = net.createServer();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve());
        });
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await Promise.all(taken.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('gives two workers running at once disjoint ports', async () => {
    const saved = process.env.VITEST_POOL_ID;
    const pick = async (pool: string) => {
      process.env.VITEST_POOL_ID = pool;
      const ports: number[] = [];
      for (let i = 0; i < 30; i += 1) ports.push(await freePort());
      return ports;
    };
    try {
      const one = await pick('1');
      const two = await pick('2');
      expect(Math.max(...one) < Math.min(...two) || Math.max(...two) < Math.min(...one)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.VITEST_POOL_ID;
      else process.env.VITEST_POOL_ID = saved;
    }
  });
});
