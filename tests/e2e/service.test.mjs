// End to end in a real browser, the service side: an attachment changes the quota and the
// quota refuses one too many; the boss buys storage and the operator confirms the payment;
// an SMS is previewed (sensitive words marked) and sent to the log gateway; an import of a
// GB18030 file with bad rows; and, on the test clock, the tenant expires, is suspended, renews
// late and pays the interest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, newPage, shoot, signIn, signInOperator, startApp } from './browser.mjs';

let server;
let browser;
let boss;  // a page signed in as the boss
let op;    // a page signed in as the operator
let token; // the boss's API token, for checks and set-up
let opToken;
let customer;

const MiB = 1024 * 1024;
const file = (name, size, mimeType = 'text/plain') => ({ name, mimeType, buffer: Buffer.alloc(size, 'k') });

before(async () => {
  // 1 MiB per seat: the demo tenant's 10 seats give 10 MiB.
  server = await startApp({ testClock: true, env: { KELU_TERMS_SEAT_STORAGE_MIB: '1' } });
  browser = await launch();
  token = await server.loginAs('boss');
  opToken = await server.operatorToken();
  customer = (await server.call('GET', '/api/v1/customers?owner_id=me&limit=1', { token })).body.items[0];
  boss = await newPage(browser, server);
  await signIn(boss, server, 'boss');
  op = await newPage(browser, server);
  await signInOperator(op, server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function confirmPaymentInConsole(orderNumber) {
  await op.getByRole('link', { name: '订单与收款' }).click();
  await op.reload();
  const row = op.getByRole('row').filter({ hasText: orderNumber });
  await row.getByRole('button', { name: '确认收款' }).click();
  const dialog = op.getByRole('dialog');
  await dialog.getByLabel('银行流水号').fill(`BANK-${orderNumber}`);
  await dialog.getByRole('button', { name: '确认收款' }).click();
  return dialog;
}

test('an upload shows in the quota; one too many is refused in plain words', async () => {
  await boss.goto(`/customers/${customer.id}`);
  await boss.getByRole('tab', { name: '附件' }).click();
  const quota = boss.getByTestId('quota');
  await quota.getByText('存储空间：已用 0 B，共 10.0 MB，剩余 10.0 MB').waitFor();
  await boss.locator('input[type=file]').setInputFiles(file('报价单.txt', 3 * MiB));
  await boss.getByText('“报价单.txt”已上传').waitFor();
  await quota.getByText('存储空间：已用 3.0 MB，共 10.0 MB，剩余 7.0 MB').waitFor();
  await boss.getByRole('link', { name: '报价单.txt' }).waitFor();

  await boss.locator('input[type=file]').setInputFiles(file('合同扫描件.txt', 8 * MiB));
  await boss.getByRole('alert').filter({ hasText: '存储空间不足（已用 3.0 MB，共 10.0 MB）：请删除文件，或由老板购买扩容。' }).waitFor();
  await shoot(boss, 'attachments-quota');
  const files = await server.call('GET', `/api/v1/attachments?entity=customer&entity_id=${customer.id}`, { token });
  assert.deepEqual(files.body.items.map((f) => f.filename), ['报价单.txt']);
});

test('the boss buys a storage block, the operator confirms the payment, and the larger file fits', async () => {
  await boss.getByRole('link', { name: '订阅与账单' }).click();
  await boss.getByRole('tab', { name: '存储空间' }).click();
  await boss.getByLabel('块', { exact: true }).fill('1');
  await boss.getByRole('button', { name: /下 ?单/ }).click();
  await boss.getByText(/订单 SO-\d{4}-\d+ 已生成/).waitFor();
  const order = (await server.call('GET', '/api/v1/billing/orders', { token })).body.items[0];
  assert.equal(order.kind, 'storage');
  await boss.getByRole('row').filter({ hasText: order.number }).getByText('待付款').waitFor();
  await shoot(boss, 'billing-orders');

  const dialog = await confirmPaymentInConsole(order.number);
  await op.getByText(`订单 ${order.number} 已确认收款，发票已开具`).waitFor();
  await dialog.waitFor({ state: 'hidden' });

  // Its invoice prints, for the operator from the order and for the boss from the invoices.
  const invoice = (await server.call('GET', `/api/v1/billing/orders/${order.id}`, { token })).body.invoice;
  await op.getByText('已付款', { exact: true }).click();
  const opLink = op.getByRole('row').filter({ hasText: order.number }).getByRole('link', { name: `发票 ${invoice.number}` });
  const opDoc = await op.request.get(await opLink.getAttribute('href'));
  assert.equal(opDoc.status(), 200);
  assert.match(await opDoc.text(), new RegExp(`发票编号：${invoice.number}`));
  await boss.reload();
  await boss.getByRole('tab', { name: '发票与账目' }).click();
  const bossLink = boss.getByRole('link', { name: `发票 ${invoice.number}` });
  const bossDoc = await boss.request.get(await bossLink.getAttribute('href'));
  assert.equal(await bossDoc.text(), await opDoc.text());

  await boss.goto(`/customers/${customer.id}`);
  await boss.getByRole('tab', { name: '附件' }).click();
  await boss.getByTestId('quota').getByText('存储空间：已用 3.0 MB，共 110.0 MB，剩余 107.0 MB').waitFor();
  await boss.locator('input[type=file]').setInputFiles(file('合同扫描件.txt', 8 * MiB));
  await boss.getByText('“合同扫描件.txt”已上传').waitFor();
  await boss.getByTestId('quota').getByText('存储空间：已用 11.0 MB，共 110.0 MB，剩余 99.0 MB').waitFor();

  // The payment is in the operator's revenue report, in this month, as storage.
  await op.getByRole('link', { name: '报表' }).click();
  const received = `¥${(order.total_fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  await op.locator('.ant-statistic').filter({ hasText: '近 12 个月收款' }).getByText(received).waitFor();
  await op.getByRole('group', { name: '每月收款（元）' }).locator('canvas').waitFor();
  await shoot(op, 'operator-reports');
});

test('an SMS is previewed with its segments and points, a sensitive word stops it, and it goes to the log gateway', async () => {
  // Set-up through the API: an approved signature, 1000 points paid for, a sensitive word.
  const tenantId = (await server.call('GET', '/api/v1/tenant', { token })).body.id;
  assert.equal((await server.call('PUT', '/api/v1/sms/signature', { token, body: { signature: '演示科技' } })).status, 200);
  assert.equal((await server.call('POST', `/api/v1/operator/sms/signatures/${tenantId}/approve`, { token: opToken, body: {} })).status, 200);
  const o = (await server.call('POST', '/api/v1/billing/orders', { token, body: { kind: 'sms', pack: 'sms-1000' } })).body;
  await server.call('POST', `/api/v1/billing/orders/${o.id}/accept`, { token });
  const today = (await server.call('GET', '/api/v1/operator/clock', { token: opToken })).body.now.slice(0, 10);
  const paid = await server.call('POST', `/api/v1/operator/orders/${o.id}/payments`, {
    token: opToken, headers: { 'idempotency-key': `sms-${o.id}` }, body: { amount_fen: o.total_fen, bank_reference: 'B-SMS', paid_on: today },
  });
  assert.equal(paid.status, 201, paid.text);
  assert.equal((await server.call('PUT', '/api/v1/sms/sensitive-words', { token, body: { words: ['竞品名'] } })).status, 200);
  const contact = (await server.call('GET', `/api/v1/contacts?customer_id=${customer.id}`, { token })).body.items.find((c) => c.mobile);

  await boss.goto(`/customers/${customer.id}`);
  await boss.getByRole('tab', { name: '短信' }).click();
  const text = boss.getByLabel('短信内容');
  await text.fill('本周有竞品名的对比资料');
  const preview = boss.getByTestId('sms-preview');
  await preview.locator('mark', { hasText: '竞品名' }).waitFor();
  await boss.getByText('含有敏感词：竞品名。请修改后再发送。').waitFor();
  assert.equal(await boss.getByRole('button', { name: /发 ?送/ }).isDisabled(), true);

  const body = '张总您好，报价单已发您邮箱，请查收。';
  await text.fill(body);
  await preview.getByText(`【演示科技】${body}`).waitFor();
  await boss.getByText('含有敏感词').waitFor({ state: 'detached' });
  await boss.getByRole('radio', { name: '营销短信' }).check();
  await boss.getByText(/营销短信只在每天 08:00–21:00（北京时间）发出/).waitFor();
  await boss.getByRole('radio', { name: /通知短信/ }).check();
  await shoot(boss, 'sms');
  await boss.getByRole('button', { name: /发 ?送/ }).click();
  await boss.getByText('短信已提交发送').waitFor();
  await boss.getByRole('cell', { name: `【演示科技】${body}` }).waitFor();

  let outbox;
  for (let i = 0; i < 50; i++) {
    outbox = (await server.call('GET', '/api/v1/sms/outbox', { token })).body.items;
    if (outbox.some((m) => m.content === `【演示科技】${body}`)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const sent = outbox.find((m) => m.content === `【演示科技】${body}`);
  assert.ok(sent, 'the log gateway took the message');
  assert.equal(sent.phone, contact.mobile);
});

test('a GB18030 CSV with bad rows: mapping, dry-run report, commit of the good rows, the error file, revert', async () => {
  const csv = [
    '客户名称,电话,级别,来源',
    '苏州禾丰纺织有限公司,0512-66881234,A,展会',
    ',13800009999,B,官网',               // no name
    '无锡百川机电有限公司,12,Z,官网',     // bad phone and level
    '常州瑞景园林有限公司,13912345678,C,转介绍',
  ].join('\r\n');
  await boss.getByRole('link', { name: '导入' }).click();
  await boss.locator('input[type=file]').setInputFiles({ name: '客户名单.csv', mimeType: 'text/csv', buffer: gb18030(csv) });
  await boss.getByText('GB18030').waitFor();
  await boss.getByText('4 行').waitFor();
  await boss.getByRole('combobox', { name: '“客户名称”导入为' }).waitFor();
  await shoot(boss, 'import-mapping');
  await boss.getByRole('button', { name: '检查数据（不会写入）' }).click();
  await boss.getByRole('cell', { name: /name: required/ }).waitFor();
  await boss.getByRole('button', { name: '导入 2 行' }).click();
  await boss.getByText('已导入 2 行').waitFor();
  const link = boss.getByRole('link', { name: /下载错误行/ });
  const errors = await (await boss.request.get(await link.getAttribute('href'))).text();
  assert.match(errors, /无锡百川机电有限公司/);
  assert.doesNotMatch(errors, /苏州禾丰纺织有限公司/);
  const found = await server.call('GET', `/api/v1/customers?q=${encodeURIComponent('禾丰纺织')}`, { token });
  assert.equal(found.body.items.length, 1);

  await boss.getByRole('button', { name: '撤销导入' }).first().click();
  await boss.getByRole('button', { name: /确 ?定|OK/ }).click();
  await boss.getByText('已撤销，2 条记录移入回收站').waitFor();
  const gone = await server.call('GET', `/api/v1/customers?q=${encodeURIComponent('禾丰纺织')}`, { token });
  assert.equal(gone.body.items.length, 0);
});

test('on the test clock the tenant expires and is suspended; a late renewal pays the interest and reopens it', async () => {
  const before = (await server.call('GET', '/api/v1/billing/subscription', { token })).body;
  // Ten days after expiry, moved from the operator's clock panel (every daily job runs).
  await op.getByRole('link', { name: '测试时钟' }).click();
  await op.getByTestId('clock-now').waitFor();
  await op.getByLabel('拨到指定时间').click();
  await op.keyboard.type(`${addDays(before.expiry, 10)} 10:00:00`);
  await op.keyboard.press('Enter');
  await op.getByRole('button', { name: '拨动时钟（运行每天的任务）' }).click();
  await op.getByText(/时钟已拨到/).waitFor({ timeout: 120000 });

  // A year on, both sessions have long expired: each signs in again (a suspended tenant's boss
  // still may).
  await signIn(boss, server, 'boss');
  await signInOperator(op, server);
  token = await server.loginAs('boss');
  await boss.goto('/customers');
  await boss.getByText('服务已暂停：服务期已到期且未续费。').first().waitFor();
  await shoot(boss, 'suspended');
  await boss.getByRole('button', { name: '续费与账单' }).first().click();
  await boss.getByText('已暂停', { exact: true }).waitFor();
  await boss.getByText('滞纳金（每 30 天 1.5%）').waitFor();
  await boss.getByRole('button', { name: '生成续费订单' }).click();
  await boss.getByText(/订单 SO-\d{4}-\d+ 已生成/).waitFor();
  const order = (await server.call('GET', '/api/v1/billing/orders', { token })).body.items.find((o) => o.kind === 'renewal');

  // The order's total has no interest; the console says what is due on the day paid.
  const dialog = await confirmPaymentInConsole(order.number);
  await dialog.getByText(/到账金额与应收金额 ¥[\d.]+ 不一致。/).waitFor();
  await dialog.getByText(/其中逾期 10 天的滞纳金/).waitFor();
  await shoot(op, 'operator-late-payment');
  await dialog.getByRole('button', { name: '确认收款' }).click();
  await op.getByText(`订单 ${order.number} 已确认收款，发票已开具`).waitFor();

  const after = (await server.call('GET', '/api/v1/billing/subscription', { token })).body;
  assert.equal(after.state, 'active');
  assert.equal(after.expiry, addYears(before.expiry, 1), 'the renewal continues from the old expiry');
  const ledger = (await server.call('GET', '/api/v1/billing/ledger', { token })).body;
  assert.ok(JSON.stringify(ledger).includes('late_interest'), 'the invoice carries the interest');

  await boss.goto('/customers');
  await boss.getByRole('button', { name: '新建客户' }).waitFor();
  assert.equal(await boss.getByText('服务已暂停').count(), 0);

  // The renewal's activation is in the operator's SLA report: counted, and charted in the
  // month the payment was confirmed (the chart's own description names the figures).
  const sla = (await server.call('GET', '/api/v1/operator/reports/activation-sla', { token: await server.operatorToken() })).body; // sessions ended with the clock's move
  const renewal = sla.items.find((i) => i.order_number === order.number);
  assert.ok(renewal, 'the renewal is in the SLA report');
  const outcome = renewal.met === true ? '按时开通' : renewal.met === false ? '超时开通' : renewal.late ? '已超时待开通' : '待开通';
  const key = { 按时开通: 'met', 超时开通: 'missed', 待开通: 'pending', 已超时待开通: 'late_pending' }[outcome];
  assert.equal(sla.by_month[key].at(-1) >= 1, true, 'counted in this month');
  await op.goto('/operator/reports');
  await op.locator('.ant-statistic').filter({ hasText: new RegExp(`^${outcome}`) }).getByText(String(sla.summary[key]), { exact: true }).waitFor();
  const chart = op.getByRole('group', { name: '每月开通情况（按确认收款的月份）' });
  await chart.locator('canvas').waitFor();
  const description = await chart.locator('[aria-label]').last().getAttribute('aria-label');
  assert.match(description, new RegExp(`${outcome}: [^;]*${sla.months.at(-1)} ${sla.by_month[key].at(-1)}(;|$)`));
  assert.deepEqual(op.problems, []);
});

function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function addYears(isoDate, years) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}

// The text as GB18030 bytes (what Excel on a Chinese Windows saves), by the system's iconv.
function gb18030(text) {
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });
}
