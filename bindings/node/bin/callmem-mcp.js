#!/usr/bin/env node
// callmem-mcp: the MCP server of callmem for AI agents (docs/agents/).
//   callmem-mcp --db calls.db --tenant acme              stdio, one tenant
//   callmem-mcp --db calls.db --http 127.0.0.1:8765      Streamable HTTP at /mcp, Bearer keys
'use strict';
const path = require('node:path');

const USAGE = `Usage: callmem-mcp (--db PATH | --dsn URI [--schema NAME]) (--tenant T | --http HOST:PORT) [--allow-forget]

The MCP server of callmem: tools identify_caller, save_call, confirm_identity,
lookup_customer (and forget_customer with --allow-forget) for an AI agent.

  --db PATH          the SQLite database file (created when missing; env CALLMEM_DB)
  --dsn URI          a PostgreSQL database instead: postgresql://user@host/db (env CALLMEM_DSN)
  --schema NAME      PostgreSQL: the schema holding callmem's tables (default callmem)
  --tenant T         stdio: the tenant every tool works on
  --http HOST:PORT   serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio; every
                     request sends Authorization: Bearer <key> of \`callmem keys create\`,
                     whose tenant it works on (port 0: any free port, printed on stderr)
  --allow-forget     offer forget_customer (GDPR erasure, irreversible); off by default
  --help, --version

Client configuration (stdio):
  {"mcpServers": {"callmem": {"command": "npx", "args": ["callmem-mcp", "--db", "calls.db", "--tenant", "acme"]}}}`;

function fail(message) {
  process.stderr.write(`callmem-mcp: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv) {
  const o = { allowForget: false };
  const takes = { '--db': 'db', '--dsn': 'dsn', '--schema': 'schema', '--tenant': 'tenant', '--http': 'http' };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (arg === '--version') {
      process.stdout.write(require('../package.json').version + '\n');
      process.exit(0);
    } else if (arg === '--allow-forget') {
      o.allowForget = true;
    } else if (takes[arg]) {
      if (value === undefined) {
        if (i + 1 >= argv.length) fail(`${arg} needs a value`);
        value = argv[++i];
      }
      o[takes[arg]] = value;
    } else {
      fail(`unknown argument ${arg}`);
    }
  }
  if (o.db !== undefined && o.dsn !== undefined) fail('give --db or --dsn, not both');
  if (o.db === undefined && o.dsn === undefined) {
    // The environment's, as the callmem program reads them; the command line wins.
    if (process.env.CALLMEM_DB) o.db = process.env.CALLMEM_DB;
    else if (process.env.CALLMEM_DSN) o.dsn = process.env.CALLMEM_DSN;
  }
  if (!o.db && !o.dsn) fail('give --db PATH (a SQLite file) or --dsn URI (PostgreSQL)');
  if (o.http !== undefined) {
    if (o.tenant !== undefined) fail('--tenant and --http exclude each other: over HTTP each key decides its tenant');
    const m = /^(.+):(\d{1,5})$/.exec(o.http);
    if (!m || Number(m[2]) > 65535) fail(`--http takes HOST:PORT (e.g. 127.0.0.1:8765), not ${o.http}`);
    o.host = m[1].replace(/^\[(.*)\]$/, '$1');
    o.port = Number(m[2]);
  } else if (!o.tenant) {
    fail('give --tenant T (stdio), or --http HOST:PORT');
  }
  return o;
}

async function main() {
  const o = parse(process.argv.slice(2));
  const callmem = require('..');
  let server;
  try {
    server = require('../mcp/server');
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND' || !/@modelcontextprotocol\/sdk|'ajv/.test(e.message)) throw e;
    // Optional dependencies of the package, which an offline `npm install` leaves out.
    process.stderr.write('callmem-mcp: the MCP SDK is not installed (an optional dependency of callmem): ' +
      'run `npm install @modelcontextprotocol/sdk ajv ajv-formats` where callmem is installed\n');
    process.exit(1);
  }
  const { serveStdio, serveHttp } = server;
  const config = o.dsn
    ? { store: 'postgres', dsn: o.dsn, ...(o.schema ? { schema: o.schema } : {}) }
    : { path: path.resolve(o.db) };
  let db;
  try {
    db = await callmem.open(config);
  } catch (e) {
    process.stderr.write(`callmem-mcp: cannot open the database: ${e.message}\n`);
    process.exit(1);
  }
  const log = (line) => process.stderr.write(`callmem-mcp: ${line}\n`);
  const options = { allowForget: o.allowForget, log };
  if (o.http === undefined) {
    // A tenant the library refuses is said now, not by every tool call.
    const bad = await db.tenantSettings(o.tenant).then(() => null, (e) => e);
    if (bad instanceof callmem.InvalidRequest) fail(`--tenant: ${bad.message}`);
    await serveStdio(db, o.tenant, options);
    await db.close();
    return;
  }
  let listening;
  try {
    listening = await serveHttp(db, o.host, o.port, options);
  } catch (e) {
    process.stderr.write(`callmem-mcp: cannot listen on ${o.http}: ${e.message}\n`);
    process.exit(1);
  }
  const a = listening.address();
  log(`listening on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/mcp`);
  const stop = () => {
    listening.close(() => db.close().then(() => process.exit(0)));
    listening.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`callmem-mcp: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
