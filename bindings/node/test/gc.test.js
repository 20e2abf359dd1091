'use strict';
// Finalizers: a handle the program forgot is closed when collected, never
// under a call in flight. Runs in a child with --expose-gc.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

test('a forgotten handle is closed by its finalizer, after its calls in flight', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures', 'gc.js')], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal || ''}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^ok$/m);
});
