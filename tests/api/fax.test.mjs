// Faxes: a PDF attachment sent by email-to-fax through a real SMTP server on loopback. Pages are
// counted from the PDF (one fax point each), the text passes the sensitive-word filter, points
// are held at submit and charged when the fax goes; what is not a PDF, is unreadable, is too
// long or says a forbidden word is refused before any charge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startSmtp, expectError } from './harness.mjs';

let s;
let smtp;
let op;
let boss;
let customer;

// A small valid PDF: `pages` pages, each with one line of Helvetica text.
function makePdf(pages, text = 'Quotation') {
  const objects = {};
  const kids = [];
  let next = 4;
  for (let i = 0; i < pages; i += 1) {
    const page = next; const content = next + 1; next += 2;
    kids.push(`${page} 0 R`);
    const stream = `BT /F1 18 Tf 72 720 Td (${text} page ${i + 1}) Tj ET`;
    objects[page] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`;
    objects[content] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  }
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  let out = '%PDF-1.4\n';
  const offsets = [];
  for (let n = 1; n < next; n += 1) {
    offsets[n] = out.length;
    out += `${n} 0 obj\n${objects[n]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${next}\n0000000000 65535 f \n`;
  for (let n = 1; n < next; n += 1) out += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${next} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return out;
}

async function upload(name, bytes, token = boss, customerId = customer.id) {
  const r = await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customerId}&filename=${encodeURIComponent(name)}`, {
    token, raw: bytes, headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function points() {
  return (await s.call('GET', '/api/v1/billing/points', { token: boss })).body;
}

const fax = (body, token = boss) => s.call('POST', '/api/v1/faxes', { token, body });

async function settled(id) {
  for (let i = 0; i < 100; i += 1) {
    const r = await s.call('GET', `/api/v1/faxes/${id}`, { token: boss });
    assert.equal(r.status, 200, r.text);
    if (!['queued', 'sending'].includes(r.body.status)) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`fax ${id} did not settle`);
}

before(async () => {
  smtp = await startSmtp();
  s = await startServer({ testClock: true, env: { KELU_MAIL_SMTP_URL: smtp.url, KELU_FAX_MAX_PAGES: '5' } });
  op = await s.operatorToken();
  boss = await s.loginAs('boss');
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '传真测试客户' } });
  customer = c.body;
  const o = await s.call('POST', '/api/v1/billing/orders', { token: boss, body: { kind: 'fax', pack: 'fax-100' } });
  assert.equal(o.status, 201, o.text);
  await s.call('POST', `/api/v1/billing/orders/${o.body.id}/accept`, { token: boss });
  const today = (await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now.slice(0, 10);
  const paid = await s.call('POST', `/api/v1/operator/orders/${o.body.id}/payments`, {
    token: op, headers: { 'idempotency-key': 'fax-pack' }, body: { amount_fen: o.body.total_fen, bank_reference: 'FAX', paid_on: today } });
  assert.equal(paid.status, 201, paid.text);
});
after(async () => { await s.stop(); await smtp.remove(); });

test('a 3-page PDF goes to NUMBER@fax domain as an attachment and costs 3 fax points', async () => {
  assert.equal((await points()).balances.fax, 100);
  const file = await upload('报价单.pdf', makePdf(3));
  assert.equal(file.mime, 'application/pdf');
  const r = await fax({ attachment_id: file.id, number: '021-6666 8888' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.pages, 3);
  assert.equal(r.body.points, 3);
  assert.equal(r.body.number, '02166668888');
  assert.equal(r.body.status, 'queued', 'the answer shows the fax as the request left it');
  const done = await settled(r.body.id);
  assert.equal(done.status, 'sent', JSON.stringify(done));
  assert.ok(done.sent_at);
  const [mail] = await smtp.waitFor((m) => m.to === '<02166668888@fax.kelu.example>');
  assert.match(mail.raw, /Content-Type: application\/pdf/);
  assert.match(mail.raw, /filename\*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95\.pdf/);  // 报价单.pdf
  assert.match(mail.subject, /^kelu-fax-\d+-\d+$/);
  const p = await points();
  assert.equal(p.balances.fax, 97);
  assert.equal(p.held.fax, 0);
  const tl = await s.call('GET', `/api/v1/customers/${customer.id}/timeline`, { token: boss });
  assert.ok(tl.body.items.some((e) => e.kind === 'fax' && e.data.pages === 3));
  const list = await s.call('GET', '/api/v1/faxes', { token: boss });
  assert.equal(list.body.items[0].id, r.body.id);
});

test('refused before any charge: not a PDF, unreadable, too many pages, a sensitive word, a bad number', async () => {
  const before = (await points()).balances.fax;
  const text = await upload('说明.txt', '这不是 PDF');
  expectError(assert, await fax({ attachment_id: text.id, number: '02166668888' }), 422, 'not_a_pdf');
  const broken = await upload('坏文件.pdf', '%PDF-1.4\nnot really a pdf at all\n');
  expectError(assert, await fax({ attachment_id: broken.id, number: '02166668888' }), 422, 'pdf_unreadable');
  const long = await upload('长文件.pdf', makePdf(6));
  const tooLong = await fax({ attachment_id: long.id, number: '02166668888' });
  expectError(assert, tooLong, 422, 'too_many_pages');
  assert.equal(tooLong.body.error.details.pages, 6);
  const put = await s.call('PUT', '/api/v1/operator/sms/sensitive-words', { token: op, body: { words: ['CASINO'] } });
  assert.equal(put.status, 200, put.text);
  const bad = await upload('广告.pdf', makePdf(1, 'Online casino'));
  const refused = await fax({ attachment_id: bad.id, number: '02166668888' });
  expectError(assert, refused, 422, 'sensitive_words');
  assert.deepEqual(refused.body.error.details.words, ['CASINO']);
  const ok = await upload('好文件.pdf', makePdf(1));
  expectError(assert, await fax({ attachment_id: ok.id, number: '12' }), 422, 'validation_failed');
  expectError(assert, await fax({ number: '02166668888' }), 422, 'validation_failed');
  expectError(assert, await fax({ attachment_id: 999999999, number: '02166668888' }), 404, 'not_found');
  const p = await points();
  assert.equal(p.balances.fax, before);
  assert.equal(p.held.fax, 0);
});

test('no fax points: 409 insufficient_points; another tenant sees none of these faxes', async () => {
  const other = await s.createTenant('fax-b');
  const c = await s.call('POST', '/api/v1/customers', { token: other.bossToken, body: { name: 'B 的客户' } });
  const file = await upload('b.pdf', makePdf(1), other.bossToken, c.body.id);
  expectError(assert, await fax({ attachment_id: file.id, number: '02166668888' }, other.bossToken), 409, 'insufficient_points');
  const theirs = await s.call('GET', '/api/v1/faxes', { token: other.bossToken });
  assert.deepEqual(theirs.body.items, []);
  const mine = (await s.call('GET', '/api/v1/faxes', { token: boss })).body.items[0];
  expectError(assert, await s.call('GET', `/api/v1/faxes/${mine.id}`, { token: other.bossToken }), 404, 'not_found');
  // B cannot fax A's attachment.
  const aFiles = await s.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token: boss });
  expectError(assert, await fax({ attachment_id: aFiles.body.items[0].id, number: '02166668888' }, other.bossToken), 404, 'not_found');
});
