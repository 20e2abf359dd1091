// Keys: the tenant's API keys (never a key itself), a new one (shown once), revocation.
import * as api from './api.js';
import { el, table, errorBox } from './dom.js';

const when = (t) => (t ? t.replace('T', ' ').slice(0, 16) : '–');

export function keys(main) {
  const name = el('input', { name: 'name', placeholder: 'what it is for, e.g. ivr', maxlength: 64 });
  const form = el('form', { class: 'create-key' }, name, el('button', { type: 'submit', text: 'Create a key' }));
  const made = el('div', { id: 'new-key' });
  const list = el('div', { id: 'key-list' });
  main.append(el('h1', { text: 'API keys' }), form, made, list);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const k = await api.createKey(name.value);
      name.value = '';
      made.replaceChildren(el('div', { class: 'once' },
        el('p', { text: `Created ${k.key_id}${k.name ? ` (${k.name})` : ''}. Copy the key now: it is shown once, here; callmem keeps only its hash.` }),
        el('code', { id: 'new-key-value', text: k.key })));
      await refresh();
    } catch (err) {
      made.replaceChildren(errorBox(err));
    }
  });

  async function refresh() {
    let r;
    try {
      r = await api.keys();
    } catch (err) {
      list.replaceChildren(errorBox(err));
      return;
    }
    list.replaceChildren(table(['key id', 'name', 'created', 'revoked', ''], r.keys.map((k) => [
      el('span', {}, el('code', { text: k.key_id }),
        api.current && api.current.key_id === k.key_id ? el('span', { class: 'muted', text: ' (this session)' }) : null),
      k.name, when(k.created_at), when(k.revoked_at),
      k.revoked_at ? '' : el('button', { type: 'button', class: 'danger', 'data-key-id': k.key_id, text: 'Revoke',
        onclick: async () => {
          if (!window.confirm(`Revoke ${k.key_id}? Every request with it is refused from now on.`)) return;
          try {
            await api.revokeKey(k.key_id);
            await refresh();
          } catch (err) {
            list.prepend(errorBox(err));
          }
        } }),
    ])));
    main.dataset.ready = 'keys';
  }
  refresh();
}
