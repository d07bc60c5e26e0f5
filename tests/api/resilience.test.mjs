// PostgreSQL goes away under a running server and comes back: readiness and the API answer
// 503 database_unavailable meanwhile, and the server recovers by itself. Runs on its own
// throwaway cluster so that stopping it disturbs no other suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError, dbKind, root, freePort } from './harness.mjs';

const pg = join(root, 'scripts/pg.sh');

test('the server rides out a PostgreSQL restart', { skip: dbKind !== 'postgres' && 'PostgreSQL only' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kelu-pg-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const url = execFileSync(pg, ['start', join(dir, 'pg'), String(port)], { encoding: 'utf8' }).trim();
  let s;
  try {
    s = await startServer({ db: url });
    const boss = await s.loginAs('boss');
    assert.equal((await s.call('GET', '/readyz')).status, 200);
    execFileSync(pg, ['stop', join(dir, 'pg')]);
    const down = await s.call('GET', '/readyz');
    expectError(assert, down, 503, 'database_unavailable');
    expectError(assert, await s.call('GET', '/api/v1/users', { token: boss }), 503, 'database_unavailable');
    assert.equal((await s.call('GET', '/healthz')).status, 200, 'the process itself stays alive');
    execFileSync(pg, ['start', join(dir, 'pg'), String(port)]);
    assert.equal((await s.call('GET', '/readyz')).status, 200);
    const users = await s.call('GET', '/api/v1/users', { token: boss });
    assert.equal(users.status, 200);
    assert.ok(users.body.items.length >= 3);
  } finally {
    if (s) await s.stop();
    execFileSync(pg, ['stop', join(dir, 'pg')]);
    rmSync(dir, { recursive: true, force: true });
  }
});

// A session of psql that holds ACCESS EXCLUSIVE on `table` until release(): every statement
// of kelu's that touches the table waits for it, as one would behind a runaway query.
async function holdTable(database, table) {
  const psql = spawn('psql', [database, '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const locked = new Promise((resolve, reject) => {
    psql.stdout.on('data', (c) => { out += c; if (out.includes('locked')) resolve(); });
    psql.on('exit', (code) => reject(new Error(`psql exited ${code} before locking`)));
  });
  psql.stdin.write(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n`);
  await locked;
  return {
    async release() {
      const exited = new Promise((r) => psql.once('exit', r));
      psql.stdin.end('ROLLBACK;\n');
      await exited;
    },
  };
}

test('a statement past its time is stopped: 503 statement_timeout, nothing written, the server goes on',
  { skip: dbKind !== 'postgres' && 'PostgreSQL only: SQLite has no lock a reader waits on' }, async () => {
    const s = await startServer({
      env: { KELU_DATABASE_STATEMENT_TIMEOUT_MS: '300', KELU_DATABASE_SLOW_STATEMENT_TIMEOUT_MS: '1500' },
    });
    let held;
    try {
      const boss = await s.loginAs('boss');
      const before = await s.call('GET', '/api/v1/customers?limit=1&with_total=1', { token: boss });
      assert.equal(before.status, 200, before.text);
      held = await holdTable(s.database, 'customers');

      expectError(assert, await s.call('GET', '/api/v1/customers', { token: boss }), 503, 'statement_timeout');
      const create = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '超时未建贸易公司' } });
      expectError(assert, create, 503, 'statement_timeout');
      // What does not touch the table is answered meanwhile.
      assert.equal((await s.call('GET', '/api/v1/users', { token: boss })).status, 200);
      // A slow route (an export) waits for the longer bound, then is stopped the same way.
      const started = Date.now();
      const exported = await s.call('GET', '/api/v1/exports/customers', { token: boss });
      expectError(assert, exported, 503, 'statement_timeout');
      assert.ok(Date.now() - started >= 1400, `the export waited ${Date.now() - started} ms, not its own bound`);

      await held.release();
      held = undefined;
      const after = await s.call('GET', `/api/v1/customers?with_total=1&q=${encodeURIComponent('超时未建')}`, { token: boss });
      assert.equal(after.status, 200, after.text);
      assert.equal(after.body.total, 0, 'the stopped create wrote nothing');
      assert.equal((await s.call('GET', '/api/v1/customers?limit=1&with_total=1', { token: boss })).body.total, before.body.total);
      const again = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '超时未建贸易公司' } });
      assert.equal(again.status, 201, again.text);
      assert.match(s.output(), /a statement ran out of time/);
    } finally {
      if (held) await held.release();
      await s.stop();
    }
  });
