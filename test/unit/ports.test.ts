// The test harness's port picker: ports the kernel never hands out by itself, one slice per worker.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, portSlice } from '../helpers/ports.js';

const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);

describe('freePort', () => {
  it('picks ports below the ephemeral range, so no outgoing connection or port-0 bind can take them meanwhile', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port).toBeLessThan(ephemeralLow!);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('skips ports something already listens on', async () => {
    // Four of five ports of this worker's slice held from outside the picker: ten picks in a row
    // land only on free ones (without the check, all ten would with a chance of 0.2^10).
    const { first, size } = portSlice();
    const taken: net.Server[] = [];
    const free = new Set<number>();
    try {
      for (let port = first; port < first + size; port += 1) {
        if (port % 5 === 0) {
          free.add(port);
          continue;
        }
        const server = net.createServer();
        const listening = await new Promise<boolean>((resolve) => {
          server.once('error', () => resolve(false));
          server.listen(port, '127.0.0.1', () => resolve(true));
        });
        if (listening) taken.push(server);
      }
      for (let i = 0; i < 10; i += 1) expect(free).toContain(await freePort());
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
