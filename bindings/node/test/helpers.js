'use strict';
// Shared by the tests: a fresh temporary directory per test file, removed at exit.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmem-node-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A new database path in the temporary directory. */
function dbPath() {
  n += 1;
  return path.join(dir, `t${n}.db`);
}

/** A start request for a mobile number. */
function start(callId, ani, extra = {}) {
  return { call_id: callId, identity_hints: { ani }, telco: { line_type: 'mobile' }, ...extra };
}

/**
 * Takes the database's write lock in another process (the sqlite3 command)
 * and resolves to a function releasing it; null when sqlite3 is not installed.
 */
async function holdWriteLock(file) {
  const { spawn, spawnSync } = require('node:child_process');
  if (spawnSync('sqlite3', ['-version']).status !== 0) return null;
  const holder = spawn('sqlite3', [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  return () => {
    holder.stdin.end('ROLLBACK;\n');
    return new Promise((resolve) => holder.once('exit', resolve));
  };
}

/**
 * The built `callmem` program (API keys are made and revoked by it only):
 * CALLMEM_CLI, else cli/callmem beside the libcallmem.so of CALLMEM_LIBRARY,
 * else the repository's build/cli/callmem; null when there is none.
 */
function cliPath() {
  const candidates = [
    process.env.CALLMEM_CLI,
    process.env.CALLMEM_LIBRARY && path.join(path.dirname(process.env.CALLMEM_LIBRARY), 'cli', 'callmem'),
    path.join(__dirname, '..', '..', '..', 'build', 'cli', 'callmem'),
  ];
  return candidates.find((c) => c && fs.existsSync(c)) || null;
}

/** `callmem keys create` on a SQLite file: {key, key_id, tenant, name}. */
function createKey(db, tenant) {
  const { execFileSync } = require('node:child_process');
  return JSON.parse(execFileSync(cliPath(), ['keys', 'create', '--db', db, '--tenant', tenant, '--json']));
}

/** `callmem keys revoke`. */
function revokeKey(db, keyId) {
  const { execFileSync } = require('node:child_process');
  execFileSync(cliPath(), ['keys', 'revoke', '--db', db, keyId, '--json']);
}

module.exports = { dir, dbPath, start, holdWriteLock, cliPath, createKey, revokeKey };
