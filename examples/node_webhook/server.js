// An AI voice agent's webhook server over callmem, with nothing but Node's
// http module. The voice platform calls two URLs:
//
//   POST /call/start  {"call_id", "from_number", "to_number", "line_type"?}
//     → how to greet: the recommendation, the customer_ref, the caller's name
//       and open intents, and a greeting line for the agent.
//   POST /call/end    {"call_id", "intent"?, "intent_status"?, "variables"?}
//     → what was saved.
//
// Run: CALLMEM_DB=calls.db PORT=8080 node server.js
'use strict';
const http = require('node:http');
const callmem = require('callmem');

const MAX_BODY = 1 << 20; // the contract's request limit

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('request body over 1 MiB'), { httpStatus: 413 }));
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch {
        reject(Object.assign(new Error('the body is not JSON'), { httpStatus: 400 }));
      }
    });
    req.on('error', reject);
  });
}

const words = (intent) => intent.replace(/_/g, ' ');

// What the agent says first, from what callmem remembers.
function greeting(start) {
  const name = start.variables.name?.value;
  const intents = start.open_intents.map((i) => i.intent);
  switch (start.identity.recommendation) {
    case 'reuse':
      return `Welcome back${name ? `, ${name}` : ''}! ` +
        (intents.length ? `Are you calling about your ${words(intents[0])}?` : 'How can I help you today?');
    case 'confirm':
      // Probably this customer, but not sure enough to use their data yet.
      return 'Hello! Before we go on, could you tell me the name on your account?';
    default:
      return 'Hello! How can I help you today?';
  }
}

async function callStart(db, tenant, body) {
  const start = await db.startCall(tenant, {
    call_id: body.call_id,
    identity_hints: { ani: body.from_number, ...(body.to_number ? { dnis: body.to_number } : {}) },
    ...(body.line_type ? { telco: { line_type: body.line_type } } : {}),
  });
  return {
    call_id: start.call_id,
    customer_ref: start.customer_ref,
    recommendation: start.identity.recommendation,
    confidence: start.identity.confidence,
    // With "confirm" the agent checks the caller's answer against customer_name first.
    confirm_identity_first: start.identity.recommendation === 'confirm',
    greeting: greeting(start),
    customer_name: start.variables.name?.value ?? null,
    open_intents: start.open_intents.map((i) => ({ intent: i.intent, attempts: i.attempt_count })),
    variables: Object.fromEntries(Object.entries(start.variables).map(([k, v]) => [k, v.value])),
  };
}

async function callEnd(db, tenant, body) {
  const end = await db.endCall(tenant, {
    call_id: body.call_id,
    ...(body.intent ? { intent: body.intent, intent_status: body.intent_status ?? 'open' } : {}),
    ...(body.variables ? { variables: body.variables } : {}),
  });
  return end;
}

const routes = { '/call/start': callStart, '/call/end': callEnd };

/** An http.Server answering the two webhooks for one tenant of `db`. */
function createServer({ db, tenant = 'voice-agent' }) {
  return http.createServer(async (req, res) => {
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route) return send(404, { error: 'Not Found', message: 'POST /call/start or /call/end' });
    if (req.method !== 'POST') return send(405, { error: 'Method Not Allowed', message: 'POST only' });
    try {
      send(200, await route(db, tenant, await readJson(req)));
    } catch (e) {
      if (e instanceof callmem.CallmemError) {
        // The contract's error document, with its HTTP twin.
        send(e.httpStatus, e.document ?? { error: e.name, message: e.message });
      } else if (e.httpStatus) {
        send(e.httpStatus, { error: 'Bad Request', message: e.message });
      } else {
        console.error(e);
        send(500, { error: 'Internal Server Error', message: 'internal error' });
      }
    }
  });
}

module.exports = { createServer, greeting };

if (require.main === module) {
  (async () => {
    const db = await callmem.open({ path: process.env.CALLMEM_DB || 'calls.db' });
    const server = createServer({ db, tenant: process.env.CALLMEM_TENANT || 'voice-agent' });
    const port = Number(process.env.PORT || 8080);
    server.listen(port, process.env.HOST || '127.0.0.1', () => {
      console.log(`callmem webhooks on http://${server.address().address}:${server.address().port}`);
    });
    const stop = () => server.close(() => db.close().then(() => process.exit(0)));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
