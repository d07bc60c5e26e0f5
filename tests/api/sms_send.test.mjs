// Sending SMS through the http gateway to a local provider that this test plays: signed
// requests, idempotent by our message id, refusals, a timeout (the provider took the message
// but answered too late), duplicate delivery receipts and "TD" replies. Points are held at
// submit, charged on acceptance, released on refusal; marketing waits for its window, respects
// the opt-out list and carries the unsubscribe text; per-number limits; a bulk send that runs
// out of points; a suspended tenant sends nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { startServer, expectError } from './harness.mjs';

const SECRET = 'provider-secret';
const CALLBACK = 'callback-secret';
let s;
let op;
let boss;
let provider;

// The provider: remembers each distinct message id once, answers by the recipient's number.
function startProvider() {
  const sent = new Map();  // id → body
  const requests = [];
  const behaviour = new Map();  // phone → 'refuse' | 'slow-once' | 'fail-500'
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      const ts = req.headers['x-kelu-timestamp'];
      const sig = req.headers['x-kelu-signature'];
      const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${data}`).digest('hex')}`;
      const body = JSON.parse(data);
      requests.push({ body, signed: sig === want, key: req.headers['x-kelu-key'] });
      if (sig !== want) { res.writeHead(401).end('{"status":"refused","code":"bad_signature"}'); return; }
      const how = behaviour.get(body.to);
      if (how === 'refuse') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'refused', code: 'BLACKLIST', message: '号码在黑名单' }));
        return;
      }
      if (how === 'fail-500') { res.writeHead(503).end('{}'); return; }
      if (!sent.has(body.id)) sent.set(body.id, body);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'accepted', provider_id: `p-${body.id}` }));
      };
      if (how === 'slow-once') {
        behaviour.delete(body.to);
        setTimeout(answer, 2500);  // longer than sms.timeout_seconds
      } else {
        answer();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    server, sent, requests, behaviour, url: `http://127.0.0.1:${server.address().port}/send`,
  })));
}

// A callback as the provider signs it, timestamped by the server's clock (or `at`, in ms).
async function signed(body, { at } = {}) {
  const text = JSON.stringify(body);
  const ts = String(Math.floor((at ?? await now()) / 1000));
  const sig = `sha256=${createHmac('sha256', CALLBACK).update(`${ts}.${text}`).digest('hex')}`;
  return { headers: { 'x-kelu-timestamp': ts, 'x-kelu-signature': sig, 'content-type': 'application/json' }, raw: text };
}

async function callback(path, body, options) {
  const { headers, raw } = await signed(body, options);
  return s.call('POST', path, { headers, raw });
}

async function now() {
  return Date.parse((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
}

async function setClock(ms) {
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(ms).toISOString() } });
  assert.equal(r.status, 200, r.text);
  op = await s.operatorToken();
  boss = await s.loginAs('boss');
}

async function points() {
  const r = await s.call('GET', '/api/v1/billing/points', { token: boss });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function settled(batchId, { until = (b) => b.counts.queued === 0 && b.counts.sending === 0 } = {}) {
  for (let i = 0; i < 100; i += 1) {
    const b = await s.call('GET', `/api/v1/sms/sends/${batchId}`, { token: boss });
    assert.equal(b.status, 200, b.text);
    if (until(b.body)) return b.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`send ${batchId} did not settle`);
}

async function messages(batchId) {
  const r = await s.call('GET', `/api/v1/sms/sends/${batchId}/messages?limit=200`, { token: boss });
  assert.equal(r.status, 200, r.text);
  return r.body.items;
}

let customer;
const contacts = {};

async function contact(name, mobile) {
  const r = await s.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: customer.id, name, title: '经理', mobile } });
  assert.equal(r.status, 201, r.text);
  contacts[name] = r.body;
  return r.body;
}

const send = (body, token = boss) => s.call('POST', '/api/v1/sms/sends', { token, body });
const toOne = (name, body) => s.call('POST', `/api/v1/contacts/${contacts[name].id}/sms`, { token: boss, body });

before(async () => {
  provider = await startProvider();
  s = await startServer({
    testClock: true,
    env: {
      KELU_SMS_GATEWAY: 'http',
      KELU_SMS_HTTP_URL: provider.url,
      KELU_SMS_HTTP_KEY_ID: 'kelu-test',
      KELU_SMS_HTTP_SECRET: SECRET,
      KELU_SMS_CALLBACK_SECRET: CALLBACK,
      KELU_SMS_TIMEOUT_SECONDS: '1',
      KELU_SMS_RETRY_BASE_SECONDS: '60',
      KELU_SMS_PER_NUMBER_HOURLY: '3',
    },
  });
  op = await s.operatorToken();
  boss = await s.loginAs('boss');
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '杭州短信测试有限公司' } });
  assert.equal(c.status, 201, c.text);
  customer = c.body;
  await contact('张三', '13800000001');
  await contact('李四', '13800000002');
  await contact('王五', '13800000003');
  await contact('座机', '021-66668888');
});
after(async () => {
  await s.stop();
  provider.server.close();
});

test('no approved signature, no sending; then 100 points are bought', async () => {
  expectError(assert, await toOne('张三', { text: '您好' }), 409, 'sms_signature_required');
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  assert.equal((await s.call('PUT', '/api/v1/sms/signature', { token: boss, body: { signature: '客录' } })).status, 200);
  assert.equal((await s.call('POST', `/api/v1/operator/sms/signatures/${tenantId}/approve`, { token: op, body: {} })).status, 200);
  expectError(assert, await toOne('张三', { text: '您好' }), 409, 'insufficient_points');
  const o = await s.call('POST', '/api/v1/billing/orders', { token: boss, body: { kind: 'sms', pack: 'sms-1000' } });
  assert.equal(o.status, 201, o.text);
  assert.equal((await s.call('POST', `/api/v1/billing/orders/${o.body.id}/accept`, { token: boss })).status, 200);
  const today = new Date(await now() + 8 * 3600e3).toISOString().slice(0, 10);
  const paid = await s.call('POST', `/api/v1/operator/orders/${o.body.id}/payments`, {
    token: op, headers: { 'idempotency-key': 'sms-pack-1' }, body: { amount_fen: o.body.total_fen, bank_reference: 'B-1', paid_on: today },
  });
  assert.equal(paid.status, 201, paid.text);
  assert.equal((await points()).balances.sms, 1000);
});

test('a 70-character message costs 1 point, a 71-character one 2; the provider gets each once, signed', async () => {
  // 【客录】 is 4 characters: 66 more make 70.
  let r = await toOne('张三', { text: '好'.repeat(66) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.points_held, 1);
  let b = await settled(r.body.id);
  assert.equal(b.counts.accepted, 1);
  assert.equal(b.points_charged, 1);
  r = await toOne('李四', { text: '好'.repeat(67) });
  assert.equal(r.status, 201, r.text);
  b = await settled(r.body.id);
  assert.equal(b.points_charged, 2);
  const p = await points();
  assert.equal(p.balances.sms, 997);
  assert.equal(p.held.sms, 0);
  const [m] = await messages(r.body.id);
  assert.equal(m.status, 'accepted');
  assert.equal(m.segments, 2);
  assert.equal(m.content, `【客录】${'好'.repeat(67)}`);
  const got = provider.sent.get(`kelu-${(await s.call('GET', '/api/v1/tenant', { token: boss })).body.id}-${m.id}`);
  assert.ok(got, 'the provider has the message under our id');
  assert.equal(got.to, '13800000002');
  assert.ok(provider.requests.every((q) => q.signed && q.key === 'kelu-test'));
  // The customer's timeline and SMS history show it, with its status.
  const hist = await s.call('GET', `/api/v1/customers/${customer.id}/sms`, { token: boss });
  assert.equal(hist.status, 200, hist.text);
  assert.equal(hist.body.items.length, 2);
  assert.ok(hist.body.items.every((x) => x.status === 'accepted'));
  const tl = await s.call('GET', `/api/v1/customers/${customer.id}/timeline`, { token: boss });
  assert.equal(tl.body.items.filter((e) => e.kind === 'sms').length, 2);
});

test('templates fill in the customer and contact; unknown variables are refused', async () => {
  expectError(assert, await s.call('POST', '/api/v1/sms/templates', { token: boss, body: { name: 'x', type: 'notification', body: '{生日}快乐' } }), 422, 'validation_failed');
  const member = await s.loginAs('member');
  expectError(assert, await s.call('POST', '/api/v1/sms/templates', { token: member, body: { name: 'x', type: 'notification', body: 'x' } }), 403, 'forbidden');
  const t = await s.call('POST', '/api/v1/sms/templates', { token: boss, body: { name: '到货通知', type: 'notification', body: '{联系人|客户}您好，{客户名称}的货已发出。' } });
  assert.equal(t.status, 201, t.text);
  const r = await toOne('王五', { template_id: t.body.id });
  assert.equal(r.status, 201, r.text);
  await settled(r.body.id);
  const [m] = await messages(r.body.id);
  assert.equal(m.content, '【客录】王五您好，杭州短信测试有限公司的货已发出。');
  expectError(assert, await toOne('王五', { template_id: 999999 }), 404, 'not_found');
  expectError(assert, await toOne('王五', { text: 'a', template_id: t.body.id }), 422, 'validation_failed');
});

test('a sensitive word refuses the message before any charge, listing the words', async () => {
  const put = await s.call('PUT', '/api/v1/operator/sms/sensitive-words', { token: op, body: { words: ['代开发票'] } });
  assert.equal(put.status, 200, put.text);
  const before = (await points()).balances.sms;
  const r = await toOne('张三', { text: '本公司可代开发票' });
  expectError(assert, r, 422, 'sensitive_words');
  assert.deepEqual(r.body.error.details.words, ['代开发票']);
  assert.equal((await points()).balances.sms, before);
  const sends = await s.call('GET', '/api/v1/sms/sends?limit=200', { token: boss });
  assert.ok(sends.body.items.every((b) => !b.body.includes('代开发票')), 'nothing stored');
});

test('a landline cannot receive SMS; an unknown contact is 404', async () => {
  expectError(assert, await toOne('座机', { text: '您好' }), 422, 'no_mobile');
  expectError(assert, await s.call('POST', '/api/v1/contacts/99999999/sms', { token: boss, body: { text: '您好' } }), 404, 'not_found');
  expectError(assert, await send({ text: '您好' }), 422, 'validation_failed');
  expectError(assert, await send({ text: '您好', to: { contact_ids: [] } }), 422, 'validation_failed');
});

test('the provider refuses one message: its points come back', async () => {
  provider.behaviour.set('13800000003', 'refuse');
  const before = (await points()).balances.sms;
  const r = await toOne('王五', { text: '您好' });
  assert.equal(r.status, 201, r.text);
  const b = await settled(r.body.id);
  assert.equal(b.counts.refused, 1);
  assert.equal(b.points_charged, 0);
  const [m] = await messages(r.body.id);
  assert.equal(m.reason, 'gateway_refused');
  assert.match(m.detail, /BLACKLIST/);
  const p = await points();
  assert.equal(p.balances.sms, before);
  assert.equal(p.held.sms, 0);
  provider.behaviour.delete('13800000003');
});

test('a timeout is retried after the backoff under the same id: sent once, charged once', async () => {
  provider.behaviour.set('13800000001', 'slow-once');
  const before = (await points()).balances.sms;
  const r = await toOne('张三', { text: '超时测试' });
  assert.equal(r.status, 201, r.text);
  // The first attempt times out: the message waits, its points held. (Before that attempt it
  // is queued too, with no attempts: wait for the attempt itself.)
  let m;
  for (let i = 0; i < 100; i += 1) {
    [m] = await messages(r.body.id);
    if (m.attempts === 1 && m.status === 'queued') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const waiting = await settled(r.body.id, { until: (b) => b.counts.queued === 1 });
  assert.ok(waiting.scheduled_for);
  assert.match(m.detail, /timeout/);
  assert.equal(m.attempts, 1);
  assert.equal((await points()).held.sms, 1);
  await setClock(await now() + 61_000);
  await settled(r.body.id);
  [m] = await messages(r.body.id);
  assert.equal(m.status, 'accepted');
  assert.equal(m.attempts, 2);
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const id = `kelu-${tenantId}-${m.id}`;
  assert.equal(provider.requests.filter((q) => q.body.id === id).length, 2, 'two requests');
  assert.ok(provider.sent.has(id), 'one message');
  const p = await points();
  assert.equal(p.balances.sms, before - 1);
  assert.equal(p.held.sms, 0);
});

test('duplicate delivery receipts change nothing; callbacks must be signed', async () => {
  const r = await toOne('李四', { text: '回执测试' });
  await settled(r.body.id);
  const [m] = await messages(r.body.id);
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const receipt = { receipts: [{ id: `kelu-${tenantId}-${m.id}`, status: 'delivered', code: 'DELIVRD' }] };
  let cb = await callback('/api/v1/sms/gateway/receipts', receipt);
  assert.equal(cb.status, 200, cb.text);
  assert.deepEqual(cb.body, { recorded: 1, duplicates: 0, unknown: 0 });
  cb = await callback('/api/v1/sms/gateway/receipts', { receipts: [{ id: `kelu-${tenantId}-${m.id}`, status: 'undelivered', code: 'LATE' }] });
  assert.deepEqual(cb.body, { recorded: 0, duplicates: 1, unknown: 0 });
  cb = await callback('/api/v1/sms/gateway/receipts', { receipts: [{ id: 'kelu-1-1', status: 'delivered' }, { id: 'nonsense', status: 'delivered' }] });
  assert.equal(cb.body.unknown, 2);
  const [after] = await messages(r.body.id);
  assert.equal(after.delivery, 'delivered');
  assert.equal(after.delivery_code, 'DELIVRD');
  assert.equal(after.receipts, 2);
  expectError(assert, await s.call('POST', '/api/v1/sms/gateway/receipts', { body: receipt }), 401, 'bad_signature');
  const forged = await signed(receipt);
  forged.headers['x-kelu-signature'] = 'sha256=00';
  expectError(assert, await s.call('POST', '/api/v1/sms/gateway/receipts', forged), 401, 'bad_signature');
  // A signed callback counts once: the very same request again is a replay, and changes nothing.
  const once = await signed({ receipts: [{ id: `kelu-${tenantId}-${m.id}`, status: 'delivered', code: 'REPEAT' }] });
  assert.equal((await s.call('POST', '/api/v1/sms/gateway/receipts', once)).status, 200);
  expectError(assert, await s.call('POST', '/api/v1/sms/gateway/receipts', once), 409, 'callback_replayed');
  assert.equal((await messages(r.body.id))[0].receipts, 3);
  // Signed more than 5 minutes before or after the server's time: refused, and nothing counted.
  const at = await now();
  for (const skew of [-6 * 60 * 1000, 6 * 60 * 1000]) {
    expectError(assert, await callback('/api/v1/sms/gateway/receipts', receipt, { at: at + skew }), 401, 'callback_expired');
  }
  assert.equal((await callback('/api/v1/sms/gateway/receipts', receipt, { at: at - 4 * 60 * 1000 })).status, 200);
  const stale = await signed({ replies: [{ id: `kelu-${tenantId}-${m.id}`, from: '13800138000', text: 'TD' }] }, { at: at - 6 * 60 * 1000 });
  expectError(assert, await s.call('POST', '/api/v1/sms/gateway/replies', stale), 401, 'callback_expired');
  assert.equal((await messages(r.body.id))[0].receipts, 4);
  expectError(assert, await callback('/api/v1/sms/gateway/receipts', { receipts: [{ id: 'x', status: 'read' }] }), 422, 'validation_failed');
});

test('per-number limits: a fourth message in an hour is refused', async () => {
  // 王五 has had one message this hour that counts (the refused one does not).
  const r = await toOne('王五', { text: '第三条' });
  assert.equal(r.status, 201, r.text);
  await settled(r.body.id);
  const again = await toOne('王五', { text: '第四条' });
  assert.equal(again.status, 201, again.text);
  await settled(again.body.id);
  expectError(assert, await toOne('王五', { text: '第五条' }), 429, 'sms_frequency_limited');
});

test('a "TD" reply opts the number out of marketing; notifications still go', async () => {
  const tenantId = (await s.call('GET', '/api/v1/tenant', { token: boss })).body.id;
  const cb = await callback('/api/v1/sms/gateway/replies', { replies: [{ ext: String(tenantId), from: '+86 138 0000 0002', text: 'ＴＤ' }, { ext: String(tenantId), from: '13800000002', text: '好的' }] });
  assert.equal(cb.status, 200, cb.text);
  assert.deepEqual(cb.body, { opted_out: 1, other: 1, unknown: 0 });
  const list = await s.call('GET', '/api/v1/sms/opt-outs', { token: boss });
  assert.deepEqual(list.body.items.map((x) => [x.phone, x.source]), [['13800000002', 'reply']]);
  expectError(assert, await toOne('李四', { text: '双十一大促', type: 'marketing' }), 409, 'sms_opted_out');
  const note = await toOne('李四', { text: '您的订单已发货', type: 'notification' });
  assert.equal(note.status, 201, note.text);
  // Another tenant's opt-out list is its own.
  const other = await s.createTenant('sms-other');
  const theirs = await s.call('GET', '/api/v1/sms/opt-outs', { token: other.bossToken });
  assert.deepEqual(theirs.body.items, []);
  // Taken off by the boss, the number gets marketing again.
  const del = await s.call('DELETE', '/api/v1/sms/opt-outs/13800000002', { token: boss });
  assert.equal(del.status, 204, del.text);
  expectError(assert, await s.call('DELETE', '/api/v1/sms/opt-outs/13800000002', { token: boss }), 404, 'not_found');
  const add = await s.call('POST', '/api/v1/sms/opt-outs', { token: boss, body: { phone: '13800000002' } });
  assert.equal(add.status, 201, add.text);
  assert.equal(add.body.source, 'manual');
  expectError(assert, await s.call('POST', '/api/v1/sms/opt-outs', { token: boss, body: { phone: '021-1234' } }), 422, 'validation_failed');
});

test('marketing at 22:00 waits for 08:00 and carries the unsubscribe text', async () => {
  // The next 22:00 in Shanghai.
  const t = await now();
  const local = new Date(t + 8 * 3600e3);
  let at22 = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), 22) - 8 * 3600e3;
  if (at22 <= t) at22 += 86400e3;
  await setClock(at22);
  const r = await toOne('张三', { text: '双十二大促', type: 'marketing' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.counts.queued, 1);
  const eight = new Date(at22 + 10 * 3600e3);
  assert.equal(Date.parse(r.body.scheduled_for), eight.getTime());
  await new Promise((res) => setTimeout(res, 1500));
  const [m] = await messages(r.body.id);
  assert.equal(m.status, 'queued', 'not sent at night');
  assert.equal(m.content, '【客录】双十二大促拒收请回复R');
  await setClock(eight.getTime() + 60_000);
  const b = await settled(r.body.id);
  assert.equal(b.counts.accepted, 1);
});

test('a bulk send to a filter: refused whole when points are short, or sent while they last', async () => {
  // A customer with 30 contacts; 500-character messages cost 8 points each.
  const c = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '批量短信客户' } });
  assert.equal(c.status, 201, c.text);
  for (let i = 0; i < 30; i += 1) {
    const r = await s.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: c.body.id, name: `联系人${i}`, mobile: `1390000${String(i).padStart(4, '0')}` } });
    assert.equal(r.status, 201, r.text);
  }
  // Spend down to fewer points than 30 × 8 = 240 need.
  let balance = (await points()).balances.sms;
  const text = '长'.repeat(496);  // + 【客录】 = 500 characters = 8 segments
  const big = await s.call('POST', '/api/v1/customers', { token: boss, body: { name: '耗点客户' } });
  const spend = [];
  for (let i = 0; balance - 8 * spend.length > 200; i += 1) {
    const r = await s.call('POST', '/api/v1/contacts', { token: boss, body: { customer_id: big.body.id, name: `耗${i}`, mobile: `1370000${String(i).padStart(4, '0')}` } });
    spend.push(r.body.id);
  }
  const drain = await send({ text, to: { filter: { entity: 'contacts', query: { customer_id: String(big.body.id) } } } });
  assert.equal(drain.status, 201, drain.text);
  await settled(drain.body.id);
  balance = (await points()).balances.sms;
  assert.ok(balance < 240 && balance >= 8, `balance ${balance}`);
  const filter = { filter: { entity: 'contacts', query: { customer_id: String(c.body.id) } } };
  const refused = await send({ text, to: filter });
  expectError(assert, refused, 409, 'insufficient_points');
  assert.equal(refused.body.error.details.needed, 240);
  assert.equal(refused.body.error.details.available, balance);
  assert.equal((await points()).balances.sms, balance, 'nothing held');
  const partial = await send({ text, to: filter, send_partial: true });
  assert.equal(partial.status, 201, partial.text);
  const fits = Math.floor(balance / 8);
  assert.equal(partial.body.counts.queued + partial.body.counts.refused, 30);
  assert.equal(partial.body.counts.refused, 30 - fits);
  assert.ok(partial.body.refusals.every((x) => x.reason === 'insufficient_points'));
  const b = await settled(partial.body.id);
  assert.equal(b.counts.accepted, fits);
  assert.equal(b.points_charged, fits * 8);
  assert.equal((await points()).balances.sms, balance - fits * 8);
});

test('members see their own sends; another tenant sees none of them', async () => {
  const member = await s.loginAs('member');
  const mine = await s.call('GET', '/api/v1/sms/sends', { token: member });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.items.length, 0);
  const all = await s.call('GET', '/api/v1/sms/sends?limit=200', { token: boss });
  assert.ok(all.body.items.length > 5);
  expectError(assert, await s.call('GET', `/api/v1/sms/sends/${all.body.items[0].id}`, { token: member }), 404, 'not_found');
  expectError(assert, await s.call('GET', '/api/v1/sms/outbox', { token: member }), 403, 'boss_only');
});

test('a suspended tenant cannot send, and its waiting messages are cancelled with their points back', async () => {
  // A marketing message at 22:00 on the eve of the expiry waits for 08:00 on the expiry date,
  // day 0, when the tenant is suspended (the daily job at 00:30).
  const sub = await s.call('GET', '/api/v1/billing/subscription', { token: boss });
  const expiry = Date.parse(`${sub.body.expiry}T00:00:00+08:00`);
  await setClock(expiry - 2 * 3600e3);
  const before = (await points()).balances.sms;
  const r = await toOne('张三', { text: '夜间营销', type: 'marketing' });
  assert.equal(r.status, 201, r.text);
  assert.equal((await points()).held.sms, 1);
  await setClock(expiry + 7 * 3600e3);  // the daily jobs ran: suspended
  await setClock(expiry + 9 * 3600e3);  // the message is due
  expectError(assert, await toOne('张三', { text: '您好' }), 403, 'tenant_suspended');
  expectError(assert, await send({ text: '您好', to: { contact_ids: [contacts['张三'].id] } }), 403, 'tenant_suspended');
  // Nor can it upload: attachments are CRM data too.
  expectError(assert, await s.call('POST', `/api/v1/attachments?entity=customer&entity_id=${customer.id}&filename=${encodeURIComponent('暂停期间.txt')}`, {
    token: boss, raw: '暂停期间的文件', headers: { 'content-type': 'application/octet-stream' } }), 403, 'tenant_suspended');
  // The history is CRM data, closed while suspended; the boss still sees the points: the held
  // one comes back (frozen, not spent).
  expectError(assert, await s.call('GET', `/api/v1/sms/sends/${r.body.id}`, { token: boss }), 403, 'tenant_suspended');
  let p;
  for (let i = 0; i < 50; i += 1) {
    p = await points();
    if (p.held.sms === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(p.held.sms, 0);
  assert.equal(p.balances.sms, before);
  assert.equal(p.usable, false);
  assert.equal(provider.requests.filter((q) => q.body.content.includes('夜间营销')).length, 0, 'never sent');
});
