// A full disk under the database and the files: an upload is answered 507 insufficient_storage
// (a server condition a client may retry, not 400), no partial file is left, /readyz says not
// ready and why, and once space is back everything works again. The volume is a tmpfs mounted
// for the test (mounting needs root, as make test runs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync, statfsSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError, bin } from './harness.mjs';

let s;
let mnt;
let boss;
let customer;

before(async () => {
  mnt = mkdtempSync(join(tmpdir(), 'kelu-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192m', 'tmpfs', mnt]);
  // SQLite on the small volume (whatever the suite's database): the disk it fills is its own.
  s = await startServer({ db: `sqlite:${join(mnt, 'kelu.db')}`, env: { KELU_FILES_DIR: join(mnt, 'files'), KELU_ATTACHMENTS_MAX_FILE_MIB: '8' } });
  boss = await s.loginAs('boss');
  customer = (await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '磁盘满客户' } })).body;
});
after(async () => {
  await s?.stop();
  try { execFileSync('umount', [mnt]); } catch { /* not mounted */ }
  rmSync(mnt, { recursive: true, force: true });
});

const spoolFiles = () => {
  const tmp = join(mnt, 'files', 'blobs', 'tmp');
  return existsSync(tmp) ? readdirSync(tmp) : [];
};

// Fills the volume but for `leave` bytes with a file called `name`; answers its path.
function fill(name, leave) {
  const { bavail, bsize } = statfsSync(mnt);
  const path = join(mnt, name);
  writeFileSync(path, Buffer.alloc(Math.max(0, bavail * bsize - leave)));
  return path;
}

test('on a full disk an upload is 507 and leaves nothing, /readyz says why; with space back all works', async () => {
  assert.equal((await s.call('GET', '/readyz')).status, 200);
  const filler = fill('filler', 1024 * 1024);
  const bytes = Buffer.alloc(5 * 1024 * 1024, 7);
  bytes.write('kelu test data\n', 0, 'latin1');
  const q = new URLSearchParams({ entity: 'customer', entity_id: String(customer.id), filename: '大文件.bin' });
  const r = await s.call('POST', `/api/v1/attachments?${q}`, { token: boss, raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
  expectError(assert, r, 507, 'insufficient_storage');
  for (let i = 0; i < 50 && spoolFiles().length > 0; i++) await new Promise((done) => setTimeout(done, 100));
  assert.deepEqual(spoolFiles(), [], 'the partial spool file is removed');
  // Now nothing at all is left: readiness names the files directory (and the database, once
  // SQLite has no room for its next page).
  const rest = fill('rest', 0);
  const ready = await s.call('GET', '/readyz');
  expectError(assert, ready, 503, 'not_ready');
  assert.ok(ready.body.error.details.reasons.includes('files_unwritable'), ready.text);
  assert.ok(Number(ready.headers.get('retry-after')) > 0);
  unlinkSync(rest);
  unlinkSync(filler);
  assert.equal((await s.call('GET', '/readyz')).status, 200);
  const list = await s.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss });
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 0);
  const ok = await s.call('POST', `/api/v1/attachments?${q}`, { token: boss, raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(ok.status, 201, ok.text);
});

test('kelu demo on a volume too small for it fails with a message, not an abort', async () => {
  const small = mkdtempSync(join(tmpdir(), 'kelu-tiny-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', small]);
  try {
    const r = spawnSync(bin, ['--db', `sqlite:${join(small, 'kelu.db')}`, 'demo'], {
      encoding: 'utf8', env: { ...process.env, KELU_FILES_DIR: join(small, 'files') } });
    assert.equal(r.status, 2, `exit ${r.status} ${r.signal}: ${r.stderr}`);
    assert.equal(r.signal, null);
    assert.match(r.stderr, /^kelu: .+/m);
    assert.doesNotMatch(r.stderr, /terminate called/);
  } finally {
    execFileSync('umount', [small]);
    rmSync(small, { recursive: true, force: true });
  }
});
