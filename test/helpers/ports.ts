// Free loopback ports for test servers.
import net from 'node:net';

/**
 * Returns a TCP port that was free on 127.0.0.1 a moment ago: binds port 0, reads the port the
 * kernel chose, and releases it. There is a small window in which another process could take it;
 * callers that spawn a server should treat "address in use" as a (rare) retryable failure.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: unexpected server address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
