// Import from CSV (UTF-8, UTF-8 with BOM, GB18030) with mapping, dry run, error file, commit,
// idempotent re-commit and revert; export to CSV that neutralises formulas and imports back
// without loss.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
before(async () => {
  s = await startServer();
  boss = await s.loginAs('boss');
  await s.call('POST', '/api/v1/custom-fields', { token: boss, body: { entity: 'customer', key: 'budget', label: '预算', type: 'money' } });
});
after(async () => { await s.stop(); });

const upload = (token, bytes, filename = 'customers.csv') =>
  s.call('POST', `/api/v1/imports?filename=${encodeURIComponent(filename)}`, { token, raw: bytes, headers: { 'content-type': 'text/csv' } });

const gb18030 = (text) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });

const sample = [
  '客户名称,电话,级别,标签,负责人,联系人,手机,备注,预算',
  '导入测试甲有限公司,021-1111 2222,A,重点;华东,zhangwei,王一,13900000001,"含,逗号的备注",100000',
  '导入测试乙有限公司,,Z,,,,,,',                 // bad level
  ',010-3333,,,,,,,',                             // no name
  '导入测试丙有限公司,,B,,nobody,,,,',            // unknown owner
  '导入测试甲有限公司,,,,,,,,',                    // duplicate of the first row
  '导入测试丁有限公司,0755-4444,C,,,李四,not-a-phone,,',  // bad contact: the whole row fails
  '导入测试戊有限公司,0755-5555,,,,,,,预算很多',  // bad custom value
  '',
  '导入测试己有限公司,,,,lina,,,,',
].join('\r\n');

test('a UTF-8 CSV: suggested mapping, dry run, error file, commit once, revert', async () => {
  const before = await s.call('GET', '/api/v1/customers?with_total=1', { token: boss });
  const up = await upload(boss, Buffer.from(sample));
  assert.equal(up.status, 201, up.text);
  assert.equal(up.body.encoding, 'utf-8');
  assert.deepEqual(up.body.mapping, {
    客户名称: 'name', 电话: 'phones', 级别: 'level', 标签: 'tags', 负责人: 'owner', 联系人: 'contact_name',
    手机: 'contact_mobile', 备注: 'notes', 预算: 'cf.budget',
  });
  assert.equal(up.body.sample.length, 5);
  const dry = await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual({ ...dry.body.report, errors: undefined, error_file: undefined }, { total: 8, valid: 2, invalid: 6, duplicates: 1, errors: undefined, error_file: undefined });
  assert.deepEqual(dry.body.report.errors.map((e) => e.line), [3, 4, 5, 6, 7, 8]);
  const after = await s.call('GET', '/api/v1/customers?with_total=1', { token: boss });
  assert.equal(after.body.total, before.body.total, 'a dry run writes nothing');
  const errors = await s.call('GET', `/api/v1/imports/${up.body.id}/errors`, { token: boss });
  assert.match(errors.headers.get('content-type'), /text\/csv/);
  assert.ok(errors.text.startsWith('\uFEFF客户名称'), 'UTF-8 BOM and the original header');
  const errorLines = errors.text.trim().split('\r\n');
  assert.equal(errorLines.length, 7);
  assert.match(errorLines[0], /,错误$/);
  assert.match(errors.text, /level: must be one of/);
  assert.match(errors.text, /owner: no active user/);

  const commit = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.status, 200, commit.text);
  assert.equal(commit.body.report.valid, 2);
  const again = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.deepEqual(again.body.report, commit.body.report);
  const mid = await s.call('GET', '/api/v1/customers?q=导入测试&limit=200', { token: boss });
  assert.deepEqual(mid.body.items.map((c) => c.name).sort(), ['导入测试己有限公司', '导入测试甲有限公司']);
  const first = mid.body.items.find((c) => c.name === '导入测试甲有限公司');
  assert.deepEqual(first.phones, ['021-1111 2222']);
  assert.deepEqual(first.tags, ['重点', '华东']);
  assert.equal(first.owner.name, '张伟');
  assert.equal(first.notes, '含,逗号的备注');
  assert.equal(first.custom.budget, 100000);
  const contact = await s.call('GET', `/api/v1/contacts?customer_id=${first.id}`, { token: boss });
  assert.equal(contact.body.items[0].mobile, '13900000001');
  assert.equal((await s.call('GET', '/api/v1/customers?q=导入测试丁', { token: boss })).body.items.length, 0, 'a row with a bad contact left nothing');
  const audit = await s.call('GET', `/api/v1/audit-log?entity=import&entity_id=${up.body.id}`, { token: boss });
  assert.deepEqual(audit.body.items.map((e) => e.action), ['import.commit', 'import.upload']);

  const revert = await s.call('POST', `/api/v1/imports/${up.body.id}/revert`, { token: boss });
  assert.equal(revert.body.reverted, 2);
  assert.equal((await s.call('GET', '/api/v1/customers?q=导入测试&limit=200', { token: boss })).body.items.length, 0);
  assert.equal((await s.call('POST', `/api/v1/imports/${up.body.id}/revert`, { token: boss })).body.reverted, 0);
  expectError(assert, await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} }), 409, 'import_committed');
  const bin = await s.call('GET', '/api/v1/recycle-bin?limit=200', { token: boss });
  assert.ok(bin.body.items.some((x) => x.id === first.id), 'reverted records wait in the recycle bin');
});

test('UTF-8 with BOM and GB18030 files read the same', async () => {
  const text = '客户名称,电话\r\n编码测试一公司,021-6666\r\n编码测试二公司,021-7777\r\n';
  for (const [bytes, encoding] of [[Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8-bom'], [gb18030(text), 'gb18030']]) {
    const up = await upload(boss, bytes);
    assert.equal(up.status, 201, up.text);
    assert.equal(up.body.encoding, encoding);
    assert.deepEqual(up.body.headers, ['客户名称', '电话']);
    assert.deepEqual(up.body.sample[0], ['编码测试一公司', '021-6666']);
    const dry = await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} });
    assert.equal(dry.body.report.valid, 2);
  }
  const commit = await s.call('POST', `/api/v1/imports/${(await upload(boss, gb18030(text))).body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.body.report.valid, 2);
  assert.equal((await s.call('GET', `/api/v1/search?q=${encodeURIComponent('编码测试二')}`, { token: boss })).body.items[0].name, '编码测试二公司');
});

test('bad uploads and mappings are refused clearly', async () => {
  expectError(assert, await upload(boss, Buffer.alloc(0)), 422, 'empty_file');
  expectError(assert, await upload(boss, Buffer.from('\r\n\r\n')), 422, 'missing_header');
  expectError(assert, await upload(boss, Buffer.from('PK\x03\x04 not really a zip'), 'book.xlsx'), 422, 'invalid_xlsx');
  expectError(assert, await upload(boss, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2]), 'old.xls'), 422, 'unsupported_format');
  const up = await upload(boss, Buffer.from('公司,电话\r\nx,1\r\n'));
  assert.equal(up.body.mapping['公司'], '');
  expectError(assert, await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: { mapping: { 公司: 'galaxy' } } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: { mapping: { 不存在: 'name' } } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: { mapping: { 公司: 'name', 电话: 'name' } } }), 422, 'validation_failed');
  const ok = await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: { mapping: { 公司: 'name', 电话: '' } } });
  assert.equal(ok.body.report.valid, 1);
  const member = await s.loginAs('lina');
  expectError(assert, await s.call('GET', `/api/v1/imports/${up.body.id}`, { token: member }), 404, 'not_found');
  expectError(assert, await s.call('POST', `/api/v1/imports/${up.body.id}/revert`, { token: boss }), 409, 'import_not_committed');
});

test('export: BOM, neutralised formulas, boss and admin only, audited, and a lossless round trip', async () => {
  const make = (body) => s.call('POST', '/api/v1/customers', { token: boss, body });
  await make({ name: '往返测试甲', kind: 'company', short_name: '甲', level: 'A', status: '意向', province: '广东', city: '深圳',
    address: '南山区"科技园"', phones: ['+86 755 1234 5678', '0755-8765'], website: 'https://a.example', tags: ['大客户', '华南'],
    notes: '=HYPERLINK("http://evil")', custom: { budget: 990000 } });
  const p = await make({ name: '往返测试乙', kind: 'person', notes: '多行\n备注, 含逗号', phones: ['13800000000'] });
  await s.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: p.body.id, name: '@乙本人', mobile: '13800000000', email: 'yi@example.cn' } });
  const exported = await s.call('GET', `/api/v1/exports/customers?q=${encodeURIComponent('往返测试')}&sort=name`, { token: boss });
  assert.equal(exported.status, 200, exported.text);
  assert.match(exported.headers.get('content-disposition'), /attachment/);
  assert.ok(exported.text.startsWith('\uFEFF客户编号,客户名称'));
  assert.ok(exported.text.includes('"\'=HYPERLINK(""http://evil"")"'), 'formula neutralised and quoted');
  assert.ok(exported.text.includes("'@乙本人"), 'a cell starting with @ is neutralised');
  expectError(assert, await s.call('GET', '/api/v1/exports/customers', { token: await s.loginAs('lina') }), 403, 'export_forbidden');
  const audit = await s.call('GET', '/api/v1/audit-log?action=customer.export', { token: boss });
  assert.equal(audit.body.items[0].after.rows, 2);

  // Delete the originals, import the export back, export again: the same rows but the ids.
  for (const c of (await s.call('GET', `/api/v1/customers?q=${encodeURIComponent('往返测试')}`, { token: boss })).body.items) {
    await s.call('DELETE', `/api/v1/customers/${c.id}`, { token: boss });
  }
  const up = await upload(boss, Buffer.from(exported.text));
  assert.equal(up.body.encoding, 'utf-8-bom');
  assert.equal(up.body.mapping['客户编号'], 'id');
  const commit = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.body.report.valid, 2, JSON.stringify(commit.body.report));
  const again = await s.call('GET', `/api/v1/exports/customers?q=${encodeURIComponent('往返测试')}&sort=name`, { token: boss });
  const withoutIds = (text) => text.split('\r\n').map((line) => line.replace(/^\d+,/, ''));
  assert.deepEqual(withoutIds(again.text), withoutIds(exported.text));
});

test('XLSX: an exported workbook imports back', async () => {
  await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '表格往返甲', phones: ['021-5555 0001'], notes: '=1+1', tags: ['x', 'y'] } });
  await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '表格往返乙', kind: 'person', custom: { budget: 123 } } });
  const book = await fetch(`${s.url}/api/v1/exports/customers?format=xlsx&q=${encodeURIComponent('表格往返')}&sort=name`, { headers: { authorization: `Bearer ${boss}` } });
  assert.equal(book.status, 200);
  assert.match(book.headers.get('content-type'), /spreadsheetml/);
  const bytes = Buffer.from(await book.arrayBuffer());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK');
  const csvBefore = await s.call('GET', `/api/v1/exports/customers?q=${encodeURIComponent('表格往返')}&sort=name`, { token: boss });
  for (const c of (await s.call('GET', `/api/v1/customers?q=${encodeURIComponent('表格往返')}`, { token: boss })).body.items) {
    await s.call('DELETE', `/api/v1/customers/${c.id}`, { token: boss });
  }
  const up = await upload(boss, bytes, '客户.xlsx');
  assert.equal(up.status, 201, up.text);
  assert.equal(up.body.encoding, 'xlsx');
  assert.equal(up.body.mapping['客户名称'], 'name');
  const jia = up.body.sample.find((row) => row[1] === '表格往返甲');
  assert.equal(jia[11], '021-5555 0001');
  assert.equal(jia[15], '=1+1', 'a formula-like text cell comes back as text');
  const commit = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.body.report.valid, 2, JSON.stringify(commit.body.report));
  const csvAfter = await s.call('GET', `/api/v1/exports/customers?q=${encodeURIComponent('表格往返')}&sort=name`, { token: boss });
  const withoutIds = (text) => text.split('\r\n').map((line) => line.replace(/^\d+,/, ''));
  assert.deepEqual(withoutIds(csvAfter.text), withoutIds(csvBefore.text));
  expectError(assert, await s.call('GET', '/api/v1/exports/customers?format=pdf', { token: boss }), 422, 'validation_failed');
});

test('contacts, opportunities and follow-ups export with their filters', async () => {
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '导出列表测试公司' } });
  await s.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: c.body.id, name: '=张三', mobile: '13600000000' } });
  await s.call('POST', '/api/v1/opportunities', { token: boss, body: { customer_id: c.body.id, name: '导出商机', amount_fen: 123405 } });
  await s.call('POST', '/api/v1/follow-ups', { token: boss, body: { customer_id: c.body.id, type: 'visit', content: '导出跟进' } });
  const contacts = await s.call('GET', `/api/v1/exports/contacts?customer_id=${c.body.id}`, { token: boss });
  assert.equal(contacts.status, 200, contacts.text);
  const lines = contacts.text.replace('\uFEFF', '').trim().split('\r\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^联系人编号,客户编号,姓名/);
  assert.match(lines[1], /,'=张三,/);
  const opps = await s.call('GET', `/api/v1/exports/opportunities?customer_id=${c.body.id}`, { token: boss });
  assert.match(opps.text, /导出商机,1234\.05,/);
  const fus = await s.call('GET', `/api/v1/exports/follow-ups?customer_id=${c.body.id}&format=xlsx`, { token: boss });
  assert.match(fus.headers.get('content-type'), /spreadsheetml/);
  expectError(assert, await s.call('GET', '/api/v1/exports/contacts', { token: await s.loginAs('lina') }), 403, 'export_forbidden');
  const audit = await s.call('GET', '/api/v1/audit-log?action=opportunity.export', { token: boss });
  assert.equal(audit.body.items[0].after.rows, 1);
});
