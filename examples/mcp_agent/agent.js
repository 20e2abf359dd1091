#!/usr/bin/env node
// A scripted voice agent (no LLM) that keeps call memory through callmem's MCP
// server: it starts `callmem-mcp` and talks to it as an MCP client, as an LLM
// agent's runtime would, following docs/agents/: identify_caller before the
// greeting, greet by name only on reuse, ask on confirm and report the answer
// with confirm_identity, raise the open intents, save_call at the end.
//
//   node agent.js [--db calls.db] [--tenant acme]
// runs two calls of the same caller and prints what was said.
'use strict';
const path = require('node:path');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');

/** Connects to `callmem-mcp --db DB --tenant TENANT` over stdio. */
async function connect(db, tenant) {
  const bin = require.resolve('callmem/bin/callmem-mcp.js'); // the package's bin, as npx would run it
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, '--db', db, '--tenant', tenant],
    env: { ...process.env }, // CALLMEM_LIBRARY, when libcallmem is not installed system-wide
  });
  const client = new Client({ name: 'scripted-voice-agent', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function tool(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${r.content[0].text}`);
  return r.structuredContent;
}

const spoken = (intent) => intent.replace(/_/g, ' ');

/**
 * One call. `call`: {callId, ani, lineType, says: [caller's lines], confirms
 * (the caller's answer when asked who they are), learned: {intent,
 * intent_status, variables} (what a real agent would extract from the talk)}.
 * Answers the transcript, [{who, text}].
 */
async function handleCall(client, call) {
  const transcript = [];
  const agent = (text) => transcript.push({ who: 'agent', text });
  const caller = (text) => transcript.push({ who: 'caller', text });

  // Before the greeting: who is this, and what is still open?
  const start = await tool(client, 'identify_caller', {
    call_id: call.callId, identity_hints: { ani: call.ani }, telco: { line_type: call.lineType || 'mobile' },
  });
  const { recommendation } = start.identity;
  let known = recommendation === 'reuse';
  const name = start.variables.name && start.variables.name.value;

  if (recommendation === 'confirm' && name) {
    agent(`Hello! Am I speaking with ${name}?`);
    caller(call.confirms ? 'Yes, that is me.' : 'No, you must be thinking of someone else.');
    await tool(client, 'confirm_identity', { call_id: call.callId, outcome: call.confirms ? 'confirmed' : 'rejected' });
    known = call.confirms;
  }
  const open = known ? start.open_intents : [];
  if (known && name) {
    agent(`Welcome back, ${name}!` + (open.length ? ` Are you calling about your ${spoken(open[0].intent)}?` : ''));
  } else if (!transcript.length) {
    agent('Hello! How can I help you today?');
  } else {
    agent(known ? 'Thank you. How can I help you today?' : 'Thank you, my mistake. How can I help you today?');
  }
  for (const line of call.says) caller(line);
  agent('Thank you, I have noted that. Goodbye!');

  // Always, at the end: what this call learned, for the next one.
  await tool(client, 'save_call', { call_id: call.callId, ...call.learned });
  return { transcript, start };
}

const CALLS = [
  {
    callId: 'call_001', ani: '+14155551234',
    says: ['Hi, I want a refund for order 12345.', 'My name is John Doe.'],
    learned: { intent: 'refund_request', intent_status: 'open', variables: { name: 'John Doe', order_id: '12345' } },
  },
  {
    callId: 'call_002', ani: '+14155551234',
    says: ['Yes, the refund for order 12345. Has it gone through?'],
    learned: { intent: 'refund_request', intent_status: 'resolved' },
  },
];

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const client = await connect(path.resolve(opt('--db', 'calls.db')), opt('--tenant', 'acme'));
  try {
    for (const call of CALLS) {
      console.log(`--- ${call.callId} from ${call.ani}`);
      const { transcript } = await handleCall(client, call);
      for (const { who, text } of transcript) console.log(`${who === 'agent' ? 'Agent ' : 'Caller'}: ${text}`);
    }
  } finally {
    await client.close();
  }
}

module.exports = { connect, handleCall, CALLS };

if (require.main === module) {
  main().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
