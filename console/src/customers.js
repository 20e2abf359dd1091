// Customers: look one up by number, external id or ref (sent in a form body,
// never in the URL); their identities, open intents, variables with the time
// they have left, and call history; erasure with a confirmation, and its receipt.
import * as api from './api.js';
import { el, table, errorBox, duration } from './dom.js';

const when = (t) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 16) : '–');

export function customers(main) {
  const by = el('select', { name: 'by' }, el('option', { value: 'number', text: 'Phone number' }),
    el('option', { value: 'external_id', text: 'External id' }), el('option', { value: 'ref', text: 'customer_ref' }));
  const idKey = el('input', { name: 'id_key', placeholder: 'id name, e.g. crm_id', hidden: true });
  const value = el('input', { name: 'value', placeholder: '+14155551234', required: true, autocomplete: 'off' });
  const form = el('form', { class: 'lookup' }, el('label', {}, 'Look up by ', by), idKey, value,
    el('button', { type: 'submit', text: 'Look up' }));
  const out = el('div', { id: 'customer' });
  main.append(el('h1', { text: 'Customers' }), form, out);
  by.addEventListener('change', () => {
    idKey.hidden = by.value !== 'external_id';
    value.placeholder = { number: '+14155551234', external_id: 'the id', ref: 'a1b2c3d4-…' }[by.value];
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.replaceChildren(el('p', { class: 'muted', text: 'Looking up…' }));
    try {
      show(await api.lookup({ by: by.value, value: value.value, id_key: idKey.value }));
    } catch (err) {
      out.replaceChildren(err.status === 404 ? el('p', { class: 'muted', id: 'not-found', text: 'No such customer.' }) : errorBox(err));
    }
  });

  function show(c) {
    const ids = c.identities.map((i) => [i.type, i.type === 'ani' ? i.value : `${i.key}: ${i.value}`,
      i.line_type || '', when(Date.parse(i.last_seen))]);
    const open = c.intents.filter((i) => i.status === 'open');
    const vars = Object.entries(c.variables || {}).map(([name, v]) => [name, JSON.stringify(v.value), v.source || '',
      duration(v.ttl_seconds * 1000)]);
    const erase = el('button', { type: 'button', class: 'danger', id: 'erase', text: 'Erase this customer…' });
    const confirmBox = el('div', { class: 'confirm', hidden: true },
      el('p', { text: `Erase customer ${c.customer_ref} and everything kept about them (identities, intents, variables, calls)? This cannot be undone.` }),
      el('button', { type: 'button', class: 'danger', id: 'erase-confirm', text: 'Erase for good' }),
      el('button', { type: 'button', id: 'erase-cancel', text: 'Cancel' }));
    erase.addEventListener('click', () => { confirmBox.hidden = false; erase.hidden = true; });
    confirmBox.querySelector('#erase-cancel').addEventListener('click', () => { confirmBox.hidden = true; erase.hidden = false; });
    confirmBox.querySelector('#erase-confirm').addEventListener('click', async () => {
      try {
        const r = await api.forget(c.customer_ref);
        out.replaceChildren(el('h2', { text: 'Erased' }),
          el('p', { text: `Customer ${r.customer_ref} is erased. The receipt:` }),
          el('pre', { id: 'receipt', text: JSON.stringify(r, null, 2) }));
      } catch (err) {
        confirmBox.append(errorBox(err));
      }
    });
    out.replaceChildren(
      el('h2', {}, 'Customer ', el('code', { id: 'customer-ref', text: c.customer_ref })),
      el('p', { class: 'muted', text: `First seen ${when(Date.parse(c.created_at))}, last seen ${when(Date.parse(c.last_seen))}` }),
      el('h3', { text: `Identities (${ids.length})` }), table(['type', 'identifier', 'line type', 'last seen'], ids),
      el('h3', { text: `Open intents (${open.length})` }),
      open.length ? table(['intent', 'attempts', 'first seen', 'last seen'], open.map((i) =>
        [i.intent, i.attempt_count, when(Date.parse(i.first_seen)), when(Date.parse(i.last_seen))])) : el('p', { class: 'muted', text: 'None.' }),
      el('h3', { text: `Variables (${vars.length})` }),
      vars.length ? table(['name', 'value', 'source', 'time left'], vars) : el('p', { class: 'muted', text: 'None.' }),
      el('h3', { text: `Call history (${c.calls.length}${c.next_cursor ? '+' : ''})` }),
      table(['call', 'started', 'ended', 'channel', 'direction'], c.calls.map((k) =>
        [k.call_id, when(Date.parse(k.call_start)), when(k.call_end ? Date.parse(k.call_end) : 0), k.channel || '', k.direction || ''])),
      el('div', { class: 'erase' }, erase, confirmBox));
  }
}
