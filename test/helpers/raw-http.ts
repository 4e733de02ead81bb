// HTTP/1.1 over a bare `node:net` socket, for requests no HTTP client will send: malformed request
// lines and headers, a foreign Host, odd methods, lying Content-Length. Reads one answer: it ends
// at the framing the head announces (Content-Length, chunked, or no body), or when the server
// closes; a reset or a close before any status line is reported as such, never as an answer.
import { connect } from 'node:net';

export interface RawAnswer {
  /** The final status (a 100 Continue is skipped); undefined when no status line came. */
  status: number | undefined;
  head: string;
  body: string;
  /** A socket error before the answer was complete (ECONNRESET, …). */
  error: string | undefined;
  timedOut: boolean;
  /** The server closed without sending any status line. */
  closedWithoutAnswer: boolean;
}

interface Framing {
  status: number;
  head: string;
  bodyStart: number;
  complete(buffer: Buffer): boolean;
}

/** The head of the first non-1xx answer in `buffer`, and how to tell its body is complete. */
function frame(buffer: Buffer, method: string): Framing | undefined {
  let offset = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n', offset);
    if (end === -1) return undefined;
    const head = buffer.subarray(offset, end).toString('latin1');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1]);
    const bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      offset = bodyStart;
      continue;
    }
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
    const chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/i.test(head);
    const noBody = method === 'HEAD' || status === 204 || status === 304;
    return {
      status,
      head,
      bodyStart,
      complete: (all) => {
        if (noBody) return true;
        if (chunked) return all.subarray(bodyStart).includes('\r\n0\r\n\r\n') || all.subarray(bodyStart).toString('latin1').startsWith('0\r\n\r\n');
        if (length !== undefined) return all.length - bodyStart >= Number(length);
        return false;
      },
    };
  }
}

export function rawRequest(port: number, bytes: Buffer | string, options: { method?: string; timeoutMs: number }): Promise<RawAnswer> {
  const method = (options.method ?? 'GET').toUpperCase();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (extra: Partial<RawAnswer>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks);
      const framing = frame(all, method);
      const statusFromStart = Number(/^HTTP\/\d\.\d (\d{3})/.exec(all.subarray(0, 64).toString('latin1'))?.[1]) || undefined;
      resolve({
        status: framing?.status ?? statusFromStart,
        head: framing?.head ?? all.subarray(0, 2048).toString('latin1'),
        body: framing ? all.subarray(framing.bodyStart).toString('utf8') : '',
        error: undefined,
        timedOut: false,
        closedWithoutAnswer: all.length === 0,
        ...extra,
      });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), options.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      const framing = frame(all, method);
      if (framing?.complete(all)) finish({});
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after a complete status line is the server closing a connection it has answered.
      const all = Buffer.concat(chunks);
      if (frame(all, method)) finish({});
      else finish({ error: error.code ?? error.message });
    });
    socket.on('close', () => finish({}));
    socket.write(bytes);
  });
}
