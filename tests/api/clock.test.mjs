// The test clock: operators move it forward; every daily job runs for each day crossed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError, kelu } from './harness.mjs';

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
  const t0 = Date.parse(start.body.now);
  const target = new Date(t0 + 3 * 86400 * 1000 + 3600 * 1000);
  const moved = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: target.toISOString() } });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(Date.parse(moved.body.now), target.getTime());
  const dates = moved.body.jobs_run.map((r) => r.date);
  assert.ok(dates.length >= 3 && dates.length <= 4, JSON.stringify(moved.body.jobs_run));
  assert.deepEqual([...dates].sort(), dates, 'days run in order');
  assert.ok(moved.body.jobs_run.every((r) => r.job === 'identity.purge_ended_sessions' && r.ok));
  // Moving again within the same day runs nothing twice.
  op = await s.operatorToken();
  const again = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(target.getTime() + 60000).toISOString() } });
  assert.deepEqual(again.body.jobs_run, []);
  const metrics = await s.call('GET', '/metrics');
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
