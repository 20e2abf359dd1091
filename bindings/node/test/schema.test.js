'use strict';
// The JSON Schemas of docs/schema/ against the library itself: every request
// these tests send and every answer and error document they receive through
// the binding is validated against its schema, and requests the library
// rejects are rejected by the schemas too.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const callmem = require('..');
const { dbPath, holdWriteLock } = require('./helpers');

const SCHEMA_DIR = path.join(__dirname, '..', '..', '..', 'docs', 'schema');
const BASE = 'https://callmem.dev/schema/';

let Ajv2020 = null;
let addFormats = null;
try {
  Ajv2020 = require('ajv/dist/2020');
  addFormats = require('ajv-formats');
} catch {
  // devDependencies not installed: the tests below skip.
}
const skip = Ajv2020 ? false : 'ajv is not installed (npm install inside bindings/node)';

const files = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort();
const schemas = Object.fromEntries(
  files.map((f) => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))]));

function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

let ajv = null;
function validator(name) {
  if (!ajv) {
    ajv = newAjv();
    for (const s of Object.values(schemas)) ajv.addSchema(s);
  }
  const v = ajv.getSchema(BASE + name + '.json');
  assert.ok(v, `no schema ${name}.json`);
  return v;
}

function valid(name, value) {
  return validator(name)(value);
}

function assertValid(name, value) {
  const v = validator(name);
  assert.ok(v(value), `${name}.json rejects ${JSON.stringify(value)}: ${ajv.errorsText(v.errors)}`);
}

// Each operation of the binding: its request schema and its answer's.
const OPS = {
  startCall: ['call-start-request', 'call-start-response'],
  endCall: ['call-end-request', 'call-end-response'],
  getCustomer: ['customer-get-request', 'customer-view'],
  forgetCustomer: ['customer-selector', 'forget-receipt'],
  exportCustomer: ['customer-selector', 'customer-view'],
  configureTenant: ['tenant-settings-patch', 'tenant-settings'],
  grantCredits: ['credits-grant-request', 'credits-balance'],
  usage: ['usage-request', 'usage-report'],
  purgeExpired: ['purge-request', 'purge-result'],
  identityFeedback: ['identity-feedback-request', 'identity-feedback-response'],
  unmerge: ['identity-unmerge-request', 'identity-unmerge-response'],
};

const checked = new Set(); // the schemas that validated something the library took or gave

function invoke(db, op, tenant, request) {
  return op === 'purgeExpired' ? db.purgeExpired(request) : db[op](tenant, request);
}

// Runs one operation: its request must be valid, and so must its answer, or
// its error document when it fails.
async function call(db, op, tenant, request) {
  const [requestSchema, answerSchema] = OPS[op];
  assertValid(requestSchema, request);
  checked.add(requestSchema);
  let answer;
  try {
    answer = await invoke(db, op, tenant, request);
  } catch (e) {
    assertValid('error', e.document);
    checked.add('error');
    e.message = `${op} ${JSON.stringify(request)}: ${e.message}`;
    throw e;
  }
  assertValid(answerSchema, answer);
  checked.add(answerSchema);
  return answer;
}

// A request both the library and the schema reject; the library names `field`.
async function rejectedByBoth(db, op, request, field, tenant = 'acme') {
  const [requestSchema] = OPS[op];
  assert.equal(valid(requestSchema, request), false, `${requestSchema}.json accepts ${JSON.stringify(request)}`);
  const e = await invoke(db, op, tenant, request).then(() => null, (x) => x);
  assert.ok(e instanceof callmem.InvalidRequest, `the library accepts ${op} ${JSON.stringify(request)}`);
  assertValid('error', e.document);
  assert.equal(e.document.error, 'Bad Request');
  assert.ok(e.issues.some((i) => i.path[0] === field), `${JSON.stringify(e.issues)} does not name ${field}`);
}

// A request the library rejects with `Class`, answering a valid error document.
// Only a bad request (400) is invalid by its schema.
async function failsWith(db, op, tenant, request, Class, httpError) {
  const [requestSchema] = OPS[op];
  assert.equal(valid(requestSchema, request), Class !== callmem.InvalidRequest, JSON.stringify(request));
  const e = await invoke(db, op, tenant, request).then(() => null, (x) => x);
  assert.ok(e instanceof Class, `${op} ${JSON.stringify(request)}: ${e}`);
  assertValid('error', e.document);
  assert.equal(e.document.error, httpError);
  return e;
}

async function openChecked(config) {
  assertValid('open-config', config);
  checked.add('open-config');
  return callmem.open(config);
}

const iso = (ms) => new Date(ms).toISOString();

test('every schema compiles in strict mode, and its examples are valid', { skip }, () => {
  assert.ok(files.length >= 23, files.join(' '));
  const strict = newAjv();
  for (const s of Object.values(schemas)) strict.addSchema(s);
  for (const [name, s] of Object.entries(schemas)) {
    assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema', name);
    assert.equal(s.$id, BASE + name + '.json', name);
    const v = strict.getSchema(s.$id); // compiles; throws on any schema error
    for (const example of s.examples || []) assert.ok(v(example), `${name} example: ${strict.errorsText(v.errors)}`);
  }
});

test('every schema works inlined: one document embedding what it references', { skip }, () => {
  // As a server would ship it (OpenAPI, an MCP tool's input schema): the
  // referenced files embedded under $defs with their $id, the relative refs unchanged.
  const refs = (value, out) => {
    if (Array.isArray(value)) value.forEach((v) => refs(v, out));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && !v.startsWith('#')) out.add(v.split('#')[0].replace(/\.json$/, ''));
        else refs(v, out);
      }
    }
    return out;
  };
  for (const [name, s] of Object.entries(schemas)) {
    const needed = new Set();
    const queue = [...refs(s, new Set())];
    while (queue.length) {
      const n = queue.pop();
      if (n === name || needed.has(n)) continue;
      needed.add(n);
      queue.push(...refs(schemas[n], new Set()));
    }
    const bundled = structuredClone(s);
    bundled.$defs = { ...bundled.$defs };
    for (const n of needed) bundled.$defs[`embedded:${n}`] = structuredClone(schemas[n]);
    const alone = newAjv().compile(bundled);
    for (const example of s.examples || []) assert.ok(alone(example), `${name} inlined: ${JSON.stringify(alone.errors)}`);
  }
  const start = schemas['call-start-request'];
  const inlined = newAjv().compile({ ...start, $defs: { common: schemas.common } });
  assert.equal(inlined({ call_id: 'c1', identity_hints: { dnis: '+18005550100' } }), false);
  assert.equal(inlined({ call_id: 'c1', identity_hints: { ani: '+14155551234' } }), true);
});

// Every operation on a new memory opened with `config`: each request and answer is checked.
async function everyOperation(config) {
  const db = await openChecked(config);
  const T = 'acme';
  const ani = '+14155551234';
  try {
    // Settings: read (an empty patch), then a patch naming every group.
    const defaults = await call(db, 'configureTenant', T, {});
    assert.equal(defaults.identity.weights.ani.m, 0.85);
    if (typeof db.tenantSettings === 'function') assertValid('tenant-settings', await db.tenantSettings(T));
    const settings = await call(db, 'configureTenant', T, {
      ttl_days: 30,
      default_region: 'US',
      identity: { profile: 'probabilistic', weights: { ani: { u: { landline: 0.6 } }, open_intent: 2 }, merge_duplicates: true },
      levels: { very_high: 0.9, high: 0.7, medium: 0.5 },
      recommendations: { reuse: 0.5, confirm: 0.3 },
      billing: { enabled: true, prices: { start_new: 1, start_returning: 0, end: 0 } },
    });
    assert.equal(settings.identity.weights.ani.u.landline, 0.6);
    assert.equal(settings.billing.enabled, true);
    assert.deepEqual(await call(db, 'grantCredits', T, { amount: 100, idempotency_key: 'topup-2026-02' }), { balance: 100 });
    assert.deepEqual(await call(db, 'grantCredits', T, { amount: 100, idempotency_key: 'topup-2026-02' }), { balance: 100 });

    // A new caller, every field of the request given.
    const now = Date.now();
    const first = await call(db, 'startCall', T, {
      call_id: 'call_001',
      identity_hints: { ani, dnis: '+18005550100', external_ids: { crm_id: 'CRM_789' } },
      telco: { line_type: 'mobile', attestation: 'A', verstat: 'TN-Validation-Passed' },
      channel: 'voice',
      direction: 'inbound',
      at: iso(now - 3600e3),
    });
    assert.equal(first.identity.recommendation, 'ignore');
    const A = first.customer_ref;

    // Its end: intents, variables of every JSON type, a ttl, an interaction id.
    const end = await call(db, 'endCall', T, {
      call_id: 'call_001',
      customer_ref: A,
      intent: 'refund_request',
      intent_status: 'open',
      intents: [{ intent: 'address_change', status: 'resolved' }, { intent: 'complaint' }],
      variables: {
        name: 'John Doe', order_id: 12345, vip: true, balance: -12.5, tags: ['a', 1, null],
        address: { city: 'Paris', zip: '75001', lines: [] }, nothing: null,
      },
      variable_ttl_seconds: { order_id: 7776000 },
      external_ids: { account_number: '99812', genesys_session_id: 'S-1' },
      at: iso(now - 3500e3),
    });
    assert.equal(end.intents_updated, 3);

    // The returning caller: reused, with evidence, open intents and variables.
    const second = await call(db, 'startCall', T, {
      call_id: 'call_002', identity_hints: { ani }, telco: { line_type: 'mobile' },
    });
    assert.equal(second.customer_ref, A);
    assert.equal(second.identity.recommendation, 'reuse');
    assert.ok(second.identity.evidence.length > 0);
    assert.ok(second.open_intents.length > 0);
    assert.deepEqual(second.variables.tags.value, ['a', 1, null]);
    assert.deepEqual(second.variables.address.value, { city: 'Paris', zip: '75001', lines: [] });
    // The legacy end: intent_is_open.
    await call(db, 'endCall', T, { call_id: 'call_002', intent: 'complaint', intent_is_open: false });

    // Another customer B known by an id; then a caller with A's number and B's
    // id: candidates, and evidence for and against.
    const b = await call(db, 'startCall', T, { call_id: 'call_b1', identity_hints: { external_ids: { crm_id: 'CRM_999' } } });
    const B = b.customer_ref;
    const both = await call(db, 'startCall', T, {
      call_id: 'call_b2', identity_hints: { ani, external_ids: { crm_id: 'CRM_999' } }, telco: { line_type: 'mobile' },
    });
    assert.equal(both.customer_ref, B);
    assert.ok(both.identity.candidates.some((c) => c.customer_ref === A));
    assert.ok(both.identity.evidence.some((e) => e.weight < 0));

    // The legacy start: ani, dnis and external_ids at the top level; a time
    // with an offset and microseconds.
    const t = now - 1800e3;
    const legacy = await call(db, 'startCall', T, {
      call_id: 'call_legacy', ani: '+1 (415) 555-1234', dnis: '+18005550100', external_ids: { crm_id: 'CRM_789' },
      at: iso(t + 2 * 3600e3).replace('Z', '456+02:00'),
    });
    assert.equal(legacy.customer_ref, A);
    assert.equal(legacy.call_start, iso(t));

    // A standalone end: no start, the caller given at end (a landline, the legacy intent_is_open).
    const standalone = await call(db, 'endCall', T, {
      call_id: 'call_dropped', identity_hints: { ani: '+14155557777' }, telco: { line_type: 'landline' },
      intent: 'callback', intent_is_open: true, variables: { callback_at: '2026-02-08T09:00:00.000Z' },
    });
    assert.notEqual(standalone.customer_ref, A);

    // get, page by page; by identity hints; export by ref and by hints.
    const seen = [];
    let page = await call(db, 'getCustomer', T, { customer_ref: A, history_limit: 1 });
    assert.equal(typeof page.next_cursor, 'string');
    assert.ok(page.identities.some((i) => i.type === 'ani') && page.identities.some((i) => i.type === 'external_id'));
    for (;;) {
      seen.push(...page.calls.map((c) => c.call_id));
      if (page.next_cursor === null) break;
      page = await call(db, 'getCustomer', T, { customer_ref: A, history_limit: 1, cursor: page.next_cursor });
    }
    assert.deepEqual(seen.sort(), ['call_001', 'call_002', 'call_legacy']);
    const byHints = await call(db, 'getCustomer', T, { identity_hints: { external_ids: { crm_id: 'CRM_789' } } });
    assert.equal(byHints.customer_ref, A);
    const exported = await call(db, 'exportCustomer', T, { customer_ref: A });
    assert.equal(exported.next_cursor, null);
    assert.ok(exported.calls.some((c) => c.call_data.genesys_session_id === 'S-1'));
    assert.ok(exported.calls.some((c) => c.call_end === null));
    assert.equal((await call(db, 'exportCustomer', T, { identity_hints: { ani: '+14155557777' } })).customer_ref,
      standalone.customer_ref);

    // Usage, whole and by dates.
    const usage = await call(db, 'usage', T, {});
    assert.ok(usage.days.some((d) => d.operation === 'start_new' && d.credits > 0));
    await call(db, 'usage', T, { from: iso(now - 86400e3), to: iso(now) });

    // Feedback: confirmed, rejected, corrected with a merge; then unmerge.
    const confirmed = await call(db, 'identityFeedback', T, { call_id: 'call_002', outcome: 'confirmed' });
    assert.equal(confirmed.merge, null);
    await call(db, 'startCall', T, { call_id: 'call_003', identity_hints: { ani }, telco: { line_type: 'mobile' } });
    const rejected = await call(db, 'identityFeedback', T, { call_id: 'call_003', outcome: 'rejected', at: iso(Date.now()) });
    assert.equal(rejected.customer_created, true);
    const fresh = await call(db, 'startCall', T, { call_id: 'call_004', identity_hints: { ani: '+14155550999' } });
    await call(db, 'endCall', T, { call_id: 'call_004', variables: { note: 'new number' } });
    const corrected = await call(db, 'identityFeedback', T, { call_id: 'call_004', outcome: 'corrected', customer_ref: A });
    assert.equal(corrected.merge.alias, fresh.customer_ref);
    assert.equal(corrected.merge.alias_of, A);
    const unmerged = await call(db, 'unmerge', T, { merge_id: corrected.merge.merge_id });
    assert.equal(unmerged.restored_customer_ref, fresh.customer_ref);
    assert.deepEqual(await call(db, 'unmerge', T, { merge_id: corrected.merge.merge_id }), unmerged);

    // Forget by ref (by hints: the next test).
    const forgot = await call(db, 'forgetCustomer', T, { customer_ref: fresh.customer_ref });
    assert.ok(forgot.removed.calls >= 1);
    assert.equal((await call(db, 'forgetCustomer', T, { customer_ref: B })).customer_ref, B);

    // Purge: nothing expired now; everything is long after the ttl.
    assert.equal((await call(db, 'purgeExpired', null, {})).more, false);
    const later = await call(db, 'purgeExpired', null, { now: iso(now + 400 * 86400e3), limit: 3 });
    assert.equal(later.more, true);
  } finally {
    await db.close();
  }
  for (const [requestSchema, answerSchema] of Object.values(OPS)) {
    assert.ok(checked.has(requestSchema), `no request checked against ${requestSchema}.json`);
    assert.ok(checked.has(answerSchema), `no answer checked against ${answerSchema}.json`);
  }
}

test('the library\'s answers to every operation match the response schemas', { skip }, () =>
  everyOperation({ path: dbPath(), busy_timeout_ms: 5000, default_settings: { ttl_days: 30 } }));

const dsn = process.env.CALLMEM_TEST_PG_DSN || '';
test('the same on PostgreSQL', { skip: skip || (!dsn && 'CALLMEM_TEST_PG_DSN is not set (scripts/test sets it)') }, () =>
  everyOperation({
    store: 'postgres', dsn, schema: `node_schema_${crypto.randomBytes(6).toString('hex')}`, pool_size: 4,
    default_settings: { ttl_days: 30 },
  }));

test('forget by identity hints answers a receipt', { skip }, async () => {
  const db = await callmem.open({ path: dbPath() });
  try {
    const a = await call(db, 'startCall', 'acme', { call_id: 'f1', identity_hints: { external_ids: { crm_id: 'CRM_1' } } });
    const hints = { identity_hints: { external_ids: { crm_id: 'CRM_1' } } };
    assert.equal((await call(db, 'exportCustomer', 'acme', hints)).customer_ref, a.customer_ref);
    assert.equal((await call(db, 'forgetCustomer', 'acme', hints)).customer_ref, a.customer_ref);
  } finally {
    await db.close();
  }
});

test('error documents match the error schema: 400, 402, 404, 409, 503', { skip }, async (t) => {
  const file = dbPath();
  const db = await openChecked({ path: file, busy_timeout_ms: 50 });
  try {
    const bad = await failsWith(db, 'startCall', 'acme', { call_id: 'x', identity_hints: {}, telco: { line_type: 'fax' } },
      callmem.InvalidRequest, 'Bad Request');
    assert.deepEqual(bad.document.details.issues.map((i) => i.path), [['identity_hints'], ['telco', 'line_type']]);
    await failsWith(db, 'getCustomer', 'acme', { customer_ref: '00000000-0000-4000-8000-000000000000' },
      callmem.NotFound, 'Not Found');
    await failsWith(db, 'unmerge', 'acme', { merge_id: 'nope' }, callmem.NotFound, 'Not Found');
    await call(db, 'startCall', 'acme', { call_id: 'dup', identity_hints: { ani: '+14155550101' } });
    await failsWith(db, 'startCall', 'acme', { call_id: 'dup', identity_hints: { ani: '+14155550102' } },
      callmem.Conflict, 'Conflict');
    await call(db, 'configureTenant', 'billed', { billing: { enabled: true } });
    await failsWith(db, 'startCall', 'billed', { call_id: 'b1', identity_hints: { ani: '+14155550103' } },
      callmem.InsufficientCredits, 'Payment Required');
    const release = await holdWriteLock(file);
    if (!release) {
      t.diagnostic('the sqlite3 command is not installed: 503 not checked');
    } else {
      try {
        await failsWith(db, 'startCall', 'acme', { call_id: 'busy', identity_hints: { ani: '+14155550104' } },
          callmem.Busy, 'Service Unavailable');
      } finally {
        await release();
      }
    }
  } finally {
    await db.close();
  }
});

test('requests the library rejects, the schemas reject too', { skip }, async () => {
  const db = await callmem.open({ path: dbPath() });
  const hints = { ani: '+14155551234' };
  try {
    const { customer_ref: ref } = await call(db, 'startCall', 'acme', { call_id: 'c1', identity_hints: hints });
    // call start
    await rejectedByBoth(db, 'startCall', { identity_hints: hints }, 'call_id');
    await rejectedByBoth(db, 'startCall', { call_id: 42, identity_hints: hints }, 'call_id');
    await rejectedByBoth(db, 'startCall', { call_id: '', identity_hints: hints }, 'call_id');
    await rejectedByBoth(db, 'startCall', { call_id: 'x'.repeat(129), identity_hints: hints }, 'call_id');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: { dnis: '+18005550100' } }, 'identity_hints');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: { external_ids: {} } }, 'identity_hints');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2' }, 'identity_hints');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: 'x' }, 'identity_hints');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: hints, telco: { line_type: 'satellite' } }, 'telco');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: hints, channel: 'fax' }, 'channel');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: hints, at: '2026-02-07' }, 'at');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: hints, at: '1969-12-31T23:59:59.000Z' }, 'at');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: { ani: 'x'.repeat(257) } }, 'identity_hints');
    await rejectedByBoth(db, 'startCall',
      { call_id: 'c2', identity_hints: { external_ids: { ['k'.repeat(65)]: 'v' } } }, 'identity_hints');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: { external_ids: { crm_id: '' } } }, 'identity_hints');
    await rejectedByBoth(db, 'startCall', { call_id: 'c2', identity_hints: { external_ids: { crm_id: 7 } } }, 'identity_hints');
    // call end
    await rejectedByBoth(db, 'endCall', { intent: 'a' }, 'call_id');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', intents: [{ intent: 'a', status: 'maybe' }] }, 'intents');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', intents: [{ status: 'open' }] }, 'intents');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', intent_status: 'open' }, 'intent');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', intent: 'a', intent_status: 'abandoned', intent_is_open: true },
      'intent_is_open');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', intent: 'a', intent_is_open: 'yes' }, 'intent_is_open');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', variables: 'x' }, 'variables');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', variables: { ['v'.repeat(65)]: 1 } }, 'variables');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', variables: { a: 1 }, variable_ttl_seconds: { a: 0 } },
      'variable_ttl_seconds');
    await rejectedByBoth(db, 'endCall', { call_id: 'c1', intent: 'a', intents: Array(32).fill({ intent: 'b' }) }, 'intents');
    await rejectedByBoth(db, 'endCall', { call_id: 'c9', identity_hints: { dnis: '+18005550100' } }, 'identity_hints');
    // customers
    await rejectedByBoth(db, 'getCustomer', {}, 'customer_ref');
    await rejectedByBoth(db, 'getCustomer', { customer_ref: ref, history_limit: 101 }, 'history_limit');
    await rejectedByBoth(db, 'getCustomer', { customer_ref: ref, history_limit: 1.5 }, 'history_limit');
    await rejectedByBoth(db, 'forgetCustomer', { identity_hints: { dnis: '+18005550100' } }, 'identity_hints');
    await rejectedByBoth(db, 'exportCustomer', { customer_ref: 'x'.repeat(65) }, 'customer_ref');
    // settings, credits, usage, purge
    await rejectedByBoth(db, 'configureTenant', { ttl_days: 0 }, 'ttl_days');
    await rejectedByBoth(db, 'configureTenant', { ttl_days: '30' }, 'ttl_days');
    await rejectedByBoth(db, 'configureTenant', { default_region: 'usa' }, 'default_region');
    await rejectedByBoth(db, 'configureTenant', { identity: { profile: 'magic' } }, 'identity');
    await rejectedByBoth(db, 'configureTenant', { identity: { weight: {} } }, 'identity');
    await rejectedByBoth(db, 'configureTenant', { identity: { weights: { ani: { m: 1 } } } }, 'identity');
    await rejectedByBoth(db, 'configureTenant', { identity: { weights: { recency: { over_30_days: 2 } } } }, 'identity');
    await rejectedByBoth(db, 'configureTenant', { identity: { weights: { fax: 0.5 } } }, 'identity');
    await rejectedByBoth(db, 'configureTenant', { levels: { high: 1.5 } }, 'levels');
    await rejectedByBoth(db, 'configureTenant', { billing: { enabled: 'yes' } }, 'billing');
    await rejectedByBoth(db, 'configureTenant', { billing: { prices: { end: -1 } } }, 'billing');
    await rejectedByBoth(db, 'grantCredits', { amount: 0, idempotency_key: 'k' }, 'amount');
    await rejectedByBoth(db, 'grantCredits', { amount: 10 }, 'idempotency_key');
    await rejectedByBoth(db, 'usage', { from: 'yesterday' }, 'from');
    await rejectedByBoth(db, 'purgeExpired', { limit: 0 }, 'limit');
    // feedback and unmerge
    await rejectedByBoth(db, 'identityFeedback', { call_id: 'c1', outcome: 'maybe' }, 'outcome');
    await rejectedByBoth(db, 'identityFeedback', { call_id: 'c1' }, 'outcome');
    await rejectedByBoth(db, 'identityFeedback', { call_id: 'c1', outcome: 'corrected' }, 'customer_ref');
    await rejectedByBoth(db, 'identityFeedback', { call_id: 'c1', outcome: 'confirmed', customer_ref: ref }, 'customer_ref');
    await rejectedByBoth(db, 'unmerge', {}, 'merge_id');
    await rejectedByBoth(db, 'unmerge', { merge_id: 'x'.repeat(65) }, 'merge_id');
    // the tenant, passed beside the request
    const tenant = schemas.common.$defs.tenant;
    const tenantValid = newAjv().compile(tenant);
    for (const bad of ['', 'no spaces', 'x'.repeat(65), 'ünï']) {
      assert.equal(tenantValid(bad), false, bad);
      const e = await db.usage(bad).then(() => null, (x) => x);
      assert.ok(e instanceof callmem.InvalidRequest, bad);
      assert.deepEqual(e.issues[0].path, ['tenant']);
    }
    assert.equal(tenantValid('acme-1.eu_west'), true);
  } finally {
    await db.close();
  }
  // The open configuration.
  for (const [config, field] of [
    [{ store: 'postgres' }, 'dsn'], [{ store: 'mysql' }, 'store'], [{ pool_size: 0 }, 'pool_size'],
    [{ busy_timeout_ms: 'soon' }, 'busy_timeout_ms'], [{ path: '' }, 'path'],
    [{ default_settings: { levels: { medium: 2 } } }, 'default_settings'],
  ]) {
    assert.equal(valid('open-config', { path: 'calls.db', ...config }), false, JSON.stringify(config));
    const e = await callmem.open({ path: dbPath(), ...config }).then((opened) => opened.close(), (x) => x);
    assert.ok(e instanceof callmem.InvalidRequest, JSON.stringify(config));
    assert.match(e.message, new RegExp(`: ${field}`)); // an open has no error document, only the message
  }
});

test('the legacy shapes are accepted by the library and the schemas', { skip }, async () => {
  const db = await callmem.open({ path: dbPath() });
  try {
    const legacy = await call(db, 'startCall', 'acme', { call_id: 'l1', ani: '+14155551234', external_ids: { crm_id: 'C1' } });
    const modern = await call(db, 'startCall', 'acme', {
      call_id: 'l2', identity_hints: { ani: '+14155551234', external_ids: { crm_id: 'C1' } },
    });
    assert.equal(modern.customer_ref, legacy.customer_ref);
    await call(db, 'startCall', 'acme', { call_id: 'l3', customer_ref: legacy.customer_ref, dnis: '+18005550100' });
    await call(db, 'startCall', 'acme', { call_id: 'l4', identity_hints: { dnis: '+18005550100' }, ani: '+14155551234' });
    for (const [id, open] of [['l1', true], ['l2', false]]) {
      await call(db, 'endCall', 'acme', { call_id: id, intent: 'refund_request', intent_is_open: open });
    }
    await call(db, 'endCall', 'acme', { call_id: 'l3', intent: 'a', intent_status: 'open', intent_is_open: true });
    await call(db, 'endCall', 'acme', { call_id: 'l4', intent: 'b', intent_status: 'resolved', intent_is_open: false });
    // Keys a hosted API's client may add are ignored by start and end.
    await call(db, 'startCall', 'acme', { call_id: 'l5', identity_hints: { ani: '+14155551234' }, metadata: { x: 1 } });
    await call(db, 'endCall', 'acme', { call_id: 'l5', summary_v2: 'ignored' });
    // The selectors' legacy top-level hints.
    assert.equal((await call(db, 'getCustomer', 'acme', { ani: '+14155551234' })).customer_ref, legacy.customer_ref);
    assert.equal((await call(db, 'exportCustomer', 'acme', { external_ids: { crm_id: 'C1' } })).customer_ref,
      legacy.customer_ref);
  } finally {
    await db.close();
  }
});
