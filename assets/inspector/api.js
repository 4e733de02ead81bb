// The inspector's calls to its broker: same origin, the HttpOnly cookie does the rest.
// A token is fetched only by POST (never in a URL), and only when a person clicks "Reveal".

async function asJson(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
}

export const api = {
  flows: () => fetch('/inspector/api/flows').then(asJson),
  flow: (id) => fetch(`/inspector/api/flows/${encodeURIComponent(id)}`).then(asJson),
  overview: () => fetch('/inspector/api/overview').then(asJson),
  harUrl: (id) => `/inspector/api/flows/${encodeURIComponent(id)}/har`,
  reveal: (id, name) => post(`/inspector/api/flows/${encodeURIComponent(id)}/reveal`, { name }),
  me: (id) => post(`/inspector/api/flows/${encodeURIComponent(id)}/me`, {}),
  refresh: (id) => post(`/inspector/api/flows/${encodeURIComponent(id)}/refresh`, {}),
};

function post(url, body) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(asJson);
}

/**
 * Server-Sent Events: `onFlow(summary)` for each new or changed flow (of every broker on the same
 * Redis, when the broker shares its record); `onState('live'|'reconnecting')`; `onShared(status)`
 * when the shared record on Redis stops or starts answering.
 */
export function watchFlows(onFlow, onState, onShared = () => {}) {
  const source = new EventSource('/inspector/api/events');
  source.addEventListener('open', () => onState('live'));
  source.addEventListener('error', () => onState('reconnecting'));
  source.addEventListener('flow', (event) => onFlow(JSON.parse(event.data)));
  source.addEventListener('shared', (event) => onShared(JSON.parse(event.data)));
  return () => source.close();
}
