// End to end in a real browser: sign-in, the dashboard, a customer from creation through a
// follow-up to an opportunity moved on the kanban, the pool, the language switch, and the
// operator console that never opens tenant data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, pickOption, shoot, signIn, signInOperator, startApp } from './browser.mjs';

let server;
let browser;
before(async () => {
  server = await startApp();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('sign-in: a wrong password is said plainly, then the dashboard shows its charts', async () => {
  const page = await newPage(browser, server);
  await page.goto('/customers');
  await page.waitForURL(/\/login\?next=%2Fcustomers/);
  await page.getByLabel('企业代码').fill('demo');
  await page.getByLabel('登录名').fill('boss');
  await page.getByLabel('密码', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: /登 ?录/ }).click();
  await page.getByRole('alert').filter({ hasText: '企业代码、账号或密码不正确。' }).waitFor();
  assert.doesNotMatch(await page.content(), /invalid_credentials|"error"/, 'no raw codes or JSON on screen');
  await shoot(page, 'login');

  const boss = server.demo.tenant.users.find((u) => u.role === 'boss');
  await page.getByLabel('密码', { exact: true }).fill(boss.password);
  await page.getByRole('button', { name: /登 ?录/ }).click();
  await page.waitForURL(/\/customers$/);
  await page.getByRole('link', { name: '工作台' }).click();
  await page.getByRole('heading', { name: /你好/ }).waitFor();
  for (const chart of ['销售漏斗', '每周新增客户', '每人每周跟进', '每月赢单金额（元）']) {
    await page.getByRole('group', { name: chart }).locator('canvas').waitFor();
  }
  // Each chart tells a screen reader its figures: the funnel names its stages with their counts.
  const dash = (await server.call('GET', '/api/v1/dashboard', { token: await server.loginAs('boss') })).body;
  const funnel = await page.getByRole('group', { name: '销售漏斗' }).locator('[aria-label]').last().getAttribute('aria-label');
  for (const s of dash.funnel) assert.ok(funnel.includes(`${s.stage} ${s.count}`), `${s.stage} in “${funnel}”`);
  await page.waitForTimeout(600); // the charts' entry animation
  await shoot(page, 'dashboard');
  assert.deepEqual(page.problems, []);
});

test('a customer is created (with a duplicate warning while typing), followed up, and its opportunity moved on the kanban', async () => {
  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  const token = await server.loginAs('boss');
  const existing = (await server.call('GET', '/api/v1/customers?limit=1&owner_id=me', { token })).body.items[0];

  await page.goto('/customers');
  await page.getByRole('table').waitFor();
  await shoot(page, 'customers');
  await page.getByRole('button', { name: '新建客户' }).click();
  const drawer = page.getByRole('dialog');
  await drawer.getByLabel('客户名称').fill(existing.name);
  await drawer.getByText('发现可能重复的客户').waitFor();
  await drawer.getByText(existing.name).first().waitFor();
  await drawer.getByLabel('客户名称').fill('杭州青禾茶业有限公司');
  await drawer.getByText('发现可能重复的客户').waitFor({ state: 'detached' });
  await drawer.getByLabel('简称').fill('青禾茶业');
  await drawer.getByRole('button', { name: /保 ?存/ }).click();
  await page.waitForURL(/\/customers\/\d+$/);
  const customerId = Number(page.url().split('/').pop());
  await page.getByRole('heading', { name: /杭州青禾茶业有限公司/ }).waitFor();

  // A follow-up with a next time: it shows in the timeline and makes a reminder.
  const form = page.getByRole('form', { name: '写跟进' });
  await form.getByLabel('内容').fill('电话沟通，客户想看春茶礼盒的报价。');
  await form.getByLabel('下次跟进').click();
  await page.keyboard.type('2030-01-05 10:00');
  await page.keyboard.press('Enter');
  await form.getByRole('button', { name: '写跟进' }).click();
  await page.getByText('跟进已记录').first().waitFor();
  await page.getByText('电话：电话沟通，客户想看春茶礼盒的报价。').waitFor();
  const followUps = await server.call('GET', `/api/v1/follow-ups?customer_id=${customerId}`, { token });
  assert.equal(followUps.body.items.length, 1);
  assert.ok(followUps.body.items[0].next_at, 'the next follow-up time was sent');

  // An opportunity on the customer, then dragged to the third stage on the board.
  await page.getByRole('tab', { name: '商机' }).click();
  await page.getByRole('tabpanel').getByRole('button', { name: '新建商机' }).click();
  const oppForm = page.getByRole('dialog').getByRole('form', { name: '新建商机' });
  await oppForm.getByLabel('商机名称').fill('春茶礼盒 500 套');
  await oppForm.getByLabel('金额').fill('86000');
  await oppForm.getByRole('button', { name: /保 ?存/ }).click();
  await page.getByRole('cell', { name: '春茶礼盒 500 套' }).waitFor();
  const opp = (await server.call('GET', `/api/v1/opportunities?customer_id=${customerId}`, { token })).body.items[0];
  assert.equal(opp.amount_fen, 8600000);
  const pipeline = (await server.call('GET', '/api/v1/pipelines', { token })).body.items[0];
  const target = pipeline.stages[2];

  await page.getByRole('link', { name: '商机' }).click();
  const card = page.getByTestId(`opp-${opp.id}`);
  await card.waitFor();
  await shoot(page, 'kanban');
  // Grabbed by its amount (the title and the customer are links that open things).
  const from = await card.getByText('¥86,000.00').boundingBox();
  const to = await page.getByTestId(`stage-${target.id}`).boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + 10, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + 60, { steps: 20 });
  await page.mouse.up();
  await page.getByText(`“春茶礼盒 500 套”已移到“${target.name}”`).waitFor();
  const moved = await server.call('GET', `/api/v1/opportunities/${opp.id}`, { token });
  assert.equal(moved.body.stage.id, target.id);
  const history = await server.call('GET', `/api/v1/opportunities/${opp.id}/history`, { token });
  assert.ok(history.body.items.some((h) => h.to_stage?.id === target.id), 'the move is in the history');
  // The card opens the opportunity with that history.
  await card.getByRole('button', { name: '春茶礼盒 500 套', exact: true }).click();
  const oppDrawer = page.getByRole('dialog');
  await oppDrawer.getByText(`${pipeline.stages[0].name} → ${target.name}`).waitFor();
  // Its amount is edited there.
  await oppDrawer.getByRole('button', { name: /编 ?辑/ }).click();
  await oppDrawer.getByLabel('金额').fill('90000');
  await oppDrawer.getByRole('button', { name: /保 ?存/ }).click();
  await page.getByText('已保存').last().waitFor();
  assert.equal((await server.call('GET', `/api/v1/opportunities/${opp.id}`, { token })).body.amount_fen, 9000000);
  assert.deepEqual(page.problems, []);
});

test('the pool: a member claims a customer and returns it with a reason', async () => {
  const page = await newPage(browser, server);
  await signIn(page, server, 'zhangwei');
  await page.getByRole('link', { name: '公海' }).click();
  await page.getByText(/你现在持有 \d+ 个客户（上限 200）/).waitFor();
  await shoot(page, 'pool');
  const row = page.getByRole('row').nth(1);
  const name = (await row.getByRole('cell').first().innerText()).trim();
  await row.getByRole('button', { name: /领 ?取/ }).click();
  await page.getByText(`已领取“${name}”`).waitFor();

  await page.getByRole('link', { name: '客户' }).click();
  await page.getByRole('link', { name }).click();
  await page.getByRole('button', { name: '更多操作' }).click();
  await page.getByRole('menuitem', { name: '退回公海' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('退回原因').fill('客户暂无采购计划');
  await dialog.getByRole('button', { name: /确 ?定|OK/ }).click();
  await page.getByText('已退回公海').waitFor();
  await page.getByText('退回公海：客户暂无采购计划').waitFor();

  // Claiming it back at once is refused by the cooldown, in plain words.
  await page.getByRole('button', { name: /领 ?取/ }).click();
  await page.getByText('你刚释放了该客户，冷却期内不能再次领取。').waitFor();
  assert.deepEqual(page.problems, []);
});

test('zh-CN is the default and en is one click away, remembered after a reload', async () => {
  const page = await newPage(browser, server);
  await signIn(page, server, 'lina');
  await page.getByRole('link', { name: '客户' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await page.getByText('EN', { exact: true }).click();
  await page.getByRole('link', { name: 'Customers' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.reload();
  await page.getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('button', { name: 'New customer' }).waitFor();
  await page.getByRole('columnheader', { name: 'Owner' }).waitFor();
  await shoot(page, 'customers-en');
  await page.getByText('中文', { exact: true }).click();
  await page.getByRole('button', { name: '新建客户' }).waitFor();
});

test('global search opens with Ctrl+K and finds a customer by two Chinese characters', async () => {
  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  const token = await server.loginAs('boss');
  const c = (await server.call('GET', '/api/v1/customers?limit=1', { token })).body.items[0];
  const two = [...c.name].slice(2, 4).join('');
  await page.keyboard.press('Control+k');
  const dialog = page.getByRole('dialog').filter({ hasText: '搜索客户和联系人' });
  await dialog.getByPlaceholder(/名称任意两个字/).fill(two);
  await dialog.getByRole('option', { name: new RegExp(c.name) }).first().waitFor();
  await page.keyboard.press('Escape');
});

test('the operator console lists tenants but never opens tenant data', async () => {
  const page = await newPage(browser, server);
  await signInOperator(page, server);
  await page.getByRole('cell', { name: /演示科技有限公司/ }).waitFor();
  await shoot(page, 'operator-tenants');
  // The operator's session is not a tenant session: the CRM's pages send it to sign in...
  await page.goto('/customers');
  await page.waitForURL(/\/login/);
  // ...and the API refuses tenant data to the operator's cookie, whatever the page does.
  const status = await page.evaluate(async () => (await fetch('/api/v1/customers')).status);
  assert.equal(status, 401);
  const meta = await page.evaluate(async () => (await fetch('/api/v1/operator/tenants')).json());
  assert.ok(meta.items.length >= 1);
  assert.ok(meta.items.every((t) => !('customers' in t) && !('contacts' in t)));
});

test('a custom field defined in the settings is filled in on a customer, shown, and filters the list', async () => {
  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  await page.goto('/settings?tab=fields');
  await page.getByLabel('显示名称').fill('客户规模');
  await page.getByLabel('字段标识').fill('scale');
  await page.getByLabel('类型', { exact: true }).click();
  await pickOption(page, '单选');
  await page.getByLabel('可选项').fill('大型');
  await page.keyboard.press('Enter');
  await page.getByLabel('可选项').fill('中小型');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: '添加字段' }).click();
  await page.getByRole('cell', { name: '客户规模' }).waitFor();

  await page.goto('/customers');
  await page.getByRole('button', { name: '新建客户' }).click();
  const drawer = page.getByRole('dialog');
  await drawer.getByLabel('客户名称').fill('宁波海曙精工模具有限公司');
  await drawer.getByLabel('客户规模').click();
  await pickOption(page, '大型');
  await drawer.getByRole('button', { name: /保 ?存/ }).click();
  await page.waitForURL(/\/customers\/\d+$/);
  await page.locator('.ant-descriptions-item').filter({ hasText: '客户规模' }).getByText('大型').waitFor();

  await page.goto('/customers');
  await page.getByLabel('客户规模').click();
  await pickOption(page, '大型');
  await page.waitForURL(/cf\.scale=/);
  await page.getByText('共 1 条').waitFor();
  await page.getByRole('link', { name: '宁波海曙精工模具有限公司' }).waitFor();
  assert.equal(await page.locator('tbody tr.ant-table-row').count(), 1, 'only the customer with the value is listed');
  assert.deepEqual(page.problems, []);
});

test('two customers are merged by picking the other one by name; its contacts move over', async () => {
  const token = await server.loginAs('boss');
  const keep = (await server.call('POST', '/api/v1/customers', { token, body: { name: '温州东瓯阀门有限公司' } })).body;
  const gone = (await server.call('POST', '/api/v1/customers', { token, body: { name: '温州东瓯阀门厂' } })).body;
  assert.equal((await server.call('POST', '/api/v1/contacts', { token, body: { customer_id: gone.id, name: '叶海', mobile: '13957700001' } })).status, 201);
  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  await page.goto(`/customers/${keep.id}`);
  await page.getByRole('button', { name: '更多操作' }).click();
  await page.getByRole('menuitem', { name: '合并客户' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('要合并进来的客户').fill('阀门厂');
  await pickOption(page, '温州东瓯阀门厂');
  await dialog.getByRole('button', { name: /确 ?定|OK/ }).click();
  await page.getByText('已合并').waitFor();
  await page.getByRole('tab', { name: /联系人（1）/ }).click();
  await page.getByRole('cell', { name: /叶海/ }).waitFor();
  assert.equal((await server.call('GET', `/api/v1/customers/${gone.id}`, { token })).status, 404);
  assert.deepEqual(page.problems, []);
});

test('a task for today is listed under Today and marked done there', async () => {
  const page = await newPage(browser, server);
  await signIn(page, server, 'lina');
  await page.getByRole('link', { name: '任务提醒' }).click();
  const form = page.getByRole('form', { name: '新建任务' });
  await form.getByLabel('任务').fill('给客户寄样品');
  await form.getByLabel('截止时间').click();
  const now = (await server.call('GET', '/api/v1/operator/clock', { token: await server.operatorToken() })).body.now;
  await page.keyboard.type(`${now.slice(0, 10)} 23:59`);
  await page.keyboard.press('Enter');
  await form.getByRole('button', { name: '新建任务' }).click();
  await page.getByText('任务已创建').waitFor();
  const row = page.getByRole('row').filter({ hasText: '给客户寄样品' });
  await row.locator('.ant-checkbox').click();
  await row.waitFor({ state: 'detached' }); // done: no longer open for today
  await page.getByText('已完成', { exact: true }).click();
  await page.waitForURL(/view=done/);
  await page.getByRole('row').filter({ hasText: '给客户寄样品' }).waitFor();
  assert.deepEqual(page.problems, []);
});

test('a contact is added, then edited: mobile, birthday and the primary flag', async () => {
  const token = await server.loginAs('boss');
  const c = (await server.call('POST', '/api/v1/customers', { token, body: { name: '嘉兴南湖纺织有限公司' } })).body;
  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  await page.goto(`/customers/${c.id}`);
  await page.getByRole('tab', { name: /联系人/ }).click();
  await page.getByRole('button', { name: '添加联系人' }).click();
  let drawer = page.getByRole('dialog');
  await drawer.getByLabel('姓名').fill('沈涛');
  await drawer.getByLabel('手机').fill('13812345678');
  await drawer.getByLabel('邮箱').fill('shen.tao');
  await drawer.getByRole('button', { name: /保 ?存/ }).click();
  // A bad email is refused on its field, in Chinese; nothing is half-written.
  await drawer.locator('.ant-form-item-explain-error').filter({ hasText: '不是有效的邮箱地址' }).waitFor();
  assert.equal((await server.call('GET', `/api/v1/contacts?customer_id=${c.id}`, { token })).body.items.length, 0);
  await drawer.getByLabel('邮箱').fill('shen.tao@example.cn');
  await drawer.getByRole('button', { name: /保 ?存/ }).click();
  await page.getByRole('cell', { name: /沈涛/ }).waitFor();

  await page.getByRole('row').filter({ hasText: '沈涛' }).getByRole('button', { name: /编 ?辑/ }).click();
  drawer = page.getByRole('dialog');
  await drawer.getByLabel('手机').fill('13912345678');
  await drawer.getByLabel('生日').click();
  await page.keyboard.type('1988-06-15');
  await page.keyboard.press('Enter');
  await drawer.getByRole('button', { name: /保 ?存/ }).click();
  await page.getByRole('cell', { name: '13912345678' }).waitFor();
  const saved = (await server.call('GET', `/api/v1/contacts?customer_id=${c.id}`, { token })).body.items[0];
  assert.equal(saved.mobile, '13912345678');
  assert.equal(saved.birthday, '1988-06-15');
  assert.equal(saved.is_primary, true, 'the first contact is the primary one');
  assert.deepEqual(page.problems, []);
});

test('a follow-up deleted from the list goes to the recycle bin, from which it is restored', async () => {
  const token = await server.loginAs('boss');
  const first = (await server.call('GET', '/api/v1/follow-ups?limit=1', { token })).body.items[0];
  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  await page.getByRole('link', { name: '跟进记录' }).click();
  const row = page.getByRole('row').filter({ hasText: first.content }).first();
  await row.getByRole('button', { name: /删 ?除/ }).click();
  await page.getByRole('button', { name: /确 ?定|OK/ }).click();
  await page.getByText('跟进已移入回收站').waitFor();
  assert.equal((await server.call('GET', `/api/v1/follow-ups?customer_id=${first.customer_id}`, { token })).body.items.some((f) => f.id === first.id), false);

  await page.getByRole('link', { name: '回收站' }).click();
  const binRow = page.getByRole('row').filter({ hasText: '跟进' }).first();
  await binRow.getByRole('button', { name: /恢 ?复/ }).click();
  await page.getByText(/已恢复/).waitFor();
  assert.equal((await server.call('GET', `/api/v1/follow-ups?customer_id=${first.customer_id}`, { token })).body.items.some((f) => f.id === first.id), true);
  assert.deepEqual(page.problems, []);
});

test('an opportunity with a custom field is carried to the next stage with the keyboard, then moved to another pipeline from its drawer', async () => {
  const token = await server.loginAs('boss');
  const field = await server.call('POST', '/api/v1/custom-fields', { token, body: { entity: 'opportunity', key: 'contract_no', label: '合同编号', type: 'text' } });
  assert.equal(field.status, 201, field.text);
  const renewals = await server.call('POST', '/api/v1/pipelines', {
    token,
    body: { name: '续费流程', stages: [{ name: '提醒续费', probability: 40 }, { name: '确认续费', probability: 90 }] },
  });
  assert.equal(renewals.status, 201, renewals.text);
  const pipeline = (await server.call('GET', '/api/v1/pipelines', { token })).body.items[0];
  const customer = (await server.call('GET', '/api/v1/customers?limit=1&owner_id=me', { token })).body.items[0];

  const page = await newPage(browser, server);
  await signIn(page, server, 'boss');
  await page.goto(`/customers/${customer.id}`);
  await page.getByRole('tab', { name: '商机' }).click();
  await page.getByRole('tabpanel').getByRole('button', { name: '新建商机' }).click();
  const form = page.getByRole('dialog').getByRole('form', { name: '新建商机' });
  await form.getByLabel('商机名称').fill('年度维保合同');
  await form.getByLabel('金额').fill('12000');
  await form.getByLabel('合同编号').fill('HT-2026-118');
  await form.getByRole('button', { name: /保 ?存/ }).click();
  await page.getByRole('cell', { name: '年度维保合同' }).waitFor();
  const opp = (await server.call('GET', `/api/v1/opportunities?customer_id=${customer.id}`, { token })).body.items.find((o) => o.name === '年度维保合同');
  assert.equal(opp.custom.contract_no, 'HT-2026-118');
  assert.equal(opp.pipeline_id, pipeline.id);
  assert.equal(opp.stage.id, pipeline.stages[0].id);

  // On the board with the keyboard alone: focus the card's handle, pick it up, one column right,
  // put it down.
  await page.getByRole('link', { name: '商机' }).click();
  const card = page.getByTestId(`opp-${opp.id}`);
  const handle = card.getByRole('button', { name: `拖动“年度维保合同”（${pipeline.stages[0].name}）` });
  await handle.focus();
  const next = pipeline.stages[1];
  // What a screen reader hears is announced at each step (dnd-kit's live region).
  await page.keyboard.press('Space');
  await card.locator('[aria-pressed="true"]').waitFor();
  // The sensor listens for arrows from a timer set when the card was picked up; one of ours
  // set after that runs after it.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  await page.keyboard.press('ArrowRight');
  await page.getByText(`在阶段 ${next.name} 上方`).waitFor({ state: 'attached' });
  await page.keyboard.press('Space');
  await page.getByText(`放到了阶段 ${next.name}`).waitFor({ state: 'attached' });
  await page.getByText(`“年度维保合同”已移到“${next.name}”`).waitFor();
  assert.equal((await server.call('GET', `/api/v1/opportunities/${opp.id}`, { token })).body.stage.id, next.id);
  await page.getByTestId(`stage-${next.id}`).getByTestId(`opp-${opp.id}`).waitFor();

  // Its drawer shows the custom field; there it moves to the other pipeline, whose first stage
  // is offered, and a later stage is picked.
  await card.getByRole('button', { name: '年度维保合同', exact: true }).click();
  const drawer = page.getByRole('dialog');
  await drawer.getByText('HT-2026-118').waitFor();
  await drawer.getByRole('button', { name: /编 ?辑/ }).click();
  // By keyboard, as in the rest of this test: open each select, one option down, Enter.
  await drawer.getByLabel('销售流程').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await drawer.getByTitle('续费流程').waitFor();
  await drawer.getByTitle('提醒续费 (40%)').waitFor();
  await drawer.getByLabel('阶段').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await drawer.getByTitle('确认续费 (90%)').waitFor();
  await drawer.getByRole('button', { name: /保 ?存/ }).click();
  await page.getByText('已保存').last().waitFor();
  await card.waitFor({ state: 'detached' }); // no longer on this pipeline's board
  const moved = (await server.call('GET', `/api/v1/opportunities/${opp.id}`, { token })).body;
  assert.equal(moved.pipeline_id, renewals.body.id);
  assert.equal(moved.stage.name, '确认续费');
  assert.equal(moved.custom.contract_no, 'HT-2026-118', 'the custom field is kept');
  const history = (await server.call('GET', `/api/v1/opportunities/${opp.id}/history`, { token })).body.items;
  assert.ok(history.some((h) => h.from_stage?.id === next.id && h.to_stage?.name === '确认续费'));
  assert.deepEqual(page.problems, []);
});
