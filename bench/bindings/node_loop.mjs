// The Node side of the bindings overhead benchmark (bench/bindings/): N
// sequential start_call calls, each awaited, on a fresh temporary database,
// every call from a new number, with the requests the C ABI loop makes
// (built before the timing starts). Prints the median and p90 per call.
//
//   CALLMEM_LIBRARY=build/libcallmem.so node bench/bindings/node_loop.mjs [N] [--json] [--poll-us US]
//
// N defaults to 2000. --poll-us sets callmem.setPolling (default 1000; 0: the
// event loop sleeps while a call is in flight).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const callmem = require('../../bindings/node');

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const asJson = args.includes('--json');
const pollAt = args.indexOf('--poll-us');
if (pollAt >= 0) callmem.setPolling(Number(args[pollAt + 1]));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmem-bench-node-'));
try {
  const db = await callmem.open({ path: path.join(dir, 'bench.db') });
  const requests = Array.from({ length: n }, (_, i) => ({
    call_id: `call-${i}`,
    identity_hints: { ani: `+1415${String(2000000 + i).padStart(7, '0')}` },
    telco: { line_type: 'mobile' },
  }));
  const us = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await db.startCall('bench', requests[i]);
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  await db.close();
  us.sort();
  const median = us[n >> 1];
  const p90 = us[Math.floor(n * 0.9)];
  if (asJson) console.log(JSON.stringify({ side: 'node', n, median_us: median, p90_us: p90 }));
  else console.log(`node start_call: n=${n} median ${median.toFixed(1)} us, p90 ${p90.toFixed(1)} us`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
