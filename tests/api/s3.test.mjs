// Attachments on an S3-compatible bucket (attachments.blob_store = "s3"): every request signed
// with AWS Signature V4 (checked by the test's gate in front of s3rver), objects keyed per
// tenant so deduplication never crosses tenants, downloads through the local read cache,
// deletion, fsck against the bucket, and a wrong secret refusing uploads whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, startS3, keluAsync, expectError } from './harness.mjs';

let s3;
let s;
let boss;
let customer;

const sha = (text) => createHash('sha256').update(text).digest('hex');

async function upload(name, bytes, token = boss, customerId = customer.id) {
  return s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customerId}&filename=${encodeURIComponent(name)}`, {
    token, raw: bytes, headers: { 'content-type': 'application/octet-stream' },
  });
}

before(async () => {
  s3 = await startS3();
  s = await startServer({ env: s3.env });
  boss = await s.loginAs('boss');
  customer = (await s.call('POST', '/api/v1/customers', { token: boss, body: { name: 'S3 客户' } })).body;
});
after(async () => {
  await s.stop();
  await s3.stop();
});

test('an upload lands in the bucket under its tenant, signed; the download comes back whole', async () => {
  const text = `合同正文 ${'内容'.repeat(1000)}`;
  const r = await upload('合同.txt', text);
  assert.equal(r.status, 201, r.text);
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const key = `/kelu/kelu/${tenantId}/${sha(text).slice(0, 2)}/${sha(text)}`;
  const put = s3.requests.find((q) => q.method === 'PUT' && q.path === key);
  assert.ok(put, `no PUT of ${key}: ${JSON.stringify(s3.requests)}`);
  assert.equal(put.status, 200);
  assert.ok(s3.requests.every((q) => q.status !== 403), 'every request was signed correctly');
  const got = await s.call('GET', `/api/v1/attachments/${r.body.id}/download`, { token: boss });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.text, text);
  // The same bytes again in the same tenant: no second object.
  const puts = s3.requests.filter((q) => q.method === 'PUT').length;
  const again = await upload('合同副本.txt', text);
  assert.equal(again.status, 201, again.text);
  assert.equal(s3.requests.filter((q) => q.method === 'PUT').length, puts);
  // Another tenant with the same bytes gets an object of its own.
  const other = await s.createTenant('s3-other');
  const theirCustomer = (await s.call('POST', '/api/v1/customers', { token: other.bossToken, body: { name: 'B' } })).body;
  const theirs = await upload('b.txt', text, other.bossToken, theirCustomer.id);
  assert.equal(theirs.status, 201, theirs.text);
  assert.ok(s3.requests.some((q) => q.method === 'PUT' && q.path === `/kelu/kelu/${other.tenant.id}/${sha(text).slice(0, 2)}/${sha(text)}`));
});

test('deleting the last copy deletes the object; fsck agrees with the bucket', async () => {
  const text = `临时文件 ${Date.now()}`;
  const r = await upload('临时.txt', text);
  assert.equal(r.status, 201, r.text);
  const del = await s.call('DELETE', `/api/v1/attachments/${r.body.id}`, { token: boss });
  assert.equal(del.status, 204, del.text);
  assert.ok(s3.requests.some((q) => q.method === 'DELETE' && q.path.endsWith(`/${sha(text)}`) && q.status === 204));
  const fsck = () => keluAsync(['fsck'], { db: s.database, env: { ...s3.env, KELU_FILES_DIR: `${s.dir}/files` } });
  const first = await fsck();
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout);
  assert.deepEqual(report.missing_blobs, []);
  assert.deepEqual(report.orphan_blobs, []);
  assert.deepEqual(report.altered_blobs, []);
  assert.deepEqual(report.usage_counters, []);
  assert.equal(report.clean, true);
  // An object nobody refers to, planted in the bucket, is what fsck then reports.
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const stray = sha('stray object');
  const planted = await fetch(`${s3.backendUrl}/kelu/kelu/${tenantId}/${stray.slice(0, 2)}/${stray}`, { method: 'PUT', body: 'stray object' });
  assert.equal(planted.status, 200);
  const second = await fsck();
  assert.equal(second.code, 1, 'fsck exits 1 when it finds something');
  const after = JSON.parse(second.stdout);
  assert.equal(after.clean, false);
  assert.deepEqual(after.orphan_blobs, [{ tenant_id: tenantId, sha256: stray }]);
});

test('a wrong secret: the bucket refuses, the upload is refused whole and nothing is recorded', async () => {
  const wrong = await startServer({ env: { ...s3.env, KELU_ATTACHMENTS_S3_SECRET_KEY: 'not-the-secret' } });
  try {
    const token = await wrong.loginAs('boss');
    const c = (await wrong.call('POST', '/api/v1/customers', { token, body: { name: '错误密钥' } })).body;
    const r = await wrong.call('POST', `/api/v1/attachments?entity=customer&entity_id=${c.id}&filename=x.txt`, {
      token, raw: 'hello', headers: { 'content-type': 'application/octet-stream' } });
    expectError(assert, r, 503, 'blob_store_failed');
    assert.ok(s3.requests.some((q) => q.status === 403), 'the gate refused the bad signature');
    const list = await wrong.call('GET', `/api/v1/attachments?entity=customer&entity_id=${c.id}`, { token });
    assert.deepEqual(list.body.items, []);
    const usage = await wrong.call('GET', '/api/v1/attachments/usage', { token });
    assert.equal(usage.body.used_bytes, 0);
  } finally {
    await wrong.stop();
  }
});
