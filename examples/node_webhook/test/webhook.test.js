'use strict';
// Two calls from one number through the webhooks: the second is greeted with
// what the first saved.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const callmem = require('callmem');
const { createServer } = require('..');

async function post(base, route, body) {
  const res = await fetch(base + route, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test('the second call from a number recognises the first', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmem-webhook-'));
  const db = await callmem.open({ path: path.join(dir, 'calls.db') });
  const server = createServer({ db, tenant: 'acme' });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const caller = { from_number: '+14155551234', to_number: '+18005550100', line_type: 'mobile' };

  const first = await post(base, '/call/start', { call_id: 'call_001', ...caller });
  assert.equal(first.status, 200);
  assert.equal(first.body.recommendation, 'ignore');
  assert.equal(first.body.customer_name, null);
  assert.deepEqual(first.body.open_intents, []);
  assert.equal(first.body.greeting, 'Hello! How can I help you today?');

  const end = await post(base, '/call/end', {
    call_id: 'call_001', intent: 'refund_request', variables: { name: 'John Doe', order_id: '12345' },
  });
  assert.equal(end.status, 200);
  assert.equal(end.body.customer_ref, first.body.customer_ref);
  assert.equal(end.body.variables_updated, 2);

  const second = await post(base, '/call/start', { call_id: 'call_002', ...caller });
  assert.equal(second.status, 200);
  assert.equal(second.body.customer_ref, first.body.customer_ref);
  assert.equal(second.body.recommendation, 'reuse');
  assert.equal(second.body.customer_name, 'John Doe');
  assert.deepEqual(second.body.open_intents, [{ intent: 'refund_request', attempts: 1 }]);
  assert.deepEqual(second.body.variables, { name: 'John Doe', order_id: '12345' });
  assert.equal(second.body.greeting, 'Welcome back, John Doe! Are you calling about your refund request?');

  const resolved = await post(base, '/call/end', { call_id: 'call_002', intent: 'refund_request', intent_status: 'resolved' });
  assert.equal(resolved.status, 200);

  // Errors answer the contract's error document with its HTTP twin.
  const invalid = await post(base, '/call/start', { call_id: 'call_003' });
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.body.details.issues[0].path, ['identity_hints']);
  const conflict = await post(base, '/call/start', { call_id: 'call_001', ...caller, from_number: '+14155559999' });
  assert.equal(conflict.status, 409);
  const notJson = await fetch(base + '/call/end', { method: 'POST', body: '{' });
  assert.equal(notJson.status, 400);
  assert.equal((await fetch(base + '/elsewhere', { method: 'POST' })).status, 404);
});
