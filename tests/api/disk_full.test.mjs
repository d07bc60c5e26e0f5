// A full disk where uploads are spooled: the upload is answered 507 insufficient_storage (a
// server condition a client may retry, not 400), no partial file is left, and the service goes
// on answering. The files directory is a small tmpfs mounted for the test (root is needed to
// mount; the test says so and stops otherwise).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError } from './harness.mjs';

let s;
let mnt;
let boss;
let customer;

before(async () => {
  mnt = mkdtempSync(join(tmpdir(), 'kelu-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  s = await startServer({ env: { KELU_FILES_DIR: join(mnt, 'files'), KELU_ATTACHMENTS_MAX_FILE_MIB: '8' } });
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

test('an upload larger than the free space is 507 insufficient_storage and leaves nothing', async () => {
  const bytes = Buffer.alloc(5 * 1024 * 1024, 7);
  bytes.write('kelu test data\n', 0, 'latin1');
  const q = new URLSearchParams({ entity: 'customer', entity_id: String(customer.id), filename: '大文件.bin' });
  const r = await s.call('POST', `/api/v1/attachments?${q}`, { token: boss, raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
  expectError(assert, r, 507, 'insufficient_storage');
  for (let i = 0; i < 50 && spoolFiles().length > 0; i++) await new Promise((done) => setTimeout(done, 100));
  assert.deepEqual(spoolFiles(), [], 'the partial spool file is removed');
  const list = await s.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss });
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 0);
  // Space freed, the same upload at a size that fits goes through.
  const small = bytes.subarray(0, 512 * 1024);
  const ok = await s.call('POST', `/api/v1/attachments?${q}`, { token: boss, raw: small, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(ok.status, 201, ok.text);
});
