// The console's shell: sign-in with an API key, the bar, and the views by the
// URL's fragment (#/overview, ...), which never holds a key or personal data.
import * as api from './api.js';
import { el, errorBox } from './dom.js';
import { customers } from './customers.js';
import { identity } from './identity.js';
import { keys } from './keys.js';
import { overview } from './overview.js';

const views = { overview, identity, customers, keys };
const main = document.getElementById('main');
const bar = document.getElementById('bar');

function signInView(message) {
  bar.hidden = true;
  const key = el('input', { type: 'password', name: 'key', id: 'key', placeholder: 'cmk_…', autocomplete: 'off', required: true });
  const note = el('div');
  if (message) note.append(errorBox({ message }));
  const form = el('form', { class: 'sign-in', id: 'sign-in' },
    el('h1', { text: 'callmem console' }),
    el('p', { class: 'muted', text: 'Sign in with an API key of your tenant (callmem keys create).' }),
    el('label', {}, 'API key ', key), el('button', { type: 'submit', text: 'Sign in' }), note);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const s = await api.signIn(key.value);
      key.value = '';
      start(s);
    } catch (err) {
      note.replaceChildren(errorBox(err));
    }
  });
  main.replaceChildren(form);
  key.focus();
}

function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const view = views[name] ? name : 'overview';
  for (const a of bar.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === view);
  main.replaceChildren();
  delete main.dataset.ready;
  views[view](main);
}

async function start(s) {
  bar.hidden = false;
  const who = document.getElementById('who');
  if (!s.admin) {
    who.textContent = `tenant ${s.tenant} · ${s.key_id}`;
    route();
    return;
  }
  // An admin key: any tenant, chosen here.
  const { tenants } = await api.tenants();
  if (!s.tenant && tenants.length) s = await api.switchTenant(tenants[0].tenant);
  const pick = el('select', { id: 'tenant-select', 'aria-label': 'tenant' },
    tenants.map((t) => el('option', { value: t.tenant, text: `${t.tenant} (${t.customers} customers)`, selected: t.tenant === s.tenant })));
  pick.addEventListener('change', async () => {
    await api.switchTenant(pick.value);
    route();
  });
  who.replaceChildren('admin · ', pick);
  if (s.tenant) route();
  else main.replaceChildren(el('p', { class: 'muted', text: 'No tenant yet.' }));
}

window.addEventListener('hashchange', () => { if (!bar.hidden) route(); });
// A view whose session ended (a revoked key, an idle hour) goes back to sign-in.
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason && e.reason.status === 401) signInView(e.reason.message);
});
document.getElementById('sign-out').addEventListener('click', async () => {
  try { await api.signOut(); } catch { /* signed out already */ }
  signInView();
});

api.session().then(start, (err) => signInView(err.status === 401 ? '' : err.message));
