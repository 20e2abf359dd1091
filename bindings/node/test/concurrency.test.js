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

test('worker threads: each has its own event loop; terminating one with calls in flight', async () => {
  const { Worker } = require('node:worker_threads');
  const path = dbPath();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const callmem = require(${JSON.stringify(require.resolve('..'))});
    (async () => {
      const db = await callmem.open({ path: workerData.path });
      const n = workerData.calls;
      const calls = Array.from({ length: n }, (_, i) =>
        db.startCall('acme', { call_id: workerData.name + i, identity_hints: { ani: '+1415555' + (7100 + i) },
                               telco: { line_type: 'mobile' } }));
      parentPort.postMessage('started');
      const answers = await Promise.all(calls);
      parentPort.postMessage(answers.length);
      if (!workerData.forget) await db.close();
    })();`;
  const run = (name, calls, forget) => new Worker(code, { eval: true, workerData: { path, name, calls, forget } });
  const finished = (w) => new Promise((resolve, reject) => {
    let answered = 0;
    w.on('message', (m) => { if (typeof m === 'number') answered = m; });
    w.on('error', reject);
    w.on('exit', (code) => resolve({ code, answered }));
  });
  const a = run('a', 100, false);
  const b = run('b', 100, true); // leaves its handle open: closed when its environment goes
  const c = run('c', 2000, false);
  c.once('message', () => c.terminate()); // torn down while its calls run
  const [ra, rb, rc] = await Promise.all([finished(a), finished(b), finished(c)]);
  assert.deepEqual([ra, rb], [{ code: 0, answered: 100 }, { code: 0, answered: 100 }]);
  assert.equal(rc.answered, 0); // terminated before its calls were answered
  // The file is sound and both workers' calls were written.
  const db = await callmem.open({ path });
  const customers = (await db.usage('acme')).days.find((d) => d.operation === 'start_new').count;
  assert.ok(customers >= 100, String(customers));
  await db.close();
});

test('calls one after another are answered in order; a process that never closes still exits on its own', async () => {
  // One after another, each awaited: the binding's runner thread answers
  // them (a call made while it is busy goes to libuv's pool instead).
  const db = await callmem.open({ path: dbPath() });
  for (let i = 0; i < 50; i++) {
    const a = await db.startCall('acme', start(`seq-${i}`, '+14155557300'));
    assert.equal(a.call_id, `seq-${i}`);
    const e = await db.endCall('acme', { call_id: `seq-${i}`, variables: { i } });
    assert.equal(e.call_id, `seq-${i}`);
  }
  assert.equal((await db.getCustomer('acme', { ani: '+14155557300' })).variables.i.value, 49);
  await db.close();

  // A child that makes calls and neither closes nor waits: nothing the
  // binding holds (its runner thread, its answers' channel) keeps it alive.
  const { spawnSync } = require('node:child_process');
  const code = `
    const callmem = require(${JSON.stringify(require.resolve('..'))});
    (async () => {
      const db = await callmem.open({ path: ${JSON.stringify(dbPath())} });
      await db.startCall('acme', { call_id: 'c1', identity_hints: { ani: '+14155557301' } });
      await Promise.all([1, 2, 3].map((i) =>
        db.startCall('acme', { call_id: 'p' + i, identity_hints: { ani: '+14155557301' } })));
      console.log('done');
    })();`;
  const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20000, env: process.env });
  assert.equal(child.error, undefined, 'the child did not exit within 20 s');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'done');
});
