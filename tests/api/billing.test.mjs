// The contract engine through the HTTP API on the test clock: sign-up, payment confirmation with
// idempotency keys, activation deadlines, added seats, storage and points, the initial-term
// rules, renewal notices, suspension, late renewal with interest, termination on day 30,
// reopening with the fee, refusal and forfeiture on day 60, the operator's purge, breach, and
// non-renewal. Amounts are asserted to the fen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError } from './harness.mjs';

let s;
let op;
const PW = 'Billing-pass-2026';
const tenants = {};

// A year of the holiday schedule that ships with no data here: weekends only, plus New Year's
// Day, loaded through the operator route as an operator would load the State Council's notice.
function syntheticYear(year) {
  return { year, papers: ['test data'], days: [{ name: '元旦', date: `${year}-01-01`, isOffDay: true }] };
}

async function setClock(iso) {
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: iso } });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.jobs_run.every((j) => j.ok), `a daily job failed: ${JSON.stringify(r.body.jobs_run)}`);
  op = await s.operatorToken();
  for (const t of Object.values(tenants)) {
    const login = await s.call('POST', '/api/v1/auth/login', { body: { tenant: t.slug, login: 'boss', password: PW } });
    t.token = login.status === 200 ? login.body.token : null;
  }
}

let keyCounter = 0;
function key() { keyCounter += 1; return `key-${Date.now()}-${keyCounter}`; }

async function signUp(slug, { seats = 1, years = 1, plan = 'standard', packages } = {}) {
  const body = {
    company: `${slug} 科技有限公司`, slug, plan, seats, years,
    boss: { name: `${slug} 老板`, login: 'boss', email: `boss@${slug}.example`, mobile: '13800000000', password: PW },
  };
  if (packages) body.packages = packages;
  const r = await s.call('POST', '/api/v1/signup', { body });
  assert.equal(r.status, 201, r.text);
  const login = await s.call('POST', '/api/v1/auth/login', { body: { tenant: slug, login: 'boss', password: PW } });
  assert.equal(login.status, 200, login.text);
  tenants[slug] = { slug, id: r.body.tenant.id, token: login.body.token, firstOrder: r.body.order };
  return r.body;
}

async function pay(orderId, amount_fen, paid_on, k = key()) {
  return s.call('POST', `/api/v1/operator/orders/${orderId}/payments`, {
    token: op, headers: { 'idempotency-key': k }, body: { amount_fen, bank_reference: `BANK-${orderId}-${k}`, paid_on },
  });
}

async function order(slug, body) {
  const t = tenants[slug];
  const r = await s.call('POST', '/api/v1/billing/orders', { token: t.token, body });
  assert.equal(r.status, 201, r.text);
  const accepted = await s.call('POST', `/api/v1/billing/orders/${r.body.id}/accept`, { token: t.token });
  assert.equal(accepted.status, 200, accepted.text);
  assert.ok(accepted.body.accepted_at);
  return accepted.body;
}

async function subscription(slug) {
  const r = await s.call('GET', '/api/v1/billing/subscription', { token: tenants[slug].token });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function notices(slug) {
  const r = await s.call('GET', `/api/v1/operator/tenants/${tenants[slug].id}/notices?limit=200`, { token: op });
  assert.equal(r.status, 200, r.text);
  return r.body.items;
}

before(async () => {
  s = await startServer({ testClock: true, clockStart: '2026-11-30T09:00:00+08:00' });
  op = await s.operatorToken();
  for (const y of [2027, 2028, 2029]) {
    const r = await s.call('PUT', '/api/v1/operator/calendar/years', { token: op, body: syntheticYear(y) });
    assert.equal(r.status, 200, r.text);
  }
  await setClock('2026-12-01T10:00:00+08:00');
});
after(async () => { await s.stop(); });

test('the price list is public and versioned; a new version needs an idempotency key and is validated', async () => {
  const list = await s.call('GET', '/api/v1/price-list');
  assert.equal(list.status, 200);
  assert.equal(list.body.version, 1);
  assert.equal(list.body.plans.find((p) => p.code === 'standard').seat_year_fen, 120000);
  assert.equal(list.body.storage.block_month_fen, 3000);
  assert.ok(list.body.provider.bank_account);
  const doc = { ...list.body };
  for (const k of ['version', 'published_at', 'storage', 'provider']) delete doc[k];
  expectError(assert, await s.call('POST', '/api/v1/operator/price-lists', { token: op, body: { note: 'x', document: doc } }), 400, 'idempotency_key_required');
  const bad = await s.call('POST', '/api/v1/operator/price-lists', {
    token: op, headers: { 'idempotency-key': key() }, body: { note: 'bad', document: { ...doc, plans: [{ code: 'x', name: 'X', seat_year_fen: -1 }] } },
  });
  expectError(assert, bad, 422, 'invalid_price_list');
  assert.ok(bad.body.error.details.fields['plans[0].seat_year_fen']);
  // A promotion for new orders: 10 % off, within a window that has already ended.
  doc.promotions = [{ code: 'launch', name: '开业优惠', kind: 'percent', value: 1000, starts_on: '2026-01-01', ends_on: '2026-11-30', applies_to: 'new' }];
  const v2 = await s.call('POST', '/api/v1/operator/price-lists', { token: op, headers: { 'idempotency-key': key() }, body: { note: '促销', document: doc } });
  assert.equal(v2.status, 201, v2.text);
  assert.equal(v2.body.version, 2);
  assert.equal((await s.call('GET', '/api/v1/price-list')).body.version, 2);
});

test('sign-up places the first order; nothing is active until the payment is confirmed, once', async () => {
  const r = await signUp('alpha', { seats: 2 });
  assert.equal(r.tenant.state, 'ordered');
  assert.equal(r.order.kind, 'subscription');
  assert.equal(r.order.price_list_version, 2);
  assert.equal(r.order.total_fen, 240000);  // 2 seats × 1200 yuan, the promotion has ended
  assert.equal(r.order.lines.reduce((n, l) => n + l.amount_fen, 0), r.order.total_fen);
  assert.match(r.order.number, /^SO-2026-\d{6}$/);
  assert.ok(r.order.bank.bank_account);
  assert.ok(r.order.accepted_at);
  expectError(assert, await s.call('POST', '/api/v1/signup', { body: { company: 'x', slug: 'alpha', plan: 'standard', seats: 1, years: 1,
    boss: { name: 'x', login: 'boss', email: 'a@b.c', mobile: '13800000000', password: PW } } }), 409, 'slug_taken');
  expectError(assert, await s.call('POST', '/api/v1/signup', { body: { company: 'x', slug: 'zeta', plan: 'gold', seats: 1, years: 1,
    boss: { name: 'x', login: 'boss', email: 'a@b.c', mobile: '13800000000', password: PW } } }), 422, 'validation_failed');

  const boss = tenants.alpha.token;
  expectError(assert, await s.call('GET', '/api/v1/customers', { token: boss }), 403, 'tenant_not_active');
  assert.equal((await subscription('alpha')).state, 'ordered');
  const doc = await s.call('GET', `/api/v1/billing/orders/${r.order.id}/document`, { token: boss });
  assert.equal(doc.status, 200);
  assert.match(doc.headers.get('content-type'), /text\/html/);
  assert.match(doc.text, /客录 CRM 服务订单/);
  assert.match(doc.text, /2,400\.00/);
  assert.match(doc.text, /@media print/);

  expectError(assert, await s.call('POST', `/api/v1/operator/orders/${r.order.id}/payments`, { token: op, body: { amount_fen: 240000, bank_reference: 'B1', paid_on: '2026-12-01' } }), 400, 'idempotency_key_required');
  const wrong = await pay(r.order.id, 200000, '2026-12-01');
  expectError(assert, wrong, 422, 'amount_mismatch');
  assert.equal(wrong.body.error.details.due_fen, 240000);
  expectError(assert, await pay(r.order.id, 240000, '2026-12-02'), 422, 'validation_failed');  // future

  const k = key();
  const paid = await pay(r.order.id, 240000, '2026-12-01', k);
  assert.equal(paid.status, 201, paid.text);
  assert.equal(paid.body.invoice.total_fen, 240000);
  assert.equal(paid.body.tenant.state, 'active');
  assert.equal(paid.body.tenant.expiry, '2027-12-01');
  // Confirmed on Tuesday 1 December: 2 working days → Thursday 3 December, end of day.
  assert.equal(paid.body.activation.deadline_at, '2026-12-03T23:59:59+08:00');
  assert.equal(paid.body.activation.activated, true);

  const replay = await pay(r.order.id, 240000, '2026-12-01', k);
  assert.equal(replay.status, 201);
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(replay.body, paid.body);
  expectError(assert, await pay(r.order.id, 240001, '2026-12-01', k), 422, 'idempotency_key_reused');
  expectError(assert, await pay(r.order.id, 240000, '2026-12-01'), 409, 'order_already_paid');
  // The mismatch answer replays too: errors are stored like successes.
  const wk = key();
  const first = await pay(r.order.id, 1, '2026-12-01', wk);
  const again = await pay(r.order.id, 1, '2026-12-01', wk);
  assert.equal(again.status, first.status);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');

  const ledger = await s.call('GET', '/api/v1/billing/ledger', { token: boss });
  assert.equal(ledger.body.balance_fen, 0);
  assert.deepEqual(ledger.body.entries.map((e) => e.amount_fen), [240000, -240000]);
  assert.equal(ledger.body.invoices.length, 1);
  assert.equal(ledger.body.invoices[0].lines.reduce((n, l) => n + l.amount_fen, 0), ledger.body.invoices[0].total_fen);

  assert.equal((await s.call('GET', '/api/v1/customers', { token: boss })).status, 200);
  const sla = await s.call('GET', '/api/v1/operator/reports/activation-sla', { token: op });
  const item = sla.body.items.find((i) => i.tenant_slug === 'alpha');
  assert.equal(item.met, true);
  // By the month the payment was confirmed in (December 2026), the last of twelve.
  assert.equal(sla.body.months.length, 12);
  assert.equal(sla.body.months.at(-1), '2026-12');
  assert.equal(sla.body.by_month.met.at(-1), sla.body.summary.met);
  assert.equal(sla.body.by_month.met.reduce((a, b) => a + b, 0), sla.body.summary.met);
  for (const k of ['missed', 'pending', 'late_pending']) assert.equal(sla.body.by_month[k].length, 12);
  const audit = await s.call('GET', '/api/v1/operator/audit-log', { token: op });
  assert.ok(audit.body.items.some((a) => a.action === 'payment.confirm' && a.tenant_id === tenants.alpha.id));

  // The revenue report counts the payment in the month it was paid (December 2026), by kind.
  const revenue = await s.call('GET', '/api/v1/operator/reports/revenue', { token: op });
  assert.equal(revenue.status, 200, revenue.text);
  assert.equal(revenue.body.months.length, 12);
  assert.equal(revenue.body.months.at(-1), '2026-12');
  assert.equal(revenue.body.total_fen.at(-1), 240000);
  assert.equal(revenue.body.by_kind_fen.subscription.at(-1), 240000);
  assert.equal(revenue.body.twelve_months_fen, 240000);
  expectError(assert, await s.call('GET', '/api/v1/operator/reports/revenue', { token: boss }), 403, 'operator_only');
});

test('only the boss manages the subscription', async () => {
  const boss = tenants.alpha.token;
  const u = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'sales1', name: '销售一', role: 'member', password: PW } });
  assert.equal(u.status, 201, u.text);
  const sales = await s.login('sales1', PW, 'alpha');
  expectError(assert, await s.call('GET', '/api/v1/billing/subscription', { token: sales }), 403, 'boss_only');
  expectError(assert, await s.call('POST', '/api/v1/billing/orders', { token: sales, body: { kind: 'sms', pack: 'sms-1000' } }), 403, 'boss_only');
});

test('the data-confidentiality agreement is printable and its acceptance is recorded with time and user', async () => {
  const boss = tenants.alpha.token;
  let a = await s.call('GET', '/api/v1/billing/agreement', { token: boss });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.body.accepted_at, null);
  assert.equal(a.body.parties.tenant, 'alpha 科技有限公司');
  assert.ok(a.body.clauses.length >= 5);
  const accepted = await s.call('POST', '/api/v1/billing/agreement/accept', { token: boss });
  assert.equal(accepted.status, 200, accepted.text);
  assert.equal(accepted.body.accepted_at, '2026-12-01T10:00:00+08:00');
  const again = await s.call('POST', '/api/v1/billing/agreement/accept', { token: boss });
  assert.equal(again.body.accepted_at, accepted.body.accepted_at);  // the first acceptance stands
  const doc = await s.call('GET', '/api/v1/billing/agreement/document', { token: boss });
  assert.match(doc.headers.get('content-type'), /text\/html/);
  assert.match(doc.text, /数据保密协议/);
  assert.match(doc.text, /已于 2026-12-01T10:00:00\+08:00 在线确认/);
  const sales = await s.login('sales1', PW, 'alpha');
  expectError(assert, await s.call('POST', '/api/v1/billing/agreement/accept', { token: sales }), 403, 'boss_only');
});

test('more sign-ups: beta, gamma, delta (1 seat, 1 year) and epsilon (2 years, multi-year discount)', async () => {
  for (const slug of ['beta', 'gamma', 'delta']) {
    const r = await signUp(slug);
    const paid = await pay(r.order.id, 120000, '2026-12-01');
    assert.equal(paid.status, 201, paid.text);
  }
  const e = await signUp('epsilon', { years: 2 });
  // 1 seat × 1200 yuan × 2 years = 240000, less 5 % for two years.
  assert.equal(e.order.total_fen, 228000);
  assert.ok(e.order.lines.some((l) => l.code === 'multi_year' && l.amount_fen === -12000));
  assert.equal((await pay(e.order.id, 228000, '2026-12-01')).body.tenant.expiry, '2028-12-01');

  // Each paid order names its invoice, which prints with its lines and the payment it records:
  // for the tenant's boss and the operator, never for another tenant.
  const order = (await s.call('GET', `/api/v1/billing/orders/${e.order.id}`, { token: tenants.epsilon.token })).body;
  assert.equal(order.status, 'paid');
  assert.match(order.invoice.number, /\S/);
  assert.equal(e.order.invoice, null, 'an unpaid order has no invoice');
  const doc = await s.call('GET', `/api/v1/billing/invoices/${order.invoice.id}/document`, { token: tenants.epsilon.token });
  assert.equal(doc.status, 200, doc.text);
  assert.match(doc.headers.get('content-type'), /text\/html/);
  assert.ok(doc.text.includes(order.invoice.number));
  assert.ok(doc.text.includes(order.number), 'names its order');
  assert.match(doc.text, /2,280\.00/);
  assert.match(doc.text, /-120\.00/, 'the multi-year discount line');
  assert.match(doc.text, /已于 2026-12-01 收到银行转账 2,280\.00 元/);
  const byOperator = await s.call('GET', `/api/v1/operator/invoices/${order.invoice.id}/document`, { token: op });
  assert.equal(byOperator.text, doc.text);
  expectError(assert, await s.call('GET', `/api/v1/billing/invoices/${order.invoice.id}/document`, { token: tenants.beta.token }), 404, 'not_found');
  expectError(assert, await s.call('GET', '/api/v1/billing/invoices/999999999/document', { token: tenants.epsilon.token }), 404, 'not_found');
  expectError(assert, await s.call('GET', '/api/v1/operator/invoices/999999999/document', { token: op }), 404, 'not_found');
});

test('concurrent confirmations with one idempotency key pay once: the others are replays or 409', async () => {
  const r = await signUp('conc');
  const k = key();
  const answers = await Promise.all(Array.from({ length: 6 }, () => pay(r.order.id, 120000, '2026-12-01', k)));
  const statuses = answers.map((a) => a.status);
  assert.ok(statuses.every((st) => st === 201 || st === 409), statuses.join());
  assert.ok(statuses.includes(201));
  for (const a of answers.filter((x) => x.status === 409)) assert.equal(a.body.error.code, 'idempotency_in_progress');
  const firsts = answers.filter((x) => x.status === 201).map((x) => JSON.stringify(x.body));
  assert.equal(new Set(firsts).size, 1);
  const ledger = await s.call('GET', '/api/v1/billing/ledger', { token: tenants.conc.token });
  assert.deepEqual(ledger.body.entries.map((e) => e.amount_fen), [120000, -120000]);
});

test('added seats are prorated to the day, storage by started month, points by pack; the initial term forbids reductions', async () => {
  await setClock('2027-06-01T10:00:00+08:00');
  // 183 of 365 days left: 2 × 120000 × 183 / 365 = 120328.77 → 120329.
  const seats = await order('alpha', { kind: 'seats', seats: 2 });
  assert.equal(seats.total_fen, 120329);
  assert.equal(seats.term_end, '2027-12-01');
  assert.equal((await pay(seats.id, 120329, '2027-06-01')).status, 201);
  // 1 block × 30 yuan × 6 months.
  const storage = await order('alpha', { kind: 'storage', blocks: 1 });
  assert.equal(storage.total_fen, 18000);
  assert.equal((await pay(storage.id, 18000, '2027-06-01')).status, 201);
  const sms = await order('alpha', { kind: 'sms', pack: 'sms-1000', quantity: 2 });
  assert.equal(sms.total_fen, 14000);
  assert.equal((await pay(sms.id, 14000, '2027-06-01')).status, 201);
  const sub = await subscription('alpha');
  assert.equal(sub.seats, 4);
  assert.equal(sub.storage_blocks, 1);
  assert.equal(sub.storage_quota_bytes, (4 * 50 + 100) * 1024 * 1024);
  assert.equal(sub.points.sms, 2000);
  assert.equal(sub.in_initial_term, true);

  const cut = await s.call('POST', '/api/v1/billing/seat-reduction', { token: tenants.alpha.token, body: { seats: 2 } });
  expectError(assert, cut, 409, 'seat_reduction_in_initial_term');
  assert.match(cut.body.error.message, /2027-12-01/);
  expectError(assert, await s.call('POST', '/api/v1/billing/non-renewal', { token: tenants.alpha.token }), 409, 'non_renewal_in_initial_term');
  expectError(assert, await s.call('POST', '/api/v1/billing/orders', { token: tenants.alpha.token, body: { kind: 'storage', blocks: 0 } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/billing/orders', { token: tenants.alpha.token, body: { kind: 'sms', pack: 'nope' } }), 422, 'validation_failed');

  const gammaSms = await order('gamma', { kind: 'sms', pack: 'sms-1000' });
  assert.equal((await pay(gammaSms.id, 7000, '2027-06-01')).status, 201);
  const deltaSms = await order('delta', { kind: 'sms', pack: 'sms-1000' });
  assert.equal((await pay(deltaSms.id, 7000, '2027-06-01')).status, 201);
});

test('the operator terminates delta for breach: immediate, points forfeited, no export, CRM closed', async () => {
  const t = tenants.delta;
  expectError(assert, await s.call('POST', `/api/v1/operator/tenants/${t.id}/terminate`, { token: op, headers: { 'idempotency-key': key() }, body: {} }), 422, 'validation_failed');
  const r = await s.call('POST', `/api/v1/operator/tenants/${t.id}/terminate`, { token: op, headers: { 'idempotency-key': key() }, body: { reason: '转售账号（违反第二条）' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ending, 'breach');
  assert.equal(r.body.purge_on, '2027-09-09');
  const sub = await subscription('delta');
  assert.equal(sub.state, 'terminated');
  assert.equal(sub.export_allowed, false);
  assert.equal(sub.points.sms, 0);
  expectError(assert, await s.call('GET', '/api/v1/customers', { token: t.token }), 403, 'tenant_terminated');
  expectError(assert, await s.call('POST', '/api/v1/billing/orders', { token: t.token, body: { kind: 'renewal', years: 1 } }), 409, 'renewal_not_allowed');
  assert.ok((await notices('delta')).some((n) => n.kind === 'termination'));
});

test('the boss exports everything: one zip with a manifest, JSON and CSV per record type; never after a breach', async () => {
  const boss = tenants.alpha.token;
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '=HYPERLINK("x")出口客户', phones: ['13900001111'] } });
  assert.equal(c.status, 201, c.text);
  const file = await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${c.body.id}&filename=${encodeURIComponent('合同.txt')}`, {
    token: boss, raw: '甲乙双方约定……', headers: { 'content-type': 'text/plain' } });
  assert.equal(file.status, 201, file.text);
  const req = await s.call('POST', '/api/v1/billing/exports', { token: boss });
  assert.equal(req.status, 202, req.text);
  expectError(assert, await s.call('POST', '/api/v1/billing/exports', { token: (await s.login('sales1', PW, 'alpha')) }), 403, 'boss_only');
  let exp;
  for (let i = 0; i < 100; i++) {
    exp = (await s.call('GET', `/api/v1/billing/exports/${req.body.id}`, { token: boss })).body;
    if (exp.status === 'ready' || exp.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(exp.status, 'ready', JSON.stringify(exp));
  assert.equal(exp.expires_at, '2027-06-08T10:00:00+08:00');
  const dl = await fetch(`${s.url}/api/v1/billing/exports/${req.body.id}/download`, { headers: { authorization: `Bearer ${boss}` } });
  assert.equal(dl.status, 200);
  assert.match(dl.headers.get('content-disposition'), /kelu-export-alpha-2027-06-01\.zip/);
  const zipPath = join(tmpdir(), `kelu-export-${process.pid}.zip`);
  writeFileSync(zipPath, Buffer.from(await dl.arrayBuffer()));
  const summary = JSON.parse(execFileSync('/usr/bin/python3', ['-c', `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
m = json.loads(z.read('manifest.json'))
ok = all(hashlib.sha256(z.read(f['path'])).hexdigest() == f['sha256'] for f in m['files'] + m['attachments'])
everything = b''.join(z.read(n) for n in z.namelist())
print(json.dumps({'counts': m['counts'], 'hashes_ok': ok, 'names': z.namelist(), 'attachments': m['attachments'],
  'customers_csv': z.read('csv/customers.csv').decode('utf-8'),
  'customers_json': json.loads(z.read('json/customers.json')),
  'secrets': b'password_hash' in everything or b'argon2' in everything}))
`, zipPath], { encoding: 'utf8' }));
  rmSync(zipPath, { force: true });
  assert.equal(summary.hashes_ok, true);
  assert.equal(summary.attachments.length, 1);
  assert.ok(summary.names.includes(`attachments/${file.body.id}-合同.txt`));
  assert.equal(summary.counts.customers, 1);
  assert.equal(summary.counts.users, 2);
  assert.ok(summary.counts.orders >= 4);
  assert.ok(summary.names.includes('json/follow_ups.json') && summary.names.includes('csv/contacts.csv'));
  assert.ok(summary.customers_csv.startsWith('\ufeff'));
  assert.match(summary.customers_csv, /'=HYPERLINK/);  // neutralised for spreadsheets
  assert.equal(summary.customers_json[0].name, '=HYPERLINK("x")出口客户');  // JSON keeps the value
  assert.equal(summary.secrets, false);
  expectError(assert, await s.call('POST', '/api/v1/billing/exports', { token: tenants.delta.token }), 409, 'export_not_allowed');
  const ops = await s.call('GET', '/api/v1/operator/exports', { token: op });
  assert.ok(ops.body.items.some((e) => e.tenant_slug === 'alpha' && e.status === 'ready'));
  assert.ok((await notices('alpha')).some((n) => n.kind === 'export_ready'));
  const audit = await s.call('GET', '/api/v1/audit-log?limit=50', { token: boss });
  assert.ok(audit.body.items.some((a) => a.action === 'export.download'));
  tenants.alpha.exportId = req.body.id;
});

test('renewal notices go out on their dates, once each, with deemed delivery', async () => {
  // Expiry 2027-12-01: the notice on the first working day of November (Monday 1 November).
  await setClock('2027-11-02T10:00:00+08:00');
  let list = await notices('alpha');
  const renewal = list.filter((n) => n.kind === 'renewal_notice');
  assert.equal(renewal.length, 1);
  assert.equal(renewal[0].sent_at, '2027-11-01T00:30:00+08:00');
  assert.equal(renewal[0].deemed_delivered_at, renewal[0].sent_at);  // in-app: when published
  assert.match(renewal[0].body, /2027-11-16/);  // the deadline, expiry − 15 days
  assert.match(renewal[0].body, /5,160\.00/);  // 4 seats and a storage block for a year
  await setClock('2027-11-29T10:00:00+08:00');
  list = await notices('alpha');
  assert.equal(list.filter((n) => n.kind === 'renewal_deadline').length, 1);
  assert.equal(list.find((n) => n.kind === 'renewal_deadline').sent_at, '2027-11-16T00:30:00+08:00');
  assert.equal(list.find((n) => n.kind === 'expiry_reminder').sent_at, '2027-11-28T00:30:00+08:00');
  assert.equal(list.filter((n) => n.kind === 'renewal_notice').length, 1);
  // The archive of June is past its 7 days.
  expectError(assert, await s.call('GET', `/api/v1/billing/exports/${tenants.alpha.exportId}/download`, { token: tenants.alpha.token }), 409, 'export_expired');
  assert.equal((await s.call('GET', `/api/v1/billing/exports/${tenants.alpha.exportId}`, { token: tenants.alpha.token })).body.status, 'expired');
  // The boss of epsilon (2-year term) has had none yet.
  assert.equal((await notices('epsilon')).filter((n) => n.kind === 'renewal_notice').length, 0);
});

test('at expiry the tenant is suspended (day 0); a late renewal on day 10 adds interest and continues from the old expiry', async () => {
  await setClock('2027-12-01T10:00:00+08:00');
  const boss = tenants.alpha.token;
  let sub = await subscription('alpha');
  assert.equal(sub.state, 'suspended');
  assert.equal(sub.arrears_day, 0);
  assert.equal(sub.termination_on, '2027-12-31');
  assert.equal(sub.points_usable, false);
  const blocked = await s.call('GET', '/api/v1/customers', { token: boss });
  expectError(assert, blocked, 403, 'tenant_suspended');
  assert.match(blocked.body.error.message, /续费/);
  assert.equal((await s.call('GET', '/api/v1/me', { token: boss })).status, 200);
  assert.ok((await notices('alpha')).some((n) => n.kind === 'suspension' && n.sent_at === '2027-12-01T00:00:00+08:00'));

  await setClock('2027-12-11T10:00:00+08:00');
  // 4 seats × 1200 yuan + 1 storage block × 30 × 12 = 480000 + 36000.
  const renewal = await order('alpha', { kind: 'renewal', years: 1 });
  assert.equal(renewal.total_fen, 516000);
  assert.equal(renewal.term_start, '2027-12-01');
  assert.equal(renewal.term_end, '2028-12-01');
  // Interest: 516000 × 1.5 % × 10 / 30 = 2580.
  const mismatch = await pay(renewal.id, 516000, '2027-12-11');
  expectError(assert, mismatch, 422, 'amount_mismatch');
  assert.equal(mismatch.body.error.details.interest_fen, 2580);
  assert.equal(mismatch.body.error.details.days_late, 10);
  const paid = await pay(renewal.id, 518580, '2027-12-11');
  assert.equal(paid.status, 201, paid.text);
  assert.equal(paid.body.tenant.state, 'active');
  assert.equal(paid.body.tenant.expiry, '2028-12-01');
  assert.ok(paid.body.invoice.lines.some((l) => l.code === 'late_interest' && l.amount_fen === 2580));
  sub = await subscription('alpha');
  assert.equal(sub.points_usable, true);
  assert.equal(sub.points.sms, 2000);
  assert.equal((await s.call('GET', '/api/v1/customers', { token: tenants.alpha.token })).status, 200);
});

test('a second renewal placed for the same term cannot be paid: terms never overlap', async () => {
  // beta is suspended too: two renewal orders for the same term, the first one paid.
  const a = await order('beta', { kind: 'renewal', years: 1 });
  const b = await order('beta', { kind: 'renewal', years: 1 });
  const due = (await pay(a.id, 1, '2027-12-11')).body.error.details.due_fen;
  assert.equal((await pay(a.id, due, '2027-12-11')).status, 201);
  expectError(assert, await pay(b.id, due, '2027-12-11'), 409, 'order_stale');
  assert.equal((await subscription('beta')).expiry, '2028-12-01');
});

test('day 30 terminates for non-payment; reopening on day 45 costs interest and the 200 yuan fee', async () => {
  // gamma has been suspended since 2027-12-01.
  await setClock('2027-12-31T10:00:00+08:00');
  let sub = await subscription('gamma');
  assert.equal(sub.state, 'terminated');
  assert.equal(sub.ending, 'non_payment');
  assert.equal(sub.terminated_on, '2027-12-31');
  assert.equal(sub.purge_on, '2028-04-09');
  assert.equal(sub.export_allowed, true);
  assert.ok((await notices('gamma')).some((n) => n.kind === 'termination'));
  expectError(assert, await s.call('GET', '/api/v1/customers', { token: tenants.gamma.token }), 403, 'tenant_terminated');
  // The operator cannot purge before day 60.
  expectError(assert, await s.call('POST', `/api/v1/operator/tenants/${tenants.gamma.id}/purge`, { token: op, headers: { 'idempotency-key': key() } }), 409, 'purge_not_allowed');
  assert.equal(sub.points.sms, 1000);  // frozen, not forfeited

  await setClock('2028-01-15T10:00:00+08:00');
  sub = await subscription('gamma');
  assert.equal(sub.arrears_day, 45);
  assert.equal(sub.renewal_quote.total_fen, 120000 + 2700 + 20000);
  const reopen = await order('gamma', { kind: 'renewal', years: 1 });
  assert.equal(reopen.reopening, true);
  const paid = await pay(reopen.id, 142700, '2028-01-15');
  assert.equal(paid.status, 201, paid.text);
  assert.ok(paid.body.invoice.lines.some((l) => l.code === 'reopening_fee' && l.amount_fen === 20000));
  assert.equal(paid.body.tenant.state, 'active');
  assert.equal(paid.body.tenant.expiry, '2028-12-01');
  assert.ok((await notices('gamma')).some((n) => n.kind === 'reopened'));
  sub = await subscription('gamma');
  assert.equal(sub.points.sms, 1000);  // reinstated before day 60
  assert.equal(sub.points_usable, true);
  // A file of gamma's, for the purge to delete later.
  const c = await s.call('POST', '/api/v1/customers', { token: tenants.gamma.token, body: { name: '伽马客户' } });
  const f = await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${c.body.id}&filename=a.txt`, {
    token: tenants.gamma.token, raw: 'gamma file', headers: { 'content-type': 'text/plain' } });
  assert.equal(f.status, 201, f.text);
});

test('the breach-terminated tenant is purged 100 days later: records gone, billing and a tombstone kept', async () => {
  await setClock('2028-01-20T10:00:00+08:00');
  const timeline = await s.call('GET', `/api/v1/operator/tenants/${tenants.delta.id}/timeline?limit=200`, { token: op });
  const purged = timeline.body.items.find((e) => e.kind === 'purged');
  assert.ok(purged, JSON.stringify(timeline.body.items.map((e) => e.kind)));
  assert.equal(purged.detail.on, '2027-09-09');
  assert.ok(purged.detail.deleted.users >= 1);
  const login = await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'delta', login: 'boss', password: PW } });
  assert.equal(login.status, 401);
  const meta = await s.call('GET', `/api/v1/operator/tenants/${tenants.delta.id}`, { token: op });
  assert.equal(meta.body.state, 'purged');
  const orders = await s.call('GET', '/api/v1/operator/orders?limit=200', { token: op });
  assert.ok(orders.body.items.some((o) => o.tenant_id === tenants.delta.id && o.status === 'paid'));
});

test('after the initial term the boss may reduce seats from the next renewal and give non-renewal notice', async () => {
  await setClock('2028-06-01T10:00:00+08:00');
  const boss = tenants.alpha.token;
  const tooFew = await s.call('POST', '/api/v1/billing/seat-reduction', { token: boss, body: { seats: 1 } });
  expectError(assert, tooFew, 409, 'seats_below_active_users');
  assert.equal(tooFew.body.error.details.users.length, 2);
  const cut = await s.call('POST', '/api/v1/billing/seat-reduction', { token: boss, body: { seats: 3 } });
  assert.equal(cut.status, 200, cut.text);
  assert.equal(cut.body.next_seats_from, '2028-12-01');
  assert.equal((await subscription('alpha')).seats, 4);  // no mid-term change

  const e = await s.call('POST', '/api/v1/billing/non-renewal', { token: tenants.epsilon.token });
  assert.equal(e.status, 200, e.text);
  assert.equal(e.body.ends_on, '2028-12-01');
});

test('from day 60 reopening is refused and points are forfeited; the operator may purge a non-payment termination', async () => {
  // alpha, beta and gamma renewed to 2028-12-01; epsilon gave notice for the same day.
  await setClock('2028-12-01T10:00:00+08:00');
  const eps = await subscription('epsilon');
  assert.equal(eps.state, 'terminated');
  assert.equal(eps.ending, 'by_tenant');
  assert.equal(eps.purge_on, '2029-03-11');
  const alpha = await subscription('alpha');
  assert.equal(alpha.state, 'suspended');
  assert.equal(alpha.renewal_quote.lines.find((l) => l.code === 'seats:standard').quantity, 3);  // the reduction
  await setClock('2029-01-30T10:00:00+08:00');  // day 60 of gamma's second expiry
  const g = await subscription('gamma');
  assert.equal(g.state, 'terminated');
  assert.equal(g.points.sms, 0);
  const pts = await s.call('GET', '/api/v1/billing/points', { token: tenants.gamma.token });
  assert.equal(pts.body.lots[0].status, 'forfeited');
  expectError(assert, await s.call('POST', '/api/v1/billing/orders', { token: tenants.gamma.token, body: { kind: 'renewal', years: 1 } }), 409, 'reopening_refused');
  const purge = await s.call('POST', `/api/v1/operator/tenants/${tenants.gamma.id}/purge`, { token: op, headers: { 'idempotency-key': key() } });
  assert.equal(purge.status, 200, purge.text);
  assert.equal(purge.body.state, 'purged');
  assert.ok(purge.body.report.deleted.users >= 1);
  assert.equal(purge.body.report.deleted.attachments, 1);
  assert.equal(purge.body.report.deleted.attachment_files, 1);
  assert.equal(purge.body.report.deleted.customers, 1);
  assert.equal(purge.body.report.deleted.attachment_bytes, 'gamma file'.length);
  const purges = await s.call('GET', '/api/v1/operator/purges', { token: op });
  assert.ok(purges.body.done.some((p) => p.slug === 'gamma' && p.report.by === 'operator'));
  const queued = purges.body.upcoming.find((p) => p.slug === 'epsilon');
  assert.equal(queued.purge_on, '2029-03-11');
  assert.equal(queued.manual_purge_allowed, false);
  expectError(assert, await s.call('POST', `/api/v1/operator/tenants/${tenants.epsilon.id}/purge`, { token: op, headers: { 'idempotency-key': key() } }), 409, 'purge_not_allowed');
  await setClock('2029-03-05T10:00:00+08:00');
  const eNotices = await notices('epsilon');
  assert.equal(eNotices.filter((n) => n.kind === 'purge_warning').length, 1);
  assert.equal(eNotices.find((n) => n.kind === 'purge_warning').sent_at, '2029-03-04T00:30:00+08:00');
});

test('liability cap: payments of the 12 months before the moment', async () => {
  const cap = await s.call('GET', `/api/v1/operator/tenants/${tenants.alpha.id}/liability-cap?at=2028-06-01T00:00:00%2B08:00`, { token: op });
  assert.equal(cap.status, 200, cap.text);
  // Paid in the 12 months before 2028-06-01: seats, storage and SMS (2027-06-01) and the renewal.
  assert.equal(cap.body.cap_fen, 120329 + 18000 + 14000 + 518580);
  const later = await s.call('GET', `/api/v1/operator/tenants/${tenants.alpha.id}/liability-cap?at=2028-12-01T00:00:00%2B08:00`, { token: op });
  assert.equal(later.body.cap_fen, 518580);
});

test('an activation deadline in a year without calendar data is raised to the operator, never guessed', async () => {
  await setClock('2029-12-31T10:00:00+08:00');  // two working days later is in 2030: not loaded
  const r = await signUp('late-cal');
  const paid = await pay(r.order.id, 120000, '2029-12-31');
  assert.equal(paid.status, 201, paid.text);
  assert.equal(paid.body.activation.deadline_at, null);
  assert.match(paid.body.activation.deadline_error, /2030/);
  assert.equal(paid.body.tenant.state, 'active');
  const timeline = await s.call('GET', `/api/v1/operator/tenants/${tenants['late-cal'].id}/timeline`, { token: op });
  assert.ok(timeline.body.items.some((e) => e.kind === 'alert.calendar_missing'));
  const sla = await s.call('GET', '/api/v1/operator/reports/activation-sla', { token: op });
  assert.match(sla.body.items.find((i) => i.tenant_slug === 'late-cal').deadline_error, /2030/);
  const audit = await s.call('GET', '/api/v1/operator/audit-log?limit=200', { token: op });
  assert.ok(audit.body.items.some((a) => a.action === 'clock.move'));
});
