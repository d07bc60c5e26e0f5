// The tenant-isolation walk: every tenant route of the router, called as a user of tenant B
// with ids that belong to tenant A. Nothing of A's may come back, nothing of A's may change,
// and a route addressing one of A's records answers 404 (never 403: existence does not leak).
// It reads the routes from the binary, so routes added later are walked without anyone
// remembering to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, bin } from './harness.mjs';

const MARK = 'ISOLATION-A-标记';
let s;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

async function seedTenantA(boss) {
  const dept = await s.call('POST', '/api/v1/departments', { token: boss, body: { name: `${MARK}部门` } });
  const user = await s.call('POST', '/api/v1/users', {
    token: boss, body: { login: 'isolated', name: `${MARK}用户`, role: 'manager', department_id: dept.body.id, password: 'Walled-off-2026' },
  });
  const token = await s.call('POST', '/api/v1/api-tokens', { token: boss, body: { name: `${MARK}令牌`, scope: 'read' } });
  const grant = await s.call('POST', '/api/v1/support-grants', { token: boss, body: { reason: `${MARK}授权` } });
  await s.call('PUT', '/api/v1/roles/member', { token: boss, body: { data_scope: 'department' } });
  const pool = await s.call('POST', '/api/v1/pools', { token: boss, body: { name: `${MARK}公海` } });
  const customer = await s.call('POST', '/api/v1/customers', {
    token: boss, body: { name: `${MARK}客户`, phones: ['13912345678'], tags: [MARK] },
  });
  const pooled = await s.call('POST', '/api/v1/customers', {
    token: boss, body: { name: `${MARK}公海客户`, pool_id: pool.body.id },
  });
  const contact = await s.call('POST', '/api/v1/contacts', {
    token: boss, body: { customer_id: customer.body.id, name: `${MARK}联系人`, mobile: '13912345679' },
  });
  const followUp = await s.call('POST', '/api/v1/follow-ups', {
    token: boss, body: { customer_id: customer.body.id, type: 'call', content: `${MARK}跟进`, next_at: '2099-01-01T09:00:00+08:00' },
  });
  const task = await s.call('POST', '/api/v1/tasks', { token: boss, body: { title: `${MARK}任务`, due_at: '2099-01-02T09:00:00+08:00' } });
  const deleted = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: `${MARK}已删除` } });
  await s.call('DELETE', `/api/v1/customers/${deleted.body.id}`, { token: boss });
  const pipeline = await s.call('POST', '/api/v1/pipelines', { token: boss, body: { name: `${MARK}流程`, stages: [{ name: '一', probability: 10 }] } });
  const opportunity = await s.call('POST', '/api/v1/opportunities', { token: boss, body: { customer_id: customer.body.id, name: `${MARK}商机`, amount_fen: 100 } });
  const imported = await s.call('POST', '/api/v1/imports?filename=a.csv', { token: boss, raw: `客户名称\r\n${MARK}导入\r\n`, headers: { 'content-type': 'text/csv' } });
  await s.call('POST', `/api/v1/imports/${imported.body.id}/commit`, { token: boss, body: {} });
  const field = await s.call('POST', '/api/v1/custom-fields', { token: boss, body: { entity: 'customer', key: 'mark', label: `${MARK}字段`, type: 'text' } });
  const view = await s.call('POST', '/api/v1/saved-views', { token: boss, body: { entity: 'customers', name: `${MARK}视图`, filters: { q: MARK } } });
  const order = await s.call('POST', '/api/v1/billing/orders', { token: boss, body: { kind: 'sms', pack: 'sms-1000' } });
  const thread = await s.call('POST', '/api/v1/support/threads', { token: boss, body: { subject: `${MARK}支持`, body: MARK } });
  const file = await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customer.body.id}&filename=${encodeURIComponent(MARK)}.txt`, {
    token: boss, raw: MARK, headers: { 'content-type': 'text/plain' } });
  // SMS: a template, an opted-out number, and a send (signature approved, the pack paid).
  const template = await s.call('POST', '/api/v1/sms/templates', { token: boss, body: { name: `${MARK}模板`, type: 'notification', body: `${MARK}{联系人}` } });
  const optOut = await s.call('POST', '/api/v1/sms/opt-outs', { token: boss, body: { phone: '13912345670' } });
  const op = await s.operatorToken();
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  await s.call('PUT', '/api/v1/sms/signature', { token: boss, body: { signature: '隔离测试' } });
  await s.call('POST', `/api/v1/operator/sms/signatures/${tenantId}/approve`, { token: op, body: {} });
  await s.call('POST', `/api/v1/billing/orders/${order.body.id}/accept`, { token: boss });
  const paid = await s.call('POST', `/api/v1/operator/orders/${order.body.id}/payments`, {
    token: op, headers: { 'idempotency-key': 'isolation-sms' }, body: { amount_fen: order.body.total_fen, bank_reference: 'ISO-1', paid_on: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10) } });
  assert.equal(paid.status, 201, paid.text);
  const sms = await s.call('POST', `/api/v1/contacts/${contact.body.id}/sms`, { token: boss, body: { template_id: template.body.id } });
  // A fax of a one-page PDF (the fax pack paid like the SMS one).
  const faxOrder = await s.call('POST', '/api/v1/billing/orders', { token: boss, body: { kind: 'fax', pack: 'fax-100' } });
  await s.call('POST', `/api/v1/billing/orders/${faxOrder.body.id}/accept`, { token: boss });
  await s.call('POST', `/api/v1/operator/orders/${faxOrder.body.id}/payments`, {
    token: op, headers: { 'idempotency-key': 'isolation-fax' }, body: { amount_fen: faxOrder.body.total_fen, bank_reference: 'ISO-2', paid_on: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10) } });
  const stream = 'BT /F1 12 Tf 72 720 Td (x) Tj ET';
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>', `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`];
  let pdf = '%PDF-1.4\n';
  const offsets = objs.map((o, i) => { const at = pdf.length; pdf += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
  const xref = pdf.length;
  pdf += `xref\n0 5\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  const pdfFile = await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customer.body.id}&filename=${encodeURIComponent(MARK)}.pdf`, {
    token: boss, raw: pdf, headers: { 'content-type': 'application/pdf' } });
  const fax = await s.call('POST', '/api/v1/faxes', { token: boss, body: { attachment_id: pdfFile.body.id, number: '02166668888' } });
  // The send settles before the snapshot (the fax retries for a mail server that is not there,
  // so the fax list stays out of the snapshot).
  for (let i = 0; i < 100; i += 1) {
    const b = await s.call('GET', `/api/v1/sms/sends/${sms.body.id}`, { token: boss });
    if (b.body.counts.queued === 0 && b.body.counts.sending === 0) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  for (const r of [dept, user, token, grant, pool, customer, pooled, contact, followUp, task, deleted, pipeline, opportunity, imported, field, view, order, thread, file, template, optOut, sms, pdfFile, fax]) {
    assert.equal(r.status, 201, r.text);
  }
  return [dept.body.id, user.body.id, token.body.id, grant.body.id, pool.body.id, customer.body.id,
    pooled.body.id, contact.body.id, followUp.body.id, task.body.id, deleted.body.id, pipeline.body.id,
    opportunity.body.id, imported.body.id, field.body.id, view.body.id, order.body.id, thread.body.id, file.body.id,
    template.body.id, sms.body.id, pdfFile.body.id, fax.body.id];
}

async function snapshot(boss, customerId) {
  const views = {};
  for (const path of ['/api/v1/users?limit=200', '/api/v1/departments', '/api/v1/roles', '/api/v1/support-grants',
    '/api/v1/tenant', '/api/v1/api-tokens', '/api/v1/customers?limit=200', '/api/v1/contacts?limit=200',
    '/api/v1/follow-ups?limit=200', '/api/v1/tasks?limit=200', '/api/v1/pools', '/api/v1/recycle-bin?limit=200',
    '/api/v1/crm/settings', '/api/v1/opportunities?limit=200', '/api/v1/imports', '/api/v1/custom-fields',
    '/api/v1/saved-views', '/api/v1/billing/orders', '/api/v1/billing/subscription',
    '/api/v1/billing/notices', '/api/v1/billing/ledger', '/api/v1/billing/points',
    '/api/v1/support/threads', '/api/v1/announcements', '/api/v1/attachments/usage',
    `/api/v1/attachments?entity=customer&entity_id=${customerId}`, '/api/v1/sms/templates',
    '/api/v1/sms/sends', '/api/v1/sms/opt-outs', `/api/v1/customers/${customerId}/sms`]) {
    const r = await s.call('GET', path, { token: boss });
    assert.equal(r.status, 200, path);
    // Usage stamps move when A itself calls; everything else must stay put.
    views[path] = JSON.parse(JSON.stringify(r.body, (k, v) => (k === 'last_used_at' ? undefined : v)));
  }
  return views;
}

test('tenant B sees and changes nothing of tenant A on any route', async () => {
  const bossA = await s.loginAs('boss');
  const aIds = await seedTenantA(bossA);
  for (const r of (await s.call('GET', '/api/v1/users?limit=200', { token: bossA })).body.items) aIds.push(r.id);
  for (const r of (await s.call('GET', '/api/v1/audit-log?limit=20', { token: bossA })).body.items) aIds.push(r.id);
  const aTenantId = (await s.call('GET', '/api/v1/tenant', { token: bossA })).body.id;
  aIds.push(aTenantId);
  const before = await snapshot(bossA, aIds[5]);

  const { bossToken: bossB } = await s.createTenant('tenant-b', { seats: 50 });
  const routes = JSON.parse(execFileSync(bin, ['--db', s.database, 'routes', '--json'], { encoding: 'utf8' }));
  const tenantRoutes = routes.filter((r) => r.access === 'tenant' || r.access === 'tenant_user');
  assert.ok(tenantRoutes.length >= 25, `only ${tenantRoutes.length} tenant routes`);
  // Routes that end the caller's own sessions are walked last, so the walk keeps its token.
  const ending = (r) => /logout|unauthorized-use/.test(r.path);
  tenantRoutes.sort((x, y) => ending(x) - ending(y));

  const leaks = (text) => {
    if (text.includes(MARK)) return 'a marker of tenant A';
    for (const id of aIds) {
      if (new RegExp(`[:\\[,]\\s*${id}\\s*[,\\]}]`).test(text)) return `tenant A's id ${id}`;
    }
    return null;
  };
  let calls = 0;
  for (const route of tenantRoutes) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const bodies = [{}, {
      name: 'B', department_id: aIds[0], parent_id: aIds[0], user_ids: [aIds[1]], reason: 'B', scope: 'read',
      data_scope: 'all', login: `b${calls}`, role: 'member', customer_id: aIds[5], contact_id: aIds[7],
      pool_id: aIds[4], owner_id: aIds[1], assignee_id: aIds[1], type: 'call', content: 'B',
      title: 'B', due_at: '2099-01-01T09:00:00+08:00', phones: ['13912345678'],
    }];
    const paths = params.length === 0
      ? [route.path]
      : params.includes('role')
        ? [route.path.replace('{role}', 'member')]
        : params.includes('type')
          ? ['customer', 'contact', 'follow_up', 'task', 'opportunity'].flatMap((t) => aIds.map((id) => route.path.replace('{type}', t).replace('{id}', String(id))))
          : aIds.map((id) => route.path.replace(/\{\w+\}/g, String(id)));
    for (const path of paths) {
      // A file route gets a plain file of B's own: an upload echoes what it was sent.
      const sent = route.body === 'file' ? [{ raw: '客户名称\r\nB 的客户\r\n', headers: { 'content-type': 'text/csv' } }]
        : route.method === 'GET' ? [{}] : bodies.map((body) => ({ body }));
      for (const request of sent) {
        const body = request.body;
        const r = await s.call(route.method, path, { token: bossB, ...request });
        calls++;
        const label = `${route.method} ${path} ${JSON.stringify(body)} → ${r.status}`;
        assert.notEqual(r.status, 500, label + r.text);
        const leak = leaks(r.text);
        assert.equal(leak, null, `${label} leaked ${leak}: ${r.text.slice(0, 300)}`);
        if (params.length && !params.includes('role') && body && Object.keys(body).length === 0) {
          assert.equal(r.status, 404, `${label}: another tenant's record must be 404`);
        }
        if (params.length && !params.includes('role') && route.method === 'GET') {
          assert.equal(r.status, 404, `${label}: another tenant's record must be 404`);
        }
      }
    }
  }
  assert.ok(calls > 100, `only ${calls} calls`);
  assert.deepEqual(await snapshot(bossA, aIds[5]), before, "tenant A's data changed");
  // A's boss still works: nothing B did reached A's sessions.
  assert.equal((await s.call('GET', '/api/v1/me', { token: bossA })).status, 200);
});
