// The web console in a real browser (scripts/test-console): Debian's Chromium
// driven by playwright-core, against a real `callmem serve` on loopback whose
// database holds 20 days of imported calls, live calls and the hosts'
// feedback. It signs in, checks the charts against the JSON, looks up and
// erases a customer, creates and revokes a key, is refused without a key, and
// writes a screenshot of each page into $CONSOLE_SCREENSHOTS.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const CALLMEM = process.env.CALLMEM_BIN;
const CONSOLE_DIR = process.env.CONSOLE_DIR;
const SHOTS = process.env.CONSOLE_SCREENSHOTS;
// playwright-core is installed in the build folder (scripts/test-console), not beside this file.
const { chromium } = createRequire(path.join(process.env.CONSOLE_NODE_MODULES, 'noop.js'))('playwright-core');

const dir = mkdtempSync(path.join(tmpdir(), 'callmem-console-'));
const db = path.join(dir, 'calls.db');
const logPath = path.join(dir, 'server.log');
const DAY = 86400000;
const today = new Date().toISOString().slice(0, 10);
const from = new Date(Date.now() - 29 * DAY).toISOString().slice(0, 10);

const cli = (...args) => execFileSync(CALLMEM, [...args, '--db', db], { encoding: 'utf8' });
let server;
let base;
let key;
let adminKey;
const expected = { starts: 0, ends: 0, feedback: 0, merges: 0, unmerges: 0 };

// A small deterministic generator, so that every run draws the same traffic.
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const number = (i) => `+1415555${String(1000 + i).padStart(4, '0')}`;

async function v1(method, route, body, withKey = key) {
  const res = await fetch(base + route, {
    method,
    headers: { Authorization: `Bearer ${withKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // 20 past days of 15 calls each from 120 callers, imported (as months of history would be).
  const lines = [];
  const seen = new Set();
  const returning = [];  // calls of a caller known before them: the ones feedback is about
  for (let d = 20; d >= 1; --d) {
    for (let c = 0; c < 15; ++c) {
      const caller = Math.floor(random() * 120);
      const at = Date.now() - d * DAY + c * 600000;
      const id = `hist-${d}-${c}`;
      if (seen.has(caller)) returning.push({ id, d });
      seen.add(caller);
      lines.push(JSON.stringify({
        start: { call_id: id, identity_hints: { ani: number(caller), ...(caller % 3 === 0 ? { external_ids: { crm_id: `crm-${caller}` } } : {}) },
          telco: { line_type: 'mobile' }, at: new Date(at).toISOString() },
        end: { intent: ['billing_question', 'refund_request', 'address_change'][caller % 3], variables: { name: `Caller ${caller}` },
          at: new Date(at + 180000).toISOString() },
      }));
    }
  }
  writeFileSync(path.join(dir, 'history.ndjson'), `${lines.join('\n')}\n`);
  cli('import', '--tenant', 'acme', path.join(dir, 'history.ndjson'));
  expected.starts += lines.length;
  expected.ends += lines.length;
  key = JSON.parse(cli('keys', 'create', '--tenant', 'acme', '--name', 'console-test', '--json')).key;
  cli('keys', 'create', '--tenant', 'globex', '--name', 'other-tenant', '--json');
  adminKey = JSON.parse(cli('keys', 'create', '--admin', '--name', 'operations', '--json')).key;

  const log = (await import('node:fs')).openSync(logPath, 'w');
  server = spawn(CALLMEM, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--console-dir', CONSOLE_DIR],
    { stdio: ['ignore', 'ignore', log] });
  for (let i = 0; i < 300 && !base; ++i) {
    const m = readFileSync(logPath, 'utf8').match(/listening on (http:\/\/[^\s]+)/);
    if (m) base = m[1];
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(base, 'callmem serve did not start');

  assert.equal((await v1('PATCH', '/v1/settings', { billing: { enabled: true } })).status, 200);
  cli('credits', 'grant', '--tenant', 'acme', '--amount', '500', '--idempotency-key', 'console-test');
  // Today's live calls: 40 of the same callers, each ended.
  for (let i = 0; i < 40; ++i) {
    const call = `live-${i}`;
    assert.equal((await v1('POST', '/v1/calls/start', { call_id: call, identity_hints: { ani: number(i) } })).status, 200);
    assert.equal((await v1('POST', '/v1/calls/end', { call_id: call, intent: 'billing_question' })).status, 200);
  }
  expected.starts += 40;
  expected.ends += 40;
  // The hosts' feedback: honest in the earlier weeks; in the last week the
  // recognised callers were often someone else (a shared family phone): drift.
  for (const [i, { id, d }] of returning.entries()) {
    if (i % 2) continue;
    const outcome = d <= 6 ? (i % 4 === 0 ? 'rejected' : 'confirmed') : (random() < 0.9 ? 'confirmed' : 'rejected');
    const r = await v1('POST', '/v1/identity/feedback', { call_id: id, outcome });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    ++expected.feedback;
    if (r.body.merge) ++expected.merges;  // a confirmation merges a duplicate the caller had made
  }
  // Two new numbers corrected to a known customer: two merges, one undone.
  const known = await v1('POST', '/v1/customers/lookup', { identity_hints: { ani: number(1) } });
  for (const n of ['+14155550901', '+14155550902']) {
    const call = `merge-${n.slice(-3)}`;
    await v1('POST', '/v1/calls/start', { call_id: call, identity_hints: { ani: n } });
    const r = await v1('POST', '/v1/identity/feedback', { call_id: call, outcome: 'corrected', customer_ref: known.body.customer_ref });
    assert.ok(r.body.merge, JSON.stringify(r.body));
    expected.merges += 1;
    expected.starts += 1;
    ++expected.feedback;
    if (n.endsWith('1')) {
      assert.equal((await v1('POST', '/v1/identity/unmerge', { merge_id: r.body.merge.merge_id })).status, 200);
      expected.unmerges += 1;
      --expected.feedback;  // an unmerge clears the feedback that merged
    }
  }
});

after(() => {
  if (server) server.kill('SIGTERM');
});

let browser;
let page;
const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
// The console's own JSON, fetched with the page's session.
const json = (route) => page.evaluate(async (r) => (await fetch(r)).json(), route);
const sum = (xs) => xs.reduce((a, b) => a + (b ?? 0), 0);

test('the console in Chromium', async (t) => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await t.test('refused without a key', async () => {
    const res = await page.request.get(`${base}/console/api/overview`);
    assert.equal(res.status(), 401);
    await page.goto(`${base}/console/`);
    await page.waitForSelector('#sign-in');
    await page.fill('#key', 'cmk_not_a_key');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#sign-in .error');
    assert.match(await page.textContent('#sign-in .error'), /invalid API key/);
    assert.equal(await page.isVisible('#bar'), false);  // no navigation before signing in
    await shot('sign-in-refused');
  });

  await t.test('signs in and draws the overview with the right totals', async () => {
    await page.fill('#key', key);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('main[data-ready=overview]');
    const o = await json(`/console/api/overview?from=${from}&to=${today}`);
    assert.equal(o.totals.starts, expected.starts);
    assert.equal(o.totals.ends, expected.ends);
    assert.equal(o.totals.reuse + o.totals.confirm + o.totals.ignore, expected.starts);
    assert.ok(o.totals.credits_spent > 0);
    assert.equal(o.server.start.requests, 42);
    assert.ok(o.server.start.p50_ms > 0 && o.server.start.p99_ms >= o.server.start.p50_ms);
    const drawn = await page.evaluate(() => Object.fromEntries(Object.entries(window.callmemCharts)
      .map(([name, u]) => [name, u.data.slice(1).map((s) => s.reduce((a, b) => a + (b ?? 0), 0))])));
    assert.deepEqual(drawn.calls, [o.totals.starts, o.totals.ends]);
    assert.deepEqual(drawn.recommendations, [o.totals.reuse, o.totals.confirm, o.totals.ignore]);
    assert.deepEqual(drawn.credits, [o.totals.credits_spent]);
    const tiles = await page.$$eval('#overview-totals .tile', (ts) => ts.map((x) => x.querySelector('.value').textContent));
    assert.equal(tiles[0], String(o.totals.starts));
    assert.equal(tiles[5], String(o.credits.balance));
    await shot('overview');
  });

  await t.test('identity quality: the reliability diagram from the feedback, and drift', async () => {
    await page.click('nav a[data-view=identity]');
    await page.waitForSelector('main[data-ready=identity]');
    const q = await json(`/console/api/identity?from=${from}&to=${today}`);
    assert.equal(q.samples, expected.feedback);
    assert.equal(sum(q.bins.map((b) => b.count)), q.samples);
    assert.equal(q.feedback.confirmed + q.feedback.rejected + q.feedback.corrected, q.samples);
    assert.equal(q.merges, expected.merges);
    assert.equal(q.unmerges, expected.unmerges);
    assert.ok(q.drift.warning, JSON.stringify(q.drift));
    const drawn = await page.evaluate(() => ({
      share: window.callmemCharts.reliability.data[2], bins: window.callmemCharts.bins.data[1],
    }));
    assert.deepEqual(drawn.share, q.bins.map((b) => b.share_confirmed));
    assert.equal(sum(drawn.bins), q.samples);
    assert.match(await page.textContent('#drift'), /Calibration drift/);
    await shot('identity');
  });

  await t.test('looks up a customer and erases them', async () => {
    await page.click('nav a[data-view=customers]');
    await page.fill('input[name=value]', number(3));
    await page.click('form.lookup button[type=submit]');
    await page.waitForSelector('#customer-ref');
    const ref = await page.textContent('#customer-ref');
    const text = await page.textContent('#customer');
    assert.match(text, /\+14155551003/);
    assert.match(text, /crm_id: crm-3/);
    assert.match(text, /Caller 3/);
    assert.match(text, /billing_question/);
    assert.match(text, /\d+ d \d+ h/);  // a variable's time left
    await shot('customer');
    await page.click('#erase');
    await page.waitForSelector('#erase-confirm');
    await shot('customer-erase-confirm');
    await page.click('#erase-confirm');
    await page.waitForSelector('#receipt');
    const receipt = JSON.parse(await page.textContent('#receipt'));
    assert.equal(receipt.customer_ref, ref);
    assert.ok(receipt.removed.calls > 0);
    await shot('customer-erased');
    await page.click('form.lookup button[type=submit]');
    await page.waitForSelector('#not-found');
  });

  await t.test('creates a key, shown once, and revokes it', async () => {
    await page.click('nav a[data-view=keys]');
    await page.waitForSelector('main[data-ready=keys]');
    assert.doesNotMatch(await page.textContent('#key-list'), /other-tenant/);  // another tenant's keys are not listed
    await page.fill('form.create-key input[name=name]', 'wallboard');
    await page.click('form.create-key button[type=submit]');
    await page.waitForSelector('#new-key-value');
    const made = await page.textContent('#new-key-value');
    assert.match(made, /^cmk_[a-z2-7]{52}$/);
    assert.equal((await v1('GET', '/v1/settings', null, made)).status, 200);
    await page.waitForSelector('#key-list >> text=wallboard');
    await shot('keys');
    const keyId = await page.$eval('#key-list tr:has-text("wallboard") button', (b) => b.dataset.keyId);
    page.once('dialog', (d) => d.accept());
    await page.click(`button[data-key-id="${keyId}"]`);
    await page.waitForFunction((id) => !document.querySelector(`button[data-key-id="${id}"]`), keyId);
    assert.equal((await v1('GET', '/v1/settings', null, made)).status, 401);
    await shot('keys-revoked');
    assert.doesNotMatch(await page.textContent('#key-list'), /cmk_/);  // the list never shows a key
  });

  await t.test('signs out', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
    assert.equal((await page.request.get(`${base}/console/api/keys`)).status(), 401);
  });

  await t.test('an admin key switches tenants', async () => {
    await page.fill('#key', adminKey);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#tenant-select');
    await page.click('nav a[data-view=overview]');
    await page.waitForSelector('main[data-ready=overview]');
    assert.equal(await page.$eval('#tenant-select', (s) => s.value), 'acme');
    await page.selectOption('#tenant-select', 'globex');
    await page.click('nav a[data-view=keys]');
    await page.waitForSelector('#key-list >> text=other-tenant');
    assert.doesNotMatch(await page.textContent('#key-list'), /console-test/);
    await shot('admin-keys');
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
  });

  assert.deepEqual(pageErrors, []);
  await browser.close();
});

test('no key and no caller number in the access log', async () => {
  const log = readFileSync(logPath, 'utf8');
  assert.match(log, /"route":"\/console\/api\/session"/);
  assert.doesNotMatch(log, /cmk_/);
  assert.doesNotMatch(log, /\+1415555/);
});
