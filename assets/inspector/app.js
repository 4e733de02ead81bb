// The inspector page: the list of flows (kept live over Server-Sent Events), one flow, the app's
// configuration. Routes live in the fragment (#/flow/<id>), which never reaches the server.
import { api, watchFlows } from './api.js';
import { badge, clear, clock, duration, h, table } from './render.js';
import { kindName, renderFlow } from './timeline.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
const flows = new Map();
let shown = { view: 'list' };
/** Set when the broker shares its record on Redis: { instance, reachable, note }. */
let shared;
let refreshTimer;

function route() {
  const match = /^#\/flow\/([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (match) shown = { view: 'flow', id: match[1] };
  else if (location.hash === '#/config') shown = { view: 'config' };
  else shown = { view: 'list' };
  render();
}

async function render() {
  try {
    if (shown.view === 'list') return renderList();
    if (shown.view === 'config') return renderConfig(await api.overview());
    const flow = await api.flow(shown.id);
    if (shown.view === 'flow' && shown.id === flow.id) clear(main).append(h('p', {}, h('a', { href: '#/' }, '← all flows')), renderFlow(flow, { onChanged: () => render() }));
  } catch (error) {
    clear(main).append(h('p', { class: 'error' }, error.message));
  }
}

function renderList() {
  const rows = [...flows.values()].sort((a, b) => b.startedAt - a.startedAt);
  const columns = ['started', 'provider', 'kind', 'app', ...(shared ? ['broker'] : []), 'status', 'duration', ''];
  clear(main).append(
    h('h2', {}, 'Flows'),
    shared ? h('p', { class: shared.note ? 'shared error' : 'shared note', dataset: { shared: shared.reachable ? 'reachable' : 'unreachable' } }, shared.note ?? `The flows of every broker on this Redis; this one is ${shared.instance}.`) : null,
    rows.length === 0
      ? h('p', { class: 'empty' }, 'No flow yet. Sign in through this broker (an app page, or oauthd-cli login) and it shows here as it happens.')
      : h(
          'table',
          { class: 'flows' },
          h('thead', {}, h('tr', {}, columns.map((name) => h('th', {}, name)))),
          h('tbody', {}, rows.map(row)),
        ),
  );
}

function row(flow) {
  return h(
    'tr',
    { dataset: { flowId: flow.id, status: flow.status, kind: flow.kind, provider: flow.provider, ...(flow.instance ? { instance: flow.instance } : {}) }, class: flow.status },
    h('td', {}, clock(flow.startedAt)),
    h('td', {}, h('a', { href: `#/flow/${flow.id}` }, flow.providerName || '(unknown)')),
    h('td', {}, kindName(flow.kind)),
    h('td', {}, flow.app),
    shared ? h('td', {}, flow.instance === shared.instance ? `${flow.instance} (this one)` : flow.instance ?? '') : null,
    h('td', {}, badge(flow.status)),
    h('td', {}, duration(flow.durationMs)),
    h('td', { class: 'error' }, flow.error ?? ''),
  );
}

function renderConfig(overview) {
  const app = overview.app;
  clear(main).append(
    h('h2', {}, 'App config at a glance'),
    table([
      ['config file', overview.configPath ?? '(none)'],
      ['app', app ? `${app.name} (key ${app.key})` : '(none)'],
      ['flow', app ? app.flow : ''],
      ['domains', app && app.domains.length > 0 ? app.domains.join(', ') : '(none: every page is refused)'],
      ['redirect URI', h('code', { dataset: { redirectUri: overview.redirectUri } }, overview.redirectUri), 'register exactly this at every provider'],
      ['flow store', overview.store],
    ]),
    h('h3', {}, 'Providers'),
    overview.providers.length === 0
      ? h('p', {}, 'None configured (oauthd-cli providers add <id>).')
      : h('table', { class: 'providers' }, h('thead', {}, h('tr', {}, ['id', 'client id', 'secret rests at', 'scopes'].map((name) => h('th', {}, name)))), h('tbody', {}, overview.providers.map((provider) => h('tr', {}, h('td', {}, provider.id), h('td', {}, provider.clientId), h('td', {}, h('code', {}, provider.secret)), h('td', {}, (provider.scopes ?? []).join(' ')))))),
  );
}

function onFlow(summary) {
  flows.set(summary.id, summary);
  if (shown.view === 'list') renderList();
  else if (shown.view === 'flow' && shown.id === summary.id) {
    // Several events arrive together as a step completes: one refetch for them.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(render, 100);
  }
}

/** The shared record on Redis stopped (or started again) answering. */
function onShared(status) {
  if (!shared) return;
  shared = { ...shared, reachable: status.reachable, note: status.note };
  if (shown.view === 'list') renderList();
  // Back: the list is read again, with the flows other brokers wrote meanwhile.
  if (status.reachable) api.flows().then((answer) => { shared = answer.shared; for (const flow of answer.flows) flows.set(flow.id, flow); if (shown.view === 'list') renderList(); });
}

async function start() {
  window.addEventListener('hashchange', route);
  watchFlows(onFlow, (state) => {
    live.dataset.live = state;
    live.textContent = state === 'live' ? '● live' : 'reconnecting…';
    // After a reconnect, the list is read again: events sent meanwhile were missed.
    if (state === 'live') api.flows().then((answer) => { shared = answer.shared; for (const flow of answer.flows) flows.set(flow.id, flow); if (shown.view === 'list') renderList(); });
  }, onShared);
  const answer = await api.flows();
  shared = answer.shared;
  for (const flow of answer.flows) flows.set(flow.id, flow);
  route();
}

start().catch((error) => clear(main).append(h('p', { class: 'error' }, error.message)));
