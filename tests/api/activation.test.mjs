// Activation through the operator's queue (terms.activation = "manual"): each item shows its
// deadline in PRC working days and is flagged when late; the SLA report says whether each
// deadline was met; the term starts on activation. Also the operator's tenant metadata and the
// liability cap on incidents.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

const PW = 'Queue-pass-2026';
let s;
let op;

async function setClock(now) {
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now } });
  assert.equal(r.status, 200, r.text);
  op = await s.operatorToken();
}

before(async () => {
  s = await startServer({ testClock: true, clockStart: '2026-12-01T09:00:00+08:00', env: { KELU_TERMS_ACTIVATION: 'manual' } });
  op = await s.operatorToken();
  // Friday 4 December 2026.
  await setClock('2026-12-04T16:00:00+08:00');
});
after(async () => { await s.stop(); });

test('a confirmed payment waits in the queue with its working-day deadline, flagged when late', async () => {
  const r = await s.call('POST', '/api/v1/signup', { body: {
    company: '队列科技', slug: 'queued', plan: 'standard', seats: 2, years: 1,
    boss: { name: '老板', login: 'boss', email: 'boss@queued.example', mobile: '13800000000', password: PW } } });
  assert.equal(r.status, 201, r.text);
  const paid = await s.call('POST', `/api/v1/operator/orders/${r.body.order.id}/payments`, {
    token: op, headers: { 'idempotency-key': 'q-1' }, body: { amount_fen: 240000, bank_reference: 'Q1', paid_on: '2026-12-04' } });
  assert.equal(paid.status, 201, paid.text);
  assert.equal(paid.body.tenant.state, 'provisioning');
  assert.equal(paid.body.activation.activated, false);
  // Friday → Monday 7th (1) → Tuesday 8th (2), end of day.
  assert.equal(paid.body.activation.deadline_at, '2026-12-08T23:59:59+08:00');
  const boss = await s.login('boss', PW, 'queued');
  expectError(assert, await s.call('GET', '/api/v1/customers', { token: boss }), 403, 'tenant_not_active');

  let queue = await s.call('GET', '/api/v1/operator/activations', { token: op });
  let item = queue.body.items.find((i) => i.tenant_slug === 'queued');
  assert.equal(item.late, false);
  assert.equal(item.kind, 'new');

  await setClock('2026-12-09T10:00:00+08:00');
  queue = await s.call('GET', '/api/v1/operator/activations', { token: op });
  item = queue.body.items.find((i) => i.tenant_slug === 'queued');
  assert.equal(item.late, true);
  let sla = await s.call('GET', '/api/v1/operator/reports/activation-sla', { token: op });
  assert.equal(sla.body.summary.late_pending, 1);

  expectError(assert, await s.call('POST', `/api/v1/operator/activations/${item.id}/activate`, { token: op }), 400, 'idempotency_key_required');
  const done = await s.call('POST', `/api/v1/operator/activations/${item.id}/activate`, { token: op, headers: { 'idempotency-key': 'a-1' } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.tenant.state, 'active');
  assert.equal(done.body.tenant.expiry, '2027-12-09');  // a full year from activation
  expectError(assert, await s.call('POST', `/api/v1/operator/activations/${item.id}/activate`, { token: op, headers: { 'idempotency-key': 'a-2' } }), 409, 'already_activated');
  sla = await s.call('GET', '/api/v1/operator/reports/activation-sla', { token: op });
  const row = sla.body.items.find((i) => i.tenant_slug === 'queued');
  assert.equal(row.met, false);
  assert.equal(sla.body.summary.missed, 1);
  assert.equal((await s.call('GET', '/api/v1/operator/activations', { token: op })).body.items.length, 0);
  const again = await s.login('boss', PW, 'queued');  // the clock moved past the old session
  assert.equal((await s.call('GET', '/api/v1/customers', { token: again })).status, 200);
  const audit = await s.call('GET', '/api/v1/operator/audit-log', { token: op });
  assert.ok(audit.body.items.some((a) => a.action === 'activation.activate'));
});

test('the operator sees term, arrears day, storage and points, and the liability cap on incidents', async () => {
  const list = await s.call('GET', '/api/v1/operator/tenants', { token: op });
  const t = list.body.items.find((x) => x.slug === 'queued');
  assert.equal(t.expiry, '2027-12-09');
  assert.equal(t.arrears_day, null);
  assert.equal(t.storage_quota_bytes, 2 * 50 * 1024 * 1024);
  assert.deepEqual(t.points, { sms: 0, fax: 0 });
  assert.equal(t.customers, undefined);  // metadata only
  const boss = await s.login('boss', PW, 'queued');
  const report = await s.call('POST', '/api/v1/me/unauthorized-use', { token: boss, body: { note: 'x' } });
  assert.equal(report.status, 201, report.text);
  const incidents = await s.call('GET', '/api/v1/operator/incidents', { token: op });
  const incident = incidents.body.items.find((i) => i.tenant_slug === 'queued');
  assert.equal(incident.liability_cap_fen, 240000);
});
