// One flow: what failed and why (first, when it failed), its tokens decoded, its timeline.
import { api } from './api.js';
import { badge, clock, copy, duration, h, relative, table } from './render.js';
import { PARAMETERS } from './params.js';

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);
const KIND_NAMES = { client: 'client flow', server: 'server flow', login: 'cli login', device: 'device grant', ciba: 'CIBA', client_credentials: 'client credentials', refresh: 'refresh', api: 'API call', callback: 'callback without a flow' };

export function kindName(kind) {
  return KIND_NAMES[kind] ?? kind;
}

export function renderFlow(flow, { onChanged }) {
  const failing = flow.failing === undefined ? undefined : flow.events[flow.failing];
  return h(
    'article',
    { class: `flow ${flow.status}`, dataset: { flowId: flow.id, status: flow.status } },
    h('h2', {}, `${flow.providerName || '(unknown provider)'} · ${kindName(flow.kind)} `, badge(flow.status)),
    h('p', { class: 'meta' }, `app ${flow.app} · started ${clock(flow.startedAt)} · ${flow.status === 'pending' ? 'running for' : 'took'} ${duration(flow.durationMs)}`, flow.instance ? h('span', { dataset: { instance: flow.instance } }, ` · broker ${flow.instance}`) : null),
    flow.remote ? h('p', { class: 'note', dataset: { remote: 'true' } }, `This flow ran at broker ${flow.instance} and is read from the shared record on Redis. Its tokens stay at that broker (Redis never holds them): reveal them, call /me or refresh in that broker's inspector.`) : null,
    actions(flow, onChanged),
    flow.explanation ? explanation(flow.explanation) : null,
    flow.waiting ? h('section', { class: 'waiting', dataset: { waiting: 'true' } }, h('pre', {}, flow.waiting.join('\n'))) : null,
    failing ? h('section', { class: 'failing', dataset: { failing: 'true' } }, h('h3', {}, 'Failing step'), renderEvent(failing, flow, true)) : null,
    flow.tokens.length > 0 ? h('section', { class: 'tokens' }, h('h3', {}, 'Tokens'), flow.tokens.map((token) => renderToken(flow, token))) : null,
    flow.findings.length > 0 ? findings(flow.findings) : null,
    h('section', { class: 'timeline' }, h('h3', {}, 'Timeline'), h('ol', {}, flow.events.map((event, index) => h('li', { class: index === flow.failing ? 'is-failing' : '' }, renderEvent(event, flow, false))))),
    flow.truncated ? h('p', { class: 'note' }, 'This flow grew past its share of the inspector\'s memory; later steps were not kept.') : null,
  );
}

function actions(flow, onChanged) {
  const status = h('span', { class: 'action-status', role: 'status' });
  const run = (label, work) =>
    h('button', {
      type: 'button',
      onclick: async () => {
        status.textContent = `${label}…`;
        try {
          status.textContent = await work();
          onChanged();
        } catch (error) {
          status.textContent = error.message;
        }
      },
    }, label);
  const has = (name) => flow.tokens.some((token) => token.name === name);
  return h(
    'div',
    { class: 'actions' },
    h('a', { class: 'button', href: api.harUrl(flow.id), download: '' }, 'Download HAR'),
    flow.status === 'ok' && !flow.remote && has('access_token') && flow.provider ? run('Call /me', async () => `profile call: ${(await api.me(flow.id)).fields} fields (see the timeline)`) : null,
    flow.status === 'ok' && !flow.remote && has('refresh_token') && flow.provider ? run('Refresh', async () => { const answer = await api.refresh(flow.id); location.hash = `#/flow/${answer.flow}`; return 'refreshed'; }) : null,
    status,
  );
}

function explanation(explained) {
  return h(
    'section',
    { class: 'explanation', dataset: { explanation: 'true' } },
    h('p', { class: 'error' }, `error: ${explained.message}`),
    explained.hint ? h('p', { class: 'hint' }, `hint: ${explained.hint}`) : null,
    explained.redirect ? h('pre', { class: 'redirect' }, explained.redirect.join('\n')) : null,
  );
}

function findings(list) {
  return h('section', { class: 'findings' }, h('h3', {}, 'Token response linter'), h('ul', {}, list.map((finding) => h('li', {}, h('span', { class: `badge ${finding.expected ? 'known' : 'warn'}` }, finding.expected ? 'known quirk' : 'deviation'), ` ${finding.message} `, h('span', { class: 'source' }, finding.source)))));
}

/**
 * Tokens revealed in this page, so a flow that changes (a /me call joining it) is drawn again with
 * them: in this module's memory only, never in the URL or the browser's storage; a reload forgets.
 */
const revealed = new Map();

function renderToken(flow, token) {
  const key = `${flow.id} ${token.name}`;
  const value = h('code', { class: 'token-value', dataset: { token: token.name } }, token.marker);
  const show = (secret) => {
    value.textContent = secret;
    value.dataset.revealed = 'true';
    return h('button', { type: 'button', onclick: (event) => copy(secret, event.target) }, 'Copy');
  };
  // Another broker's flow: the value is at that broker only.
  if (flow.remote) return h('div', { class: 'token' }, h('h4', {}, token.name), h('p', {}, value, ' ', h('span', { class: 'note', dataset: { revealAt: flow.instance } }, `reveal at ${flow.instance}`)), token.jwt ? renderJwt(token.jwt) : null);
  if (revealed.has(key)) return h('div', { class: 'token' }, h('h4', {}, token.name), h('p', {}, value, ' ', show(revealed.get(key))), token.jwt ? renderJwt(token.jwt) : null);
  const reveal = h('button', {
    type: 'button',
    class: 'reveal',
    dataset: { reveal: token.name },
    onclick: async () => {
      // Fetched now, by POST (never in a URL), on this deliberate click.
      const answer = await api.reveal(flow.id, token.name);
      revealed.set(key, answer.value);
      reveal.replaceWith(show(answer.value));
    },
  }, 'Reveal');
  return h('div', { class: 'token' }, h('h4', {}, token.name), h('p', {}, value, ' ', reveal), token.jwt ? renderJwt(token.jwt) : null);
}

function renderJwt(jwt) {
  const now = Date.now() / 1000;
  const claim = (name, value) => {
    if (TIME_CLAIMS.has(name) && typeof value === 'number') return [name, new Date(value * 1000).toISOString(), relative(value, now)];
    return [name, typeof value === 'string' ? value : JSON.stringify(value)];
  };
  return h(
    'div',
    { class: 'jwt' },
    h('p', { class: `signature ${jwt.signature.status}`, dataset: { signature: jwt.signature.status } }, `signature: ${jwt.signature.status}`, jwt.kid ? ` · key ${jwt.kid}` : '', jwt.alg ? ` · ${jwt.alg}` : '', h('br'), h('span', { class: 'note' }, jwt.signature.detail)),
    h('h5', {}, 'header'),
    table(Object.entries(jwt.header).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)])),
    h('h5', {}, 'claims'),
    table(Object.entries(jwt.claims).map(([name, value]) => claim(name, value))),
  );
}

export function renderEvent(event, flow, alone) {
  if (event.kind === 'check') return renderCheck(event.check);
  if (event.kind === 'step') return renderStep(event, flow);
  return renderHttp(event, flow, alone);
}

function renderCheck(check) {
  return h('div', { class: `event check ${check.ok ? 'pass' : 'fail'}`, dataset: { check: check.name, ok: String(check.ok) } }, h('span', { class: `badge ${check.ok ? 'ok' : 'failed'}` }, check.ok ? 'pass' : 'FAIL'), ' ', h('strong', {}, check.name), ': ', check.detail, check.source ? h('span', { class: 'source' }, ` (${check.source})`) : null);
}

function renderStep(event, flow) {
  const curl = event.url ? `curl '${event.url.replace(/'/g, "'\\''")}'` : undefined;
  return h(
    'div',
    { class: 'event step', dataset: { step: event.title } },
    h('p', { class: 'title' }, h('span', { class: 'at' }, clock(event.at)), ' ', h('strong', {}, event.title), curl ? copyButton(curl) : null),
    event.url ? h('p', { class: 'url' }, h('code', {}, event.url)) : null,
    event.params.length > 0 ? table(event.params.map((param) => [param.name, h('code', {}, param.value), PARAMETERS[param.name] ?? ''])) : null,
    event.notes.length > 0 ? h('ul', {}, event.notes.map((note) => h('li', {}, note))) : null,
  );
}

function renderHttp(event, flow, open) {
  const response = event.response;
  const status = response ? `${response.status} ${response.statusText}` : `no answer: ${event.error ?? ''}`;
  const bad = !response || response.status >= 400;
  return h(
    'div',
    { class: `event http ${bad ? 'bad' : ''}`, dataset: { http: event.purpose } },
    h('p', { class: 'title' }, h('span', { class: 'at' }, clock(event.at)), ' ', h('strong', {}, event.purpose), ' ', h('code', {}, `${event.request.method} ${event.request.url}`), ' → ', h('span', { class: bad ? 'error' : 'good' }, status), ` · ${duration(event.durationMs)}`, copyButton(curlText(event.curl))),
    h(
      'details',
      { open: open || bad },
      h('summary', {}, 'request and response'),
      h('h5', {}, 'request'),
      headers(event.request.headers),
      event.request.body ? h('pre', {}, event.request.body.text) : null,
      response ? [h('h5', {}, 'response'), headers(response.headers), h('pre', {}, pretty(response.body))] : null,
    ),
  );
}

function headers(list) {
  return table(list.map((header) => [header.name, header.value]), 'kv headers');
}

function pretty(body) {
  if (/json/.test(body.mimeType)) {
    try {
      return JSON.stringify(JSON.parse(body.text), null, 2);
    } catch {
      // As it came.
    }
  }
  return body.text;
}

function curlText(curl) {
  const variables = curl.variables.map((variable) => `${variable.name}=…   # ${variable.redacted}`);
  return variables.length > 0 ? `# set first:\n# ${variables.join('\n# ')}\n${curl.line}` : curl.line;
}

function copyButton(text) {
  return h('button', { type: 'button', class: 'copy-curl', onclick: (event) => copy(text, event.target) }, 'Copy as curl');
}
