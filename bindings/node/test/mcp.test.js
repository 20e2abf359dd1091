'use strict';
// callmem-mcp as a real process, driven by the MCP SDK's own client: over
// stdio (StdioClientTransport spawning the bin) and over Streamable HTTP
// (StreamableHTTPClientTransport against `callmem-mcp --http`, with keys made
// by the built callmem program). initialize, tools/list (every input schema
// compiles), each tool with good and bad arguments, the two-call flow, keys
// refused, and tenants kept apart. Every answer is validated against its
// schema in docs/schema/.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const { dbPath, cliPath, createKey, revokeKey } = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'callmem-mcp.js');
const SCHEMA_DIR = path.join(__dirname, '..', '..', '..', 'docs', 'schema');
const TOOLS = ['identify_caller', 'save_call', 'confirm_identity', 'lookup_customer'];
const noCli = cliPath() ? false : 'the callmem program is not built (cmake --build build --target callmem_cli)';

// ---- the schemas of docs/schema/, to check what the tools answer ----

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
for (const f of fs.readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json')))
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')));

function assertValid(name, value) {
  const v = ajv.getSchema(`https://callmem.dev/schema/${name}.json`);
  assert.ok(v(value), `${name}.json rejects ${JSON.stringify(value)}: ${ajv.errorsText(v.errors)}`);
}

const ANSWERS = {
  identify_caller: 'call-start-response',
  save_call: 'call-end-response',
  confirm_identity: 'identity-feedback-response',
  lookup_customer: 'customer-view',
  forget_customer: 'forget-receipt',
};

// ---- clients ----

function env() {
  return { ...process.env }; // CALLMEM_LIBRARY and PATH; the SDK's default passes only a few variables
}

async function stdioClient(db, tenant, ...extra) {
  const transport = new StdioClientTransport({
    command: process.execPath, args: [BIN, '--db', db, '--tenant', tenant, ...extra], env: env(), stderr: 'pipe',
  });
  const client = new Client({ name: 'callmem-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** `callmem-mcp --http 127.0.0.1:0`, resolved once it says where it listens. */
function httpServer(db, ...extra) {
  const child = spawn(process.execPath, [BIN, '--db', db, '--http', '127.0.0.1:0', ...extra],
    { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1], stop: () => stop(child) });
    });
    child.once('exit', (code) => reject(new Error(`callmem-mcp --http exited ${code}: ${err}`)));
  });
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function httpClient(url, key) {
  const transport = new StreamableHTTPClientTransport(new URL(url),
    { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
  const client = new Client({ name: 'callmem-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// A tool's answer: its text and its structured content, valid by its schema.
async function ok(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.ok(!r.isError, `${name} ${JSON.stringify(args)}: ${r.content[0].text}`);
  assert.equal(r.content[0].type, 'text');
  assertValid(ANSWERS[name], r.structuredContent);
  return { text: r.content[0].text, data: r.structuredContent };
}

// A tool's failure: a result with isError, the library's message and error document.
async function fails(client, name, args, httpError, field) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} did not fail: ${JSON.stringify(r)}`);
  assertValid('error', r.structuredContent);
  assert.equal(r.structuredContent.error, httpError, JSON.stringify(r.structuredContent));
  if (field) {
    assert.ok(r.structuredContent.details.issues.some((i) => i.path[0] === field),
      `${JSON.stringify(r.structuredContent)} does not name ${field}`);
    assert.match(r.content[0].text, new RegExp(`\\b${field}\\b`));
  }
  return r;
}

const hints = (ani) => ({ ani });

/** Two calls of one caller: the second is greeted by name, with the open intent. */
async function twoCalls(client, prefix, ani) {
  const first = await ok(client, 'identify_caller',
    { call_id: `${prefix}_1`, identity_hints: hints(ani), telco: { line_type: 'mobile' } });
  assert.equal(first.data.identity.recommendation, 'ignore');
  assert.match(first.text, /^New or unrecognised caller/);
  const saved = await ok(client, 'save_call', { call_id: `${prefix}_1`, intent: 'refund_request',
    intent_status: 'open', variables: { name: 'John Doe', order_id: '12345' } });
  assert.equal(saved.data.variables_updated, 2);
  assert.match(saved.text, /1 intent and 2 variables updated/);
  const second = await ok(client, 'identify_caller',
    { call_id: `${prefix}_2`, identity_hints: hints(ani), telco: { line_type: 'mobile' } });
  assert.equal(second.data.customer_ref, first.data.customer_ref);
  assert.equal(second.data.identity.recommendation, 'reuse');
  assert.equal(second.data.variables.name.value, 'John Doe');
  assert.match(second.text, /^Returning caller, (very high|high) confidence \(0\.\d\d\)/);
  assert.match(second.text, /open intent refund_request \(2nd attempt\)/);
  assert.match(second.text, /name John Doe/);
  return second.data;
}

// ---- stdio ----

test('stdio: initialize, and tools/list answers the four tools with schemas that compile', async () => {
  const client = await stdioClient(dbPath(), 'acme');
  try {
    assert.equal(client.getServerVersion().name, 'callmem');
    assert.ok(client.getServerCapabilities().tools);
    assert.match(client.getInstructions(), /identify_caller before greeting/);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), TOOLS); // no forget_customer without --allow-forget
    for (const t of tools) {
      assert.ok(t.description.length > 80, t.name);
      assert.equal(t.inputSchema.type, 'object');
      assert.ok(!JSON.stringify(t.inputSchema).includes('$ref'), `${t.name}: references left`);
      const strict = new Ajv2020({ strict: true });
      addFormats(strict);
      const validate = strict.compile(t.inputSchema);
      for (const example of t.inputSchema.examples || [])
        assert.ok(validate(example), `${t.name}: its own example ${JSON.stringify(example)}`);
    }
    const lookup = tools.find((t) => t.name === 'lookup_customer');
    assert.equal(lookup.annotations.readOnlyHint, true);
  } finally {
    await client.close();
  }
});

test('stdio: the two-call flow greets the second call by name with the open intent', async () => {
  const client = await stdioClient(dbPath(), 'acme');
  try {
    await twoCalls(client, 'flow', '+14155551234');
  } finally {
    await client.close();
  }
});

test('stdio: every tool with good and bad arguments; a failure never stops the server', async () => {
  const client = await stdioClient(dbPath(), 'acme');
  try {
    const ani = '+14155550001';
    await fails(client, 'identify_caller', { call_id: 'c1' }, 'Bad Request', 'identity_hints');
    await fails(client, 'identify_caller', { call_id: 42, identity_hints: hints(ani) }, 'Bad Request', 'call_id');
    await fails(client, 'identify_caller', { call_id: 'c1', identity_hints: hints(ani), channel: 'pigeon' },
      'Bad Request', 'channel');
    await fails(client, 'identify_caller', undefined, 'Bad Request');
    const start = await ok(client, 'identify_caller', { call_id: 'c1', identity_hints: hints(ani) });
    const again = await ok(client, 'identify_caller', { call_id: 'c1', identity_hints: hints(ani) });
    assert.deepEqual(again.data, start.data); // a retry answers the same

    await fails(client, 'save_call', { call_id: 'c1', intent: 'refund_request', intent_status: 'maybe' },
      'Bad Request', 'intent_status');
    await fails(client, 'save_call', { call_id: 'c1', variables: 'name' }, 'Bad Request', 'variables');
    await ok(client, 'save_call', { call_id: 'c1', intent: 'address_change', variables: { name: 'Ann Lee' } });

    await ok(client, 'identify_caller', { call_id: 'c2', identity_hints: hints(ani) });
    await fails(client, 'confirm_identity', { call_id: 'c2', outcome: 'perhaps' }, 'Bad Request', 'outcome');
    await fails(client, 'confirm_identity', { call_id: 'nope', outcome: 'confirmed' }, 'Not Found');
    const confirmed = await ok(client, 'confirm_identity', { call_id: 'c2', outcome: 'confirmed' });
    assert.equal(confirmed.data.customer_ref, start.data.customer_ref);
    assert.match(confirmed.text, /confirmed/);
    await fails(client, 'confirm_identity', { call_id: 'c2', outcome: 'rejected' }, 'Conflict');

    await fails(client, 'lookup_customer', {}, 'Bad Request');
    await fails(client, 'lookup_customer', { customer_ref: 'no-such-customer' }, 'Not Found');
    await fails(client, 'lookup_customer', { customer_ref: start.data.customer_ref, history_limit: 0 },
      'Bad Request', 'history_limit');
    const viaRef = await ok(client, 'lookup_customer', { customer_ref: start.data.customer_ref });
    const viaAni = await ok(client, 'lookup_customer', { identity_hints: hints(ani), history_limit: 1 });
    assert.equal(viaAni.data.customer_ref, start.data.customer_ref);
    assert.equal(viaRef.data.variables.name.value, 'Ann Lee');
    assert.match(viaRef.text, /open intent address_change \(1 attempt so far\); name Ann Lee; 2 calls on this page/);
    assert.match(viaAni.text, /more: pass cursor/);

    const forget = await client.callTool({ name: 'forget_customer', arguments: { customer_ref: start.data.customer_ref } });
    assert.equal(forget.isError, true);
    assert.match(forget.content[0].text, /--allow-forget/);
    await ok(client, 'lookup_customer', { customer_ref: start.data.customer_ref }); // still there
    const unknown = await client.callTool({ name: 'transfer_call', arguments: {} });
    assert.equal(unknown.isError, true);
    await ok(client, 'identify_caller', { call_id: 'c3', identity_hints: hints(ani) }); // still serving
  } finally {
    await client.close();
  }
});

test('stdio: forget_customer with --allow-forget erases the customer', async () => {
  const client = await stdioClient(dbPath(), 'acme', '--allow-forget');
  try {
    const { tools } = await client.listTools();
    const forget = tools.find((t) => t.name === 'forget_customer');
    assert.ok(forget, 'forget_customer is listed');
    assert.equal(forget.annotations.destructiveHint, true);
    const ref = (await twoCalls(client, 'gdpr', '+14155550002')).customer_ref;
    await fails(client, 'forget_customer', {}, 'Bad Request');
    await fails(client, 'forget_customer', { customer_ref: ref, history_limit: 5 }, 'Bad Request');
    const receipt = await ok(client, 'forget_customer', { customer_ref: ref });
    assert.equal(receipt.data.removed.calls, 2);
    assert.match(receipt.text, new RegExp(`Forgot customer ${ref}: removed .*2 calls`));
    await fails(client, 'lookup_customer', { customer_ref: ref }, 'Not Found');
    await fails(client, 'forget_customer', { customer_ref: ref }, 'Not Found');
  } finally {
    await client.close();
  }
});

test('stdio: one tenant never sees another tenant\'s caller', async () => {
  const db = dbPath();
  const acme = await stdioClient(db, 'acme');
  const globex = await stdioClient(db, 'globex');
  try {
    const ref = (await twoCalls(acme, 'iso', '+14155550003')).customer_ref;
    const other = await ok(globex, 'identify_caller', { call_id: 'iso_g', identity_hints: hints('+14155550003') });
    assert.notEqual(other.data.customer_ref, ref);
    assert.equal(other.data.identity.recommendation, 'ignore');
    assert.deepEqual(other.data.open_intents, []);
    assert.deepEqual(other.data.variables, {});
    await fails(globex, 'lookup_customer', { customer_ref: ref }, 'Not Found');
  } finally {
    await acme.close();
    await globex.close();
  }
});

test('stdio on PostgreSQL (--dsn): two servers on one database share the caller', {
  skip: process.env.CALLMEM_TEST_PG_DSN ? false : 'CALLMEM_TEST_PG_DSN is not set (scripts/test sets it)',
}, async () => {
  const schema = `mcp_${require('node:crypto').randomBytes(6).toString('hex')}`;
  const spawnPg = async () => {
    const transport = new StdioClientTransport({ command: process.execPath, env: env(), stderr: 'pipe',
      args: [BIN, '--dsn', process.env.CALLMEM_TEST_PG_DSN, '--schema', schema, '--tenant', 'acme'] });
    const client = new Client({ name: 'callmem-test', version: '1.0.0' });
    await client.connect(transport);
    return client;
  };
  const a = await spawnPg();
  const b = await spawnPg();
  try {
    const first = await ok(a, 'identify_caller', { call_id: 'pg_1', identity_hints: hints('+14155550020') });
    await ok(a, 'save_call', { call_id: 'pg_1', intent: 'refund_request', variables: { name: 'John Doe' } });
    const second = await ok(b, 'identify_caller', { call_id: 'pg_2', identity_hints: hints('+14155550020') });
    assert.equal(second.data.customer_ref, first.data.customer_ref);
    assert.match(second.text, /open intent refund_request \(2nd attempt\); name John Doe/);
  } finally {
    await a.close();
    await b.close();
  }
});

test('the command line: bad arguments exit 2 with the reason and the usage', () => {
  const run = (...args) => spawnSync(process.execPath, [BIN, ...args], { env: env(), encoding: 'utf8' });
  for (const [args, reason] of [
    [['--tenant', 'acme'], /--db PATH/],
    [['--db', 'x.db'], /--tenant T/],
    [['--db', 'x.db', '--tenant', 'acme', '--http', '127.0.0.1:0'], /each key decides its tenant/],
    [['--db', 'x.db', '--http', 'localhost'], /HOST:PORT/],
    [['--db', 'x.db', '--dsn', 'postgresql://x', '--tenant', 'acme'], /not both/],
    [['--db', 'x.db', '--tenant', 'acme', '--bogus'], /unknown argument --bogus/],
    [['--db', dbPath(), '--tenant', 'bad tenant!'], /--tenant: .*tenant must be 1-64 characters/],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.match(r.stderr, /Usage: callmem-mcp/);
  }
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /"mcpServers"/);
});

// ---- Streamable HTTP ----

test('http: a key\'s tenant, the two-call flow, tools/list', { skip: noCli }, async () => {
  const db = dbPath();
  const key = createKey(db, 'acme');
  const server = await httpServer(db);
  try {
    const client = await httpClient(server.url, key.key);
    assert.equal(client.getServerVersion().name, 'callmem');
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), TOOLS);
    const second = await twoCalls(client, 'http', '+14155550010');
    await fails(client, 'identify_caller', { call_id: 'h', identity_hints: {} }, 'Bad Request', 'identity_hints');
    await ok(client, 'confirm_identity', { call_id: 'http_2', outcome: 'confirmed' });
    const view = await ok(client, 'lookup_customer', { customer_ref: second.customer_ref });
    assert.equal(view.data.calls.length, 2);
    await client.close();

    // Another client of the same key sees the same tenant's caller.
    const again = await httpClient(server.url, key.key);
    const third = await ok(again, 'identify_caller', { call_id: 'http_3', identity_hints: hints('+14155550010') });
    assert.equal(third.data.customer_ref, second.customer_ref);
    await again.close();
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('http: missing, malformed, wrong and revoked keys are refused with 401', { skip: noCli }, async () => {
  const db = dbPath();
  const key = createKey(db, 'acme');
  const server = await httpServer(db);
  try {
    for (const bad of ['cmk_' + 'x'.repeat(52), key.key + 'x', '']) {
      await assert.rejects(httpClient(server.url, bad), (e) => e.code === 401, `key ${bad}`);
    }
    const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const post = (headers) => fetch(server.url, { method: 'POST', body: initialize,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers } });
    let r = await post({});
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate'), /^Bearer/);
    assert.match((await r.json()).error.message, /missing Authorization header/);
    r = await post({ Authorization: `Basic ${key.key}` });
    assert.equal(r.status, 401);
    assert.match((await r.json()).error.message, /malformed Authorization header/);
    r = await post({ Authorization: 'Bearer cmk_wrong' });
    assert.equal(r.status, 401);
    assert.match((await r.json()).error.message, /unknown or revoked/);
    r = await post({ Authorization: `Bearer ${key.key}` });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).result.serverInfo.name, 'callmem');
    r = await fetch(server.url, { headers: { Authorization: `Bearer ${key.key}` } });
    assert.equal(r.status, 405);
    r = await fetch(new URL('/other', server.url), { method: 'POST', body: initialize });
    assert.equal(r.status, 404);

    // A key revoked while its client is connected is refused from the next request.
    const client = await httpClient(server.url, key.key);
    await ok(client, 'identify_caller', { call_id: 'r1', identity_hints: hints('+14155550011') });
    revokeKey(db, key.key_id);
    await assert.rejects(client.callTool({ name: 'identify_caller', arguments: { call_id: 'r2',
      identity_hints: hints('+14155550011') } }), (e) => e.code === 401 && /unknown or revoked/.test(e.message));
    await client.close().catch(() => {});
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('http: two tenants\' keys never see each other\'s data', { skip: noCli }, async () => {
  const db = dbPath();
  const acmeKey = createKey(db, 'acme');
  const globexKey = createKey(db, 'globex');
  const server = await httpServer(db, '--allow-forget');
  try {
    const acme = await httpClient(server.url, acmeKey.key);
    const globex = await httpClient(server.url, globexKey.key);
    const ref = (await twoCalls(acme, 'ten', '+14155550012')).customer_ref;
    const other = await ok(globex, 'identify_caller', { call_id: 'ten_g', identity_hints: hints('+14155550012') });
    assert.notEqual(other.data.customer_ref, ref);
    assert.equal(other.data.identity.recommendation, 'ignore');
    assert.deepEqual(other.data.variables, {});
    await fails(globex, 'lookup_customer', { customer_ref: ref }, 'Not Found');
    await fails(globex, 'forget_customer', { customer_ref: ref }, 'Not Found');
    await fails(globex, 'confirm_identity', { call_id: 'ten_2', outcome: 'rejected' }, 'Not Found');
    // No argument names a tenant: one that tries is ignored (a start takes unknown keys) or refused, never obeyed.
    const ignored = await ok(globex, 'identify_caller',
      { call_id: 'ten_g2', identity_hints: hints('+14155550012'), tenant: 'acme' });
    assert.equal(ignored.data.customer_ref, other.data.customer_ref);
    assert.deepEqual(ignored.data.variables, {});
    await fails(globex, 'lookup_customer', { customer_ref: ref, tenant: 'acme' }, 'Bad Request', 'tenant');
    await fails(acme, 'lookup_customer', { customer_ref: ref, tenant: 'acme' }, 'Bad Request', 'tenant');
    const still = await ok(acme, 'lookup_customer', { customer_ref: ref });
    assert.equal(still.data.variables.name.value, 'John Doe');
    await acme.close();
    await globex.close();
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
