'use strict';
// importCalls: the bulk import of past calls (docs/import.md) through callmem_import.
const test = require('node:test');
const assert = require('node:assert/strict');
const callmem = require('..');
const { dbPath, start } = require('./helpers');

const day = new Date(Date.now() - 86400000).toISOString().slice(0, 10);

test('importCalls: past calls in, a summary out; again changes nothing; the caller is known', async () => {
  const db = await callmem.open({ path: dbPath() });
  const calls = [
    {
      start: { ...start('h1', '+14155550101'), at: `${day}T09:00:00.000Z` },
      end: { intent: 'refund_request', variables: { name: 'Ann' }, at: `${day}T09:04:00.000Z` },
    },
    { start: start('h2', '+14155550101') }, // no "at": refused, the rest goes on
  ];
  const summary = await db.importCalls('acme', calls);
  assert.equal(summary.imported, 1);
  assert.equal(summary.skipped, 0);
  assert.equal(summary.rejected.length, 1);
  const [bad] = summary.rejected;
  assert.equal(bad.line, 2);
  assert.equal(bad.call_id, 'h2');
  assert.deepEqual(bad.error.details.issues[0].path, ['start', 'at']);

  // Again, as NDJSON text, in batches of one: already there.
  const again = await db.importCalls('acme', JSON.stringify(calls[0]) + '\n', { batch: 1 });
  assert.deepEqual(again, { imported: 0, skipped: 1, rejected: [] });

  // Strict stops at the line that does not read, before anything is applied.
  const strict = await db.importCalls('acme', [calls[1], { start: { ...start('h3', '+14155550103'), at: `${day}T10:00:00.000Z` } }],
    { strict: true });
  assert.equal(strict.stopped_at, 1);
  assert.equal(strict.not_applied, 1);
  assert.equal(strict.imported, 0);

  // The caller is known from the history on; the import was not billed.
  const r = await db.startCall('acme', start('live', '+14155550101'));
  assert.equal(r.identity.recommendation, 'reuse');
  assert.equal(r.variables.name.value, 'Ann');
  assert.equal(r.open_intents[0].intent, 'refund_request');
  await db.close();
});

test('importCalls: bad options and a closed call memory reject', async () => {
  const db = await callmem.open({ path: dbPath() });
  await assert.rejects(db.importCalls('acme', '', { batch: 0 }), (e) => {
    assert.ok(e instanceof callmem.InvalidRequest);
    assert.deepEqual(e.issues[0].path, ['batch']);
    return true;
  });
  await assert.rejects(db.importCalls('not a tenant!', ''), callmem.InvalidRequest);
  await db.close();
  await assert.rejects(db.importCalls('acme', ''), callmem.CallmemError);
});
