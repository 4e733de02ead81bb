// A git host on loopback: a node HTTP server that asks for HTTP Basic credentials and hands every
// authenticated request to `git http-backend` (git's own smart-HTTP server, run as a CGI program,
// git-http-backend(1)). `authorize(username, password)` decides who gets in: the tests check the
// password with the authorization server, as a forge checks an OAuth token.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface GitServer {
  origin: string;
  /** Every request's Basic credentials (undefined when it sent none) and the status answered. */
  requests: Array<{ path: string; username?: string; password?: string; status: number }>;
  close(): Promise<void>;
}

export async function startGitServer(projectRoot: string, authorize: (username: string, password: string) => Promise<boolean>): Promise<GitServer> {
  const requests: GitServer['requests'] = [];
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(error.message);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://git.invalid');
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const decoded = basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded?.indexOf(':') ?? -1;
    const username = decoded !== undefined && colon >= 0 ? decoded.slice(0, colon) : undefined;
    const password = decoded !== undefined && colon >= 0 ? decoded.slice(colon + 1) : undefined;
    const allowed = username !== undefined && password !== undefined && (await authorize(username, password));
    if (!allowed) {
      requests.push({ path: url.pathname, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), status: 401 });
      request.resume();
      response.writeHead(401, { 'www-authenticate': 'Basic realm="test git host"', 'content-type': 'text/plain' });
      response.end('authentication required\n');
      return;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: request.method ?? 'GET',
      REMOTE_USER: username as string,
      REMOTE_ADDR: '127.0.0.1',
    };
    if (request.headers['content-type']) env.CONTENT_TYPE = request.headers['content-type'];
    if (request.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = request.headers['content-encoding'];
    if (typeof request.headers['git-protocol'] === 'string') env.GIT_PROTOCOL = request.headers['git-protocol'];
    const backend = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    request.pipe(backend.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    backend.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') + 2 : -1;
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('utf8').split(/\r?\n/)) {
        const colonAt = line.indexOf(':');
        if (colonAt <= 0) continue;
        const name = line.slice(0, colonAt).trim();
        const value = line.slice(colonAt + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      requests.push({ path: url.pathname, username: username as string, password: password as string, status });
      response.writeHead(status, headers);
      response.write(head.subarray(end));
    });
    await new Promise<void>((resolve) => backend.once('close', () => resolve()));
    if (!started) response.writeHead(502, { 'content-type': 'text/plain' });
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
