// Imports of contacts and follow-ups (by customer number or name, with bad rows, round trips
// through their exports, revert), and long imports as background jobs with progress that
// survive the server being killed midway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
before(async () => {
  // Files of more than 50 rows run as jobs here.
  s = await startServer({ env: { KELU_FILES_IMPORT_INLINE_ROWS: '50' } });
  boss = await s.loginAs('boss');
});
after(async () => { await s.stop(); });

const upload = (server, token, text, entity) =>
  server.call('POST', `/api/v1/imports?entity=${entity}&filename=${entity}.csv`, { token, raw: Buffer.from(text), headers: { 'content-type': 'text/csv' } });
const customer = async (body) => (await s.call('POST', '/api/v1/customers', { token: boss, body })).body;
const withoutFirstColumn = (text) => text.split('\r\n').map((line) => line.replace(/^\d+,/, ''));

async function waitFor(server, token, id, statuses) {
  for (let i = 0; i < 2000; i += 1) {
    const r = await server.call('GET', `/api/v1/imports/${id}`, { token });
    if (statuses.includes(r.body.status)) return r.body;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`import ${id} never reached ${statuses}`);
}

test('contacts import: by customer number or name, bad rows reported, a lossless round trip, revert', async () => {
  // Same-named customers need the name check to warn instead of block.
  const settings = (await s.call('GET', '/api/v1/crm/settings', { token: boss })).body;
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: { ...settings, duplicates: { ...settings.duplicates, name: 'warn' } } });
  const a = await customer({ name: '联系人导入甲公司' });
  const b = await customer({ name: '联系人导入乙公司' });
  await customer({ name: '联系人导入重名公司' });
  await customer({ name: '联系人导入重名公司' });
  const csv = [
    '客户编号,客户名称,姓名,职务,手机,邮箱,微信,生日,主联系人,备注',
    `${a.id},,赵一,经理,13700000001,zhao@example.cn,zhao_wx,1990/5/1,是,老客户`,
    ',联系人导入乙公司,钱二,,13700000002,,,,,',
    ',联系人导入不存在公司,孙三,,,,,,,',        // no such customer
    ',联系人导入重名公司,李四,,,,,,,',          // two customers have this name
    `${a.id},,周五,,,,,1990-13-01,,`,           // bad birthday
    `${a.id},,吴六,,,,,,也许,`,                  // bad primary flag
    `${a.id},,,,,,,,,`,                          // no name
    '999999999,,郑七,,,,,,,',                    // customer number out of reach
  ].join('\r\n');
  const up = await upload(s, boss, csv, 'contacts');
  assert.equal(up.status, 201, up.text);
  assert.equal(up.body.entity, 'contacts');
  assert.equal(up.body.total_rows, 8);
  assert.deepEqual(up.body.mapping, {
    客户编号: 'customer_id', 客户名称: 'customer_name', 姓名: 'name', 职务: 'title', 手机: 'mobile', 邮箱: 'email',
    微信: 'wechat', 生日: 'birthday', 主联系人: 'is_primary', 备注: 'notes',
  });
  // The mapping screen is told every column a contact file may map to, with its label.
  assert.ok(up.body.fields.some((f) => f.key === 'customer_name' && f.label === '客户名称'));
  assert.ok(up.body.fields.some((f) => f.key === 'wechat' && f.label === '微信'));
  const commit = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.status, 200, commit.text);
  assert.equal(commit.body.status, 'committed');
  assert.deepEqual({ total: commit.body.report.total, valid: commit.body.report.valid, invalid: commit.body.report.invalid }, { total: 8, valid: 2, invalid: 6 }, JSON.stringify(commit.body.report.errors));
  assert.deepEqual(commit.body.report.errors.map((e) => e.line), [4, 5, 6, 7, 8, 9]);
  assert.match(commit.body.report.errors[0].error, /customer_name: no such customer/);
  assert.match(commit.body.report.errors[1].error, /several customers/);
  assert.match(commit.body.report.errors[2].error, /birthday/);
  assert.match(commit.body.report.errors[3].error, /is_primary/);
  const zhao = (await s.call('GET', `/api/v1/contacts?customer_id=${a.id}`, { token: boss })).body.items;
  assert.equal(zhao.length, 1);
  assert.deepEqual({ name: zhao[0].name, title: zhao[0].title, birthday: zhao[0].birthday, primary: zhao[0].is_primary, wechat: zhao[0].wechat },
    { name: '赵一', title: '经理', birthday: '1990-05-01', primary: true, wechat: 'zhao_wx' });
  assert.equal((await s.call('GET', `/api/v1/contacts?customer_id=${b.id}`, { token: boss })).body.items[0].name, '钱二');
  const found = await s.call('GET', '/api/v1/search?q=13700000002', { token: boss });
  assert.ok(found.body.items.some((x) => x.name === '钱二' || x.customer?.id === b.id), 'imported mobiles are searchable');

  // Export a's contacts, delete them, import the export: the same rows but the ids.
  const exported = await s.call('GET', `/api/v1/exports/contacts?customer_id=${a.id}`, { token: boss });
  for (const c of zhao) await s.call('DELETE', `/api/v1/contacts/${c.id}`, { token: boss });
  const again = await upload(s, boss, exported.text, 'contacts');
  assert.equal(again.body.mapping['联系人编号'], 'id');
  const recommit = await s.call('POST', `/api/v1/imports/${again.body.id}/commit`, { token: boss, body: {} });
  assert.equal(recommit.body.report.valid, 1, JSON.stringify(recommit.body.report));
  const reexported = await s.call('GET', `/api/v1/exports/contacts?customer_id=${a.id}`, { token: boss });
  assert.deepEqual(withoutFirstColumn(reexported.text), withoutFirstColumn(exported.text));

  const revert = await s.call('POST', `/api/v1/imports/${up.body.id}/revert`, { token: boss });
  assert.equal(revert.body.reverted, 1, '赵一 was deleted already; 钱二 goes');
  assert.equal((await s.call('GET', `/api/v1/contacts?customer_id=${b.id}`, { token: boss })).body.items.length, 0);
  assert.equal((await s.call('GET', '/api/v1/search?q=13700000002', { token: boss })).body.items.length, 0, 'reverted contacts leave the search');
});

test('follow-ups import: types in Chinese or English, spreadsheet times, contacts by name, history makes no reminders', async () => {
  const c = await customer({ name: '跟进导入测试公司' });
  await s.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: c.id, name: '冯八', mobile: '13500000008' } });
  const future = new Date(Date.now() + 3 * 86400e3).toISOString();
  const csv = [
    '客户名称,联系人,跟进方式,跟进内容,跟进时间,下次跟进时间',
    '跟进导入测试公司,冯八,电话,首次电话沟通,2026-01-05 10:00,2026-01-12 10:00',
    `跟进导入测试公司,,visit,上门拜访,2026/2/1 15:30,${future}`,
    '跟进导入测试公司,,飞鸽传书,内容,2026-01-05,',      // unknown type
    '跟进导入测试公司,,电话,内容,明天,',                 // bad time
    '跟进导入测试公司,陈九,电话,内容,2026-01-05,',       // not a contact of the customer
    '跟进导入测试公司,,电话,,2026-01-05,',               // no content
    '跟进导入测试公司,,电话,未来的记录,2099-01-01,',     // in the future
  ].join('\r\n');
  const up = await upload(s, boss, csv, 'follow_ups');
  assert.equal(up.status, 201, up.text);
  assert.equal(up.body.mapping['跟进方式'], 'type');
  assert.equal(up.body.mapping['下次跟进时间'], 'next_at');
  const dry = await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} });
  assert.equal(dry.status, 200, dry.text);
  assert.equal(dry.body.status, 'validated');
  assert.deepEqual(dry.body.report.errors.map((e) => e.line), [4, 5, 6, 7, 8]);
  assert.equal((await s.call('GET', `/api/v1/follow-ups?customer_id=${c.id}`, { token: boss })).body.items.length, 0, 'a dry run writes nothing');
  const commit = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.body.report.valid, 2);
  const items = (await s.call('GET', `/api/v1/follow-ups?customer_id=${c.id}`, { token: boss })).body.items;
  const call = items.find((f) => f.content === '首次电话沟通');
  assert.equal(call.type, 'call');
  assert.equal(call.at, '2026-01-05T10:00:00+08:00');
  assert.ok(call.contact_id, 'the contact was found by name');
  assert.equal(items.find((f) => f.content === '上门拜访').at, '2026-02-01T15:30:00+08:00');
  const tasks = (await s.call('GET', '/api/v1/tasks?view=open&limit=200', { token: boss })).body.items.filter((t) => t.customer_id === c.id);
  assert.equal(tasks.length, 1, 'only the next follow-up still ahead becomes a reminder');
  const cu = (await s.call('GET', `/api/v1/customers/${c.id}`, { token: boss })).body;
  assert.equal(cu.last_follow_up_at, '2026-02-01T15:30:00+08:00');

  const exported = await s.call('GET', `/api/v1/exports/follow-ups?customer_id=${c.id}`, { token: boss });
  assert.match(exported.text, /,拜访,上门拜访,/, 'types export as their Chinese labels');
  const revert = await s.call('POST', `/api/v1/imports/${up.body.id}/revert`, { token: boss });
  assert.equal(revert.body.reverted, 2);
  assert.equal((await s.call('GET', `/api/v1/follow-ups?customer_id=${c.id}`, { token: boss })).body.items.length, 0);
  assert.equal((await s.call('GET', '/api/v1/tasks?view=open&limit=200', { token: boss })).body.items.filter((t) => t.customer_id === c.id).length, 0, 'their reminders went too');

  // Round trip: the export imports back (customer by number, contact by number).
  const back = await upload(s, boss, exported.text, 'follow_ups');
  const recommit = await s.call('POST', `/api/v1/imports/${back.body.id}/commit`, { token: boss, body: {} });
  assert.equal(recommit.body.report.valid, 2, JSON.stringify(recommit.body.report));
  const reexported = await s.call('GET', `/api/v1/exports/follow-ups?customer_id=${c.id}`, { token: boss });
  // Newest first in both; the import created them in file order, so compare as sets.
  assert.deepEqual(withoutFirstColumn(reexported.text).sort(), withoutFirstColumn(exported.text).sort());
});

test('import mappings and entities are checked', async () => {
  expectError(assert, await upload(s, boss, 'a\r\n1\r\n', 'orders'), 422, 'validation_failed');
  const up = await upload(s, boss, '姓名,手机\r\n某人,13000000000\r\n', 'contacts');
  assert.equal(up.status, 201);
  const dry = await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} });
  expectError(assert, dry, 422, 'validation_failed');
  assert.match(dry.text, /customer_id|customer_name/);
  const fu = await upload(s, boss, '客户名称,时间\r\nx,2026-01-01\r\n', 'follow_ups');
  expectError(assert, await s.call('POST', `/api/v1/imports/${fu.body.id}/commit`, { token: boss, body: {} }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', `/api/v1/imports/${fu.body.id}/commit`, { token: boss, body: { mapping: { 客户名称: 'customer_name', 时间: 'level' } } }), 422, 'validation_failed');
});

const bigFile = (prefix, rows) => {
  const lines = ['客户名称,电话,级别'];
  for (let i = 0; i < rows; i += 1) lines.push(`${prefix}${String(i).padStart(5, '0')}有限公司,0571-${String(80000000 + i)},${'ABCD'[i % 4]}`);
  lines.push(`${prefix}00007有限公司,,A`);  // the same name as an earlier row, many batches back
  return lines.join('\r\n');
};

test('a long import runs as a job: 202, progress, then the report; in-file duplicates across batches', async () => {
  await s.call('PUT', '/api/v1/crm/settings', { token: boss, body: { ...(await s.call('GET', '/api/v1/crm/settings', { token: boss })).body, duplicates: { name: 'block', phone: 'warn', email: 'warn' } } });
  const rows = 5200; // more than one batch (5000 rows), so the duplicate is batches back
  const up = await upload(s, boss, bigFile('作业导入', rows), 'customers');
  assert.equal(up.body.total_rows, rows + 1);
  const dry = await s.call('POST', `/api/v1/imports/${up.body.id}/dry-run`, { token: boss, body: {} });
  assert.equal(dry.status, 202, dry.text);
  assert.equal(dry.body.status, 'validating');
  assert.equal(dry.body.progress.total, rows + 1);
  const validated = await waitFor(s, boss, up.body.id, ['validated', 'uploaded']);
  assert.equal(validated.status, 'validated', JSON.stringify(validated.report));
  assert.deepEqual([validated.report.total, validated.report.valid, validated.report.invalid], [rows + 1, rows, 1]);
  assert.equal(validated.report.errors[0].line, rows + 2);
  assert.match(validated.report.errors[0].error, /第 9 行/, 'the duplicate names the earlier line, batches back');
  assert.equal(validated.progress.processed, rows + 1);
  const count = async (q) => (await s.call('GET', `/api/v1/customers?q=${encodeURIComponent(q)}&with_total=1&limit=1`, { token: boss })).body.total;
  assert.equal(await count('作业导入'), 0);

  const commit = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.equal(commit.status, 202, commit.text);
  assert.equal(commit.body.status, 'committing');
  const seen = await s.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token: boss, body: {} });
  assert.ok([200, 202].includes(seen.status), 'committing again answers the running or finished commit');
  const done = await waitFor(s, boss, up.body.id, ['committed', 'failed']);
  assert.equal(done.status, 'committed', JSON.stringify(done.report));
  assert.deepEqual([done.report.valid, done.report.invalid], [rows, 1]);
  assert.equal(await count('作业导入'), rows);
  const errors = await s.call('GET', `/api/v1/imports/${up.body.id}/errors`, { token: boss });
  assert.equal(errors.text.trim().split('\r\n').length, 2);
  const audit = await s.call('GET', `/api/v1/audit-log?entity=import&entity_id=${up.body.id}`, { token: boss });
  assert.equal(audit.body.items[0].action, 'import.commit');
  assert.equal(audit.body.items[0].after.created, rows);
  const revert = await s.call('POST', `/api/v1/imports/${up.body.id}/revert`, { token: boss });
  assert.equal(revert.body.reverted, rows);
  assert.equal(await count('作业导入'), 0);
});

test('a commit killed midway resumes on restart: every row once, none lost', async () => {
  const first = await startServer({ env: { KELU_FILES_IMPORT_INLINE_ROWS: '0' } });
  let token = await first.loginAs('boss');
  const settings = (await first.call('GET', '/api/v1/crm/settings', { token })).body;
  await first.call('PUT', '/api/v1/crm/settings', { token, body: { ...settings, duplicates: { name: 'block', phone: 'warn', email: 'warn' } } });
  const rows = 6000;
  const up = await upload(first, token, bigFile('续传导入', rows), 'customers');
  const commit = await first.call('POST', `/api/v1/imports/${up.body.id}/commit`, { token, body: {} });
  assert.equal(commit.status, 202, commit.text);
  // Kill it once some batches are in, as a crash or power cut would.
  let progress;
  for (let i = 0; i < 4000; i += 1) {
    progress = (await first.call('GET', `/api/v1/imports/${up.body.id}`, { token })).body;
    if (progress.progress.processed > 0 || progress.status !== 'committing') break;
    await new Promise((done) => setTimeout(done, 5));
  }
  await first.stop({ signal: 'SIGKILL', keep: true });
  assert.equal(progress.status, 'committing', 'the import was still running when killed');
  assert.ok(progress.progress.processed < rows + 1, 'killed midway');

  const second = await startServer({ restart: first, env: { KELU_FILES_IMPORT_INLINE_ROWS: '0' } });
  try {
    token = await second.loginAs('boss');
    const done = await waitFor(second, token, up.body.id, ['committed', 'failed']);
    assert.equal(done.status, 'committed', JSON.stringify(done.report));
    assert.deepEqual([done.report.total, done.report.valid, done.report.invalid], [rows + 1, rows, 1]);
    const total = (await second.call('GET', `/api/v1/customers?q=${encodeURIComponent('续传导入')}&with_total=1&limit=1`, { token })).body.total;
    assert.equal(total, rows, 'each row created exactly once');
    const errors = await second.call('GET', `/api/v1/imports/${up.body.id}/errors`, { token });
    assert.equal(errors.text.trim().split('\r\n').length, 2, 'the error file holds each bad row once');
  } finally {
    await second.stop();
  }
});
