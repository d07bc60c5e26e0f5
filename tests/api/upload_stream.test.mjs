// Raw uploads are streamed: the body is written to a temporary file of the blob store as it
// arrives (never held whole in memory), that file becomes the blob, and a body that stops
// halfway or runs past the limit leaves nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
let customer;
let tmp;

before(async () => {
  s = await startServer({ env: { KELU_ATTACHMENTS_MAX_FILE_MIB: '8' } });
  boss = await s.loginAs('boss');
  customer = (await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '流式上传客户' } })).body;
  tmp = join(s.dir, 'files', 'blobs', 'tmp');
});
after(async () => { await s.stop(); });

// The sizes of the spooled files; one the server removes between the listing and the stat is gone.
const spooled = () => readdirSync(tmp).flatMap((f) => {
  try {
    return [statSync(join(tmp, f)).size];
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
});

async function until(check, what) {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`waited in vain for ${what}`);
}

// A raw upload whose body is sent in two halves; `between` runs after the first.
function uploadInHalves(bytes, name, between, { chunked = false } = {}) {
  const url = new URL(`${s.url}/api/v1/attachments?entity=customer&entity_id=${customer.id}&filename=${encodeURIComponent(name)}`);
  const headers = { authorization: `Bearer ${boss}`, 'content-type': 'application/octet-stream' };
  if (!chunked) headers['content-length'] = String(bytes.length);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e }));
    const half = Math.floor(bytes.length / 2);
    req.write(bytes.subarray(0, half), async () => {
      try {
        if (await between(req, half) === 'abort') return;
        req.end(bytes.subarray(half));
      } catch (e) { reject(e); }
    });
  });
}

// Random bytes under a fixed start: a random start can carry a file type's signature (one in
// 65 536 begins "MZ", an executable's) and be refused as that type.
function opaqueBytes(n) {
  const bytes = randomBytes(n);
  bytes.write('kelu test data\n', 0, 'latin1');
  return bytes;
}

test('the first half of a body is on disk before the second is sent; the file becomes the blob', async () => {
  const bytes = opaqueBytes(6 * 1024 * 1024);
  const r = await uploadInHalves(bytes, '大文件.bin', async (req, half) => {
    await until(() => spooled().some((size) => size >= half), 'the first half in blobs/tmp');
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.size_bytes, bytes.length);
  assert.equal(r.body.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(spooled(), [], 'the spooled file was moved into the store');
  const got = await fetch(`${s.url}/api/v1/attachments/${r.body.id}/download`, { headers: { authorization: `Bearer ${boss}` } });
  assert.equal(got.status, 200);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes), 'the download is the upload');
});

test('a body that stops halfway leaves no file and no attachment', async () => {
  const bytes = opaqueBytes(2 * 1024 * 1024);
  const r = await uploadInHalves(bytes, '中断.bin', async (req, half) => {
    await until(() => spooled().some((size) => size >= half), 'the first half in blobs/tmp');
    req.destroy();
    return 'abort';
  });
  assert.equal(r.status, 0);
  await until(() => spooled().length === 0, 'the partial file to go');
  const list = await s.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss });
  assert.ok(list.body.items.every((a) => a.filename !== '中断.bin'));
});

test('a chunked body that runs past the limit is refused 413 and leaves no file', async () => {
  const bytes = opaqueBytes(10 * 1024 * 1024);  // the limit is 8 MiB + 1 MiB for multipart
  const r = await uploadInHalves(bytes, '超限.bin', async () => {}, { chunked: true });
  assert.equal(r.status, 413, r.text);
  assert.equal(JSON.parse(r.text).error.code, 'payload_too_large');
  await until(() => spooled().length === 0, 'the partial file to go');
});

test('multipart bodies are spooled too and still find their file part; an empty one is refused', async () => {
  const form = new FormData();
  form.append('file', new Blob(['多部分上传的内容']), '表单.txt');
  const r = await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss, raw: form });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.filename, '表单.txt');
  assert.equal(r.body.size_bytes, Buffer.byteLength('多部分上传的内容'));
  expectError(assert, await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customer.id}&filename=e.txt`, {
    token: boss, raw: '', headers: { 'content-type': 'application/octet-stream' } }), 422, 'empty_file');
  assert.deepEqual(spooled(), []);
});
