// A tiny web app for the SDK tests: a page on a chosen origin that loads oauthd's own front-end SDK
// (oauthio-web 0.6.2, from npm), and a "back end" that uses oauthd's own Node SDK (oauthio 0.3.5)
// for the server-side flow: it makes the state, and trades the page's code for the tokens.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface AppServer {
  origin: string;
  close(): Promise<void>;
}

export interface AppOptions {
  host: string;
  port: number;
  broker: string;
  key: string;
  secret?: string;
}

const PAGE = (broker: string, key: string) => `<!doctype html><html><head><meta charset="utf-8"><title>app</title>
<script src="/oauth.js"></script></head><body><h1>test app</h1>
<script>OAuth.initialize(${JSON.stringify(key)}); OAuth.setOAuthdURL(${JSON.stringify(broker)});</script></body></html>`;

export async function startAppServer(options: AppOptions): Promise<AppServer> {
  const sdk = await readFile(require.resolve('oauthio-web/dist/oauth.js'), 'utf8');
  // The Node SDK keeps its settings in a module-level cache: one app per test process is fine.
  const oauthio = require('oauthio') as {
    initialize(key: string, secret: string): void;
    setOAuthdUrl(url: string, base?: string): void;
    generateStateToken(session: object): string;
    auth(provider: string, session: object, options: { code: string }): Promise<Record<string, unknown>>;
  };
  const session: Record<string, unknown> & { reload?: (next: () => void) => void } = {};
  session.reload = (next) => next();
  if (options.secret) {
    oauthio.initialize(options.key, options.secret);
    oauthio.setOAuthdUrl(options.broker);
  }

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    try {
      if (url.pathname === '/oauth.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
      } else if (url.pathname === '/state') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: oauthio.generateStateToken(session) }));
      } else if (url.pathname === '/exchange') {
        const result = await oauthio.auth('sandbox', session, { code: url.searchParams.get('code') ?? '' });
        const plain = Object.fromEntries(Object.entries(result).filter(([, value]) => typeof value !== 'function'));
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(plain));
      } else {
        response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE(options.broker, options.key));
      }
    } catch (error) {
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    origin: `http://${options.host}:${options.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
