// Users, seats, the last boss, departments, role scopes and the audit log of it all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
before(async () => {
  s = await startServer();
  boss = await s.loginAs('boss');
});
after(async () => { await s.stop(); });

test('seats limit active users: one more is seats_exhausted, nothing is created', async () => {
  const { tenant, bossToken } = await s.createTenant('seats-co', { seats: 2 });
  assert.equal(tenant.seats, 2);
  const first = await s.call('POST', '/api/v1/users', { token: bossToken, body: { login: 'u1', name: '一号', role: 'member' } });
  assert.equal(first.status, 201);
  const second = await s.call('POST', '/api/v1/users', { token: bossToken, body: { login: 'u2', name: '二号', role: 'member' } });
  expectError(assert, second, 409, 'seats_exhausted');
  assert.equal(second.body.error.details.seats, 2);
  // A disabled user takes no seat, and enabling them again is refused while seats are full.
  const disabled = await s.call('POST', '/api/v1/users', { token: bossToken, body: { login: 'u3', name: '三号', role: 'member', status: 'disabled' } });
  assert.equal(disabled.status, 201);
  expectError(assert, await s.call('PATCH', `/api/v1/users/${disabled.body.id}`, { token: bossToken, body: { status: 'active' } }), 409, 'seats_exhausted');
  const users = await s.call('GET', '/api/v1/users', { token: bossToken });
  assert.deepEqual(users.body.items.map((u) => u.login).sort(), ['boss', 'u1', 'u3']);
  const t = await s.call('GET', '/api/v1/tenant', { token: bossToken });
  assert.equal(t.body.active_users, 2);
  // The operator adds a seat; now enabling works.
  const op = await s.operatorToken();
  expectError(assert, await s.call('PATCH', `/api/v1/operator/tenants/${tenant.id}`, { token: op, body: { seats: 1 } }), 409, 'seats_below_active_users');
  assert.equal((await s.call('PATCH', `/api/v1/operator/tenants/${tenant.id}`, { token: op, body: { seats: 3 } })).status, 200);
  assert.equal((await s.call('PATCH', `/api/v1/users/${disabled.body.id}`, { token: bossToken, body: { status: 'active' } })).status, 200);
});

test('the last boss cannot be demoted or disabled', async () => {
  const me = await s.call('GET', '/api/v1/me', { token: boss });
  const id = me.body.user.id;
  expectError(assert, await s.call('PATCH', `/api/v1/users/${id}`, { token: boss, body: { role: 'admin' } }), 409, 'last_boss');
  expectError(assert, await s.call('PATCH', `/api/v1/users/${id}`, { token: boss, body: { status: 'disabled' } }), 409, 'last_boss');
  // With a second boss, the first may step down.
  const second = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'boss2', name: '二老板', role: 'boss', password: 'Second-boss-1' } });
  assert.equal(second.status, 201);
  const b2 = await s.login('boss2', 'Second-boss-1');
  const down = await s.call('PATCH', `/api/v1/users/${id}`, { token: b2, body: { role: 'admin' } });
  assert.equal(down.status, 200);
  assert.equal(down.body.role, 'admin');
  expectError(assert, await s.call('PATCH', `/api/v1/users/${second.body.id}`, { token: b2, body: { status: 'disabled' } }), 409, 'last_boss');
  assert.equal((await s.call('PATCH', `/api/v1/users/${id}`, { token: b2, body: { role: 'boss' } })).status, 200);
});

test('only boss and admin manage users; only a boss grants the boss role', async () => {
  const member = await s.loginAs('zhangwei');
  expectError(assert, await s.call('POST', '/api/v1/users', { token: member, body: { login: 'm1', name: 'x', role: 'member' } }), 403, 'forbidden');
  const admin = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'admin1', name: '管理员', role: 'admin', password: 'Admin-pass-1' } });
  const adminToken = await s.login('admin1', 'Admin-pass-1');
  expectError(assert, await s.call('POST', '/api/v1/users', { token: adminToken, body: { login: 'b3', name: 'x', role: 'boss' } }), 403, 'forbidden');
  const created = await s.call('POST', '/api/v1/users', { token: adminToken, body: { login: 'm2', name: '成员', role: 'member' } });
  assert.equal(created.status, 201);
  expectError(assert, await s.call('POST', '/api/v1/users', { token: adminToken, body: { login: 'm2', name: '重复', role: 'member' } }), 409, 'login_taken');
  // A member edits their own contact details but not their role.
  const me = await s.call('GET', '/api/v1/me', { token: member });
  assert.equal((await s.call('PATCH', '/api/v1/me', { token: member, body: { email: 'zw@example.cn' } })).status, 200);
  expectError(assert, await s.call('PATCH', `/api/v1/users/${me.body.user.id}`, { token: member, body: { role: 'admin' } }), 403, 'forbidden');
  assert.equal(admin.status, 201);
});

test('a disabled user is signed out at once and cannot sign in', async () => {
  const created = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'leaver', name: '离职', role: 'member', password: 'Leaving-2026' } });
  const token = await s.login('leaver', 'Leaving-2026');
  assert.equal((await s.call('PATCH', `/api/v1/users/${created.body.id}`, { token: boss, body: { status: 'disabled' } })).status, 200);
  expectError(assert, await s.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
  expectError(assert, await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: 'leaver', password: 'Leaving-2026' } }), 403, 'account_disabled');
});

test('departments form a tree: no cycles, no deleting a department in use', async () => {
  const sales = await s.call('POST', '/api/v1/departments', { token: boss, body: { name: '销售部' } });
  const east = await s.call('POST', '/api/v1/departments', { token: boss, body: { name: '华东区', parent_id: sales.body.id } });
  assert.equal(east.body.parent_id, sales.body.id);
  expectError(assert, await s.call('PATCH', `/api/v1/departments/${sales.body.id}`, { token: boss, body: { parent_id: east.body.id } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/departments', { token: boss, body: { name: 'x', parent_id: 999999999 } }), 422, 'validation_failed');
  const member = (await s.call('GET', '/api/v1/users', { token: boss })).body.items.find((u) => u.login === 'lina');
  assert.equal((await s.call('PATCH', `/api/v1/users/${member.id}`, { token: boss, body: { department_id: east.body.id } })).body.department_id, east.body.id);
  const refused = await s.call('DELETE', `/api/v1/departments/${sales.body.id}`, { token: boss });
  expectError(assert, refused, 409, 'department_not_empty');
  assert.equal(refused.body.error.details.sub_departments, 1);
  expectError(assert, await s.call('DELETE', `/api/v1/departments/${east.body.id}`, { token: boss }), 409, 'department_not_empty');
  await s.call('PATCH', `/api/v1/users/${member.id}`, { token: boss, body: { department_id: null } });
  assert.equal((await s.call('DELETE', `/api/v1/departments/${east.body.id}`, { token: boss })).status, 204);
  assert.equal((await s.call('PATCH', `/api/v1/departments/${sales.body.id}`, { token: boss, body: { name: '销售一部' } })).body.name, '销售一部');
  expectError(assert, await s.call('DELETE', '/api/v1/departments/abc', { token: boss }), 404, 'not_found');
});

test('roles carry a data scope the tenant configures; the boss always sees all', async () => {
  const roles = await s.call('GET', '/api/v1/roles', { token: boss });
  const scope = Object.fromEntries(roles.body.items.map((r) => [r.role, r.data_scope]));
  assert.deepEqual(scope, { boss: 'all', admin: 'all', manager: 'department_and_below', member: 'self' });
  const set = await s.call('PUT', '/api/v1/roles/member', { token: boss, body: { data_scope: 'department' } });
  assert.equal(set.body.data_scope, 'department');
  const member = await s.loginAs('lina');
  assert.equal((await s.call('GET', '/api/v1/me', { token: member })).body.data_scope, 'department');
  expectError(assert, await s.call('PUT', '/api/v1/roles/boss', { token: boss, body: { data_scope: 'self' } }), 409, 'boss_scope_fixed');
  expectError(assert, await s.call('PUT', '/api/v1/roles/member', { token: boss, body: { data_scope: 'galaxy' } }), 422, 'validation_failed');
  expectError(assert, await s.call('PUT', '/api/v1/roles/member', { token: member, body: { data_scope: 'all' } }), 403, 'forbidden');
  expectError(assert, await s.call('PUT', '/api/v1/roles/king', { token: boss, body: { data_scope: 'all' } }), 404, 'not_found');
});

test('the audit log records writes with before and after, and only the boss reads it', async () => {
  const created = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'audited', name: '审计前', role: 'member' } });
  await s.call('PATCH', `/api/v1/users/${created.body.id}`, { token: boss, body: { name: '审计后', role: 'manager' } });
  const log = await s.call('GET', `/api/v1/audit-log?entity=user&entity_id=${created.body.id}`, { token: boss });
  assert.equal(log.status, 200);
  const [change, create] = log.body.items;
  assert.equal(create.action, 'user.create');
  assert.equal(change.action, 'user.permission_change');
  assert.deepEqual(change.before, { name: '审计前', role: 'member' });
  assert.deepEqual(change.after, { name: '审计后', role: 'manager' });
  assert.equal(change.actor.kind, 'user');
  assert.equal(change.ip, '127.0.0.1');
  assert.ok(change.request_id);
  assert.ok(!JSON.stringify(log.body).includes('temporary_password'));
  // Cursor pagination walks the whole log without repeats.
  const seen = new Set();
  let cursor = null;
  do {
    const page = await s.call('GET', `/api/v1/audit-log?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: boss });
    for (const e of page.body.items) { assert.ok(!seen.has(e.id)); seen.add(e.id); }
    cursor = page.body.next_cursor;
  } while (cursor);
  assert.ok(seen.size > 5);
  expectError(assert, await s.call('GET', '/api/v1/audit-log', { token: await s.loginAs('zhangwei') }), 403, 'forbidden');
  expectError(assert, await s.call('GET', '/api/v1/audit-log?from=yesterday', { token: boss }), 422, 'validation_failed');
  // No route writes to the audit log.
  for (const m of ['POST', 'PATCH', 'PUT', 'DELETE']) {
    assert.equal((await s.call(m, '/api/v1/audit-log', { token: boss, body: {} })).status, 405);
  }
});
