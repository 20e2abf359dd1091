// Small helpers to build the views' elements (text is always set as text, never as HTML).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

export function tile(label, value, note) {
  return el('div', { class: 'tile' }, el('div', { class: 'label', text: label }),
    el('div', { class: String(value).length > 12 ? 'value long' : 'value', text: value }), note ? el('div', { class: 'note', text: note }) : null);
}

export function table(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
}

export function errorBox(err) {
  return el('p', { class: 'error', role: 'alert', text: err.message || String(err) });
}

export const day = (d) => d.toISOString().slice(0, 10);

// The period picker of the overview and identity views: the last 30 days by default.
export function periodForm(onChange) {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86400000);
  const fromIn = el('input', { type: 'date', name: 'from', value: day(from) });
  const toIn = el('input', { type: 'date', name: 'to', value: day(to) });
  const form = el('form', { class: 'period' }, el('label', {}, 'From ', fromIn), el('label', {}, 'to ', toIn),
    el('button', { type: 'submit', text: 'Show' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onChange(fromIn.value, toIn.value);
  });
  return { form, from: () => fromIn.value, to: () => toIn.value };
}

export function duration(ms) {
  if (ms <= 0) return 'expired';
  const d = Math.floor(ms / 86400000);
  const h = Math.floor((ms % 86400000) / 3600000);
  return d > 0 ? `${d} d ${h} h` : `${h} h ${Math.floor((ms % 3600000) / 60000)} min`;
}
