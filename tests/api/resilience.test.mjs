// PostgreSQL goes away under a running server and comes back: readiness and the API answer
// 503 database_unavailable meanwhile, and the server recovers by itself. Runs on its own
// throwaway cluster so that stopping it disturbs no other suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
