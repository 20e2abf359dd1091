import callmem from 'callmem';

const db = await callmem.open({ path: 'calls.db' });
const hints = { ani: '+14155551234' };
await db.startCall('acme', { call_id: 'call_001', identity_hints: hints, telco: { line_type: 'mobile' } });
await db.endCall('acme', { call_id: 'call_001', intent: 'refund_request', variables: { name: 'John Doe' } });
// The same caller again: recognised, with the open intent and the name.
const r = await db.startCall('acme', { call_id: 'call_002', identity_hints: hints, telco: { line_type: 'mobile' } });
console.log(r.customer_ref, r.identity.recommendation, r.open_intents[0].intent, r.variables.name.value);
await db.close();
