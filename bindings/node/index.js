'use strict';
// callmem for Node: call memory over libcallmem's C ABI. Every operation
// returns a Promise and runs off the event loop, on the binding's runner thread
// or libuv's thread pool (see src/callmem_node.c).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// The addon, built by `npm install`; else built here on first use, beside the
// package or, when that is not writable, in the user's cache directory.
function loadAddon() {
  const beside = path.join(__dirname, 'build', 'callmem.node');
  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'callmem-node', `${require('./package.json').version}-napi8`, 'callmem.node');
  for (const file of [beside, cache]) if (fs.existsSync(file)) return require(file);
  const { spawnSync } = require('node:child_process');
  for (const file of [beside, cache]) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.accessSync(path.dirname(file), fs.constants.W_OK);
    } catch {
      continue;
    }
    const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js'), file], { stdio: 'inherit' });
    if (r.status === 0) return require(file);
    break;
  }
  throw new Error('callmem: the addon is not built and could not be built; run `node build.js` in ' + __dirname);
}

const native = loadAddon();

// ---- errors ----

const CODES = {
  '-1': 'CALLMEM_ERROR',
  '-2': 'CALLMEM_EINVALID',
  '-3': 'CALLMEM_ENOTFOUND',
  '-4': 'CALLMEM_ECONFLICT',
  '-5': 'CALLMEM_ECREDITS',
  '-6': 'CALLMEM_EBUSY',
  '-7': 'CALLMEM_ESTORE',
};
const HTTP = { '-1': 500, '-2': 400, '-3': 404, '-4': 409, '-5': 402, '-6': 503, '-7': 500 };

/** A failed operation: `status` (the C status), `httpStatus`, `issues` (field issues). */
class CallmemError extends Error {
  constructor(message, { status = -1, issues = [], document = null } = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = CODES[status] || 'CALLMEM_ERROR';
    this.httpStatus = HTTP[status] || 500;
    this.issues = issues;
    this.document = document;
  }
}
class InvalidRequest extends CallmemError {}
class NotFound extends CallmemError {}
class Conflict extends CallmemError {}
class InsufficientCredits extends CallmemError {}
class Busy extends CallmemError {}
class StoreError extends CallmemError {}

const CLASSES = {
  '-2': InvalidRequest,
  '-3': NotFound,
  '-4': Conflict,
  '-5': InsufficientCredits,
  '-6': Busy,
  '-7': StoreError,
};

// Called by the addon on the JS thread with what the worker thread got: the
// status and the error document libcallmem wrote (null when there is none).
function makeError(status, documentJson, fallback) {
  let document = null;
  try {
    document = documentJson ? JSON.parse(documentJson) : null;
  } catch {
    document = null;
  }
  const issues = (document && document.details && Array.isArray(document.details.issues))
    ? document.details.issues : [];
  let message = (document && document.message) || fallback || 'callmem error';
  if (issues.length) {
    message += ': ' + issues.map((i) => (i.path && i.path.length ? i.path.join('.') + ': ' : '') + i.message).join('; ');
  }
  const Class = CLASSES[status] || CallmemError;
  return new Class(message, { status, issues, document });
}
native.setErrorFactory(makeError);

// ---- loading libcallmem ----

let loaded = null; // { version, path } once loaded

function libraryCandidates() {
  if (process.env.CALLMEM_LIBRARY) return [process.env.CALLMEM_LIBRARY];
  const beside = [__dirname, path.join(__dirname, 'lib')]
    .flatMap((d) => ['libcallmem.so', 'libcallmem.so.0'].map((f) => path.join(d, f)))
    .filter((p) => fs.existsSync(p));
  return [...beside, 'libcallmem.so.0', 'libcallmem.so']; // the last two: the system's search path
}

/** Loads libcallmem (once) and answers its version string. */
function load() {
  if (loaded) return loaded.version;
  const failures = [];
  for (const candidate of libraryCandidates()) {
    try {
      loaded = { version: native.load(candidate), path: candidate };
      return loaded.version;
    } catch (e) {
      failures.push(e.message);
    }
  }
  throw new CallmemError(
    'libcallmem not found: set CALLMEM_LIBRARY to its path, put it beside the package, ' +
      'or install it in the system\'s library path (' + failures.join('; ') + ')',
  );
}

// ---- the call memory ----

// Operation numbers, as in src/callmem_node.c.
const OP = {
  start: 0, end: 1, get: 2, forget: 3, export: 4, configure: 5, grant: 6, usage: 7,
  feedback: 8, unmerge: 9, settings: 10, purge: 11, import: 12, keyTenant: 13,
};

function closedError() {
  return new CallmemError('callmem: the call memory is closed', { status: -1 });
}

function noop() {}

class CallMemory {
  #handle = null;
  #ready;
  #closing = null;

  /**
   * Opens (creating or migrating) a call memory, on the thread pool:
   * `{path, busy_timeout_ms, default_settings}` (docs/contract.md).
   * Operations wait for the open; `await callmem.open(config)` reports its failure.
   */
  constructor(config = {}) {
    let json;
    try {
      load();
      json = JSON.stringify(config ?? {});
      this.#ready = native.open(json).then((h) => {
        this.#handle = h;
      });
    } catch (e) {
      this.#ready = Promise.reject(e instanceof CallmemError ? e : invalid(e, []));
    }
    this.#ready.catch(noop); // a failed open is reported to whoever awaits it
  }

  /** Resolves once the database is open; rejects with the open's error. */
  ready() {
    return this.#ready.then(() => this);
  }

  #call(op, tenant, request, ...options) {
    let json;
    try {
      json = typeof request === 'string' ? request : JSON.stringify(request);
    } catch (e) {
      return Promise.reject(invalid(e, ['request']));
    }
    if (this.#closing) return Promise.reject(closedError());
    const h = this.#handle;
    if (h !== null) return native.call(h, op, tenant, json, ...options);
    return this.#ready.then(() => native.call(this.#handle, op, tenant, json, ...options));
  }

  startCall(tenant, request) { return this.#call(OP.start, tenant, request); }
  endCall(tenant, request) { return this.#call(OP.end, tenant, request); }
  getCustomer(tenant, request) { return this.#call(OP.get, tenant, request); }
  forgetCustomer(tenant, request) { return this.#call(OP.forget, tenant, request); }
  exportCustomer(tenant, request) { return this.#call(OP.export, tenant, request); }
  configureTenant(tenant, settings = {}) { return this.#call(OP.configure, tenant, settings); }
  tenantSettings(tenant) { return this.#call(OP.settings, tenant, {}); }
  grantCredits(tenant, request) { return this.#call(OP.grant, tenant, request); }
  usage(tenant, request = {}) { return this.#call(OP.usage, tenant, request); }
  identityFeedback(tenant, request) { return this.#call(OP.feedback, tenant, request); }
  unmerge(tenant, request) { return this.#call(OP.unmerge, tenant, request); }
  purgeExpired(request = {}) { return this.#call(OP.purge, null, request); }

  /**
   * The tenant of an API key made by `callmem keys create` (docs/server.md):
   * resolves to `{tenant, key_id}` while the key is live; rejects with
   * NotFound for an unknown or revoked key. Only the key's SHA-256, hashed
   * here, reaches libcallmem (callmem_api_key_tenant).
   */
  apiKeyTenant(key) {
    if (typeof key !== 'string') return Promise.reject(invalid(new TypeError('key must be a string'), ['key']));
    const hash = require('node:crypto').createHash('sha256').update(key, 'utf8').digest('hex');
    return this.#call(OP.keyTenant, null, hash);
  }

  /**
   * Bulk import of past calls (docs/import.md): NDJSON text, or an iterable
   * of `{start, end}` objects, each with its `at`. Applied in time order, not
   * billed, `batch` calls per transaction; a call already there is skipped.
   * Resolves to `{imported, skipped, rejected: [{line, call_id, error}]}`
   * (lines from 1; `stopped_at` and `not_applied` when strict stopped).
   */
  importCalls(tenant, calls, { strict = false, batch = 2000 } = {}) {
    let ndjson;
    let options;
    try {
      ndjson = typeof calls === 'string' ? calls : Array.from(calls, (c) => JSON.stringify(c) + '\n').join('');
      options = JSON.stringify({ strict, batch });
    } catch (e) {
      return Promise.reject(invalid(e, ['calls']));
    }
    return this.#call(OP.import, tenant, ndjson, options);
  }

  /**
   * Closes the database once the calls in flight have completed. Idempotent:
   * every call answers the same Promise. Later operations reject with a CallmemError.
   */
  close() {
    if (!this.#closing) {
      this.#closing = this.#ready.then(() => native.close(this.#handle), noop);
    }
    return this.#closing;
  }

  get closed() {
    return this.#closing !== null;
  }
}

function invalid(e, pathParts) {
  const issues = [{ path: pathParts, message: e.message }];
  return new InvalidRequest('Validation failed: ' + e.message, { status: -2, issues });
}

/** Opens a call memory and resolves once it is open. */
function open(config = {}) {
  return new CallMemory(config).ready();
}

module.exports = {
  open,
  CallMemory,
  CallmemError,
  InvalidRequest,
  NotFound,
  Conflict,
  InsufficientCredits,
  Busy,
  StoreError,
  version: load,
  /**
   * How long, in microseconds, the event loop polls instead of sleeping while
   * operations are in flight, and the runner thread waits for the next one
   * before it sleeps (default 1000; 0 turns polling off). See README.
   */
  setPolling(microseconds) {
    native.setPolling(microseconds);
  },
  get libraryPath() {
    return loaded ? loaded.path : null;
  },
  _openHandles: native.openHandles, // for the tests: C handles open in this process
};
