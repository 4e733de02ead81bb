// Free loopback ports for test servers.
import net from 'node:net';

/**
 * Ports for servers a test starts on a port it must know before the server runs (a broker whose
 * callback a fixture registers, a child process told its port).
 *
 * Asking the kernel for port 0 and releasing it is racy: until the server binds, the kernel may hand
 * the same port to anyone else asking for an ephemeral port, such as an outgoing connection of a
 * test running beside this one (a broker once failed with EADDRINUSE that way). So the ports come
 * from below Linux's ephemeral range (ip_local_port_range, 32768–60999), which the kernel never
 * hands out by itself, and each vitest worker takes its own slice of them (VITEST_POOL_ID), so two
 * test files running at once never pick the same port. A port is still checked free before it is
 * returned (some other program may hold it), and never returned twice by one process.
 */
const FIRST_PORT = 20_000;
const SLICE = 1_500;
const SLICES = 8;
const handedOut = new Set<number>();

/** The ports this process picks from: its worker's slice. */
export function portSlice(): { first: number; size: number } {
  const pool = Number(process.env.VITEST_POOL_ID ?? 0);
  const slice = Number.isInteger(pool) && pool > 0 ? pool % SLICES : 0;
  return { first: FIRST_PORT + slice * SLICE, size: SLICE };
}

export async function freePort(): Promise<number> {
  const { first } = portSlice();
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = first + Math.floor(Math.random() * SLICE);
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no free port in ${first}–${first + SLICE - 1} after 50 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
