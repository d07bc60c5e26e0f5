// The test clock: operators move it forward; every daily job runs for each day crossed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError, kelu, METRICS_TOKEN } from './harness.mjs';

let s;
let op;
before(async () => {
  s = await startServer({ testClock: true });
  op = await s.operatorToken();
});
after(async () => { await s.stop(); });

test('the clock reads in Asia/Shanghai and moves forward, running the jobs of every day', async () => {
  const start = await s.call('GET', '/api/v1/operator/clock', { token: op });
  assert.equal(start.body.test_clock, true);
  assert.match(start.body.now, /\+08:00$/);
  // Three days on, at noon: well clear of the daily run at 00:30, so that moving another minute
  // below crosses no run, whatever the time the test starts at.
  const today = start.body.now.slice(0, 10);
  const target = new Date(Date.parse(`${today}T12:00:00+08:00`) + 3 * 86400 * 1000);
  const moved = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: target.toISOString() } });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(Date.parse(moved.body.now), target.getTime());
  const runs = moved.body.jobs_run;
  const dates = [...new Set(runs.map((r) => r.date))];
  assert.ok(dates.length >= 3 && dates.length <= 4, JSON.stringify(runs));
  assert.deepEqual(runs.map((r) => r.date), [...runs.map((r) => r.date)].sort(), 'days run in order');
  const jobs = ['identity.purge_ended_sessions', 'crm.pool_auto_return', 'billing.lifecycle', 'crm.purge_recycle_bin',
    'attachments.collect_orphans'];
  for (const d of dates) {
    assert.deepEqual(runs.filter((r) => r.date === d).map((r) => r.job), jobs, `every job once on ${d}, in order`);
  }
  assert.ok(runs.every((r) => r.ok));
  // Moving again within the same day runs nothing twice.
  op = await s.operatorToken();
  const again = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(target.getTime() + 60000).toISOString() } });
  assert.deepEqual(again.body.jobs_run, []);
  const metrics = await s.call('GET', '/metrics', { token: METRICS_TOKEN });
  assert.match(metrics.text, /kelu_job_runs_total\{job="identity.purge_ended_sessions",outcome="ok"\} [3-4]/);
});

test('moving the clock backward is refused and changes nothing', async () => {
  op = await s.operatorToken();  // the clock jumped past the last session's idle timeout
  const now = (await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now;
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: '2020-01-01T00:00:00+08:00' } });
  expectError(assert, r, 409, 'clock_moves_forward_only');
  assert.equal((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now, now);
  expectError(assert, await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: 'tomorrow' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/operator/clock', { token: await s.loginAs('boss'), body: { now } }), 403, 'operator_only');
});

test('sessions expire by the test clock', async () => {
  op = await s.operatorToken();
  const boss = await s.loginAs('boss');
  const now = Date.parse((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
  await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now + 3 * 3600 * 1000).toISOString() } });
  expectError(assert, await s.call('GET', '/api/v1/me', { token: boss }), 401, 'session_expired');
});

test('--test-clock-start pins where a new test clock starts; a restart resumes where it was left', async () => {
  const start = '2026-11-02T09:30:00+08:00';
  const t = await startServer({ testClock: true, clockStart: start });
  try {
    let op = await t.operatorToken();
    assert.equal((await t.call('GET', '/api/v1/operator/clock', { token: op })).body.now, start);
    // The demo data was made as of the same instant.
    const boss = await t.loginAs('boss');
    const me = await t.call('GET', '/api/v1/billing/subscription', { token: boss });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.expiry, '2027-11-02');
    const later = '2026-11-03T10:00:00+08:00';
    assert.equal((await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: later } })).status, 200);
    await t.stop({ keep: true });
    // Started again with the same start, the clock resumes where it was moved to, not before it.
    const again = await startServer({ testClock: true, clockStart: start, restart: t });
    try {
      op = await again.operatorToken();
      assert.equal((await again.call('GET', '/api/v1/operator/clock', { token: op })).body.now, later);
    } finally {
      await again.stop();
    }
  } finally {
    await t.stop();
  }
  const db = t.database;
  assert.throws(() => kelu(['serve', '--test-clock-start', start], { db }), /--test-clock/);
  assert.throws(() => kelu(['serve', '--test-clock', '--test-clock-start', 'yesterday', '--listen', '127.0.0.1:0'], { db }),
    /RFC 3339/);
  assert.throws(() => kelu(['demo', '--now', 'yesterday'], { db }), /RFC 3339/);
});

test('without --test-clock the clock cannot be moved', async () => {
  const plain = await startServer();
  try {
    const token = await plain.operatorToken();
    const r = await plain.call('POST', '/api/v1/operator/clock', { token, body: { now: '2030-01-01T00:00:00+08:00' } });
    expectError(assert, r, 404, 'test_clock_disabled');
    assert.equal((await plain.call('GET', '/api/v1/operator/clock', { token })).body.test_clock, false);
  } finally {
    await plain.stop();
  }
});

test('kelu tick runs the daily jobs offline up to a date', async () => {
  const fresh = await startServer();
  try {
    await fresh.stop();
    const future = new Date(Date.now() + 5 * 86400 * 1000).toISOString().slice(0, 10);
    const out = kelu(['tick', '--until', future], { db: fresh.database });
    assert.match(out, /identity\.purge_ended_sessions ok/);
    assert.match(out, /job runs up to/);
    const again = kelu(['tick', '--until', future], { db: fresh.database });
    assert.match(again, /^0 job runs/m);
    assert.throws(() => kelu(['tick', '--until', 'someday'], { db: fresh.database }));
  } finally {
    await fresh.stop();
  }
});

test('under the 等保 policy a password older than 90 days must be changed, and old ones not reused', async () => {
  const t = await startServer({ testClock: true, env: { KELU_SECURITY_PASSWORD_POLICY: 'dengbao' } });
  try {
    const boss = t.demo.tenant.users.find((u) => u.role === 'boss');
    let op = await t.operatorToken();
    const now = Date.parse((await t.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
    let token = await t.login(boss.login, boss.password);
    assert.equal((await t.call('GET', '/api/v1/me', { token })).body.user.must_change_password, false);
    await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now + 91 * 86400 * 1000).toISOString() } });
    const login = await t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: boss.login, password: boss.password } });
    assert.equal(login.body.must_change_password, true);
    token = login.body.token;
    expectError(assert, await t.call('GET', '/api/v1/users', { token }), 403, 'password_change_required');
    expectError(assert, await t.call('POST', '/api/v1/me/password', { token, body: { current_password: boss.password, new_password: 'onlylower1' } }), 422, 'weak_password');
    assert.equal((await t.call('POST', '/api/v1/me/password', { token, body: { current_password: boss.password, new_password: 'Rotated-2027-a' } })).status, 204);
    assert.equal((await t.call('GET', '/api/v1/users', { token })).status, 200);
    // Back to the original password: refused, it is one of the last five.
    const back = await t.call('POST', '/api/v1/me/password', { token, body: { current_password: 'Rotated-2027-a', new_password: boss.password } });
    expectError(assert, back, 422, 'validation_failed');
    assert.match(back.body.error.details.fields.new_password, /last 5/);
    op = await t.operatorToken();
    assert.ok(op);
  } finally {
    await t.stop();
  }
});
