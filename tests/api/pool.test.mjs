// The customer pool (公海): claim within caps, return with a reason, assignment by a manager,
// the reclaim cooldown, and the daily auto-return with its warning, on the test clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
const u = {};
const DAY = 86400 * 1000;

before(async () => {
  s = await startServer({ testClock: true });
  boss = await s.loginAs('boss');
  for (const [login, role] of [['alice', 'member'], ['bob', 'member'], ['mgr', 'admin']]) {
    const r = await s.call('POST', '/api/v1/users', { token: boss, body: { login, name: login, role, password: 'Pool-pass-2026' } });
    u[login] = { id: r.body.id };
  }
  await relogin();
});
after(async () => { await s.stop(); });

// Clock jumps outlast sessions; sign everyone in again.
async function relogin() {
  boss = await s.loginAs('boss');
  for (const login of Object.keys(u)) u[login].token = await s.login(login, 'Pool-pass-2026');
}

async function advance(days) {
  const op = await s.operatorToken();
  const now = Date.parse((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now + days * DAY).toISOString() } });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.jobs_run.every((j) => j.ok), `a daily job failed: ${JSON.stringify(r.body.jobs_run)}`);
  await relogin();
  return r.body;
}

// Moves the clock to HH:MM (Asia/Shanghai) of the day `days` after the base day.
async function advanceTo(baseDay, days, hhmm) {
  const day = new Date(Date.parse(`${baseDay}T00:00:00+08:00`) + days * DAY + 8 * 3600 * 1000).toISOString().slice(0, 10);
  const op = await s.operatorToken();
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: `${day}T${hhmm}:00+08:00` } });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.jobs_run.every((j) => j.ok), `a daily job failed: ${JSON.stringify(r.body.jobs_run)}`);
  await relogin();
}

async function pooled(name, pool_id, extra = {}) {
  const r = await s.call('POST', '/api/v1/customers', { token: boss, body: { name, pool_id, ...extra } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.in_pool, true);
  return r.body;
}

test('claim, the daily cap, return with a reason, and the cooldown for the former owner', async () => {
  const pool = await s.call('POST', '/api/v1/pools', { token: boss, body: { name: '华南公海' } });
  assert.equal(pool.status, 201);
  expectError(assert, await s.call('POST', '/api/v1/pools', { token: boss, body: { name: '华南公海' } }), 409, 'pool_name_taken');
  expectError(assert, await s.call('POST', '/api/v1/pools', { token: u.alice.token, body: { name: 'x' } }), 403, 'forbidden');
  const settings = (await s.call('GET', '/api/v1/crm/settings', { token: boss })).body;
  settings.pool.max_claims_per_day = 1;
  settings.pool.cooldown_days = 7;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
  const p1 = await pooled('公海客户一', pool.body.id);
  const p2 = await pooled('公海客户二', pool.body.id);
  const waiting = await s.call('GET', `/api/v1/pools/${pool.body.id}/customers`, { token: u.alice.token });
  assert.deepEqual(waiting.body.items.map((c) => c.name).sort(), ['公海客户一', '公海客户二']);
  // Anyone sees a pool customer; nobody but its owner edits it once claimed.
  assert.equal((await s.call('GET', `/api/v1/customers/${p1.id}`, { token: u.bob.token })).status, 200);
  const claimed = await s.call('POST', `/api/v1/customers/${p1.id}/claim`, { token: u.alice.token });
  assert.equal(claimed.status, 200, claimed.text);
  assert.equal(claimed.body.owner.id, u.alice.id);
  expectError(assert, await s.call('POST', `/api/v1/customers/${p1.id}/claim`, { token: u.bob.token }), 404, 'not_found');
  expectError(assert, await s.call('POST', `/api/v1/customers/${p2.id}/claim`, { token: u.alice.token }), 409, 'daily_claim_cap_reached');
  expectError(assert, await s.call('POST', `/api/v1/customers/${p1.id}/return`, { token: u.alice.token, body: {} }), 422, 'validation_failed');
  const back = await s.call('POST', `/api/v1/customers/${p1.id}/return`, { token: u.alice.token, body: { reason: '客户暂无需求' } });
  assert.equal(back.body.in_pool, true);
  expectError(assert, await s.call('POST', `/api/v1/customers/${p1.id}/return`, { token: boss, body: { reason: 'x' } }), 409, 'customer_in_pool');
  await advance(1);
  expectError(assert, await s.call('POST', `/api/v1/customers/${p1.id}/claim`, { token: u.alice.token }), 409, 'reclaim_cooldown');
  assert.equal((await s.call('POST', `/api/v1/customers/${p1.id}/claim`, { token: u.bob.token })).status, 200);
  const kinds = (await s.call('GET', `/api/v1/customers/${p1.id}/timeline`, { token: boss })).body.items.map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 4), ['claimed', 'returned', 'claimed', 'created']);
  const audit = await s.call('GET', `/api/v1/audit-log?entity=customer&entity_id=${p1.id}`, { token: boss });
  assert.deepEqual(audit.body.items.map((e) => e.action).slice(0, 3), ['customer.claim', 'customer.return', 'customer.claim']);
});

test('the holding cap stops claims and assignments; a manager assigns within it', async () => {
  const settings = (await s.call('GET', '/api/v1/crm/settings', { token: boss })).body;
  settings.pool.max_customers_per_user = 2;
  settings.pool.max_claims_per_day = 10;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
  const pools = (await s.call('GET', '/api/v1/pools', { token: boss })).body.items;
  const a = await pooled('上限测试一', pools[0].id);
  const b = await pooled('上限测试二', pools[0].id);
  const c = await pooled('上限测试三', pools[0].id);
  // bob holds one already (公海客户一).
  assert.equal((await s.call('POST', `/api/v1/customers/${a.id}/claim`, { token: u.bob.token })).status, 200);
  expectError(assert, await s.call('POST', `/api/v1/customers/${b.id}/claim`, { token: u.bob.token }), 409, 'customer_cap_reached');
  expectError(assert, await s.call('POST', `/api/v1/customers/${b.id}/assign`, { token: u.mgr.token, body: { owner_id: u.bob.id } }), 409, 'customer_cap_reached');
  expectError(assert, await s.call('POST', `/api/v1/customers/${b.id}/assign`, { token: u.alice.token, body: { owner_id: u.alice.id } }), 403, 'forbidden');
  const given = await s.call('POST', `/api/v1/customers/${b.id}/assign`, { token: u.mgr.token, body: { owner_id: u.alice.id } });
  assert.equal(given.body.owner.id, u.alice.id);
  const moved = await s.call('POST', `/api/v1/customers/${b.id}/assign`, { token: u.mgr.token, body: { owner_id: u.mgr.id } });
  assert.equal(moved.body.owner.id, u.mgr.id);
  expectError(assert, await s.call('POST', `/api/v1/customers/${c.id}/assign`, { token: u.mgr.token, body: { owner_id: 99999999 } }), 422, 'validation_failed');
  settings.pool.max_customers_per_user = 200;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
});

test('a customer without follow-up is warned about and then returned to its pool automatically', async () => {
  const settings = (await s.call('GET', '/api/v1/crm/settings', { token: boss })).body;
  settings.pool.return_after_days = { D: 15, '': 0, A: 0, B: 0, C: 0 };
  settings.pool.warn_days = 3;
  settings.pool.cooldown_days = 5;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
  // Day 0 at 09:00 local; the daily jobs run at 00:30.
  const op = await s.operatorToken();
  const now = Date.parse((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
  const base = new Date(now + 8 * 3600 * 1000 + DAY).toISOString().slice(0, 10);
  await advanceTo(base, 0, '09:00');
  const quiet = await s.call('POST', '/api/v1/customers', { token: u.alice.token, body: { name: '沉睡客户', level: 'D' } });
  const busy = await s.call('POST', '/api/v1/customers', { token: u.alice.token, body: { name: '活跃客户', level: 'D' } });
  const keep = await s.call('POST', '/api/v1/customers', { token: u.alice.token, body: { name: '长期客户', level: 'A' } });
  await advanceTo(base, 10, '10:00');
  await s.call('POST', '/api/v1/follow-ups', { token: u.alice.token, body: { customer_id: busy.body.id, type: 'call', content: '电话沟通' } });
  // The warning falls due on day 12 at 09:00; the job of day 12 (00:30) is too early for it.
  await advanceTo(base, 12, '12:00');
  const early = await s.call('GET', `/api/v1/customers/${quiet.body.id}/timeline`, { token: u.alice.token });
  assert.equal(early.body.items[0].kind, 'created');
  await advanceTo(base, 13, '01:00');
  // Warned by the job of day 13, once.
  const warned = await s.call('GET', `/api/v1/customers/${quiet.body.id}/timeline`, { token: u.alice.token });
  assert.equal(warned.body.items[0].kind, 'return_warning');
  const tasks = await s.call('GET', '/api/v1/tasks', { token: u.alice.token });
  assert.ok(tasks.body.items.some((t) => t.title === '即将退回公海：沉睡客户' && t.customer_id === quiet.body.id));
  assert.equal((await s.call('GET', `/api/v1/customers/${quiet.body.id}`, { token: u.alice.token })).body.owner.id, u.alice.id);
  await advanceTo(base, 15, '12:00');
  assert.equal((await s.call('GET', `/api/v1/customers/${quiet.body.id}`, { token: u.alice.token })).body.in_pool, false);
  const warnings = (await s.call('GET', `/api/v1/customers/${quiet.body.id}/timeline`, { token: u.alice.token })).body.items.filter((e) => e.kind === 'return_warning');
  assert.equal(warnings.length, 1, 'warned once');
  await advanceTo(base, 16, '01:00');
  const gone = await s.call('GET', `/api/v1/customers/${quiet.body.id}`, { token: u.alice.token });
  assert.equal(gone.body.in_pool, true, 'the quiet customer went back to the pool');
  const event = (await s.call('GET', `/api/v1/customers/${quiet.body.id}/timeline`, { token: boss })).body.items[0];
  assert.equal(event.kind, 'returned');
  assert.equal(event.data.automatic, true);
  assert.equal(event.actor, null);
  assert.equal((await s.call('GET', `/api/v1/customers/${busy.body.id}`, { token: u.alice.token })).body.owner.id, u.alice.id);
  assert.equal((await s.call('GET', `/api/v1/customers/${keep.body.id}`, { token: u.alice.token })).body.owner.id, u.alice.id);
  expectError(assert, await s.call('POST', `/api/v1/customers/${quiet.body.id}/claim`, { token: u.alice.token }), 409, 'reclaim_cooldown');
  const audit = await s.call('GET', `/api/v1/audit-log?action=customer.auto_return&entity_id=${quiet.body.id}`, { token: boss });
  assert.equal(audit.body.items.length, 1);
  assert.equal(audit.body.items[0].actor.name, 'system');
});

test('the recycle bin is purged after 30 days', async () => {
  const c = await s.call('POST', '/api/v1/customers', { token: u.bob.token, body: { name: '将被清除' } });
  await s.call('POST', '/api/v1/contacts', { token: u.bob.token, body: { customer_id: c.body.id, name: '联系人' } });
  await s.call('POST', '/api/v1/follow-ups', { token: u.bob.token, body: { customer_id: c.body.id, type: 'call', content: 'x', next_at: '2099-01-01T09:00:00+08:00' } });
  const o = await s.call('POST', '/api/v1/opportunities', { token: u.bob.token, body: { customer_id: c.body.id, name: '随客户清除', amount_fen: 100 } });
  assert.equal(o.status, 201);
  const kept = await s.call('POST', '/api/v1/customers', { token: u.bob.token, body: { name: '保留客户' } });
  const lone = await s.call('POST', '/api/v1/opportunities', { token: u.bob.token, body: { customer_id: kept.body.id, name: '单独删除的商机', amount_fen: 100 } });
  await s.call('PATCH', `/api/v1/opportunities/${lone.body.id}`, { token: u.bob.token, body: { stage_id: (await s.call('GET', '/api/v1/pipelines', { token: u.bob.token })).body.items[0].stages[1].id } });
  await s.call('DELETE', `/api/v1/opportunities/${lone.body.id}`, { token: u.bob.token });
  await s.call('DELETE', `/api/v1/customers/${c.body.id}`, { token: u.bob.token });
  await advance(29);
  assert.ok((await s.call('GET', '/api/v1/recycle-bin?limit=200', { token: boss })).body.items.some((x) => x.id === c.body.id));
  await advance(2);
  assert.ok(!(await s.call('GET', '/api/v1/recycle-bin?limit=200', { token: boss })).body.items.some((x) => x.id === c.body.id));
  expectError(assert, await s.call('POST', `/api/v1/recycle-bin/customer/${c.body.id}/restore`, { token: boss }), 404, 'not_found');
  expectError(assert, await s.call('POST', `/api/v1/recycle-bin/opportunity/${lone.body.id}/restore`, { token: boss }), 404, 'not_found');
  assert.equal((await s.call('GET', `/api/v1/customers/${kept.body.id}`, { token: u.bob.token })).status, 200);
  assert.deepEqual((await s.call('GET', `/api/v1/search?q=${encodeURIComponent('将被清除')}`, { token: boss })).body.items, []);
  const tasks = await s.call('GET', '/api/v1/tasks?limit=200', { token: u.bob.token });
  assert.ok(!tasks.body.items.some((t) => t.customer_id === c.body.id), 'its reminders went with it');
});

test('a customer with no won opportunity within the set days returns to the pool', async () => {
  const settings = (await s.call('GET', '/api/v1/crm/settings', { token: boss })).body;
  settings.pool.return_after_days = { '': 0, A: 0, B: 0, C: 0, D: 0 };
  settings.pool.no_won_opportunity_days = 20;
  settings.pool.warn_days = 0;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
  const idle = await s.call('POST', '/api/v1/customers', { token: u.bob.token, body: { name: '久未成单客户' } });
  const winner = await s.call('POST', '/api/v1/customers', { token: u.bob.token, body: { name: '已成单客户' } });
  const o = await s.call('POST', '/api/v1/opportunities', { token: u.bob.token, body: { customer_id: winner.body.id, name: '成单', amount_fen: 100 } });
  await advance(10);
  await s.call('PATCH', `/api/v1/opportunities/${o.body.id}`, { token: u.bob.token, body: { status: 'won' } });
  await advance(11);
  const gone = (await s.call('GET', `/api/v1/customers/${idle.body.id}`, { token: boss })).body;
  assert.equal(gone.in_pool, true);
  const event = (await s.call('GET', `/api/v1/customers/${idle.body.id}/timeline`, { token: boss })).body.items[0];
  assert.equal(event.data.reason, '20 天未成单，自动退回公海');
  assert.equal((await s.call('GET', `/api/v1/customers/${winner.body.id}`, { token: boss })).body.owner.id, u.bob.id, 'a win restarted its count');
  settings.pool.no_won_opportunity_days = 0;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: settings });
});
