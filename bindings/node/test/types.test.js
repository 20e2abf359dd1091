'use strict';
// index.d.ts compiles, strictly, against a program using the whole API.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

test('the TypeScript declarations describe the API', (t) => {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
  } catch {
    t.skip('typescript is not installed (npm install inside bindings/node)');
    return;
  }
  const r = spawnSync(process.execPath, [
    tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs',
    path.join(__dirname, 'types', 'usage.ts'),
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
