// A fake HttpClient for unit tests of the protocol modules: it records every request and answers
// from a script, so a test can check the exact request shape and feed any provider answer.
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/oauth/http.js';
import type { Keyset } from '../../src/config/schema.js';
import { findCatalogProvider } from '../../src/providers/catalog.js';
import { resolveProvider, type ResolvedProvider } from '../../src/providers/resolve.js';

export interface FakeHttp extends HttpClient {
  requests: HttpRequest[];
}

export type Answer = Omit<Partial<HttpResponse>, 'status'> & { status: number };

/** Answers each request with `answer(request, index)`; throws when the script has no answer. */
export function fakeHttp(answer: Answer[] | ((request: HttpRequest, index: number) => Answer)): FakeHttp {
  const requests: HttpRequest[] = [];
  const client = (async (request: HttpRequest) => {
    const index = requests.push(request) - 1;
    const scripted = typeof answer === 'function' ? answer(request, index) : answer[index];
    if (!scripted) throw new Error(`fake http: no answer for request #${index + 1} (${request.method} ${request.url})`);
    return { statusText: '', headers: {}, text: '', url: request.url, ...scripted };
  }) as FakeHttp;
  client.requests = requests;
  return client;
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, text: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

/** A catalog provider, resolved with a keyset, as the CLI and the broker see it. */
export async function catalogProvider(id: string, keyset: Partial<Keyset> = {}): Promise<ResolvedProvider> {
  const spec = await findCatalogProvider(id);
  if (!spec) throw new Error(`no catalog provider ${id}`);
  return resolveProvider(spec, { clientId: 'my-client-id', ...keyset }, 'catalog');
}

/** The form fields of a request body. */
export function formFields(request: HttpRequest | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request?.body ?? ''));
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}
