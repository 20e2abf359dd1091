'use strict';
// The MCP server of callmem: the tools of tools.js on the SDK's low-level
// Server, over stdio (one tenant, given at start) or Streamable HTTP (each
// request's Bearer key of `callmem keys create` decides its tenant).
const http = require('node:http');
const { Server } = require('@modelcontextprotocol/sdk/server/index.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { ListToolsRequestSchema, CallToolRequestSchema } = require('@modelcontextprotocol/sdk/types.js');
const { listTools, callTool } = require('./tools');

const VERSION = require('../package.json').version;

const INSTRUCTIONS =
  'Call memory for this contact center. Call identify_caller before greeting; greet by name only when its ' +
  'recommendation is reuse; on confirm, ask the caller to confirm who they are and report the answer with ' +
  'confirm_identity; never read out the confidence; raise the open intents; always call save_call at the end.';

/** An MCP Server answering for `tenant` of `db` (a CallMemory). */
function createServer(db, tenant, options = {}) {
  const server = new Server({ name: 'callmem', version: VERSION }, {
    capabilities: { tools: {} },
    instructions: INSTRUCTIONS,
  });
  const tools = listTools(options); // the schemas are read and inlined once per server
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) =>
    callTool(db, tenant, request.params.name, request.params.arguments, options));
  return server;
}

/** Serves one tenant over stdin and stdout until stdin closes. */
async function serveStdio(db, tenant, options = {}) {
  const server = createServer(db, tenant, options);
  const transport = new StdioServerTransport();
  const closed = new Promise((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => {});
}

// A JSON-RPC error in an HTTP answer of its own (no MCP exchange took place).
function refuse(res, status, message, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
}

const BEARER = /^Bearer +([^ ]+) *$/i;

/**
 * Serves Streamable HTTP at http://HOST:PORT/mcp, statelessly: each POST is
 * authenticated by its key, answered by a server of that key's tenant, and
 * forgotten (so a revoked key is refused from its next request). Resolves to
 * the listening http.Server.
 */
function serveHttp(db, host, port, options = {}) {
  const log = options.log || (() => {});
  const httpServer = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (url.pathname !== '/mcp') return refuse(res, 404, `no route ${url.pathname}: the MCP endpoint is /mcp`);
      if (req.method !== 'POST') {
        // Stateless: no session to stream to (GET) or to end (DELETE).
        return refuse(res, 405, `method ${req.method} not allowed: POST JSON-RPC to /mcp`, { Allow: 'POST' });
      }
      const header = req.headers.authorization;
      const challenge = { 'WWW-Authenticate': 'Bearer realm="callmem"' };
      if (!header) {
        return refuse(res, 401, 'missing Authorization header: send Authorization: Bearer <api key>', challenge);
      }
      const m = BEARER.exec(header);
      if (!m) return refuse(res, 401, 'malformed Authorization header: expected Bearer <api key>', challenge);
      let caller;
      try {
        caller = await db.apiKeyTenant(m[1]);
      } catch (e) {
        if (e && e.httpStatus === 404) return refuse(res, 401, 'invalid API key: unknown or revoked', challenge);
        return refuse(res, (e && e.httpStatus) || 500, (e && e.message) || 'internal error');
      }
      const server = createServer(db, caller.tenant, options);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        transport.close().catch(() => {});
        server.close().catch(() => {});
      });
      await server.connect(transport);
      await transport.handleRequest(req, res);
      log(`${req.method} /mcp ${res.statusCode} ${caller.key_id}`);
    } catch (e) {
      log(`internal error: ${e && e.stack ? e.stack : e}`);
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.end();
    }
  });
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve(httpServer);
    });
  });
}

module.exports = { createServer, serveStdio, serveHttp };
