// SMS drafts (step 4, in progress): the live preview counts characters, segments and points per
// CONTRACT-RULES, appends the unsubscribe text to marketing, and finds sensitive words from the
// operator's list and the tenant's own, whatever their width or case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
let op;
let boss;

before(async () => {
  s = await startServer();
  op = await s.operatorToken();
  boss = await s.loginAs('boss');
});
after(async () => { await s.stop(); });

const preview = (body, token = boss) => s.call('POST', '/api/v1/sms/preview', { token, body });

test('70 characters are one segment, 71 are two; points are segments × recipients', async () => {
  // 【客录】 is 4 characters.
  let r = await preview({ text: '好'.repeat(66), signature: '客录', recipients: 3 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.characters, 70);
  assert.equal(r.body.segments, 1);
  assert.equal(r.body.points, 3);
  r = await preview({ text: '好'.repeat(67), signature: '客录', recipients: 3 });
  assert.equal(r.body.characters, 71);
  assert.equal(r.body.segments, 2);
  assert.equal(r.body.points, 6);
  r = await preview({ text: '您好', signature: '客录', type: 'marketing' });
  assert.equal(r.body.message, '【客录】您好拒收请回复R');
  assert.equal(r.body.characters, 12);
  assert.equal(r.body.marketing_window, '08:00-21:00', 'the compose screen explains when marketing goes out');
  expectError(assert, await preview({ text: '' }), 422, 'validation_failed');
  expectError(assert, await preview({ text: 'x', type: 'spam' }), 422, 'validation_failed');
});

test("sensitive words come from the operator's list and the tenant's own, after width and case", async () => {
  const put = await s.call('PUT', '/api/v1/operator/sms/sensitive-words', { token: op, body: { words: ['代开发票', 'VPN'] } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.count, 2);
  let r = await preview({ text: '本公司可代开发票，另售ｖｐｎ' });
  assert.deepEqual(r.body.sensitive_words, ['代开发票', 'VPN']);
  assert.equal(r.body.sendable, false);
  const member = await s.loginAs('member');
  expectError(assert, await s.call('PUT', '/api/v1/sms/sensitive-words', { token: member, body: { words: ['x'] } }), 403, 'forbidden');
  const mine = await s.call('PUT', '/api/v1/sms/sensitive-words', { token: boss, body: { words: ['竞品名'] } });
  assert.equal(mine.status, 200, mine.text);
  r = await preview({ text: '比竞品名便宜' });
  assert.deepEqual(r.body.sensitive_words, ['竞品名']);
  // Another tenant's list does not apply here.
  const other = await s.createTenant('sms-b');
  r = await preview({ text: '比竞品名便宜' }, other.bossToken);
  assert.deepEqual(r.body.sensitive_words, []);
  assert.equal(r.body.sendable, true);
  expectError(assert, await s.call('PUT', '/api/v1/sms/sensitive-words', { token: boss, body: { words: [''] } }), 422, 'validation_failed');
  const audit = await s.call('GET', '/api/v1/operator/audit-log', { token: op });
  assert.ok(audit.body.items.some((a) => a.action === 'sms.sensitive_words'));
});

test('the SMS signature waits for the operator: approved, it is used; rejected, with a reason', async () => {
  assert.equal((await s.call('GET', '/api/v1/sms/signature', { token: boss })).body.status, 'none');
  expectError(assert, await s.call('PUT', '/api/v1/sms/signature', { token: boss, body: { signature: '【客录】' } }), 422, 'validation_failed');
  const member = await s.loginAs('member');
  expectError(assert, await s.call('PUT', '/api/v1/sms/signature', { token: member, body: { signature: '演示科技' } }), 403, 'forbidden');
  const asked = await s.call('PUT', '/api/v1/sms/signature', { token: boss, body: { signature: '演示科技' } });
  assert.equal(asked.status, 200, asked.text);
  assert.equal(asked.body.status, 'pending');
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const pending = await s.call('GET', '/api/v1/operator/sms/signatures', { token: op });
  assert.ok(pending.body.items.some((x) => x.tenant_id === tenantId && x.signature === '演示科技'));
  let r = await preview({ text: '您好' });
  assert.equal(r.body.message, '【demo】您好');  // not approved yet: the tenant's short name
  expectError(assert, await s.call('POST', `/api/v1/operator/sms/signatures/${tenantId}/reject`, { token: op, body: {} }), 422, 'validation_failed');
  const ok = await s.call('POST', `/api/v1/operator/sms/signatures/${tenantId}/approve`, { token: op, body: {} });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.status, 'approved');
  expectError(assert, await s.call('POST', `/api/v1/operator/sms/signatures/${tenantId}/reject`, { token: op, body: { reason: 'x' } }), 409, 'signature_decided');
  r = await preview({ text: '您好' });
  assert.equal(r.body.message, '【演示科技】您好');
  const other = await s.createTenant('sms-c');
  await s.call('PUT', '/api/v1/sms/signature', { token: other.bossToken, body: { signature: '假冒银行' } });
  const no = await s.call('POST', `/api/v1/operator/sms/signatures/${other.tenant.id}/reject`, { token: op, body: { reason: '签名与企业名称不符' } });
  assert.equal(no.body.status, 'rejected');
  assert.equal((await s.call('GET', '/api/v1/sms/signature', { token: other.bossToken })).body.reason, '签名与企业名称不符');
});
