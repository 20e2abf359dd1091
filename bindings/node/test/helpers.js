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

module.exports = { dir, dbPath, start, holdWriteLock };
