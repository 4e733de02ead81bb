/**
 * The sandbox for the token commands (`me`, `request`, `token refresh|introspect|revoke`,
 * `logout`): a sandbox token goes back to the issuer it names, http://127.0.0.1:PORT/sandbox.
 *
 * - The port is free: the sandbox starts in this process, on that port, from the keys and records
 *   in the data folder (the broker with no app, the sandbox mounted, as `login` ran it), and
 *   lives as long as the command. Its server does not keep the process alive.
 * - The port is taken: what answers there is used when it is this sandbox, i.e. its discovery
 *   document names the same issuer and its key set holds the signing key of our sandbox folder
 *   (a `serve --sandbox`, or another command, reading the same data folder).
 * - Otherwise: one line naming the port and what to do.
 */
import type { Socket } from 'node:net';
import { appRegistry } from '../broker/types.js';
import type { HttpClient } from '../oauth/http.js';
import { configRegistry } from '../registry/registry.js';
import type { BrokerProvider } from '../registry/types.js';
import { openSandbox, type Sandbox } from '../sandbox/server.js';
import { SANDBOX_PATH } from '../sandbox/spec.js';
import { sandboxDir } from '../sandbox/state.js';
import { MemoryStore } from '../store/memory.js';
import { configError } from '../util/errors.js';
import { composeBroker } from './broker.js';
import { loopbackHosts } from './listen.js';
import { sandboxProvider } from './sandbox-provider.js';

/** How long the check of a taken port may take. */
const PROBE_TIMEOUT_MS = 3000;

/** Where the sandbox that issued a token is, from the issuer the token records. */
interface SandboxAddress {
  origin: string;
  /** What to bind: 127.0.0.1 for 127.0.0.1 and localhost, ::1 for [::1]. */
  host: string;
  port: number;
}

/** The issuing sandbox, running (here or in another process), as a provider the token commands use. */
export async function issuingSandbox(
  where: { env: Readonly<Record<string, string | undefined>>; platform: NodeJS.Platform },
  http: HttpClient,
  issuer: string | undefined,
  loginHint: string,
): Promise<BrokerProvider> {
  const address = sandboxAddress(issuer, loginHint);
  const sandbox = await openSandbox({ dir: sandboxDir(where.env, where.platform) });
  if (await startHere(sandbox, address)) return sandboxProvider(sandbox, () => address.origin, http);
  // Another process runs it: its mTLS listener (RFC 8705 §5) is where its discovery document says.
  const mtlsOrigin = await requireSameSandbox(sandbox, address);
  return sandboxProvider(sandbox, () => address.origin, http, () => mtlsOrigin);
}

function sandboxAddress(issuer: string | undefined, loginHint: string): SandboxAddress {
  let url: URL | undefined;
  try {
    url = issuer === undefined ? undefined : new URL(issuer);
  } catch {
    url = undefined;
  }
  const host = url?.hostname === '[::1]' ? '::1' : url?.hostname === '127.0.0.1' || url?.hostname === 'localhost' ? '127.0.0.1' : undefined;
  if (!url || url.protocol !== 'http:' || !host || url.port === '' || url.pathname !== SANDBOX_PATH || url.search !== '') {
    throw configError(
      `the sandbox token names ${issuer === undefined ? 'no issuer' : `the issuer ${issuer}`}, not a sandbox on this machine (http://127.0.0.1:PORT${SANDBOX_PATH})`,
      `log in again: ${loginHint}`,
    );
  }
  return { origin: url.origin, host, port: Number(url.port) };
}

/** True when the sandbox now listens here; false when the port is taken. */
async function startHere(sandbox: Sandbox, address: SandboxAddress): Promise<boolean> {
  const store = new MemoryStore();
  const broker = await composeBroker({
    apps: appRegistry([]),
    providers: configRegistry({ keysets: {}, env: {}, http: () => Promise.reject(new Error('unused')), vault: () => Promise.reject(new Error('unused')) }),
    store,
    http: () => Promise.reject(new Error('the sandbox makes no outbound request')),
    sandbox,
  });
  const { app } = broker;
  // The server lives exactly as long as the command: neither it nor its connections keep the
  // process running once the command has its answers (the command's own requests do, meanwhile).
  app.server.on('connection', (socket: Socket) => socket.unref());
  try {
    await app.listen({ host: address.host, port: address.port, listenTextResolver: () => '' });
  } catch (error) {
    await app.close();
    await store.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw configError(`cannot start the sandbox on ${address.origin}: ${(error as Error).message}`, 'log in again on another port: oauthd-cli login sandbox --port 0');
  }
  app.server.unref();
  await broker.listening(address.origin, loopbackHosts(address.port));
  return true;
}

/** The port is taken: fine when the sandbox of this data folder answers there. Returns its mTLS listener's origin. */
async function requireSameSandbox(sandbox: Sandbox, address: SandboxAddress): Promise<string | undefined> {
  const issuer = `${address.origin}${SANDBOX_PATH}`;
  const problem = await probe(issuer, sandbox.signingKeyId);
  if (typeof problem !== 'string') return problem.mtlsOrigin;
  throw configError(
    `port ${address.port} is in use by ${problem}, so the sandbox that issued this token cannot start there`,
    `stop what listens on port ${address.port} and run the command again; or log in again on a free port: oauthd-cli login sandbox --port 0`,
  );
}

/** Where its mTLS listener is when `issuer` is served by our sandbox; otherwise what is there instead. */
async function probe(issuer: string, signingKeyId: string): Promise<string | { mtlsOrigin: string | undefined }> {
  const json = async (url: string): Promise<Record<string, unknown> | undefined> => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
      if (!response.ok) return undefined;
      const body = (await response.json()) as unknown;
      return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const metadata = await json(`${issuer}/.well-known/openid-configuration`);
  if (metadata?.issuer !== issuer) return `something that is not the sandbox ${issuer}`;
  const jwks = typeof metadata.jwks_uri === 'string' && metadata.jwks_uri.startsWith(`${issuer}/`) ? await json(metadata.jwks_uri) : undefined;
  const keys = Array.isArray(jwks?.keys) ? (jwks.keys as Array<{ kid?: unknown }>) : [];
  if (!keys.some((key) => key.kid === signingKeyId)) return 'a sandbox that keeps its keys in another data folder (another $HOME, $XDG_DATA_HOME or $OAUTHD_DATA_DIR)';
  const token = (metadata.mtls_endpoint_aliases as Record<string, unknown> | undefined)?.token_endpoint;
  let mtlsOrigin: string | undefined;
  try {
    const url = typeof token === 'string' ? new URL(token) : undefined;
    mtlsOrigin = url?.protocol === 'https:' && url.hostname === '127.0.0.1' ? url.origin : undefined;
  } catch {
    mtlsOrigin = undefined;
  }
  return { mtlsOrigin };
}
