// The console's JSON endpoints (/console/api/..., docs/console.md): the
// session's CSRF token goes with every change; fields go in form bodies,
// never in a URL.
let csrf = '';
// The signed-in session: { tenant, key_id, ... }.
export let current = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, fields) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') init.headers['X-CSRF-Token'] = csrf;
  if (fields) init.body = new URLSearchParams(fields);
  const res = await fetch(`/console/api${path}`, init);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function signIn(key) {
  const s = await call('POST', '/session', { key });
  csrf = s.csrf_token;
  current = s;
  return s;
}

export async function session() {
  const s = await call('GET', '/session');
  csrf = s.csrf_token;
  current = s;
  return s;
}

export const signOut = () => call('DELETE', '/session');
// An admin key's session: every tenant, and the one to look at.
export const tenants = () => call('GET', '/tenants');
export async function switchTenant(tenant) {
  current = await call('POST', '/tenant', { tenant });
  return current;
}
export const overview = (from, to) => call('GET', `/overview?from=${from}&to=${to}`);
export const identity = (from, to) => call('GET', `/identity?from=${from}&to=${to}`);
export const lookup = (fields) => call('POST', '/customers/lookup', fields);
export const forget = (customerRef) => call('POST', '/customers/forget', { customer_ref: customerRef });
export const keys = () => call('GET', '/keys');
export const createKey = (name) => call('POST', '/keys', { name });
export const revokeKey = (keyId) => call('DELETE', `/keys/${encodeURIComponent(keyId)}`);
