// Unauthorized-use reports (contract §3), incidents for the operator, and support access only
// through a grant the boss gives (contract §1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

test('a user reports unauthorized use of their own account', async () => {
  const a = await s.loginAs('zhangwei');
  const b = await s.loginAs('zhangwei');
  const tok = await s.call('POST', '/api/v1/api-tokens', { token: a, body: { name: '脚本', scope: 'write' } });
  const r = await s.call('POST', '/api/v1/me/unauthorized-use', { token: a, body: { note: '密码可能泄露' } });
  assert.equal(r.status, 201);
  assert.equal(r.body.scope, 'self');
  assert.ok(r.body.revoked_credentials >= 3);
  for (const t of [a, b, tok.body.token]) {
    expectError(assert, await s.call('GET', '/api/v1/me', { token: t }), 401, 'unauthenticated');
  }
  // The next sign-in must change the password first.
  const u = s.demo.tenant.users.find((x) => x.login === 'zhangwei');
  const again = await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: 'zhangwei', password: u.password } });
  assert.equal(again.body.must_change_password, true);
  expectError(assert, await s.call('GET', '/api/v1/users', { token: again.body.token }), 403, 'password_change_required');
  // The operator sees the incident (metadata and the note), not the tenant's records.
  const op = await s.operatorToken();
  const incidents = await s.call('GET', '/api/v1/operator/incidents', { token: op });
  const inc = incidents.body.items.find((i) => i.id === r.body.incident_id);
  assert.equal(inc.tenant_slug, 'demo');
  assert.equal(inc.kind, 'unauthorized_use');
  assert.equal(inc.affected_users, 1);
  assert.equal(inc.note, '密码可能泄露');
});

test('the boss reports chosen users or everyone; others may not', async () => {
  const boss = await s.loginAs('boss');
  const member = await s.loginAs('lina');
  expectError(assert, await s.call('POST', '/api/v1/security/unauthorized-use', { token: member, body: { all: true } }), 403, 'forbidden');
  expectError(assert, await s.call('POST', '/api/v1/security/unauthorized-use', { token: boss, body: {} }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/security/unauthorized-use', { token: boss, body: { user_ids: [987654321] } }), 422, 'validation_failed');
  const lina = (await s.call('GET', '/api/v1/users', { token: boss })).body.items.find((u) => u.login === 'lina');
  const chosen = await s.call('POST', '/api/v1/security/unauthorized-use', { token: boss, body: { user_ids: [lina.id], note: '异地登录' } });
  assert.equal(chosen.status, 201);
  assert.deepEqual(chosen.body.user_ids, [lina.id]);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: member }), 401, 'unauthenticated');
  assert.equal((await s.call('GET', '/api/v1/me', { token: boss })).status, 200);
  const all = await s.call('POST', '/api/v1/security/unauthorized-use', { token: boss, body: { all: true } });
  assert.equal(all.body.scope, 'all');
  expectError(assert, await s.call('GET', '/api/v1/me', { token: boss }), 401, 'unauthenticated');
  const audit = await s.call('GET', '/api/v1/audit-log?action=security.unauthorized_use_report', {
    token: await (async () => {
      const u = s.demo.tenant.users.find((x) => x.role === 'boss');
      const t = await s.login(u.login, u.password);
      await s.call('POST', '/api/v1/me/password', { token: t, body: { current_password: u.password, new_password: 'Changed-2026-x' } });
      u.password = 'Changed-2026-x';
      return t;
    })(),
  });
  assert.ok(audit.body.items.length >= 3);
});

test('without a grant, an operator gets 404 on every tenant-data route', async () => {
  const op = await s.operatorToken();
  for (const path of ['/api/v1/users', '/api/v1/tenant', '/api/v1/departments', '/api/v1/audit-log']) {
    expectError(assert, await s.call('GET', path, { token: op, headers: { 'x-kelu-tenant': 'demo' } }), 404, 'not_found');
    expectError(assert, await s.call('GET', path, { token: op }), 404, 'not_found');
  }
});

test('under a read grant the operator reads, cannot write, and every request is audited for the boss', async () => {
  const u = s.demo.tenant.users.find((x) => x.role === 'boss');
  const boss = await s.login(u.login, u.password);
  const member = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'grantee', name: '成员', role: 'member', password: 'Grant-pass-1' } });
  const memberToken = await s.login('grantee', 'Grant-pass-1');
  expectError(assert, await s.call('POST', '/api/v1/support-grants', { token: memberToken, body: { reason: 'x' } }), 403, 'forbidden');
  expectError(assert, await s.call('POST', '/api/v1/support-grants', { token: boss, body: { hours: 100000, reason: 'x' } }), 422, 'validation_failed');
  const grant = await s.call('POST', '/api/v1/support-grants', { token: boss, body: { reason: '排查导入问题', hours: 2 } });
  assert.equal(grant.status, 201);
  assert.equal(grant.body.access, 'read');
  const op = await s.operatorToken();
  const h = { 'x-kelu-tenant': 'demo' };
  const users = await s.call('GET', '/api/v1/users', { token: op, headers: h });
  assert.equal(users.status, 200);
  assert.ok(users.body.items.some((x) => x.login === 'grantee'));
  expectError(assert, await s.call('PATCH', `/api/v1/users/${member.body.id}`, { token: op, headers: h, body: { name: '改名' } }), 403, 'support_read_only');
  // An operator under a grant still cannot act as a user or manage grants.
  expectError(assert, await s.call('GET', '/api/v1/me', { token: op, headers: h }), 404, 'not_found');
  expectError(assert, await s.call('GET', '/api/v1/support-grants', { token: op, headers: h }), 404, 'not_found');
  const audit = await s.call('GET', '/api/v1/audit-log?actor_kind=operator', { token: boss });
  const paths = audit.body.items.map((e) => `${e.after.method} ${e.after.path} ${e.after.status}`);
  assert.ok(paths.includes('GET /api/v1/users 200'), paths.join(', '));
  assert.ok(paths.includes(`PATCH /api/v1/users/${member.body.id} 403`));
  // Revoked: back to 404 at once.
  assert.equal((await s.call('DELETE', `/api/v1/support-grants/${grant.body.id}`, { token: boss })).status, 204);
  expectError(assert, await s.call('GET', '/api/v1/users', { token: op, headers: h }), 404, 'not_found');
  const list = await s.call('GET', '/api/v1/support-grants', { token: boss });
  assert.equal(list.body.items[0].active, false);
  assert.ok(list.body.items[0].revoked_at);
  expectError(assert, await s.call('DELETE', `/api/v1/support-grants/${grant.body.id}`, { token: boss }), 404, 'not_found');
});

test('a write grant lets support change data, and it expires with the clock', async () => {
  const t = await startServer({ testClock: true });
  try {
    const u = t.demo.tenant.users.find((x) => x.role === 'boss');
    const boss = await t.login(u.login, u.password);
    const grant = await t.call('POST', '/api/v1/support-grants', { token: boss, body: { reason: '修复数据', access: 'write', hours: 1 } });
    const op = await t.operatorToken();
    const h = { 'x-kelu-tenant': 'demo' };
    const dept = await t.call('POST', '/api/v1/departments', { token: op, headers: h, body: { name: '客服部' } });
    assert.equal(dept.status, 201);
    const log = await t.call('GET', `/api/v1/audit-log?entity=department&entity_id=${dept.body.id}`, { token: boss });
    assert.equal(log.body.items[0].actor.kind, 'operator');
    const clock = await t.call('GET', '/api/v1/operator/clock', { token: op });
    const later = new Date(Date.parse(clock.body.now) + 90 * 60 * 1000).toISOString();
    assert.equal((await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: later } })).status, 200);
    expectError(assert, await t.call('GET', '/api/v1/users', { token: op, headers: h }), 404, 'not_found');
    assert.equal(grant.status, 201);
  } finally {
    await t.stop();
  }
});
