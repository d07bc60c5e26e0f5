// Getting back in by email: "forgot password" sends a one-time link through a real SMTP server
// on loopback; the answer never says whether the account exists; the link sets a new password
// once, within its lifetime, only while it is the newest, and lifts the sign-in delays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, startSmtp, expectError } from './harness.mjs';

let s;
let smtp;
const SITE = 'https://crm.kelu.test';
const EMAIL = 'zhangwei@demo.example';

before(async () => {
  smtp = await startSmtp();
  s = await startServer({ testClock: true, env: { KELU_MAIL_SMTP_URL: smtp.url, KELU_SERVER_PUBLIC_URL: SITE } });
  const boss = await s.loginAs('boss');
  const users = (await s.call('GET', '/api/v1/users', { token: boss })).body.items;
  const zhang = users.find((u) => u.login === 'zhangwei');
  const r = await s.call('PATCH', `/api/v1/users/${zhang.id}`, { token: boss, body: { email: EMAIL } });
  assert.equal(r.status, 200, r.text);
});
after(async () => { await s.stop(); await smtp.remove(); });

const ask = (tenant, login) => s.call('POST', '/api/v1/auth/recover', { body: { tenant, login } });
const complete = (token, new_password) => s.call('POST', '/api/v1/auth/recover/complete', { body: { token, new_password } });
const linksTo = (to) => smtp.messages().filter((m) => m.to === `<${to}>`);
async function moveClock(seconds) {
  const op = await s.operatorToken();
  const now = Date.parse((await s.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now + seconds * 1000).toISOString() } });
  assert.equal(r.status, 200, r.text);
}
// The newest link mailed to `to`, after `count` earlier ones.
async function nextLink(to, count) {
  const mails = await smtp.waitFor((m) => m.to === `<${to}>`);
  for (let i = 0; i < 100 && linksTo(to).length <= count; i++) await new Promise((r) => setTimeout(r, 100));
  const mail = linksTo(to).at(-1);
  assert.ok(mails.length > 0 && linksTo(to).length === count + 1, `expected link ${count + 1} to ${to}`);
  const m = /(https:\/\/\S+\/recover#token=(kr_\S+))/.exec(mail.body);
  assert.ok(m, mail.body);
  return { url: m[1], token: m[2], mail };
}

test('the answer is the same for every account, and only a real one with an email gets a link', async () => {
  const answers = await Promise.all([ask('demo', 'zhangwei'), ask('demo', 'lina'), ask('demo', 'nobody'), ask('no-such-company', 'zhangwei')]);
  for (const r of answers) {
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, answers[0].text);
  }
  const { url, mail } = await nextLink(EMAIL, 0);
  assert.ok(url.startsWith(`${SITE}/recover#token=kr_`), url);
  assert.match(mail.subject, /重新设置密码/);
  assert.match(mail.body, /30 分钟内/);
  assert.match(mail.body, /within 30 minutes/);
  // One mail in all: lina has no email, the others no account.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(smtp.messages().length, 1, JSON.stringify(smtp.messages().map((m) => m.to)));
  // Asking again within a minute sends nothing more, and says so to nobody.
  const again = await ask('demo', 'zhangwei');
  assert.equal(again.status, 202);
  assert.equal(again.text, answers[0].text);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(linksTo(EMAIL).length, 1);
  expectError(assert, await s.call('POST', '/api/v1/auth/recover', { body: { tenant: 'demo' } }), 422, 'validation_failed');
});

test('a user locked behind sign-in delays gets back in with the link, once', async () => {
  const u = s.demo.tenant.users.find((x) => x.login === 'zhangwei');
  const old = await s.login(u.login, u.password);
  for (let i = 0; i < 6; i++) await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: u.login, password: `wrong-${i}-pass` } });
  expectError(assert, await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: u.login, password: u.password } }), 429, 'too_many_attempts');
  await moveClock(61);
  assert.equal((await ask('demo', 'zhangwei')).status, 202);
  const { token } = await nextLink(EMAIL, linksTo(EMAIL).length);
  // The link's token is no credential, and once the mail is sent the outbox keeps no copy of it.
  expectError(assert, await s.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
  const secret = token.split('_').slice(3).join('_');
  let bodies = '';
  for (let i = 0; i < 50; i++) {
    const sql = "SELECT status || ':' || body FROM outbox WHERE notice_kind = 'one_time_link'";
    bodies = s.database.startsWith('sqlite:') ? execFileSync('sqlite3', [s.database.slice(7), sql], { encoding: 'utf8' })
      : execFileSync('psql', [s.database, '-Atc', sql], { encoding: 'utf8' });
    if (!bodies.includes('queued') && !bodies.includes('sending')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(bodies, /^sent:$/m);
  assert.ok(!bodies.includes(secret), 'no link left in the outbox');
  // A weak password is refused and leaves the link usable; a changed token is no link.
  expectError(assert, await complete(token, 'password1'), 422, 'weak_password');
  expectError(assert, await complete(`${token.slice(0, -1)}${token.at(-1) === 'A' ? 'B' : 'A'}`, 'Recovered-pass-2026'), 401, 'recovery_link_invalid');
  expectError(assert, await complete('kr_1_2', 'Recovered-pass-2026'), 401, 'recovery_link_invalid');
  // Two tabs sending it at once: exactly one sets the password.
  const both = await Promise.all([complete(token, 'Recovered-pass-2026'), complete(token, 'Recovered-pass-2027')]);
  assert.deepEqual(both.map((r) => r.status).sort(), [204, 401], both.map((r) => r.text).join('\n'));
  const chosen = both[0].status === 204 ? 'Recovered-pass-2026' : 'Recovered-pass-2027';
  expectError(assert, await complete(token, 'Another-pass-2028'), 401, 'recovery_link_invalid');
  // The old session is over; the new password signs in at once, the delays lifted.
  expectError(assert, await s.call('GET', '/api/v1/me', { token: old }), 401, 'unauthenticated');
  expectError(assert, await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: u.login, password: u.password } }), 401, 'invalid_credentials');
  u.password = chosen;
  const fresh = await s.login(u.login, u.password);
  const me = await s.call('GET', '/api/v1/me', { token: fresh });
  assert.equal(me.body.user.must_change_password, false);
});

test('a link lasts its 30 minutes, and only the newest link counts', async () => {
  await moveClock(61);
  await ask('demo', 'zhangwei');
  const first = await nextLink(EMAIL, linksTo(EMAIL).length);
  await moveClock(61);
  await ask('demo', 'zhangwei');
  const second = await nextLink(EMAIL, linksTo(EMAIL).length);
  expectError(assert, await complete(first.token, 'Older-link-pass-2026'), 401, 'recovery_link_invalid');
  await moveClock(30 * 60 + 1);
  expectError(assert, await complete(second.token, 'Expired-link-2026'), 401, 'recovery_link_invalid');
  const u = s.demo.tenant.users.find((x) => x.login === 'zhangwei');
  assert.ok(await s.login(u.login, u.password), 'the password is unchanged');
  // A password changed in the meantime voids an open link.
  await moveClock(61);
  await ask('demo', 'zhangwei');
  const third = await nextLink(EMAIL, linksTo(EMAIL).length);
  const token = await s.login(u.login, u.password);
  assert.equal((await s.call('POST', '/api/v1/me/password', { token, body: { current_password: u.password, new_password: 'Changed-meanwhile-2026' } })).status, 204);
  u.password = 'Changed-meanwhile-2026';
  expectError(assert, await complete(third.token, 'Too-late-link-2026'), 401, 'recovery_link_invalid');
});

test('the emailed link sets the password but does not lift the delay on wrong codes', async () => {
  const mail = await startSmtp();
  const t = await startServer({ testClock: true, env: { KELU_MAIL_SMTP_URL: mail.url, KELU_SECURITY_RECOVERY_LINK_INTERVAL_SECONDS: '0' } });
  try {
    const boss = t.demo.tenant.users.find((u) => u.role === 'boss');
    const token = await t.login(boss.login, boss.password);
    assert.equal((await t.call('PATCH', '/api/v1/me', { token, body: { email: 'boss@demo.example' } })).status, 200);
    const started = await t.call('POST', '/api/v1/me/mfa/enrolment', { token });
    const secret = started.body.secret;
    assert.equal((await t.call('POST', '/api/v1/me/mfa/enrolment/confirm', { token, body: { code: t.freshCode(secret, started) } })).status, 200);
    // Someone with the password guesses codes until the account waits.
    const first = await t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: boss.login, password: boss.password } });
    for (let i = 0; i < 5; i++) {
      expectError(assert, await t.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: '000000' } }), 401, 'invalid_mfa_code');
    }
    expectError(assert, await t.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: '000000' } }), 429, 'too_many_attempts');
    // With the mailbox too, a new password gets them no new guesses.
    assert.equal((await t.call('POST', '/api/v1/auth/recover', { body: { tenant: 'demo', login: boss.login } })).status, 202);
    const [m] = await mail.waitFor((x) => x.to === '<boss@demo.example>');
    const link = /recover#token=(kr_\S+)/.exec(m.body)[1];
    assert.equal((await t.call('POST', '/api/v1/auth/recover/complete', { body: { token: link, new_password: 'Mailbox-owner-2026' } })).status, 204);
    const again = await t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: boss.login, password: 'Mailbox-owner-2026' } });
    assert.equal(again.body.mfa.state, 'verify');
    expectError(assert, await t.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: again.body.mfa.challenge, code: t.freshCode(secret, again) } }), 429, 'too_many_attempts');
  } finally {
    await t.stop();
    await mail.remove();
  }
});
