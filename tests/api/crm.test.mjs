// The CRM through the API: customers and their validation, data scope, 查重 and duplicate
// policies, contacts, follow-ups with reminders, tasks, the recycle bin and the timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError, METRICS_TOKEN } from './harness.mjs';

let s;
let boss;
const team = {};

before(async () => {
  s = await startServer();
  boss = await s.loginAs('boss');
  const sales = await s.call('POST', '/api/v1/departments', { token: boss, body: { name: '销售部' } });
  const east = await s.call('POST', '/api/v1/departments', { token: boss, body: { name: '华东区', parent_id: sales.body.id } });
  const make = async (login, role, department_id) => {
    const r = await s.call('POST', '/api/v1/users', { token: boss, body: { login, name: login, role, department_id, password: 'Team-pass-2026' } });
    assert.equal(r.status, 201, r.text);
    team[login] = { id: r.body.id, token: await s.login(login, 'Team-pass-2026') };
  };
  await make('manager', 'manager', sales.body.id);
  await make('east1', 'member', east.body.id);
  await make('sales1', 'member', sales.body.id);
  await make('loner', 'member', null);
});
after(async () => { await s.stop(); });

async function customer(token, body) {
  const r = await s.call('POST', '/api/v1/customers', { token, body });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

test('a customer is created with its fields, owned by the caller, and audited', async () => {
  const c = await customer(team.east1.token, {
    name: '上海申通物流有限公司', short_name: '申通', industry: '物流', source: '展会', level: 'B',
    status: '意向', province: '上海', city: '上海', address: '青浦区华新镇', phones: ['021-6988 1234'],
    website: 'https://example.cn', tags: ['重点', '华东'], notes: '年底有采购计划',
  });
  assert.equal(c.owner.id, team.east1.id);
  assert.equal(c.in_pool, false);
  assert.deepEqual(c.tags, ['重点', '华东']);
  assert.equal(c.level, 'B');
  assert.match(c.created_at, /\+08:00$/);
  const audit = await s.call('GET', `/api/v1/audit-log?entity=customer&entity_id=${c.id}`, { token: boss });
  assert.equal(audit.body.items[0].action, 'customer.create');
  const timeline = await s.call('GET', `/api/v1/customers/${c.id}/timeline`, { token: team.east1.token });
  assert.equal(timeline.body.items[0].kind, 'created');
});

test('bad customer input is 422 per field and nothing is written', async () => {
  const before = await s.call('GET', '/api/v1/customers?with_total=1', { token: boss });
  const r = await s.call('POST', '/api/v1/customers', {
    token: team.east1.token,
    body: { name: '', level: 'Z', kind: 'robot', phones: ['call me'], tags: 'x', surprise: true, industry: '采矿' },
  });
  expectError(assert, r, 422, 'validation_failed');
  const f = r.body.error.details.fields;
  for (const key of ['name', 'level', 'kind', 'phones', 'tags', 'surprise', 'industry']) assert.ok(f[key], `${key}: ${JSON.stringify(f)}`);
  const after = await s.call('GET', '/api/v1/customers?with_total=1', { token: boss });
  assert.equal(after.body.total, before.body.total);
  expectError(assert, await s.call('GET', '/api/v1/customers?sort=sideways', { token: boss }), 422, 'validation_failed');
  expectError(assert, await s.call('GET', '/api/v1/customers?colour=red', { token: boss }), 422, 'validation_failed');
});

test('data scope: a member sees their own, a manager the department below, the boss all', async () => {
  const a = await customer(team.east1.token, { name: '范围测试华东' });
  const b = await customer(team.sales1.token, { name: '范围测试销售' });
  const c = await customer(team.loner.token, { name: '范围测试无部门' });
  const names = async (token) => (await s.call('GET', '/api/v1/customers?q=范围测试&limit=200', { token })).body.items.map((x) => x.name).sort();
  assert.deepEqual(await names(team.east1.token), ['范围测试华东']);
  assert.deepEqual(await names(team.sales1.token), ['范围测试销售']);
  assert.deepEqual(await names(team.manager.token), ['范围测试华东', '范围测试销售']);
  assert.deepEqual(await names(boss), ['范围测试华东', '范围测试无部门', '范围测试销售']);
  // Outside the scope a record does not exist.
  expectError(assert, await s.call('GET', `/api/v1/customers/${b.id}`, { token: team.east1.token }), 404, 'not_found');
  expectError(assert, await s.call('PATCH', `/api/v1/customers/${b.id}`, { token: team.east1.token, body: { notes: 'x' } }), 404, 'not_found');
  expectError(assert, await s.call('DELETE', `/api/v1/customers/${c.id}`, { token: team.manager.token }), 404, 'not_found');
  assert.equal((await s.call('PATCH', `/api/v1/customers/${a.id}`, { token: team.manager.token, body: { level: 'A' } })).body.level, 'A');
  // Narrowing the member role to "self" is the default; widening it to department shows colleagues.
  await s.call('PUT', '/api/v1/roles/member', { token: boss, body: { data_scope: 'department' } });
  assert.deepEqual(await names(team.sales1.token), ['范围测试销售']);
  await s.call('PUT', '/api/v1/roles/member', { token: boss, body: { data_scope: 'self' } });
});

test('duplicates: names are blocked across spellings, phones warned, and 查重 reveals only what it may', async () => {
  const first = await customer(team.east1.token, { name: '杭州客录科技有限公司', phones: ['+86 138-0000-1111'] });
  const blocked = await s.call('POST', '/api/v1/customers', { token: team.sales1.token, body: { name: '杭州 客录科技' } });
  expectError(assert, blocked, 409, 'duplicate_customer');
  const match = blocked.body.error.details.matches[0];
  assert.equal(match.field, 'name');
  assert.equal(match.status, 'owned');
  assert.equal(match.owner.name, 'east1');
  assert.equal(match.customer, null, 'sales1 may not see the matching record');
  const warned = await customer(team.sales1.token, { name: '另一家公司', phones: ['13800001111'] });
  assert.equal(warned.duplicates[0].field, 'phone');
  const lookup = await s.call('GET', '/api/v1/customers/duplicates?phone=0086%20138%200000%201111', { token: team.east1.token });
  assert.equal(lookup.body.exists, true);
  assert.ok(lookup.body.matches.some((m) => m.customer && m.customer.id === first.id));
  const none = await s.call('GET', `/api/v1/customers/duplicates?name=${encodeURIComponent('不存在的公司')}`, { token: boss });
  assert.deepEqual(none.body, { exists: false, matches: [] });
  expectError(assert, await s.call('GET', '/api/v1/customers/duplicates', { token: boss }), 422, 'validation_failed');
  // Renaming into a taken name is blocked too; a warn policy lets it through with a warning.
  expectError(assert, await s.call('PATCH', `/api/v1/customers/${warned.id}`, { token: team.sales1.token, body: { name: '杭州客录科技股份有限公司' } }), 409, 'duplicate_customer');
  const settings = (await s.call('GET', '/api/v1/crm/settings', { token: boss })).body;
  settings.duplicates.name = 'warn';
  assert.equal((await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings })).status, 200);
  const renamed = await s.call('PATCH', `/api/v1/customers/${warned.id}`, { token: team.sales1.token, body: { name: '杭州客录科技股份有限公司' } });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.duplicates[0].field, 'name');
  settings.duplicates.name = 'block';
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
  expectError(assert, await s.call('PUT', '/api/v1/crm/settings', { token: team.east1.token, body: settings }), 403, 'forbidden');
  expectError(assert, await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: { duplicates: { name: 'sometimes' } } }), 422, 'validation_failed');
});

test('contacts belong to a customer; the first is primary; their numbers join 查重', async () => {
  const c = await customer(team.east1.token, { name: '联系人测试公司' });
  const first = await s.call('POST', '/api/v1/contacts', { token: team.east1.token, body: { customer_id: c.id, name: '王经理', title: '采购经理', mobile: '139 0000 2222', email: 'Wang@Example.cn', birthday: '1985-06-01' } });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.is_primary, true);
  const second = await s.call('POST', '/api/v1/contacts', { token: team.east1.token, body: { customer_id: c.id, name: '李助理', is_primary: true } });
  assert.equal(second.body.is_primary, true);
  assert.equal((await s.call('GET', `/api/v1/contacts/${first.body.id}`, { token: team.east1.token })).body.is_primary, false);
  const dup = await s.call('GET', '/api/v1/customers/duplicates?email=wang@example.cn', { token: boss });
  assert.equal(dup.body.matches[0].customer.id, c.id);
  expectError(assert, await s.call('POST', '/api/v1/contacts', { token: team.sales1.token, body: { customer_id: c.id, name: '越权' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/contacts', { token: team.east1.token, body: { customer_id: c.id, name: 'x', birthday: '1985-13-01', email: 'not-an-email' } }), 422, 'validation_failed');
  expectError(assert, await s.call('GET', `/api/v1/contacts/${first.body.id}`, { token: team.sales1.token }), 404, 'not_found');
  const list = await s.call('GET', `/api/v1/contacts?customer_id=${c.id}`, { token: team.east1.token });
  assert.equal(list.body.items.length, 2);
  const patched = await s.call('PATCH', `/api/v1/contacts/${first.body.id}`, { token: team.east1.token, body: { title: '总监' } });
  assert.equal(patched.body.title, '总监');
  expectError(assert, await s.call('PATCH', `/api/v1/contacts/${first.body.id}`, { token: team.east1.token, body: { customer_id: 1 } }), 422, 'validation_failed');
});

test('a follow-up updates the customer and makes a reminder for its owner', async () => {
  const c = await customer(team.east1.token, { name: '跟进测试公司' });
  const next = '2099-03-01T10:00:00+08:00';
  const f = await s.call('POST', '/api/v1/follow-ups', { token: team.manager.token, body: { customer_id: c.id, type: 'visit', content: '上门拜访，确认需求', next_at: next } });
  assert.equal(f.status, 201, f.text);
  assert.equal(f.body.created_by.name, 'manager');
  const after = (await s.call('GET', `/api/v1/customers/${c.id}`, { token: team.east1.token })).body;
  assert.equal(after.next_follow_up_at, next);
  assert.ok(after.last_follow_up_at);
  const tasks = await s.call('GET', '/api/v1/tasks', { token: team.east1.token });
  const reminder = tasks.body.items.find((t) => t.follow_up_id === f.body.id);
  assert.ok(reminder, 'the owner got the reminder');
  assert.equal(reminder.due_at, next);
  assert.equal(reminder.title, '跟进 跟进测试公司');
  const timeline = await s.call('GET', `/api/v1/customers/${c.id}/timeline`, { token: team.east1.token });
  assert.equal(timeline.body.items[0].kind, 'follow_up');
  assert.equal(timeline.body.items[0].actor.name, 'manager');
  expectError(assert, await s.call('POST', '/api/v1/follow-ups', { token: team.east1.token, body: { customer_id: c.id, type: 'telepathy', content: '' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/follow-ups', { token: team.east1.token, body: { customer_id: c.id, type: 'call', content: 'x', next_at: '2000-01-01T00:00:00+08:00' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/follow-ups', { token: team.sales1.token, body: { customer_id: c.id, type: 'call', content: 'x' } }), 422, 'validation_failed');
  const list = await s.call('GET', `/api/v1/follow-ups?customer_id=${c.id}`, { token: team.east1.token });
  assert.equal(list.body.items.length, 1);
});

test('tasks: created, listed by view, completed; another user\'s task is not found', async () => {
  const t = await s.call('POST', '/api/v1/tasks', { token: team.sales1.token, body: { title: '寄样品', due_at: '2000-01-01T09:00:00+08:00' } });
  assert.equal(t.status, 201);
  const overdue = await s.call('GET', '/api/v1/tasks?view=overdue', { token: team.sales1.token });
  assert.ok(overdue.body.items.some((x) => x.id === t.body.id));
  const today = await s.call('GET', '/api/v1/tasks?view=today', { token: team.sales1.token });
  assert.ok(!today.body.items.some((x) => x.id === t.body.id));
  const done = await s.call('PATCH', `/api/v1/tasks/${t.body.id}`, { token: team.sales1.token, body: { done: true } });
  assert.equal(done.body.done, true);
  assert.ok((await s.call('GET', '/api/v1/tasks?view=done', { token: team.sales1.token })).body.items.some((x) => x.id === t.body.id));
  expectError(assert, await s.call('PATCH', `/api/v1/tasks/${t.body.id}`, { token: team.east1.token, body: { done: false } }), 404, 'not_found');
  expectError(assert, await s.call('GET', '/api/v1/tasks?view=someday', { token: team.east1.token }), 422, 'validation_failed');
  expectError(assert, await s.call('GET', `/api/v1/tasks?assignee_id=${team.sales1.id}`, { token: team.east1.token }), 403, 'forbidden');
  expectError(assert, await s.call('POST', '/api/v1/tasks', { token: team.east1.token, body: { title: 'x', due_at: 'soon', assignee_id: team.loner.id } }), 422, 'validation_failed');
  const assigned = await s.call('POST', '/api/v1/tasks', { token: team.manager.token, body: { title: '回访', due_at: '2099-01-01T09:00:00+08:00', assignee_id: team.east1.id } });
  assert.equal(assigned.body.assignee_id, team.east1.id);
});

test('the recycle bin keeps deleted records 30 days for boss and admin to restore', async () => {
  const c = await customer(team.east1.token, { name: '回收站测试' });
  assert.equal((await s.call('DELETE', `/api/v1/customers/${c.id}`, { token: team.east1.token })).status, 204);
  expectError(assert, await s.call('GET', `/api/v1/customers/${c.id}`, { token: team.east1.token }), 404, 'not_found');
  expectError(assert, await s.call('GET', '/api/v1/recycle-bin', { token: team.east1.token }), 403, 'forbidden');
  const bin = await s.call('GET', '/api/v1/recycle-bin', { token: boss });
  const entry = bin.body.items.find((x) => x.type === 'customer' && x.id === c.id);
  assert.ok(entry);
  assert.equal(Date.parse(entry.purge_at) - Date.parse(entry.deleted_at), 30 * 86400 * 1000);
  const restored = await s.call('POST', `/api/v1/recycle-bin/customer/${c.id}/restore`, { token: boss });
  assert.equal(restored.status, 200);
  assert.equal((await s.call('GET', `/api/v1/customers/${c.id}`, { token: team.east1.token })).status, 200);
  expectError(assert, await s.call('POST', `/api/v1/recycle-bin/customer/${c.id}/restore`, { token: boss }), 404, 'not_found');
  expectError(assert, await s.call('POST', `/api/v1/recycle-bin/planet/${c.id}/restore`, { token: boss }), 404, 'not_found');
  const kinds = (await s.call('GET', `/api/v1/customers/${c.id}/timeline`, { token: boss })).body.items.map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 3), ['restored', 'deleted', 'created']);
});

test('the lists\' q finds names in any case, emails and phone digits of customers and contacts, in scope', async () => {
  const a = await customer(team.loner.token, { name: '号码筛选甲', phones: ['0571-2468 0135'] });
  const b = await customer(team.loner.token, { name: '号码筛选乙' });
  const ct = await s.call('POST', '/api/v1/contacts', { token: team.loner.token, body: { customer_id: b.id, name: '号码联系人', mobile: '+86 139 2468 0135', email: 'Haoma.Lianxi@Example.cn' } });
  assert.equal(ct.status, 201, ct.text);
  await customer(team.loner.token, { name: '号码筛选丙', phones: ['021-1111 2222'] });
  const hidden = await customer(team.east1.token, { name: '号码筛选丁', phones: ['138-2468-0135'] });
  const find = async (q, token = team.loner.token, more = '') => {
    const r = await s.call('GET', `/api/v1/customers?q=${encodeURIComponent(q)}&with_total=1${more}`, { token });
    assert.equal(r.status, 200, r.text);
    return { ids: r.body.items.map((x) => x.id).sort(), total: r.body.total, next: r.body.next_cursor };
  };
  assert.deepEqual(await find('24680135'), { ids: [a.id, b.id].sort(), total: 2, next: null });
  assert.deepEqual((await find('2468 0135')).ids, [a.id, b.id].sort());  // typed with separators
  assert.deepEqual((await find('２４６８０１３５')).ids, [a.id, b.id].sort());  // full-width digits
  assert.deepEqual((await find('24680135', boss)).ids, [a.id, b.id, hidden.id].sort());
  assert.deepEqual((await find('24680135', team.east1.token)).ids, [hidden.id]);
  // A page of one, then the next, both counting all matches.
  const first = await find('24680135', team.loner.token, '&limit=1');
  assert.equal(first.total, 2);
  const second = await find('24680135', team.loner.token, `&limit=1&cursor=${first.next}`);
  assert.deepEqual([...first.ids, ...second.ids].sort(), [a.id, b.id].sort());
  // Two digits are not a phone number: only names match them.
  assert.deepEqual(await find('35'), { ids: [], total: 0, next: null });
  // Nor are digits typed with a name: "号码0135" is a name to look for, not a number.
  assert.deepEqual(await find('号码0135'), { ids: [], total: 0, next: null });
  assert.deepEqual((await find('号码筛选')).ids, [a.id, b.id, (await find('号码筛选丙')).ids[0]].sort());
  // Latin letters in either case.
  const latin = await customer(team.loner.token, { name: 'Kelu Haoma Trading 号码' });
  assert.deepEqual((await find('haoma TRADING')).ids, [latin.id]);
  // The contact list's q: the name, the email in any case, the digits of a number however typed;
  // % and _ are characters, not wildcards.
  const contacts = async (q) => {
    const r = await s.call('GET', `/api/v1/contacts?q=${encodeURIComponent(q)}`, { token: team.loner.token });
    assert.equal(r.status, 200, r.text);
    return r.body.items.map((x) => x.id);
  };
  for (const q of ['号码联系', 'haoma.lianxi@example', '139-2468-0135', '２４６８０１３５']) assert.deepEqual(await contacts(q), [ct.body.id], q);
  assert.deepEqual(await contacts('%'), []);
  assert.deepEqual(await contacts('号码_系人'), []);
  assert.deepEqual(await s.call('GET', `/api/v1/contacts?q=24680135`, { token: team.east1.token }).then((r) => r.body.items), []);
  // Once the contact is gone, its number no longer finds the customer.
  assert.equal((await s.call('DELETE', `/api/v1/contacts/${ct.body.id}`, { token: team.loner.token })).status, 204);
  assert.deepEqual((await find('24680135')).ids, [a.id]);
  // The list takes its candidates from the search index: a customer renamed and given another
  // phone is found by the new text at once, no longer by the old.
  const renamed = await s.call('PATCH', `/api/v1/customers/${a.id}`, { token: team.loner.token, body: { name: '改名筛选甲', phones: ['0571-9753 1086'] } });
  assert.equal(renamed.status, 200, renamed.text);
  assert.deepEqual((await find('改名筛选')).ids, [a.id]);
  assert.deepEqual((await find('9753 1086')).ids, [a.id]);
  assert.deepEqual(await find('24680135'), { ids: [], total: 0, next: null });
  assert.deepEqual((await find('号码筛选甲')).ids, []);
});

test('lists page by cursor in every sort order without repeats', async () => {
  for (let i = 0; i < 7; i++) await customer(team.loner.token, { name: `分页测试${i}`, level: 'ABCD'[i % 4] });
  for (const sort of ['-updated_at', 'created_at', 'name', '-name', 'next_follow_up_at']) {
    const seen = [];
    let cursor = null;
    do {
      const r = await s.call('GET', `/api/v1/customers?q=分页测试&limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`, { token: team.loner.token });
      assert.equal(r.status, 200, r.text);
      seen.push(...r.body.items.map((x) => x.name));
      cursor = r.body.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 7, sort);
    assert.equal(new Set(seen).size, 7, sort);
    if (sort === 'name') assert.deepEqual(seen, [...seen].sort());
  }
  const levelA = await s.call('GET', '/api/v1/customers?q=分页测试&level=A', { token: team.loner.token });
  assert.ok(levelA.body.items.every((x) => x.level === 'A'));
  expectError(assert, await s.call('GET', '/api/v1/customers?cursor=999999999', { token: team.loner.token }), 422, 'validation_failed');
});

test('opportunities move through a pipeline; every change is kept; weighted amounts round half up', async () => {
  const pipelines = await s.call('GET', '/api/v1/pipelines', { token: team.east1.token });
  assert.equal(pipelines.status, 200);
  const p = pipelines.body.items[0];
  assert.deepEqual(p.stages.map((x) => x.probability), [10, 30, 50, 70, 90]);
  const c = await customer(team.east1.token, { name: '商机测试公司' });
  const o = await s.call('POST', '/api/v1/opportunities', { token: team.east1.token, body: { customer_id: c.id, name: 'ERP 采购', amount_fen: 12345, expected_close_date: '2027-03-31' } });
  assert.equal(o.status, 201, o.text);
  assert.equal(o.body.stage.id, p.stages[0].id);
  assert.equal(o.body.weighted_amount_fen, 1235, '12345 × 10 % = 1234.5 → 1235');
  const moved = await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.east1.token, body: { stage_id: p.stages[2].id } });
  assert.equal(moved.body.stage.name, '方案报价');
  expectError(assert, await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.east1.token, body: { status: 'lost' } }), 422, 'validation_failed');
  const lost = await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.east1.token, body: { status: 'lost', lost_reason: '预算取消' } });
  assert.equal(lost.body.status, 'lost');
  assert.equal(lost.body.weighted_amount_fen, 0);
  assert.ok(lost.body.closed_at);
  const reopened = await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.east1.token, body: { status: 'open' } });
  assert.equal(reopened.body.closed_at, null);
  assert.equal(reopened.body.lost_reason, '');
  const won = await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.east1.token, body: { status: 'won' } });
  assert.equal(won.body.weighted_amount_fen, 12345);
  const history = await s.call('GET', `/api/v1/opportunities/${o.body.id}/history`, { token: team.east1.token });
  assert.deepEqual(history.body.items.map((h) => `${h.from_status}>${h.to_status}@${h.to_stage.name}`), [
    'null>open@初步接洽', 'open>open@方案报价', 'open>lost@方案报价', 'lost>open@方案报价', 'open>won@方案报价',
  ]);
  const kinds = (await s.call('GET', `/api/v1/customers/${c.id}/timeline`, { token: team.east1.token })).body.items.map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 5), ['opportunity_won', 'opportunity_open', 'opportunity_lost', 'stage_changed', 'opportunity_created']);
  // Scope, validation and stages.
  expectError(assert, await s.call('GET', `/api/v1/opportunities/${o.body.id}`, { token: team.sales1.token }), 404, 'not_found');
  assert.equal((await s.call('GET', `/api/v1/opportunities/${o.body.id}`, { token: team.manager.token })).status, 200);
  expectError(assert, await s.call('POST', '/api/v1/opportunities', { token: team.east1.token, body: { customer_id: c.id, name: 'x', amount_fen: 1.5 } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/opportunities', { token: team.east1.token, body: { customer_id: c.id, name: 'x', amount_fen: -1 } }), 422, 'validation_failed');
  expectError(assert, await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.east1.token, body: { stage_id: 12345 } }), 422, 'validation_failed');
  const custom = await s.call('POST', '/api/v1/pipelines', { token: boss, body: { name: '续费流程', stages: [{ name: '提醒', probability: 50 }, { name: '确认', probability: 90 }] } });
  assert.equal(custom.status, 201);
  expectError(assert, await s.call('POST', '/api/v1/pipelines', { token: team.east1.token, body: { name: 'x', stages: [{ name: 'a', probability: 1 }] } }), 403, 'forbidden');
  expectError(assert, await s.call('POST', '/api/v1/pipelines', { token: boss, body: { name: 'x', stages: [{ name: 'a', probability: 101 }] } }), 422, 'validation_failed');
  const inUse = await s.call('PUT', `/api/v1/pipelines/${p.id}`, { token: boss, body: { stages: [{ id: p.stages[0].id, name: '接洽', probability: 15 }] } });
  expectError(assert, inUse, 409, 'stage_in_use');
  const renamed = await s.call('PUT', `/api/v1/pipelines/${p.id}`, { token: boss, body: { stages: [...p.stages.map((x) => ({ id: x.id, name: x.name, probability: x.probability })), { name: '验收', probability: 95 }] } });
  assert.equal(renamed.body.stages.length, 6);
  const list = await s.call('GET', `/api/v1/opportunities?status=won&customer_id=${c.id}`, { token: team.east1.token });
  assert.equal(list.body.items.length, 1);
  expectError(assert, await s.call('GET', '/api/v1/opportunities?status=maybe', { token: team.east1.token }), 422, 'validation_failed');
});

test('merging moves contacts, follow-ups, opportunities and the timeline to the survivor', async () => {
  const keep = await customer(team.east1.token, { name: '合并保留公司', phones: ['13700000001'], tags: ['老客户'] });
  const gone = await customer(team.east1.token, { name: '合并消失公司', phones: ['13700000002'], tags: ['老客户', '华东'] });
  await s.call('POST', '/api/v1/contacts', { token: team.east1.token, body: { customer_id: gone.id, name: '赵总' } });
  await s.call('POST', '/api/v1/follow-ups', { token: team.east1.token, body: { customer_id: gone.id, type: 'call', content: '合并前的跟进' } });
  await s.call('POST', '/api/v1/opportunities', { token: team.east1.token, body: { customer_id: gone.id, name: '合并商机', amount_fen: 500000 } });
  expectError(assert, await s.call('POST', `/api/v1/customers/${keep.id}/merge`, { token: team.east1.token, body: { from_id: keep.id } }), 422, 'validation_failed');
  const other = await customer(team.sales1.token, { name: '别人的公司' });
  expectError(assert, await s.call('POST', `/api/v1/customers/${keep.id}/merge`, { token: team.east1.token, body: { from_id: other.id } }), 422, 'validation_failed');
  const merged = await s.call('POST', `/api/v1/customers/${keep.id}/merge`, { token: team.east1.token, body: { from_id: gone.id } });
  assert.equal(merged.status, 200, merged.text);
  assert.deepEqual(merged.body.phones, ['13700000001', '13700000002']);
  assert.deepEqual(merged.body.tags, ['老客户', '华东']);
  expectError(assert, await s.call('GET', `/api/v1/customers/${gone.id}`, { token: team.east1.token }), 404, 'not_found');
  assert.equal((await s.call('GET', `/api/v1/contacts?customer_id=${keep.id}`, { token: team.east1.token })).body.items[0].name, '赵总');
  assert.equal((await s.call('GET', `/api/v1/follow-ups?customer_id=${keep.id}`, { token: team.east1.token })).body.items.length, 1);
  assert.equal((await s.call('GET', `/api/v1/opportunities?customer_id=${keep.id}`, { token: team.east1.token })).body.items[0].name, '合并商机');
  const kinds = (await s.call('GET', `/api/v1/customers/${keep.id}/timeline?limit=50`, { token: team.east1.token })).body.items.map((e) => e.kind);
  assert.equal(kinds[0], 'merged');
  assert.ok(kinds.includes('follow_up') && kinds.includes('opportunity_created'));
  const dup = await s.call('GET', '/api/v1/customers/duplicates?phone=13700000002', { token: team.east1.token });
  assert.equal(dup.body.matches[0].customer.id, keep.id);
  const audit = await s.call('GET', `/api/v1/audit-log?action=customer.merge&entity_id=${keep.id}`, { token: boss });
  assert.equal(audit.body.items[0].before.merged.name, '合并消失公司');
});

test('saved views belong to their user', async () => {
  const v = await s.call('POST', '/api/v1/saved-views', { token: team.east1.token, body: { entity: 'customers', name: 'A 级客户', filters: { level: 'A', sort: 'name' } } });
  assert.equal(v.status, 201, v.text);
  expectError(assert, await s.call('POST', '/api/v1/saved-views', { token: team.east1.token, body: { entity: 'customers', name: 'A 级客户', filters: {} } }), 409, 'view_name_taken');
  expectError(assert, await s.call('POST', '/api/v1/saved-views', { token: team.east1.token, body: { entity: 'planets', name: 'x', filters: { level: 1 } } }), 422, 'validation_failed');
  assert.equal((await s.call('GET', '/api/v1/saved-views', { token: team.east1.token })).body.items[0].filters.level, 'A');
  assert.equal((await s.call('GET', '/api/v1/saved-views', { token: team.sales1.token })).body.items.length, 0);
  expectError(assert, await s.call('DELETE', `/api/v1/saved-views/${v.body.id}`, { token: team.sales1.token }), 404, 'not_found');
  assert.equal((await s.call('DELETE', `/api/v1/saved-views/${v.body.id}`, { token: team.east1.token })).status, 204);
});

test('the dashboard counts within the caller\'s scope', async () => {
  const board = async (token) => (await s.call('GET', '/api/v1/dashboard', { token })).body;
  const mine = await board(team.loner.token);
  assert.equal(mine.weeks.length, 8);
  assert.equal(mine.new_customers_per_week.length, 8);
  const created = await customer(team.loner.token, { name: '仪表盘测试' });
  await s.call('POST', '/api/v1/follow-ups', { token: team.loner.token, body: { customer_id: created.id, type: 'call', content: 'x', at: '2000-01-01T00:00:00+08:00', next_at: '2000-01-02T00:00:00+08:00' } });
  const o = await s.call('POST', '/api/v1/opportunities', { token: team.loner.token, body: { customer_id: created.id, name: '仪表盘商机', amount_fen: 88800 } });
  const after = await board(team.loner.token);
  assert.equal(after.new_customers_per_week[7], mine.new_customers_per_week[7] + 1);
  assert.equal(after.overdue_follow_ups, mine.overdue_follow_ups + 1);
  assert.equal(after.funnel[0].count, mine.funnel[0].count + 1);
  assert.equal(after.funnel[0].amount_fen, mine.funnel[0].amount_fen + 88800);
  // Moved on a stage, it is counted there and no longer in the first.
  const moved = await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.loner.token, body: { stage_id: after.funnel[1].stage_id } });
  assert.equal(moved.status, 200, moved.text);
  const staged = await board(team.loner.token);
  assert.deepEqual(staged.funnel.map((f) => f.count), after.funnel.map((f, i) => f.count + (i === 1) - (i === 0)));
  assert.deepEqual(staged.funnel.map((f) => f.amount_fen), after.funnel.map((f, i) => f.amount_fen + 88800 * ((i === 1) - (i === 0))));
  const otherBefore = await board(team.east1.token);
  const bossBefore = await board(boss);
  await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: team.loner.token, body: { status: 'won' } });
  const won = await board(team.loner.token);
  assert.equal(won.won_amount_per_month[11].amount_fen, after.won_amount_per_month[11].amount_fen + 88800);
  // Another member's figures do not include it; the boss's do.
  const otherAfter = await board(team.east1.token);
  assert.deepEqual(otherAfter.won_amount_per_month, otherBefore.won_amount_per_month);
  assert.deepEqual(otherAfter.new_customers_per_week, otherBefore.new_customers_per_week);
  const bossAfter = await board(boss);
  assert.equal(bossAfter.won_amount_per_month[11].amount_fen, bossBefore.won_amount_per_month[11].amount_fen + 88800);
  // Follow-ups count in the week of their time: weeks start on Monday at 00:00 Beijing time, and
  // the first of the eight is the oldest counted.
  const monday = (label) => new Date(`${label}T00:00:00+08:00`).getTime();
  const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const series = (b) => b.follow_ups_per_user_per_week.find((u) => u.user_id === team.loner.id)?.counts ?? Array(8).fill(0);
  const expected = series(won);
  for (const [ms, week] of [[monday(won.weeks[7]), 7], [monday(won.weeks[7]) - 1000, 6], [monday(won.weeks[7]) - 1000, 6],
    [monday(won.weeks[0]), 0], [monday(won.weeks[0]) - 1000, null]]) {
    const f = await s.call('POST', '/api/v1/follow-ups', { token: team.loner.token, body: { customer_id: created.id, type: 'visit', content: 'x', at: iso(ms) } });
    assert.equal(f.status, 201, f.text);
    if (week !== null) expected[week] += 1;
  }
  const counted = await board(team.loner.token);
  assert.deepEqual(series(counted), expected);
  assert.equal(counted.follow_ups_per_user_per_week.find((u) => u.user_id === team.loner.id).name, 'loner');
  assert.deepEqual(series(await board(team.east1.token)), Array(8).fill(0));  // not in east1's scope
  expectError(assert, await s.call('GET', '/api/v1/dashboard?weeks=52', { token: boss }), 422, 'validation_failed');
});

test('search finds customers and contacts by 2+ Chinese characters, phone digits and email, in scope', async () => {
  const c = await customer(team.east1.token, { name: '苏州工业园区翠湖电子有限公司', phones: ['0512-6288 4321'] });
  await s.call('POST', '/api/v1/contacts', { token: team.east1.token, body: { customer_id: c.id, name: '周翠湖', mobile: '+86 186 1234 9876', email: 'Zhou.XH@XingHe.cn' } });
  const other = await customer(team.sales1.token, { name: '翠湖湾物业管理公司' });
  const search = async (q, token = team.east1.token) => {
    const r = await s.call('GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body.items;
  };
  // Two characters (the bigram path) and three or more (the trigram index).
  const two = await search('翠湖');
  assert.deepEqual(two.map((x) => `${x.type}:${x.name}`).sort(), ['contact:周翠湖', 'customer:苏州工业园区翠湖电子有限公司']);
  assert.ok(!two.some((x) => x.customer_id === other.id), 'another member\'s customer is out of scope');
  assert.equal((await search('翠湖电子'))[0].id, c.id);
  assert.equal((await search('工业园区翠湖'))[0].customer_id, c.id);
  // Phone digits: the last four, with or without separators; an email in any case.
  assert.equal((await search('9876'))[0].name, '周翠湖');
  assert.equal((await search('6288-4321'))[0].id, c.id);
  assert.equal((await search('zhou.xh@xinghe'))[0].name, '周翠湖');
  // The boss sees both companies; an exact name ranks first.
  const all = await search('翠湖', boss);
  assert.ok(all.some((x) => x.customer_id === other.id) && all.some((x) => x.customer_id === c.id));
  const exact = await search('周翠湖', boss);
  assert.equal(exact[0].rank, 0);
  // Deleted customers leave the index with their contacts (both indexes); restored ones come back.
  await s.call('DELETE', `/api/v1/customers/${c.id}`, { token: team.east1.token });
  assert.deepEqual(await search('翠湖电子'), []);
  assert.deepEqual(await search('9876'), []);
  assert.deepEqual(await search('翠湖'), []);
  await s.call('POST', `/api/v1/recycle-bin/customer/${c.id}/restore`, { token: boss });
  assert.equal((await search('9876'))[0].name, '周翠湖');
  assert.equal((await search('翠湖')).length, 2);
  // Renames are indexed: the old name's pairs lead to the contact only.
  await s.call('PATCH', `/api/v1/customers/${c.id}`, { token: team.east1.token, body: { name: '苏州银河科技有限公司' } });
  assert.equal((await search('银河科技'))[0].id, c.id);
  assert.equal((await search('银河'))[0].id, c.id);
  assert.ok(!(await search('翠湖电子')).length);
  assert.deepEqual((await search('翠湖')).map((x) => `${x.type}:${x.name}`), ['contact:周翠湖']);
  // Any two characters are a pair: Latin (any case), digits, punctuation, quotes.
  const odd = await customer(team.east1.token, { name: 'A"B (中)C-9公司', short_name: 'Ab' });
  for (const q of ['ab', 'AB', 'a"', '"b', '(中', ')c', 'c-', '9公']) {
    assert.ok((await search(q)).some((x) => x.id === odd.id), q);
  }
  assert.ok(!(await search('b(')).some((x) => x.id === odd.id), 'a space splits pairs');
  expectError(assert, await s.call('GET', '/api/v1/search?q=星', { token: boss }), 422, 'validation_failed');
  expectError(assert, await s.call('GET', '/api/v1/search', { token: boss }), 422, 'validation_failed');
  expectError(assert, await s.call('GET', '/api/v1/search?q=ab&limit=500', { token: boss }), 422, 'validation_failed');
  assert.deepEqual(await search('%_'), []);
});

test('search is per tenant: another tenant with the same names and numbers finds only its own', async () => {
  const mine = await customer(boss, { name: '同名检索测试贸易公司', phones: ['021-5555 0101'] });
  const { bossToken: other } = await s.createTenant('search-b', { seats: 5 });
  const theirs = await s.call('POST', '/api/v1/customers', { token: other, body: { name: '同名检索测试贸易公司', phones: ['021-5555 0101'] } });
  assert.equal(theirs.status, 201, theirs.text);
  for (const q of ['同名', '检索测试', '55550101']) {
    for (const [token, id] of [[boss, mine.id], [other, theirs.body.id]]) {
      const r = await s.call('GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.items.filter((x) => x.type === 'customer' && x.name === '同名检索测试贸易公司').map((x) => x.id), [id], q);
    }
  }
});

test('search finds a tenant\'s older matches past many newer ones of another tenant, and a member\'s past the team\'s', async () => {
  const { bossToken: small } = await s.createTenant('search-c', { seats: 5 });
  const theirs = [];
  for (let i = 0; i < 3; i += 1) {
    const r = await s.call('POST', '/api/v1/customers', { token: small, body: { name: `远山第${i}号灯具有限公司`, phones: [`0571-8800 77${i}0`] } });
    assert.equal(r.status, 201, r.text);
    theirs.unshift(r.body.id);
  }
  const own = await customer(team.loner.token, { name: '远山灯具旧客户有限公司', phones: ['0571-8800 7999'] });
  // Newer matches in the demo tenant, none of them the loner's: more than ten pages of 5.
  const bosses = [];
  for (let i = 0; i < 60; i += 1) {
    bosses.unshift((await customer(boss, { name: `远山第${i}号灯具城有限公司`, phones: [`0571-8800 7${String(i).padStart(3, '0')}`] })).id);
  }
  const search = async (q, token) => {
    const r = await s.call('GET', `/api/v1/search?q=${encodeURIComponent(q)}&limit=5`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body.items.map((x) => x.id);
  };
  for (const q of ['号灯具', '0571-8800 7']) {
    assert.deepEqual(await search(q, small), theirs, `the small tenant: ${q}`);
    assert.deepEqual(await search(q, boss), bosses.slice(0, 5), `the boss: ${q}`);
  }
  assert.deepEqual(await search('88007999', team.loner.token), [own.id]);
  assert.deepEqual(await search('88007', team.loner.token), [own.id]);
  assert.deepEqual(await search('灯具旧客户', team.loner.token), [own.id]);
});

test('custom fields are validated per type, filter and sort lists, and leave with their definition', async () => {
  const def = async (body) => s.call('POST', '/api/v1/custom-fields', { token: boss, body });
  const budget = await def({ entity: 'customer', key: 'budget', label: '预算', type: 'money' });
  assert.equal(budget.status, 201, budget.text);
  const channel = await def({ entity: 'customer', key: 'channel', label: '渠道', type: 'select', options: ['直销', '代理'] });
  const products = await def({ entity: 'customer', key: 'products', label: '产品', type: 'multi_select', options: ['CRM', 'ERP'] });
  await def({ entity: 'contact', key: 'hobby', label: '爱好', type: 'text' });
  await def({ entity: 'opportunity', key: 'signed_on', label: '签约日', type: 'date' });
  expectError(assert, await def({ entity: 'customer', key: 'budget', label: 'x', type: 'text' }), 409, 'field_key_taken');
  expectError(assert, await def({ entity: 'customer', key: 'Bad Key', label: 'x', type: 'select' }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/custom-fields', { token: team.east1.token, body: { entity: 'customer', key: 'x', label: 'x', type: 'text' } }), 403, 'forbidden');
  const made = [];
  for (const [name, budgetFen, ch, prods] of [['自定义甲', 500000, '直销', ['CRM']], ['自定义乙', 90000, '代理', ['CRM', 'ERP']], ['自定义丙', 2000000, '直销', []]]) {
    const c = await customer(team.loner.token, { name, custom: { budget: budgetFen, channel: ch, products: prods } });
    assert.equal(c.custom.budget, budgetFen);
    made.push(c);
  }
  const bad = await s.call('POST', '/api/v1/customers', { token: team.loner.token, body: { name: '自定义丁', custom: { budget: '很多', channel: '电话', nope: 1 } } });
  expectError(assert, bad, 422, 'validation_failed');
  for (const key of ['custom.budget', 'custom.channel', 'custom.nope']) assert.ok(bad.body.error.details.fields[key], key);
  const list = async (qs) => (await s.call('GET', `/api/v1/customers?q=自定义&${qs}`, { token: team.loner.token })).body.items.map((x) => x.name);
  assert.deepEqual(await list('cf.channel=直销&sort=cf.budget'), ['自定义甲', '自定义丙']);
  assert.deepEqual(await list('sort=-cf.budget'), ['自定义丙', '自定义甲', '自定义乙']);
  assert.deepEqual(await list('cf.products=ERP'), ['自定义乙']);
  assert.deepEqual(await list('cf.budget=90000'), ['自定义乙']);
  expectError(assert, await s.call('GET', '/api/v1/customers?cf.nothing=1', { token: team.loner.token }), 422, 'validation_failed');
  // Updating one value keeps the others; null removes it.
  const patched = await s.call('PATCH', `/api/v1/customers/${made[0].id}`, { token: team.loner.token, body: { custom: { budget: null } } });
  assert.deepEqual(patched.body.custom, { channel: '直销', products: ['CRM'] });
  const contact = await s.call('POST', '/api/v1/contacts', { token: team.loner.token, body: { customer_id: made[0].id, name: '爱好者', custom: { hobby: '钓鱼' } } });
  assert.equal(contact.body.custom.hobby, '钓鱼');
  const opp = await s.call('POST', '/api/v1/opportunities', { token: team.loner.token, body: { customer_id: made[0].id, name: '自定义商机', amount_fen: 1, custom: { signed_on: '2027-01-15' } } });
  assert.equal(opp.body.custom.signed_on, '2027-01-15');
  expectError(assert, await s.call('PATCH', `/api/v1/opportunities/${opp.body.id}`, { token: team.loner.token, body: { custom: { signed_on: '15/01/2027' } } }), 422, 'validation_failed');
  // Options change; deleting the field removes its values everywhere.
  const renamed = await s.call('PATCH', `/api/v1/custom-fields/${channel.body.id}`, { token: boss, body: { label: '销售渠道', options: ['直销', '代理', '电商'] } });
  assert.equal(renamed.body.options.length, 3);
  assert.equal((await s.call('DELETE', `/api/v1/custom-fields/${products.body.id}`, { token: boss })).status, 204);
  const after = await s.call('GET', `/api/v1/customers/${made[1].id}`, { token: team.loner.token });
  assert.deepEqual(after.body.custom, { budget: 90000, channel: '代理' });
  const fields = await s.call('GET', '/api/v1/custom-fields?entity=customer', { token: team.loner.token });
  assert.deepEqual(fields.body.items.map((f) => f.key), ['budget', 'channel']);
  // A required field is enforced on create.
  await s.call('PATCH', `/api/v1/custom-fields/${channel.body.id}`, { token: boss, body: { required: true } });
  expectError(assert, await s.call('POST', '/api/v1/customers', { token: team.loner.token, body: { name: '缺渠道公司' } }), 422, 'validation_failed');
  await s.call('PATCH', `/api/v1/custom-fields/${channel.body.id}`, { token: boss, body: { required: false } });
});

test('a list shows every change of a customer at once, whichever way it was changed', async () => {
  // Lists keep each customer's rendered JSON by the row's version; here every kind of change
  // must show in the list at once, and the listed customer must equal the customer read alone.
  const field = await s.call('POST', '/api/v1/custom-fields', { token: boss, body: { entity: 'customer', key: 'grade', label: '等级', type: 'text' } });
  assert.equal(field.status, 201, field.text);
  const c = await customer(team.east1.token, { name: '列表即时甲', tags: ['甲'], phones: ['13811112222'], custom: { grade: '金' } });
  const listed = async () => {
    const r = await s.call('GET', '/api/v1/customers?q=列表即时&limit=100', { token: boss });
    assert.equal(r.status, 200, r.text);
    return r.body.items.find((x) => x.id === c.id);
  };
  const same = async (why) => {
    const item = await listed();
    const alone = await s.call('GET', `/api/v1/customers/${c.id}`, { token: boss });
    assert.equal(alone.status, 200, `${why}: ${alone.text}`);
    assert.deepEqual(item, alone.body, why);
    return item;
  };
  assert.deepEqual((await same('created')).custom, { grade: '金' });
  const cache = async () => {
    const text = (await s.call('GET', '/metrics', { token: METRICS_TOKEN })).text;
    const value = (name) => Number(text.match(new RegExp(`^kelu_customer_list_cache_${name} (\\S+)$`, 'm'))[1]);
    return { entries: value('entries'), hits: value('hits'), misses: value('misses') };
  };
  let before = await cache();
  await listed();  // served from what the first list kept
  let now = await cache();
  assert.equal(now.hits - before.hits, 1);
  assert.equal(now.misses, before.misses);
  // An export reads through the whole list without keeping what it renders; a list keeps it.
  const unseen = await customer(team.east1.token, { name: '列表即时未列' });
  before = now;
  const exported = await s.call('GET', `/api/v1/exports/customers?q=${encodeURIComponent('列表即时未列')}`, { token: boss });
  assert.equal(exported.status, 200, exported.text);
  assert.match(exported.text, /列表即时未列/);
  now = await cache();
  assert.equal(now.entries, before.entries);
  assert.equal(now.misses - before.misses, 1);
  const page = await s.call('GET', `/api/v1/customers?q=${encodeURIComponent('列表即时未列')}`, { token: boss });
  assert.deepEqual(page.body.items.map((x) => x.id), [unseen.id]);
  assert.equal((await cache()).entries, now.entries + 1);
  let r = await s.call('PATCH', `/api/v1/customers/${c.id}`, { token: team.east1.token, body: { name: '列表即时乙', level: 'A' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await same('edited')).name, '列表即时乙');
  r = await s.call('POST', '/api/v1/follow-ups', { token: team.east1.token, body: { customer_id: c.id, type: 'call', content: '列表跟进', next_at: '2031-05-06T10:00:00+08:00' } });
  assert.equal(r.status, 201, r.text);
  assert.equal((await same('followed up')).next_follow_up_at, '2031-05-06T10:00:00+08:00');
  // The owner's name lives in another table.
  r = await s.call('PATCH', `/api/v1/users/${team.east1.id}`, { token: boss, body: { name: '东一改名' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await same('owner renamed')).owner.name, '东一改名');
  // Changes made by statements that rewrite many customers at once.
  r = await s.call('DELETE', `/api/v1/custom-fields/${field.body.id}`, { token: boss });
  assert.equal(r.status, 204, r.text);
  assert.deepEqual((await same('custom field deleted')).custom, {});
  const other = await customer(team.east1.token, { name: '列表即时丙', tags: ['丙'], phones: ['13833334444'] });
  r = await s.call('POST', `/api/v1/customers/${c.id}/merge`, { token: team.east1.token, body: { from_id: other.id } });
  assert.equal(r.status, 200, r.text);
  const merged = await same('merged');
  assert.deepEqual(merged.tags, ['甲', '丙']);
  assert.deepEqual(merged.phones, ['13811112222', '13833334444']);
  // Into the pool and out of it.
  r = await s.call('POST', `/api/v1/customers/${c.id}/return`, { token: team.east1.token, body: { reason: '暂无需求' } });
  assert.equal(r.status, 200, r.text);
  const pooled = await same('returned');
  assert.equal(pooled.in_pool, true);
  assert.equal(pooled.owner, null);
  r = await s.call('POST', `/api/v1/customers/${c.id}/assign`, { token: boss, body: { owner_id: team.sales1.id } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await same('assigned')).owner.id, team.sales1.id);
  // Deleted: gone from the list; restored: back, as it was.
  assert.equal((await s.call('DELETE', `/api/v1/customers/${c.id}`, { token: boss })).status, 204);
  assert.equal(await listed(), undefined);
  r = await s.call('POST', `/api/v1/recycle-bin/customer/${c.id}/restore`, { token: boss });
  assert.equal(r.status, 200, r.text);
  assert.equal((await same('restored')).name, '列表即时乙');
  // The field's key is free again and a new value shows.
  const again = await s.call('POST', '/api/v1/custom-fields', { token: boss, body: { entity: 'customer', key: 'grade', label: '等级', type: 'text' } });
  assert.equal(again.status, 201, again.text);
  r = await s.call('PATCH', `/api/v1/customers/${c.id}`, { token: boss, body: { custom: { grade: '银' } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((await same('custom value set again')).custom, { grade: '银' });
  await s.call('DELETE', `/api/v1/custom-fields/${again.body.id}`, { token: boss });
});

test('search ranks an old exact name above many newer matches, and names starting with the query next', async () => {
  const boss = await s.loginAs('boss');
  const make = async (name) => (await s.call('POST', '/api/v1/customers', { token: boss, body: { name } })).body;
  const exact = await make('秦岭');
  const starts = await make('秦岭农业有限公司');
  for (let i = 0; i < 12; i += 1) await make(`大秦岭第${i}号仓储有限公司`);
  for (const q of ['秦岭', '秦岭农']) {
    const r = await s.call('GET', `/api/v1/search?q=${encodeURIComponent(q)}&limit=5`, { token: boss });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items.length, q === '秦岭' ? 5 : 1);
    if (q === '秦岭') {
      assert.deepEqual(r.body.items.slice(0, 2).map((x) => [x.id, x.rank]), [[exact.id, 0], [starts.id, 1]]);
      assert.deepEqual(r.body.items.slice(2).map((x) => x.name), ['大秦岭第11号仓储有限公司', '大秦岭第10号仓储有限公司', '大秦岭第9号仓储有限公司'], 'then the newest of the rest');
    } else {
      assert.equal(r.body.items[0].id, starts.id);
    }
  }
  const three = await s.call('GET', `/api/v1/search?q=${encodeURIComponent('仓储有限')}&limit=3`, { token: boss });
  assert.deepEqual(three.body.items.map((x) => x.name), ['大秦岭第11号仓储有限公司', '大秦岭第10号仓储有限公司', '大秦岭第9号仓储有限公司']);
});
