// Announcements from the operator (shown until read, a notice in each register), postal and
// phone notices recorded with their evidence and deemed-delivery times, and the support inbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
let op;
let boss;
let member;
let other;

before(async () => {
  s = await startServer();
  op = await s.operatorToken();
  boss = await s.loginAs('boss');
  member = await s.loginAs('member');
  other = await s.createTenant('notice-b');
});
after(async () => { await s.stop(); });

test('an announcement reaches every tenant, shows until read, and is a notice in each register', async () => {
  expectError(assert, await s.call('POST', '/api/v1/operator/announcements', { token: op, headers: { 'idempotency-key': 'an-0' }, body: { title: '' } }), 422, 'validation_failed');
  const r = await s.call('POST', '/api/v1/operator/announcements', {
    token: op, headers: { 'idempotency-key': 'an-1' }, body: { title: '系统维护通知', body: '本周六 02:00–04:00 维护。' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.audience, 'all');
  assert.ok(r.body.tenants >= 2);
  let mine = await s.call('GET', '/api/v1/announcements', { token: member });
  assert.equal(mine.body.unread, 1);
  assert.equal(mine.body.items[0].title, '系统维护通知');
  assert.equal((await s.call('POST', `/api/v1/announcements/${r.body.id}/read`, { token: member })).status, 204);
  mine = await s.call('GET', '/api/v1/announcements', { token: member });
  assert.equal(mine.body.unread, 0);
  assert.ok(mine.body.items[0].read_at);
  assert.equal((await s.call('GET', '/api/v1/announcements', { token: boss })).body.unread, 1);  // per user
  const reg = await s.call('GET', '/api/v1/billing/notices', { token: boss });
  const n = reg.body.items.find((x) => x.kind === 'announcement');
  assert.equal(n.channel, 'announcement');
  assert.equal(n.deemed_delivered_at, n.sent_at);

  const chosen = await s.call('POST', '/api/v1/operator/announcements', {
    token: op, headers: { 'idempotency-key': 'an-2' }, body: { title: '仅 B', body: 'x', tenant_ids: [other.tenant.id] } });
  assert.equal(chosen.status, 201, chosen.text);
  assert.equal(chosen.body.tenants, 1);
  assert.equal((await s.call('GET', '/api/v1/announcements', { token: boss })).body.items.length, 1);
  expectError(assert, await s.call('POST', `/api/v1/announcements/${chosen.body.id}/read`, { token: boss }), 404, 'not_found');
  expectError(assert, await s.call('POST', '/api/v1/operator/announcements', {
    token: op, headers: { 'idempotency-key': 'an-3' }, body: { title: 'x', body: 'x', tenant_ids: [999999999] } }), 422, 'validation_failed');
});

test('postal and phone notices are recorded with evidence and deemed delivery', async () => {
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const mail = await s.call('POST', `/api/v1/operator/tenants/${tenantId}/notices`, { token: op, body: {
    channel: 'mail', kind: 'renewal_notice', recipient: '上海市某路 1 号 王总', subject: '续费通知（挂号信）',
    sent_at: '2026-11-20T10:00:00+08:00', evidence: 'EMS 1234567890' } });
  assert.equal(mail.status, 201, mail.text);
  assert.equal(mail.body.deemed_delivered_at, '2026-11-22T10:00:00+08:00');
  const phone = await s.call('POST', `/api/v1/operator/tenants/${tenantId}/notices`, { token: op, body: {
    channel: 'phone', kind: 'renewal_notice', recipient: '王总 13800000000', subject: '电话提醒续费',
    sent_at: '2026-11-20T11:00:00+08:00', evidence: '通话 3 分钟，已告知截止日' } });
  assert.equal(phone.body.deemed_delivered_at, '2026-11-20T11:00:00+08:00');
  expectError(assert, await s.call('POST', `/api/v1/operator/tenants/${tenantId}/notices`, { token: op, body: {
    channel: 'fax', kind: 'x', recipient: 'x', subject: 'x', sent_at: '2026-11-20T11:00:00+08:00', evidence: 'x' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', `/api/v1/operator/tenants/${tenantId}/notices`, { token: op, body: {
    channel: 'mail', kind: 'x', recipient: 'x', subject: 'x', sent_at: '2099-01-01T00:00:00+08:00', evidence: 'x' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/operator/tenants/999999999/notices', { token: op, body: {
    channel: 'mail', kind: 'x', recipient: 'x', subject: 'x', sent_at: '2026-11-20T11:00:00+08:00', evidence: 'x' } }), 404, 'not_found');
  const reg = await s.call('GET', '/api/v1/billing/notices', { token: boss });
  assert.ok(reg.body.items.some((n) => n.channel === 'mail' && n.evidence === 'EMS 1234567890'));
  const audit = await s.call('GET', '/api/v1/operator/audit-log', { token: op });
  assert.ok(audit.body.items.some((a) => a.action === 'notice.record'));
});

test('the boss writes to support, the operator answers and closes', async () => {
  expectError(assert, await s.call('POST', '/api/v1/support/threads', { token: member, body: { subject: 'x', body: 'y' } }), 403, 'boss_only');
  expectError(assert, await s.call('POST', '/api/v1/support/threads', { token: boss, body: { subject: '', body: 'y' } }), 422, 'validation_failed');
  const t = await s.call('POST', '/api/v1/support/threads', { token: boss, body: { subject: '发票抬头修改', body: '请把抬头改为演示科技有限公司。' } });
  assert.equal(t.status, 201, t.text);
  const inbox = await s.call('GET', '/api/v1/operator/support/threads?status=open', { token: op });
  assert.ok(inbox.body.items.some((x) => x.id === t.body.id && x.tenant_slug === 'demo'));
  const answered = await s.call('POST', `/api/v1/operator/support/threads/${t.body.id}/messages`, { token: op, body: { body: '已修改。' } });
  assert.equal(answered.status, 201, answered.text);
  assert.equal(answered.body.status, 'answered');
  const seen = await s.call('GET', `/api/v1/support/threads/${t.body.id}`, { token: boss });
  assert.deepEqual(seen.body.messages.map((m) => m.author_kind), ['tenant', 'operator']);
  expectError(assert, await s.call('GET', `/api/v1/support/threads/${t.body.id}`, { token: other.bossToken }), 404, 'not_found');
  assert.equal((await s.call('POST', `/api/v1/operator/support/threads/${t.body.id}/close`, { token: op })).status, 204);
  assert.equal((await s.call('GET', '/api/v1/support/threads', { token: boss })).body.items[0].status, 'closed');
  expectError(assert, await s.call('GET', '/api/v1/operator/support/threads?status=nope', { token: op }), 422, 'validation_failed');
});
