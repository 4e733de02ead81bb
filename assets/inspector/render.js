// DOM helpers. Every value goes in as text (textContent, attributes), never as HTML: a flow's
// data comes from providers and from any page that called the broker.

/** h('div', { class: 'x', dataset: { a: 1 }, onclick }, child, 'text', [more]) */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

export function badge(status) {
  const words = { ok: 'ok', failed: 'failed', pending: 'pending' };
  return h('span', { class: `badge ${status}` }, words[status] ?? status);
}

export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "in 59 min", "3 min ago" */
export function relative(seconds, nowSeconds = Date.now() / 1000) {
  const delta = Math.round(seconds - nowSeconds);
  const size = Math.abs(delta);
  const text = size < 90 ? `${size} s` : size < 5400 ? `${Math.round(size / 60)} min` : size < 172_800 ? `${Math.round(size / 3600)} h` : `${Math.round(size / 86_400)} days`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

export function table(rows, className = 'kv') {
  return h('table', { class: className }, h('tbody', {}, rows.map(([name, value, note]) => h('tr', {}, h('th', {}, name), h('td', {}, value), note === undefined ? null : h('td', { class: 'note' }, note)))));
}

/** Copies text; when the clipboard is refused, shows it to be copied by hand. */
export async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    flash(button, 'copied');
  } catch {
    const area = h('textarea', { class: 'copy', readonly: true, rows: 4 });
    area.value = text;
    button.after(area);
    area.select();
  }
}

function flash(button, word) {
  const before = button.textContent;
  button.textContent = word;
  setTimeout(() => (button.textContent = before), 1200);
}
