// Bad input at the boundary, the same on SQLite and PostgreSQL: a control character in any text
// field of any route is 422 naming the field (PostgreSQL would otherwise cut the text at a NUL
// and 查重 compare what is left), a query value with one is 422 (not a 500), a JSON object that
// names a key twice is 400 invalid_json, and dates outside 1900–2200 are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './harness.mjs';

let s;
let boss;
let op;
before(async () => {
  s = await startServer({ testClock: true });
  boss = await s.loginAs('boss');
  op = await s.operatorToken();
});
after(async () => { await s.stop(); });

async function customerCount() {
  const r = await s.call('GET', '/api/v1/customers?limit=200', { token: boss });
  assert.equal(r.status, 200);
  return r.body.items.length;
}

// The text properties of a request schema, as field paths: "name", "custom.region", "phones[0]".
function textFields(schema, prefix = '') {
  if (!schema || typeof schema !== 'object') return [];
  const types = [].concat(schema.type || []);
  if (types.includes('string')) return [prefix];
  if (types.includes('array') && schema.items) return textFields(schema.items, `${prefix}[0]`);
  if (types.includes('object') && schema.properties) {
    return Object.entries(schema.properties).flatMap(([k, v]) => textFields(v, prefix ? `${prefix}.${k}` : k));
  }
  return [];
}

function bodyWith(path, value) {
  const root = {};
  let at = root;
  const steps = path.split('.').flatMap((p) => p.split(/(?=\[0\])/));
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    if (step === '[0]') return;
    const next = steps[i + 1] === '[0]';
    const leaf = last || (next && i + 1 === steps.length - 1);
    const made = leaf ? (next ? [value] : value) : next ? [{}] : {};
    at[step] = made;
    at = Array.isArray(made) ? made[0] : made;
  });
  return root;
}

test('a control character in any text field of any route is refused, naming the field', async () => {
  const doc = (await s.call('GET', '/api/openapi.json')).body;
  const missed = [];
  let walked = 0;
  for (const [pattern, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['post', 'put', 'patch'].includes(method)) continue;
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      const fields = [...new Set(textFields(schema))].filter(Boolean);
      if (fields.length === 0) continue;
      const path = pattern.replace(/\{[^}]+\}/g, '1');
      const token = operation['x-access'] === 'operator' ? op : operation['x-access'] === 'public' ? undefined : boss;
      for (const field of fields) {
        for (const bad of ['宏达\u0000科技', 'a\u0007', 'line\rbreak', '\u001b[31m', 'x\u007f', 'c1\u0085']) {
          const r = await s.call(method.toUpperCase(), path, { token, body: bodyWith(field, bad), headers: { 'idempotency-key': `walk-${walked}` } });
          walked++;
          if (r.status !== 422 || r.body?.error?.code !== 'validation_failed' || !(field in (r.body.error.details.fields || {}))) {
            missed.push(`${method.toUpperCase()} ${pattern} ${field} ${JSON.stringify(bad)}: ${r.status} ${r.text.slice(0, 160)}`);
          }
        }
      }
    }
  }
  assert.ok(walked > 300, `walked ${walked} field values`);
  assert.deepEqual(missed, []);
});

test('nothing is written by a refused create, and tabs and line breaks stay text', async () => {
  const before = await customerCount();
  const r = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '宏达\u0000科技', contact: { name: '王\u0000总', mobile: '13800138000' } } });
  expectError(assert, r, 422, 'validation_failed');
  assert.deepEqual(Object.keys(r.body.error.details.fields).sort(), ['contact.name', 'name']);
  assert.equal(await customerCount(), before);
  // The name without the NUL is not taken as a duplicate of anything cut short.
  const ok = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '宏达科技输入测试' } });
  assert.equal(ok.status, 201, ok.text);
  const note = '第一行\n第二行\t缩进\r\n第三行';
  const f = await s.call('POST', '/api/v1/follow-ups', { token: boss, body: { customer_id: ok.body.id, type: 'call', content: note } });
  assert.equal(f.status, 201, f.text);
  assert.equal(f.body.content, note);
});

test('a query value with a control character or bytes that are not UTF-8 is 422, not 500', async () => {
  for (const path of ['/api/v1/customers?q=a%00b', '/api/v1/contacts?q=%00', '/api/v1/search?q=%E5%AE%8F%00',
    '/api/v1/customers?q=%1b', '/api/v1/follow-ups?type=call%00']) {
    const r = await s.call('GET', path, { token: boss });
    expectError(assert, r, 422, 'validation_failed');
  }
  const r = await s.call('GET', '/api/v1/customers?q=%FF%FE', { token: boss });
  expectError(assert, r, 422, 'validation_failed');
  assert.equal(r.body.error.details.fields.q, 'must be UTF-8 text');
  assert.equal((await s.call('GET', '/api/v1/customers?q=%E5%AE%8F', { token: boss })).status, 200);
});

test('a JSON object that names a key twice is invalid JSON', async () => {
  const before = await customerCount();
  for (const raw of ['{"name": "甲公司", "name": "乙公司"}', '{"name": "甲公司", "contact": {"mobile": "13800138001", "mobile": "13800138002"}}',
    '{"name": "甲", "n\\u0061me": "乙"}']) {
    const r = await s.call('POST', '/api/v1/customers', { token: boss, raw, headers: { 'content-type': 'application/json' } });
    expectError(assert, r, 400, 'invalid_json');
  }
  assert.equal(await customerCount(), before);
  const r = await s.call('POST', '/api/v1/operator/tenants', { token: op, raw: '{"slug": "a", "slug": "b"}', headers: { 'content-type': 'application/json' } });
  expectError(assert, r, 400, 'invalid_json');
});

test('dates and times outside 1900–2200 are refused', async () => {
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '日期范围测试' } });
  assert.equal(c.status, 201, c.text);
  for (const at of ['1899-12-31T23:59:59+08:00', '2201-01-01T00:00:00+08:00', '0001-01-01T00:00:00Z', '9999-12-31T00:00:00Z']) {
    const r = await s.call('POST', '/api/v1/follow-ups', { token: boss, body: { customer_id: c.body.id, type: 'call', content: '通话', at } });
    expectError(assert, r, 422, 'validation_failed');
    assert.ok('at' in r.body.error.details.fields, r.text);
  }
  for (const day of ['1899-12-31', '2201-01-01', '0000-01-01']) {
    const r = await s.call('POST', '/api/v1/opportunities', { token: boss, body: { customer_id: c.body.id, name: '商机', amount_fen: 100, expected_close_date: day } });
    expectError(assert, r, 422, 'validation_failed');
    assert.ok('expected_close_date' in r.body.error.details.fields, r.text);
  }
  const edge = await s.call('POST', '/api/v1/follow-ups', { token: boss, body: { customer_id: c.body.id, type: 'call', content: '通话', at: '1900-01-01T08:00:00+08:00' } });
  assert.equal(edge.status, 201, edge.text);
  const later = await s.call('POST', '/api/v1/opportunities', { token: boss, body: { customer_id: c.body.id, name: '商机', amount_fen: 100, expected_close_date: '2200-12-31' } });
  assert.equal(later.status, 201, later.text);
});
