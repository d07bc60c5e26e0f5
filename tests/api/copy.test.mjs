// kelu copy-db: a deployment moves from the embedded SQLite to PostgreSQL with its data,
// logins, search and id sequence intact; a non-empty destination is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, bin, dbKind } from './harness.mjs';

const admin = process.env.KELU_TEST_PG_URL;

test('copy-db moves a SQLite deployment to PostgreSQL', { skip: dbKind !== 'sqlite' || !admin ? 'runs once, with PostgreSQL at hand' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kelu-copy-'));
  try {
    const source = await startServer({ db: `sqlite:${join(dir, 'source.db')}` });
    let boss = await source.loginAs('boss');
    const made = await source.call('POST', '/api/v1/customers', { token: boss, body: { name: '迁移测试\t制表符公司', phones: ['0571-1234 5678'], notes: '含\\反斜杠\n和换行' } });
    assert.equal(made.status, 201, made.text);
    await source.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: made.body.id, name: '迁移联系人', mobile: '13912345678' } });
    const before = await source.call('GET', '/api/v1/customers?with_total=1&limit=1', { token: boss });
    await source.stop({ keep: true });

    const name = `kelu_${randomBytes(6).toString('hex')}`;
    execFileSync('psql', [admin, '-q', '-c', `CREATE DATABASE ${name}`]);
    const target = admin.replace(/\/[^/]*$/, `/${name}`);
    const out = execFileSync(bin, ['--db', source.database, 'copy-db', '--to', target], { encoding: 'utf8' });
    assert.match(out, /customers\s+\d+ rows/);
    assert.match(out, /copied/);
    // The bigram index was rebuilt from the documents with its foreign key set aside: it is back.
    const keys = execFileSync('psql', [target, '-Atc', "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'search_bigrams'::regclass AND contype = 'f'"], { encoding: 'utf8' });
    assert.match(keys, /FOREIGN KEY \(tenant_id, doc_id\) REFERENCES search_docs\(tenant_id, doc_id\) ON DELETE CASCADE/);

    const moved = await startServer({ restart: { ...source, database: target } });
    try {
      boss = await moved.loginAs('boss');  // the same logins
      const after = await moved.call('GET', '/api/v1/customers?with_total=1&limit=1', { token: boss });
      assert.equal(after.body.total, before.body.total);
      const one = await moved.call('GET', `/api/v1/customers/${made.body.id}`, { token: boss });
      assert.equal(one.body.name, '迁移测试\t制表符公司');
      assert.equal(one.body.notes, '含\\反斜杠\n和换行', 'tabs, backslashes and new lines survive COPY');
      const found = await moved.call('GET', `/api/v1/search?q=${encodeURIComponent('迁移')}`, { token: boss });
      assert.ok(found.body.items.some((x) => x.id === made.body.id), '2-character search');
      const phone = await moved.call('GET', '/api/v1/search?q=12345678', { token: boss });
      assert.ok(phone.body.items.some((x) => x.name === '迁移联系人'), 'contact found by mobile digits');
      const next = await moved.call('POST', '/api/v1/customers', { token: boss, body: { name: '迁移后新建公司' } });
      assert.ok(next.body.id > made.body.id, 'ids continue after the copied ones');
    } finally {
      await moved.stop();
    }
    // A second copy into the now non-empty database is refused.
    const again = spawnSync(bin, ['--db', source.database, 'copy-db', '--to', target], { encoding: 'utf8' });
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already holds tenants/);
  } finally {
    rmSync(dir, { recursive: true, force: true });  // the source database
  }
});
