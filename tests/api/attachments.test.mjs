// Attachments: uploads scanned by a real libclamav (with a signature database this test writes:
// the EICAR test string, no signatures downloaded), content types sniffed, the quota enforced
// atomically, Chinese file names kept on download, and the space freed on delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, expectError, EICAR, kelu } from './harness.mjs';

// A 1x1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082', 'hex');
let s;
let boss;
let customer;
let clamdb;

function upload(token, entityId, bytes, filename, { entity = 'customer', type = 'application/octet-stream' } = {}) {
  const q = new URLSearchParams({ entity, entity_id: String(entityId), filename });
  return s.call('POST', `/api/v1/attachments?${q}`, { token, raw: bytes, headers: { 'content-type': type } });
}

before(async () => {
  clamdb = mkdtempSync(join(tmpdir(), 'kelu-clamdb-'));
  const md5 = createHash('md5').update(EICAR).digest('hex');
  writeFileSync(join(clamdb, 'eicar.hdb'), `${md5}:${EICAR.length}:Kelu.Test.EICAR\n`);
  // 1 MiB a seat keeps the quota small enough to fill in a test.
  s = await startServer({ env: { KELU_ATTACHMENTS_CLAMAV_DB_DIR: clamdb, KELU_TERMS_SEAT_STORAGE_MIB: '1' } });
  boss = await s.loginAs('boss');
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '附件客户' } });
  customer = c.body;
});
after(async () => { await s.stop(); rmSync(clamdb, { recursive: true, force: true }); });

test('a clean file is stored: type sniffed, Chinese name kept on download, preview inline, in the timeline', async () => {
  const r = await upload(boss, customer.id, PNG, '合同 扫描件.txt');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.mime, 'image/png');  // from the bytes, not the name
  assert.equal(r.body.filename, '合同 扫描件.txt');
  const list = await s.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss });
  assert.equal(list.body.items.length, 1);
  const dl = await fetch(`${s.url}/api/v1/attachments/${r.body.id}/download`, { headers: { authorization: `Bearer ${boss}` } });
  assert.equal(dl.status, 200);
  assert.deepEqual(Buffer.from(await dl.arrayBuffer()), PNG);
  const cd = dl.headers.get('content-disposition');
  assert.match(cd, /^attachment; filename="[^"]+"; filename\*=UTF-8''/);
  assert.equal(decodeURIComponent(cd.split("UTF-8''")[1]), '合同 扫描件.txt');
  const inline = await fetch(`${s.url}/api/v1/attachments/${r.body.id}/download?inline=1`, { headers: { authorization: `Bearer ${boss}` } });
  assert.match(inline.headers.get('content-disposition'), /^inline;/);
  assert.equal(inline.headers.get('content-type'), 'image/png');
  const timeline = await s.call('GET', `/api/v1/customers/${customer.id}/timeline`, { token: boss });
  assert.ok(timeline.body.items.some((e) => e.kind === 'attachment.upload'), timeline.text);
});

test('multipart/form-data uploads take the file part and its name', async () => {
  const boundary = 'kelu-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="报价单.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
    Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const q = new URLSearchParams({ entity: 'customer', entity_id: String(customer.id) });
  const r = await s.call('POST', `/api/v1/attachments?${q}`, { token: boss, raw: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.filename, '报价单.pdf');
  assert.equal(r.body.mime, 'application/pdf');
});

test('empty files, blocked types and EICAR are refused whole; malware attempts are audited', async () => {
  expectError(assert, await upload(boss, customer.id, Buffer.alloc(0), 'empty.txt'), 422, 'empty_file');
  expectError(assert, await upload(boss, customer.id, readFileSync('/bin/true'), 'notes.txt'), 422, 'blocked_type');
  const bad = await upload(boss, customer.id, Buffer.from(EICAR), 'invoice.txt');
  expectError(assert, bad, 422, 'malware_detected');
  assert.match(bad.body.error.details.signature, /Kelu\.Test\.EICAR/);
  const list = await s.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss });
  assert.equal(list.body.items.length, 2);
  const audit = await s.call('GET', '/api/v1/audit-log?limit=50', { token: boss });
  assert.ok(audit.body.items.some((a) => a.action === 'attachment.malware_blocked'));
  expectError(assert, await upload(boss, 999999999, PNG, 'x.png'), 404, 'not_found');
  expectError(assert, await upload(boss, customer.id, PNG, 'x.png', { entity: 'invoice' }), 422, 'validation_failed');
});

test('the quota holds under racing uploads, says how to buy more, and deleting frees space', async () => {
  const { bossToken } = await s.createTenant('small-store', { seats: 1 });  // 1 MiB
  const c = await s.call('POST', '/api/v1/customers', { token: bossToken, body: { name: '小客户' } });
  const big = () => Buffer.concat([PNG, Buffer.alloc(600 * 1024, 7)]);
  const [a, b] = await Promise.all([upload(bossToken, c.body.id, big(), 'a.png'), upload(bossToken, c.body.id, big(), 'b.png')]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [201, 413], `${a.text} ${b.text}`);
  const refused = a.status === 413 ? a : b;
  assert.equal(refused.body.error.code, 'quota_exceeded');
  assert.equal(refused.body.error.details.quota_bytes, 1024 * 1024);
  assert.match(refused.body.error.details.buy, /storage/);
  const usage = await s.call('GET', '/api/v1/attachments/usage', { token: bossToken });
  assert.equal(usage.body.quota_bytes, 1024 * 1024);
  assert.equal(usage.body.used_bytes, PNG.length + 600 * 1024);
  assert.equal(usage.body.by_user.length, 1);
  const notices = await s.call('GET', '/api/v1/billing/notices', { token: bossToken });
  assert.ok(!notices.body.items.some((n) => n.kind === 'storage_80'));  // 59 % used
  const kept = a.status === 201 ? a : b;
  assert.equal((await s.call('DELETE', `/api/v1/attachments/${kept.body.id}`, { token: bossToken })).status, 204);
  assert.equal((await s.call('GET', '/api/v1/attachments/usage', { token: bossToken })).body.used_bytes, 0);
  const again = await upload(bossToken, c.body.id, Buffer.concat([PNG, Buffer.alloc(900 * 1024, 1)]), 'c.png');
  assert.equal(again.status, 201, again.text);
  const after = await s.call('GET', '/api/v1/billing/notices', { token: bossToken });
  assert.ok(after.body.items.some((n) => n.kind === 'storage_80'));
});

test('others see only their own usage; a server without signatures refuses uploads (fail closed)', async () => {
  const member = await s.loginAs('member');
  const mine = await s.call('GET', '/api/v1/attachments/usage', { token: member });
  assert.deepEqual(Object.keys(mine.body), ['mine_bytes']);
  const plain = await startServer({ env: { KELU_ATTACHMENTS_CLAMAV_DB_DIR: join(clamdb, 'missing') } });
  try {
    const b = await plain.loginAs('boss');
    const c = await plain.call('POST', '/api/v1/customers', { token: b, body: { name: '无扫描' } });
    const q = new URLSearchParams({ entity: 'customer', entity_id: String(c.body.id), filename: 'a.png' });
    const r = await plain.call('POST', `/api/v1/attachments?${q}`, { token: b, raw: PNG, headers: { 'content-type': 'image/png' } });
    expectError(assert, r, 503, 'scanner_unavailable');
  } finally {
    await plain.stop();
  }
});

test('kelu fsck finds orphan and missing blobs and wrong counters, and --repair mends them', async () => {
  const env = { KELU_FILES_DIR: join(s.dir, 'files') };
  const run = (args) => {
    try {
      return { code: 0, report: JSON.parse(kelu(args, { db: s.database, env })) };
    } catch (e) {
      return { code: e.status, report: JSON.parse(e.stdout) };
    }
  };
  assert.equal(run(['fsck']).code, 0, JSON.stringify(run(['fsck']).report));
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const doomed = await upload(boss, customer.id, Buffer.from('会被删掉的文件'), 'gone.txt');
  assert.equal(doomed.status, 201, doomed.text);
  const sha = doomed.body.sha256;
  rmSync(join(s.dir, 'files', 'blobs', String(tenantId), sha.slice(0, 2), sha));
  const fake = 'f'.repeat(64);
  mkdirSync(join(s.dir, 'files', 'blobs', String(tenantId), 'ff'), { recursive: true });
  writeFileSync(join(s.dir, 'files', 'blobs', String(tenantId), 'ff', fake), 'orphan');
  const sql = `UPDATE storage_usage SET used_bytes = used_bytes + 12345 WHERE tenant_id = ${tenantId}`;
  if (s.database.startsWith('sqlite:')) execFileSync('sqlite3', [s.database.slice(7), sql]);
  else execFileSync('psql', [s.database, '-qc', sql]);

  const found = run(['fsck']);
  assert.equal(found.code, 1);
  assert.deepEqual(found.report.missing_blobs.map((m) => m.attachment_id), [doomed.body.id]);
  assert.deepEqual(found.report.orphan_blobs.map((o) => o.sha256), [fake]);
  assert.equal(found.report.usage_counters.length, 1);
  assert.equal(found.report.usage_counters[0].counted_bytes - found.report.usage_counters[0].actual_bytes, 12345);
  assert.equal(run(['fsck', '--repair']).code, 0);
  const after = run(['fsck']);
  assert.equal(after.code, 0, JSON.stringify(after.report));
  assert.equal(after.report.clean, true);
  expectError(assert, await s.call('GET', `/api/v1/attachments/${doomed.body.id}/download`, { token: boss }), 404, 'not_found');
});

test('purging the recycle bin takes the attachments along: their bytes leave the quota, their blobs go', async () => {
  const t = await startServer({ testClock: true, env: { KELU_ATTACHMENTS_ORPHAN_MIN_AGE_MINUTES: '0' } });
  try {
    const op = await t.operatorToken();
    const b = await t.loginAs('boss');
    const c = await t.call('POST', '/api/v1/customers', { token: b, body: { name: '回收站客户' } });
    const ct = await t.call('POST', '/api/v1/contacts', { token: b, body: { customer_id: c.body.id, name: '联系人甲' } });
    const q = (entity, id) => new URLSearchParams({ entity, entity_id: String(id), filename: `${entity}.txt` });
    const f1 = await t.call('POST', `/api/v1/attachments?${q('customer', c.body.id)}`, { token: b, raw: 'customer file', headers: { 'content-type': 'text/plain' } });
    const f2 = await t.call('POST', `/api/v1/attachments?${q('contact', ct.body.id)}`, { token: b, raw: 'contact file!', headers: { 'content-type': 'text/plain' } });
    assert.equal(f1.status, 201, f1.text);
    assert.equal(f2.status, 201, f2.text);
    assert.equal((await t.call('GET', '/api/v1/attachments/usage', { token: b })).body.used_bytes, 26);
    assert.equal((await t.call('DELETE', `/api/v1/customers/${c.body.id}`, { token: b })).status, 204);
    const now = Date.parse((await t.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
    const moved = await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now + 32 * 86400 * 1000).toISOString() } });
    assert.equal(moved.status, 200, moved.text);
    assert.ok(moved.body.jobs_run.every((j) => j.ok));
    const b2 = await t.loginAs('boss');
    assert.equal((await t.call('GET', '/api/v1/attachments/usage', { token: b2 })).body.used_bytes, 0);
    expectError(assert, await t.call('GET', `/api/v1/attachments/${f1.body.id}/download`, { token: b2 }), 404, 'not_found');
    const report = JSON.parse(kelu(['fsck'], { db: t.database, env: { KELU_FILES_DIR: join(t.dir, 'files') } }));
    assert.equal(report.clean, true, JSON.stringify(report));
  } finally {
    await t.stop();
  }
});
