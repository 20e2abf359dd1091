'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const callmem = require('..');
const { dbPath, start } = require('./helpers');

test('200 concurrent starts from one new number make exactly one customer', async () => {
  const db = await callmem.open({ path: dbPath() });
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) => db.startCall('acme', start(`race-${i}`, '+14155557000'))),
  );
  const refs = new Set(answers.map((a) => a.customer_ref));
  assert.equal(refs.size, 1);
  assert.deepEqual(answers.map((a) => a.call_id), answers.map((_, i) => `race-${i}`));
  const usage = await db.usage('acme');
  assert.equal(usage.days.find((d) => d.operation === 'start_new').count, 1);
  assert.equal(usage.days.find((d) => d.operation === 'start_returning').count, 199);
  const all = await db.exportCustomer('acme', { customer_ref: [...refs][0] });
  assert.equal(all.calls.length, 200);
  await db.close();
});

test('concurrent starts and ends across numbers, tenants and two handles on one file', async () => {
  const path = dbPath();
  const [a, b] = await Promise.all([callmem.open({ path }), callmem.open({ path })]);
  const numbers = Array.from({ length: 20 }, (_, i) => `+1415555${8000 + i}`);
  const ops = [];
  for (let i = 0; i < 200; i++) {
    const db = i % 2 ? a : b;
    const tenant = i % 4 < 2 ? 't1' : 't2';
    const callId = `mix-${i}`;
    ops.push(db.startCall(tenant, start(callId, numbers[i % 20]))
      .then(() => db.endCall(tenant, { call_id: callId, intent: 'billing', variables: { n: i } })));
  }
  await Promise.all(ops);
  for (const tenant of ['t1', 't2']) {
    const usage = await a.usage(tenant);
    const count = (op) => usage.days.filter((d) => d.operation === op).reduce((s, d) => s + d.count, 0);
    assert.equal(count('end'), 100);
    assert.equal(count('start_new'), 10); // each tenant saw 10 numbers
  }
  await Promise.all([a.close(), b.close()]);
});
