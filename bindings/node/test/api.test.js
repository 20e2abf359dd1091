'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const callmem = require('..');
const { dbPath, start, holdWriteLock } = require('./helpers');

test('start, end, start again and get: the second call knows the first', async () => {
  const db = await callmem.open({ path: dbPath() });
  const first = await db.startCall('acme', start('call_001', '+14155551234'));
  assert.equal(first.call_id, 'call_001');
  assert.match(first.customer_ref, /^[0-9a-f-]{36}$/);
  assert.equal(first.identity.recommendation, 'ignore');
  assert.deepEqual(first.open_intents, []);
  assert.deepEqual(first.variables, {});

  const end = await db.endCall('acme', {
    call_id: 'call_001', intent: 'refund_request', variables: { name: 'John Doe', order_id: 12345 },
  });
  assert.equal(end.customer_ref, first.customer_ref);
  assert.equal(end.intents_updated, 1);
  assert.equal(end.variables_updated, 2);

  const second = await db.startCall('acme', start('call_002', '+14155551234'));
  assert.equal(second.customer_ref, first.customer_ref);
  assert.equal(second.identity.recommendation, 'reuse');
  assert.equal(second.open_intents[0].intent, 'refund_request');
  assert.equal(second.variables.name.value, 'John Doe');
  assert.equal(second.variables.order_id.value, 12345);

  const customer = await db.getCustomer('acme', { customer_ref: first.customer_ref });
  assert.deepEqual(customer.calls.map((c) => c.call_id), ['call_002', 'call_001']);
  const exported = await db.exportCustomer('acme', { customer_ref: first.customer_ref });
  assert.equal(exported.customer_ref, first.customer_ref);

  // A retry answers the same response.
  assert.deepEqual(await db.startCall('acme', start('call_002', '+14155551234')), second);
  await db.close();
});

test('the other operations answer plain objects', async () => {
  const db = new callmem.CallMemory({ path: dbPath() }); // operations wait for the open
  const settings = await db.configureTenant('acme', { ttl_days: 7 });
  assert.equal(settings.ttl_days, 7);
  assert.equal((await db.configureTenant('acme')).ttl_days, 7);
  assert.deepEqual(await db.grantCredits('acme', { amount: 10, idempotency_key: 'k1' }), { balance: 10 });
  const a = await db.startCall('acme', start('c1', '+14155550001'));
  const b = await db.startCall('acme', start('c2', '+14155550002'));
  const usage = await db.usage('acme');
  assert.equal(usage.balance, 10);
  assert.ok(usage.days.some((d) => d.operation === 'start_new' && d.count === 2));
  const purge = await db.purgeExpired();
  assert.equal(purge.more, false);
  const fb = await db.identityFeedback('acme', { call_id: 'c2', outcome: 'corrected', customer_ref: a.customer_ref });
  assert.equal(fb.customer_ref, a.customer_ref);
  assert.equal(fb.previous_customer_ref, b.customer_ref);
  const un = await db.unmerge('acme', { merge_id: fb.merge.merge_id });
  assert.equal(un.restored_customer_ref, b.customer_ref);
  const forgot = await db.forgetCustomer('acme', { customer_ref: a.customer_ref });
  assert.equal(forgot.removed.calls, 1);
  await db.close();
});

test('reading tenant settings writes nothing', async () => {
  const file = dbPath();
  let db = await callmem.open({ path: file });
  const settings = await db.tenantSettings('fresh');
  assert.equal(settings.ttl_days, 30);
  assert.equal(settings.identity.profile, 'probabilistic');
  assert.deepEqual(await db.configureTenant('fresh'), settings); // an empty patch reads
  assert.equal((await db.configureTenant('kept', { ttl_days: 30 })).ttl_days, 30);
  const badTenant = await db.tenantSettings('no spaces').catch((e) => e);
  assert.ok(badTenant instanceof callmem.InvalidRequest);
  assert.deepEqual(badTenant.issues[0].path, ['tenant']);
  await db.close();
  // Opened with other defaults: the tenant never configured follows them; the configured keeps its own.
  db = await callmem.open({ path: file, default_settings: { ttl_days: 9 } });
  assert.equal((await db.tenantSettings('fresh')).ttl_days, 9);
  assert.equal((await db.tenantSettings('kept')).ttl_days, 30);
  await db.close();
});

test('each status rejects with its class, status, HTTP twin and issues', async () => {
  const db = await callmem.open({ path: dbPath() });

  const invalid = await db.startCall('acme', { call_id: 'x' }).catch((e) => e);
  assert.ok(invalid instanceof callmem.InvalidRequest);
  assert.ok(invalid instanceof callmem.CallmemError);
  assert.ok(invalid instanceof Error);
  assert.equal(invalid.name, 'InvalidRequest');
  assert.equal(invalid.status, -2);
  assert.equal(invalid.code, 'CALLMEM_EINVALID');
  assert.equal(invalid.httpStatus, 400);
  assert.deepEqual(invalid.issues, [{
    path: ['identity_hints'], message: 'identity_hints must include ani, external_ids, or customer_ref',
  }]);
  assert.equal(invalid.document.error, 'Bad Request');
  assert.match(invalid.message, /identity_hints must include/);

  const badEnd = await db.endCall('acme', { call_id: 'x', intents: [{ intent: 'a', status: 'maybe' }] })
    .catch((e) => e);
  assert.ok(badEnd instanceof callmem.InvalidRequest);
  assert.deepEqual(badEnd.issues.map((i) => i.path), [['intents', '0', 'status']]);

  const badTenant = await db.usage('no spaces').catch((e) => e);
  assert.ok(badTenant instanceof callmem.InvalidRequest);
  assert.deepEqual(badTenant.issues[0].path, ['tenant']);
  const notString = await db.usage(42).catch((e) => e);
  assert.ok(notString instanceof callmem.InvalidRequest);
  assert.deepEqual(notString.issues[0].path, ['tenant']);
  const badJson = await db.startCall('acme', '{"call_id": ').catch((e) => e);
  assert.ok(badJson instanceof callmem.InvalidRequest);
  const cyclic = {};
  cyclic.self = cyclic;
  const notJson = await db.startCall('acme', cyclic).catch((e) => e);
  assert.ok(notJson instanceof callmem.InvalidRequest);

  const notFound = await db.getCustomer('acme', { customer_ref: '00000000-0000-4000-8000-000000000000' })
    .catch((e) => e);
  assert.ok(notFound instanceof callmem.NotFound);
  assert.equal(notFound.status, -3);
  assert.equal(notFound.httpStatus, 404);
  assert.equal(notFound.document.error, 'Not Found');
  assert.deepEqual(notFound.issues, notFound.document.details?.issues ?? []);

  await db.startCall('acme', start('dup', '+14155550101'));
  const conflict = await db.startCall('acme', start('dup', '+14155550102')).catch((e) => e);
  assert.ok(conflict instanceof callmem.Conflict);
  assert.equal(conflict.status, -4);
  assert.equal(conflict.httpStatus, 409);
  assert.deepEqual(conflict.issues, conflict.document.details?.issues ?? []);

  await db.configureTenant('billed', { billing: { enabled: true } });
  const credits = await db.startCall('billed', start('b1', '+14155550103')).catch((e) => e);
  assert.ok(credits instanceof callmem.InsufficientCredits);
  assert.equal(credits.status, -5);
  assert.equal(credits.httpStatus, 402);
  assert.equal(credits.document.error, 'Payment Required');
  await db.close();

  const store = await callmem.open({ path: '/nonexistent-dir/calls.db' }).catch((e) => e);
  assert.ok(store instanceof callmem.StoreError);
  assert.equal(store.status, -7);
  assert.equal(store.httpStatus, 500);
  assert.deepEqual(store.issues, []);

  const badConfig = await callmem.open({ path: dbPath(), busy_timeout_ms: 'soon' }).catch((e) => e);
  assert.ok(badConfig instanceof callmem.InvalidRequest);
  assert.match(badConfig.message, /busy_timeout_ms/);
});

test('Busy when another connection holds the write lock', async (t) => {
  const path = dbPath();
  const db = await callmem.open({ path, busy_timeout_ms: 50 });
  await db.startCall('acme', start('c1', '+14155550201'));
  const release = await holdWriteLock(path);
  if (!release) {
    t.skip('the sqlite3 command is not installed');
    return db.close();
  }
  try {
    const busy = await db.startCall('acme', start('c2', '+14155550202')).catch((e) => e);
    assert.ok(busy instanceof callmem.Busy, String(busy));
    assert.equal(busy.status, -6);
    assert.equal(busy.httpStatus, 503);
    assert.equal(busy.document.error, 'Service Unavailable');
  } finally {
    await release();
  }
  // Safe to retry once the lock is free.
  assert.equal((await db.startCall('acme', start('c2', '+14155550202'))).call_id, 'c2');
  await db.close();
});

test('close is idempotent and later calls reject with a CallmemError', async () => {
  const db = await callmem.open({ path: dbPath() });
  await db.startCall('acme', start('c1', '+14155550301'));
  const first = db.close();
  assert.equal(db.close(), first);
  await first;
  await db.close();
  assert.equal(db.closed, true);
  for (const p of [db.startCall('acme', start('c2', '+14155550301')), db.usage('acme'), db.purgeExpired()]) {
    const e = await p.catch((x) => x);
    assert.ok(e instanceof callmem.CallmemError);
    assert.equal(e.status, -1);
    assert.match(e.message, /closed/);
  }
});

test('close waits for the calls in flight', async () => {
  const path = dbPath();
  const db = await callmem.open({ path });
  const done = [];
  const calls = Array.from({ length: 50 }, (_, i) =>
    db.startCall('acme', start(`c${i}`, `+1415555${String(1000 + i)}`)).then((r) => { done.push(r.call_id); }));
  const closed = db.close().then(() => done.length);
  const late = await db.startCall('acme', start('late', '+14155550999')).catch((e) => e);
  assert.ok(late instanceof callmem.CallmemError);
  await Promise.all(calls);
  assert.equal(await closed, 50); // every call had completed when close resolved
  // Everything was written: a new handle sees all 50 customers.
  const again = await callmem.open({ path });
  const usage = await again.usage('acme');
  assert.equal(usage.days.find((d) => d.operation === 'start_new').count, 50);
  await again.close();
});

test('close before the open has finished', async () => {
  const db = new callmem.CallMemory({ path: dbPath() });
  const call = db.startCall('acme', start('c1', '+14155550401'));
  await db.close();
  assert.equal((await call).call_id, 'c1'); // issued before close: completed
  await assert.rejects(db.startCall('acme', start('c2', '+14155550401')), callmem.CallmemError);
});

test('version and library path', () => {
  assert.match(callmem.version(), /^\d+\.\d+\.\d+/);
  assert.ok(callmem.libraryPath);
});

test('polling can be turned off and set', async () => {
  assert.throws(() => callmem.setPolling(-1), RangeError);
  assert.throws(() => callmem.setPolling('soon'), RangeError);
  const db = await callmem.open({ path: dbPath() });
  try {
    for (const us of [0, 50, 1000]) {
      callmem.setPolling(us);
      const answers = await Promise.all([1, 2, 3].map((i) => db.startCall('acme', start(`p${us}-${i}`, `+1415555050${i}`))));
      assert.equal(answers.length, 3);
    }
  } finally {
    callmem.setPolling(1000);
    await db.close();
  }
});
