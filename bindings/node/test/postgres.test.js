'use strict';
// The PostgreSQL store through the Node package: two handles (two nodes) on
// one database. Needs the server scripts/test starts (CALLMEM_TEST_PG_DSN).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const callmem = require('..');
const { start } = require('./helpers');

const dsn = process.env.CALLMEM_TEST_PG_DSN || '';
const skip = dsn ? false : 'CALLMEM_TEST_PG_DSN is not set (scripts/test sets it)';

function config() {
  // A schema of the test's own: nothing shared with other runs.
  return { store: 'postgres', dsn, schema: `node_${crypto.randomBytes(6).toString('hex')}`, pool_size: 4 };
}

test('two nodes share one memory; a replay on the other answers the same', { skip }, async () => {
  const cfg = config();
  const a = await callmem.open(cfg);
  const b = await callmem.open(cfg);
  try {
    const first = await a.startCall('acme', start('node-1', '+14155550199'));
    await a.endCall('acme', { call_id: 'node-1', intent: 'refund_request', variables: { name: 'Ann' } });
    const second = await b.startCall('acme', start('node-2', '+14155550199'));
    assert.equal(second.customer_ref, first.customer_ref);
    assert.equal(second.identity.recommendation, 'reuse');
    assert.equal(second.variables.name.value, 'Ann');
    assert.deepEqual(await a.startCall('acme', start('node-2', '+14155550199')), second);
  } finally {
    await a.close();
    await b.close();
  }
});

test('concurrent first calls on two nodes make one customer', { skip }, async () => {
  const cfg = config();
  const a = await callmem.open(cfg);
  const b = await callmem.open(cfg);
  try {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).startCall('acme', start(`race-${i}`, '+14155550166'))));
    assert.equal(new Set(answers.map((r) => r.customer_ref)).size, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('postgres without a dsn is an InvalidRequest naming the field', async () => {
  await assert.rejects(callmem.open({ store: 'postgres' }), (e) => {
    assert.ok(e instanceof callmem.InvalidRequest);
    assert.match(e.message, /dsn/);
    return true;
  });
});
