'use strict';
// apiKeyTenant: the tenant of a key made by `callmem keys create` (the built
// program), refused once revoked, over callmem_api_key_tenant.
const test = require('node:test');
const assert = require('node:assert/strict');
const callmem = require('..');
const { dbPath, cliPath, createKey, revokeKey } = require('./helpers');

const skip = cliPath() ? false : 'the callmem program is not built (cmake --build build --target callmem_cli)';

test('apiKeyTenant: a live key names its tenant; unknown and revoked keys are NotFound', { skip }, async () => {
  const file = dbPath();
  const db = await callmem.open({ path: file }); // the schema first, then the program's keys
  const acme = createKey(file, 'acme');
  const globex = createKey(file, 'globex');
  assert.deepEqual(await db.apiKeyTenant(acme.key), { key_id: acme.key_id, tenant: 'acme' });
  assert.deepEqual(await db.apiKeyTenant(globex.key), { key_id: globex.key_id, tenant: 'globex' });

  const unknown = await db.apiKeyTenant('cmk_' + 'a'.repeat(52)).catch((e) => e);
  assert.ok(unknown instanceof callmem.NotFound, String(unknown));
  assert.match(unknown.message, /unknown or revoked/);
  revokeKey(file, acme.key_id);
  const revoked = await db.apiKeyTenant(acme.key).catch((e) => e);
  assert.ok(revoked instanceof callmem.NotFound, String(revoked));
  assert.equal(revoked.message, unknown.message);
  assert.deepEqual(await db.apiKeyTenant(globex.key), { key_id: globex.key_id, tenant: 'globex' });

  const bad = await db.apiKeyTenant(42).catch((e) => e);
  assert.ok(bad instanceof callmem.InvalidRequest);
  assert.deepEqual(bad.issues[0].path, ['key']);
  await db.close();
});
