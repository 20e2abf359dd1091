// Compiled (not run) by types.test.js: index.d.ts describes the API as used.
import * as callmem from '../../index';
import { CallMemory, CallmemError, InvalidRequest, StartCallResponse } from '../../index';

export async function usage(): Promise<void> {
  const db: CallMemory = await callmem.open({ path: 'calls.db', busy_timeout_ms: 2000 });
  const start: StartCallResponse = await db.startCall('acme', {
    call_id: 'call_001',
    identity_hints: { ani: '+14155551234', external_ids: { crm_id: 'CRM_789' } },
    telco: { line_type: 'mobile', attestation: 'A' },
  });
  const rec: 'reuse' | 'confirm' | 'ignore' = start.identity.recommendation;
  const name = start.variables.name?.value;
  const intents: string[] = start.open_intents.map((i) => i.intent);
  const end = await db.endCall('acme', {
    call_id: 'call_001', intent: 'refund_request', intent_status: 'open', variables: { name: 'John', old: null },
  });
  const seconds: number = end.duration_seconds;
  const customer = await db.getCustomer('acme', { customer_ref: start.customer_ref, history_limit: 5 });
  const next: string | null = customer.next_cursor;
  await db.getCustomer('acme', { identity_hints: { ani: '+14155551234' } });
  const removed: number = (await db.forgetCustomer('acme', { customer_ref: start.customer_ref })).removed.calls;
  await db.configureTenant('acme', { ttl_days: 7, billing: { enabled: true } });
  await db.configureTenant('acme', { identity: { weights: { ani: { u: { landline: 0.3 } }, open_intent: 2 } } });
  // @ts-expect-error: not an identity weight
  await db.configureTenant('acme', { identity: { weights: { fax: 0.5 } } });
  const exported = await db.exportCustomer('acme', { identity_hints: { external_ids: { crm_id: 'CRM_789' } } });
  const data: string | undefined = exported.calls[0]?.call_data.genesys_session_id;
  const tollFree: boolean = exported.identities.some((i) => i.line_type === 'toll_free');
  const held: boolean = !!start.identity.evidence?.some((e) => e.signal === 'hold');
  // @ts-expect-error: not a signal
  const odd: boolean = !!start.identity.evidence?.some((e) => e.signal === 'sms');
  await db.startCall('acme', { call_id: 'call_002', ani: '+14155551234', dnis: '+18005550100' });
  const ttl: number | undefined = (await db.tenantSettings('acme')).ttl_days;
  const balance: number = (await db.grantCredits('acme', { amount: 10, idempotency_key: 'k' })).balance;
  const days = (await db.usage('acme')).days.length;
  const more: boolean = (await db.purgeExpired({ limit: 100 })).more;
  const fb = await db.identityFeedback('acme', { call_id: 'c', outcome: 'corrected', customer_ref: 'r' });
  if (fb.merge) await db.unmerge('acme', { merge_id: fb.merge.merge_id });
  const imported = await db.importCalls(
    'acme',
    [{ start: { call_id: 'h1', identity_hints: { ani: '+14155551234' }, at: '2026-01-01T09:00:00.000Z' },
       end: { intent: 'refund_request', at: '2026-01-01T09:05:00.000Z' } }],
    { strict: false, batch: 500 },
  );
  const firstBad: number | undefined = imported.rejected[0]?.line;
  await db.importCalls('acme', '{"start": {}}\n');
  // @ts-expect-error: an end needs its at
  await db.importCalls('acme', [{ end: { call_id: 'h1' } }]);
  const keyTenant: string = (await db.apiKeyTenant('cmk_x')).tenant;
  await db.close();

  // @ts-expect-error: not a line type
  await db.startCall('acme', { call_id: 'x', telco: { line_type: 'satellite' } });
  // @ts-expect-error: corrected needs the customer_ref
  await db.identityFeedback('acme', { call_id: 'c', outcome: 'corrected' });

  try {
    await new callmem.CallMemory().startCall('acme', { call_id: 'x' });
  } catch (e) {
    if (e instanceof InvalidRequest) {
      const paths: string[][] = e.issues.map((i) => i.path);
      const http: number = e.httpStatus;
      void paths, http;
    } else if (e instanceof CallmemError) {
      const status: number = e.status;
      void status;
    }
  }
  const v: string = callmem.version();
  void keyTenant, rec, name, intents, seconds, next, removed, balance, days, more, v, data, tollFree, held, odd;
}
