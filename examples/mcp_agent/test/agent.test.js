'use strict';
// The scripted agent through callmem-mcp: the second call of the same caller
// is greeted by name and asked about the open intent; its printed transcript
// says so too.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { connect, handleCall, CALLS } = require('..');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callmem-mcp-agent-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('the second call is greeted by name with the open intent', async () => {
  const client = await connect(path.join(tmp, 'calls.db'), 'acme');
  try {
    const first = await handleCall(client, CALLS[0]);
    assert.equal(first.start.identity.recommendation, 'ignore');
    assert.equal(first.transcript[0].text, 'Hello! How can I help you today?');
    const second = await handleCall(client, CALLS[1]);
    assert.equal(second.start.identity.recommendation, 'reuse');
    assert.equal(second.start.customer_ref, first.start.customer_ref);
    assert.equal(second.transcript[0].text, 'Welcome back, John Doe! Are you calling about your refund request?');
    // The second call resolved it: a third call has nothing open, and is still greeted by name.
    const third = await handleCall(client, { ...CALLS[1], callId: 'call_003', says: ['Just checking in.'], learned: {} });
    assert.equal(third.transcript[0].text, 'Welcome back, John Doe!');
  } finally {
    await client.close();
  }
});

test('a caller on a landline is asked who they are, and the answer reported', async () => {
  // A landline may be a household's: the library recommends confirm, not reuse.
  for (const confirms of [true, false]) {
    const client = await connect(path.join(tmp, `confirm-${confirms}.db`), 'acme');
    try {
      await handleCall(client, { ...CALLS[0], lineType: 'landline' });
      const next = await handleCall(client, { ...CALLS[1], lineType: 'landline', confirms, learned: {} });
      assert.equal(next.start.identity.recommendation, 'confirm');
      assert.equal(next.transcript[0].text, 'Hello! Am I speaking with John Doe?');
      if (confirms) {
        assert.equal(next.transcript[2].text, 'Welcome back, John Doe! Are you calling about your refund request?');
      } else {
        assert.equal(next.transcript[2].text, 'Thank you, my mistake. How can I help you today?');
        assert.ok(!next.transcript.slice(2).some((l) => l.who === 'agent' && /John Doe|refund/.test(l.text)));
      }
      // The answer was reported: the same call cannot be reported otherwise now.
      const other = await client.callTool({ name: 'confirm_identity',
        arguments: { call_id: 'call_002', outcome: confirms ? 'rejected' : 'confirmed' } });
      assert.equal(other.isError, true);
      assert.equal(other.structuredContent.error, 'Conflict');
    } finally {
      await client.close();
    }
  }
});

test('node agent.js prints the two calls', () => {
  const out = execFileSync(process.execPath, [path.join(__dirname, '..', 'agent.js'), '--db', path.join(tmp, 'cli.db')],
    { encoding: 'utf8' });
  assert.match(out, /--- call_001 from \+14155551234\nAgent : Hello! How can I help you today\?/);
  assert.match(out, /--- call_002[^]*Agent : Welcome back, John Doe! Are you calling about your refund request\?/);
});
