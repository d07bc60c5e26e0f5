// Email through the outbox to a real SMTP server on loopback: notices go out by email too and
// enter the register with the SMTP evidence and deemed delivery at + 12 h; incidents reach the
// operator; a message that cannot be delivered is retried with backoff, survives a restart and
// is never sent twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startSmtp, expectError } from './harness.mjs';

const PW = 'Mail-pass-2026';
let s;
let smtp;
let op;

async function signUpAndPay(slug) {
  const r = await s.call('POST', '/api/v1/signup', { body: {
    company: `${slug} 有限公司`, slug, plan: 'standard', seats: 1, years: 1,
    boss: { name: '老板', login: 'boss', email: `boss@${slug}.example`, mobile: '13800000000', password: PW } } });
  assert.equal(r.status, 201, r.text);
  const today = (await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now.slice(0, 10);
  const paid = await s.call('POST', `/api/v1/operator/orders/${r.body.order.id}/payments`, {
    token: op, headers: { 'idempotency-key': `pay-${slug}` }, body: { amount_fen: r.body.order.total_fen, bank_reference: slug, paid_on: today } });
  assert.equal(paid.status, 201, paid.text);
  return r.body.tenant.id;
}

before(async () => {
  smtp = await startSmtp();
  s = await startServer({ testClock: true, env: { KELU_MAIL_SMTP_URL: smtp.url, KELU_MAIL_RETRY_BASE_SECONDS: '60' } });
  op = await s.operatorToken();
});
after(async () => { await s.stop(); await smtp.remove(); });

test('a notice goes out by email and enters the register with SMTP evidence and deemed delivery', async () => {
  const id = await signUpAndPay('mailco');
  const [mail] = await smtp.waitFor((m) => m.to === '<boss@mailco.example>');
  assert.equal(mail.subject, '服务已开通');
  assert.match(mail.body, /Your Kelu service is open until/);
  assert.match(mail.messageId, /^<kelu-\d+@kelu\.example>$/);
  let email;
  for (let i = 0; i < 50 && !email; i++) {
    const list = await s.call('GET', `/api/v1/operator/tenants/${id}/notices`, { token: op });
    email = list.body.items.find((n) => n.channel === 'email');
    if (!email) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(email, 'no email notice in the register');
  assert.equal(email.recipient, 'boss@mailco.example');
  assert.match(email.evidence, /^250 accepted/);
  assert.equal(Date.parse(email.deemed_delivered_at) - Date.parse(email.sent_at), 12 * 3600 * 1000);
});

test('an unauthorized-use report emails the operator', async () => {
  const login = await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'mailco', login: 'boss', password: PW } });
  const r = await s.call('POST', '/api/v1/me/unauthorized-use', { token: login.body.token, body: { note: '陌生设备登录' } });
  assert.equal(r.status, 201, r.text);
  const [mail] = await smtp.waitFor((m) => m.to === '<ops@kelu.example>');
  assert.match(mail.subject, /未授权使用报告/);
  assert.match(mail.body, /陌生设备登录/);
});

test('undeliverable mail is retried with backoff, survives a restart, and is sent once', async () => {
  await smtp.stop();
  await signUpAndPay('laterco');
  await new Promise((r) => setTimeout(r, 2500));  // the first attempt fails while the server is down
  await s.stop({ keep: true });
  await smtp.start();
  s = await startServer({ testClock: true, restart: s, env: { KELU_MAIL_SMTP_URL: smtp.url } });
  op = await s.operatorToken();
  // The retry waits for its backoff (60 s on the test clock).
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(smtp.messages().filter((m) => m.to === '<boss@laterco.example>').length, 0);
  const now = Date.parse((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
  const moved = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now + 5 * 60 * 1000).toISOString() } });
  assert.equal(moved.status, 200, moved.text);
  await smtp.waitFor((m) => m.to === '<boss@laterco.example>');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(smtp.messages().filter((m) => m.to === '<boss@laterco.example>').length, 1);
  expectError(assert, await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: '2020-01-01T00:00:00Z' } }), 409, 'clock_moves_forward_only');
});
