// Sign-in, progressive delays, throttling, sessions (bearer and cookie with CSRF), logout, passwords,
// API tokens and login history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, expectError } from './harness.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

test('a tenant user signs in and /me says who they are', async () => {
  const token = await s.loginAs('boss');
  const me = await s.call('GET', '/api/v1/me', { token });
  assert.equal(me.status, 200);
  assert.equal(me.body.user.login, 'boss');
  assert.equal(me.body.role, 'boss');
  assert.equal(me.body.data_scope, 'all');
  assert.equal(me.body.tenant.slug, 'demo');
  assert.equal(me.body.tenant.state, 'active');
  assert.match(me.body.user.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$/);
});

test('a wrong password, an unknown login and an unknown tenant all say invalid_credentials', async () => {
  for (const body of [
    { tenant: 'demo', login: 'boss', password: 'wrong-password-1' },
    { tenant: 'demo', login: 'nobody', password: 'wrong-password-1' },
    { tenant: 'no-such-tenant', login: 'boss', password: 'wrong-password-1' },
  ]) {
    expectError(assert, await s.call('POST', '/api/v1/auth/login', { body }), 401, 'invalid_credentials');
  }
  expectError(assert, await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo' } }), 422, 'validation_failed');
});

test('failed sign-ins slow an account down, the same for an unknown login, and never lock it for good', async () => {
  const t = await startServer({ testClock: true });
  try {
    const boss = await t.loginAs('boss');
    const op = await t.operatorToken();
    const created = await t.call('POST', '/api/v1/users', {
      token: boss, body: { login: 'locky', name: '锁定测试', role: 'member', password: 'Secret-pass-1' },
    });
    assert.equal(created.status, 201);
    const attempt = (login, password) => t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login, password } });
    const later = async (seconds) => {
      const now = new Date((await t.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
      const moved = await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now.getTime() + seconds * 1000).toISOString() } });
      assert.equal(moved.status, 200, moved.text);
    };
    // Five wrong passwords cost nothing, for a real login and for one that does not exist.
    for (let i = 0; i < 5; i++) {
      for (const login of ['locky', 'ghost']) {
        expectError(assert, await attempt(login, `bad-pass-${i}`), 401, 'invalid_credentials');
      }
    }
    // Then each attempt waits, and the answer is the same for both, word for word, whatever the
    // password: it is not looked at while the wait runs, so it cannot tell a right guess.
    const known = await attempt('locky', 'bad-pass-6');
    const unknown = await attempt('ghost', 'bad-pass-6');
    const right = await attempt('locky', 'Secret-pass-1');
    for (const r of [known, unknown, right]) {
      expectError(assert, r, 429, 'too_many_attempts');
      assert.equal(r.headers.get('retry-after'), '30');
      assert.equal(r.text, known.text);
    }
    // Once the wait is over the right password gets in, and the count starts again.
    await later(31);
    const back = await attempt('locky', 'Secret-pass-1');
    assert.equal(back.status, 200, back.text);
    for (let i = 0; i < 5; i++) expectError(assert, await attempt('locky', `bad-pass-${i}`), 401, 'invalid_credentials');
    expectError(assert, await attempt('locky', 'x'), 429, 'too_many_attempts');
    // Each further failure doubles the wait.
    await later(31);
    expectError(assert, await attempt('locky', 'bad-pass-again'), 401, 'invalid_credentials');
    const doubled = await attempt('locky', 'Secret-pass-1');
    expectError(assert, doubled, 429, 'too_many_attempts');
    assert.equal(doubled.headers.get('retry-after'), '60');
    // The boss sees every attempt in the login history and the audit log.
    const history = await t.call('GET', '/api/v1/login-history?limit=200', { token: boss });
    const outcomes = history.body.items.filter((e) => e.login === 'locky').map((e) => e.outcome);
    assert.deepEqual(outcomes.slice(0, 2), ['delayed', 'bad_password']);
    assert.equal(outcomes.filter((o) => o === 'bad_password').length, 11);
    assert.equal(history.body.items.filter((e) => e.login === 'ghost').length, 6);
    const audit = await t.call('GET', '/api/v1/audit-log?action=auth.login_failed&limit=200', { token: boss });
    assert.ok(audit.body.items.filter((e) => e.actor.name === 'locky').length >= 14);
    // An administrator's reset lets the user in at once, with a temporary password to change.
    const reset = await t.call('POST', `/api/v1/users/${created.body.id}/password-reset`, { token: boss });
    assert.equal(reset.status, 200);
    const again = await attempt('locky', reset.body.temporary_password);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.must_change_password, true);
  } finally {
    await t.stop();
  }
});

test('an operator sign-in is slowed the same way, an unknown email alike', async () => {
  const t = await startServer();
  try {
    const attempt = (email, password) => t.call('POST', '/api/v1/operator/auth/login', { body: { email, password } });
    const email = t.demo.operator.email;
    for (let i = 0; i < 5; i++) {
      expectError(assert, await attempt(email, `bad-pass-${i}`), 401, 'invalid_credentials');
      expectError(assert, await attempt('nobody@example.com', `bad-pass-${i}`), 401, 'invalid_credentials');
    }
    const known = await attempt(email, t.demo.operator.password);
    const unknown = await attempt('nobody@example.com', 'whatever-1');
    expectError(assert, known, 429, 'too_many_attempts');
    assert.equal(unknown.text, known.text);
  } finally {
    await t.stop();
  }
});

test('too many attempts from one address are throttled', async () => {
  const t = await startServer({ env: { KELU_SECURITY_IP_LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
  try {
    for (let i = 0; i < 3; i++) {
      await t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: 'boss', password: 'nope-nope-1' } });
    }
    const r = await t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: 'boss', password: 'nope-nope-1' } });
    expectError(assert, r, 429, 'too_many_attempts');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  } finally {
    await t.stop();
  }
});

test('a forced password change blocks everything else until done', async () => {
  const boss = await s.loginAs('boss');
  const created = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'newbie', name: '新人', role: 'member' } });
  assert.equal(created.status, 201);
  const temp = created.body.temporary_password;
  assert.ok(temp);
  const token = await s.login('newbie', temp);
  expectError(assert, await s.call('GET', '/api/v1/users', { token }), 403, 'password_change_required');
  assert.equal((await s.call('GET', '/api/v1/me', { token })).body.user.must_change_password, true);
  expectError(assert, await s.call('POST', '/api/v1/me/password', { token, body: { current_password: temp, new_password: 'short' } }), 422, 'weak_password');
  expectError(assert, await s.call('POST', '/api/v1/me/password', { token, body: { current_password: 'wrong', new_password: 'Newbie-ok-2026' } }), 422, 'validation_failed');
  const changed = await s.call('POST', '/api/v1/me/password', { token, body: { current_password: temp, new_password: 'Good-pass-2026' } });
  assert.equal(changed.status, 204);
  assert.equal((await s.call('GET', '/api/v1/users', { token })).status, 200);
  await s.login('newbie', 'Good-pass-2026');
});

test('over https the session cookies carry the __Host- prefix, and only those are read', async () => {
  // Loopback is a trusted proxy here, so X-Forwarded-Proto says the request came over https.
  const t = await startServer({ env: { KELU_SERVER_TRUST_PROXY: 'true' } });
  try {
    const https = { 'x-forwarded-proto': 'https' };
    const u = t.demo.tenant.users.find((x) => x.role === 'boss');
    const login = await t.call('POST', '/api/v1/auth/login', { headers: https, body: { tenant: 'demo', login: u.login, password: u.password } });
    const cookie = login.headers.get('set-cookie');
    assert.match(cookie, /^__Host-kelu_session=ks_[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
    const pair = cookie.split(';')[0];
    const value = pair.slice(pair.indexOf('=') + 1);
    assert.equal((await t.call('GET', '/api/v1/me', { headers: { ...https, cookie: pair } })).status, 200);
    // The same value under the unprefixed name (which a plain-http page could have set) is not a session over https.
    expectError(assert, await t.call('GET', '/api/v1/me', { headers: { ...https, cookie: `kelu_session=${value}` } }), 401, 'unauthenticated');
    const out = await t.call('POST', '/api/v1/auth/logout', { headers: { ...https, cookie: pair, 'x-csrf-token': login.body.csrf_token } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie'), /^__Host-kelu_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0; Secure$/);
    // An operator's first step sets no cookie; the second sets the session's.
    const first = await t.call('POST', '/api/v1/operator/auth/login', { headers: https, body: { email: t.demo.operator.email, password: t.demo.operator.password } });
    assert.equal(first.headers.get('set-cookie'), null);
    const o = await t.call('POST', '/api/v1/operator/auth/login/mfa', { headers: https,
      body: { challenge: first.body.mfa.challenge, code: t.freshCode(t.demo.operator.totp_secret, first) } });
    assert.match(o.headers.get('set-cookie'), /^__Host-kelu_operator_session=ko_[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    // Over plain http: the plain names, without Secure.
    const plain = await t.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: u.login, password: u.password } });
    assert.match(plain.headers.get('set-cookie'), /^kelu_session=ks_[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  } finally {
    await t.stop();
  }
});

test('a password may not hold the company code or the service name', async () => {
  const boss = await s.loginAs('boss');
  for (const password of ['our demo team 2026', 'Kelu-is-great-7', '客录用起来很顺手']) {
    const r = await s.call('POST', '/api/v1/users', { token: boss, body: { login: `ctx${password.length}`, name: '上下文', role: 'member', password } });
    expectError(assert, r, 422, 'weak_password');
    assert.ok(r.body.error.details.rules.includes('contains_context_word'), `${password}: ${r.text}`);
  }
});

test('a password is taken exactly as typed, spaces and all', async () => {
  const boss = await s.loginAs('boss');
  const created = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'spacey', name: '空格', role: 'member', password: '  marble kettle fog  ' } });
  assert.equal(created.status, 201, created.text);
  expectError(assert, await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: 'spacey', password: 'marble kettle fog' } }), 401, 'invalid_credentials');
  const r = await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: 'spacey', password: '  marble kettle fog  ' } });
  assert.equal(r.status, 200, r.text);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /base-uri 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
});

test('sensitive changes want the password proved within 5 minutes, and a proof is slowed like a sign-in', async () => {
  const t = await startServer({ testClock: true });
  try {
    const op = await t.operatorToken();
    const later = async (minutes) => {
      const now = new Date((await t.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
      assert.equal((await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now.getTime() + minutes * 60000).toISOString() } })).status, 200);
    };
    const u = t.demo.tenant.users.find((x) => x.role === 'boss');
    const boss = await t.loginAs('boss');
    // Fresh from sign-in: allowed.
    const tok = await t.call('POST', '/api/v1/api-tokens', { token: boss, body: { name: '脚本', scope: 'write' } });
    assert.equal(tok.status, 201, tok.text);
    await later(6);
    const sensitive = [
      ['POST', '/api/v1/api-tokens', { name: '脚本二', scope: 'read' }],
      ['PATCH', '/api/v1/me', { email: 'boss-new@example.com' }],
      ['POST', '/api/v1/users', { login: 'newadmin', name: '新管理员', role: 'admin', password: 'marble kettle fog' }],
      ['POST', '/api/v1/support-grants', { reason: '排查问题' }],
    ];
    for (const [method, path, body] of sensitive) {
      expectError(assert, await t.call(method, path, { token: boss, body }), 403, 'reauthentication_required');
    }
    // What is not sensitive goes on: a member, one's own name, the same email again.
    assert.equal((await t.call('POST', '/api/v1/users', { token: boss, body: { login: 'newmember', name: '新成员', role: 'member', password: 'marble kettle fog' } })).status, 201);
    assert.equal((await t.call('PATCH', '/api/v1/me', { token: boss, body: { name: '老板' } })).status, 200);
    // A wrong password is refused and slowed like a sign-in; the right one counts for 5 minutes.
    for (let i = 0; i < 5; i++) {
      expectError(assert, await t.call('POST', '/api/v1/me/reauthenticate', { token: boss, body: { password: `wrong-${i}` } }), 422, 'validation_failed');
    }
    expectError(assert, await t.call('POST', '/api/v1/me/reauthenticate', { token: boss, body: { password: u.password } }), 429, 'too_many_attempts');
    await later(1);
    const proved = await t.call('POST', '/api/v1/me/reauthenticate', { token: boss, body: { password: u.password } });
    assert.equal(proved.status, 200, proved.text);
    for (const [method, path, body] of sensitive) {
      const r = await t.call(method, path, { token: boss, body });
      assert.ok(r.status === 200 || r.status === 201, `${method} ${path}: ${r.status} ${r.text}`);
    }
    await later(6);
    expectError(assert, await t.call('POST', '/api/v1/api-tokens', { token: boss, body: { name: '脚本三', scope: 'read' } }), 403, 'reauthentication_required');
    // An API token never proves a password.
    expectError(assert, await t.call('POST', '/api/v1/me/reauthenticate', { token: tok.body.token, body: { password: u.password } }), 403, 'session_required');
    const audit = await t.call('GET', '/api/v1/audit-log?limit=200', { token: boss });
    assert.ok(audit.body.items.some((e) => e.action === 'auth.reauthenticate'));
    assert.equal(audit.body.items.filter((e) => e.action === 'auth.reauthenticate_failed').length, 5);
  } finally {
    await t.stop();
  }
});

test('cookie sessions need the CSRF token for unsafe methods', async () => {
  const u = s.demo.tenant.users.find((x) => x.role === 'boss');
  const login = await s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login: u.login, password: u.password } });
  const cookie = login.headers.get('set-cookie');
  assert.match(cookie, /kelu_session=ks_/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  const pair = cookie.split(';')[0];
  const me = await s.call('GET', '/api/v1/me', { headers: { cookie: pair } });
  assert.equal(me.status, 200);
  // After a reload the web app has only the cookie: /me tells it the session's CSRF token.
  assert.equal(me.body.csrf_token, login.body.csrf_token);
  expectError(assert, await s.call('POST', '/api/v1/departments', { headers: { cookie: pair }, body: { name: '无令牌' } }), 403, 'csrf_failed');
  expectError(assert, await s.call('POST', '/api/v1/departments', { headers: { cookie: pair, 'x-csrf-token': 'forged' }, body: { name: '伪造' } }), 403, 'csrf_failed');
  const ok = await s.call('POST', '/api/v1/departments', { headers: { cookie: pair, 'x-csrf-token': login.body.csrf_token }, body: { name: '有令牌' } });
  assert.equal(ok.status, 201);
  const out = await s.call('POST', '/api/v1/auth/logout', { headers: { cookie: pair, 'x-csrf-token': login.body.csrf_token } });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
  expectError(assert, await s.call('GET', '/api/v1/me', { headers: { cookie: pair } }), 401, 'unauthenticated');
});

test('logout ends one session; logout-all ends every session and token', async () => {
  const a = await s.loginAs('zhangwei');
  const b = await s.loginAs('zhangwei');
  assert.equal((await s.call('POST', '/api/v1/auth/logout', { token: a })).status, 204);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: a }), 401, 'unauthenticated');
  assert.equal((await s.call('GET', '/api/v1/me', { token: b })).status, 200);
  const tok = await s.call('POST', '/api/v1/api-tokens', { token: b, body: { name: '脚本', scope: 'read' } });
  assert.equal(tok.status, 201);
  assert.equal((await s.call('POST', '/api/v1/auth/logout-all', { token: b })).status, 204);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: b }), 401, 'unauthenticated');
  expectError(assert, await s.call('GET', '/api/v1/me', { token: tok.body.token }), 401, 'unauthenticated');
});

test('personal API tokens are scoped, listed without secrets, and revocable', async () => {
  const session = await s.loginAs('lina');
  const read = await s.call('POST', '/api/v1/api-tokens', { token: session, body: { name: '只读', scope: 'read', expires_in_days: 30 } });
  const write = await s.call('POST', '/api/v1/api-tokens', { token: session, body: { name: '读写', scope: 'write' } });
  assert.equal(read.status, 201);
  assert.match(read.body.token, /^kp_\d+_\d+_/);
  assert.ok(read.body.expires_at);
  const viaToken = await s.call('GET', '/api/v1/me', { token: read.body.token });
  assert.equal(viaToken.body.credential, 'api_token');
  assert.ok(!('csrf_token' in viaToken.body), 'an API token has no CSRF token');
  expectError(assert, await s.call('PATCH', '/api/v1/me', { token: read.body.token, body: { mobile: '13800000000' } }), 403, 'token_read_only');
  assert.equal((await s.call('PATCH', '/api/v1/me', { token: write.body.token, body: { name: '改名' } })).status, 200);
  // Where notices and resets go is changed only by a session that proved the password lately.
  expectError(assert, await s.call('PATCH', '/api/v1/me', { token: write.body.token, body: { mobile: '13800000000' } }), 403, 'reauthentication_required');
  expectError(assert, await s.call('POST', '/api/v1/api-tokens', { token: write.body.token, body: { name: 'x', scope: 'read' } }), 403, 'session_required');
  const list = await s.call('GET', '/api/v1/api-tokens', { token: session });
  assert.equal(list.body.items.length, 2);
  assert.ok(list.body.items.every((t) => !('token' in t)));
  assert.equal((await s.call('DELETE', `/api/v1/api-tokens/${read.body.id}`, { token: session })).status, 204);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: read.body.token }), 401, 'unauthenticated');
  expectError(assert, await s.call('DELETE', `/api/v1/api-tokens/${read.body.id}`, { token: session }), 404, 'not_found');
  expectError(assert, await s.call('POST', '/api/v1/api-tokens', { token: session, body: { name: 'x', scope: 'admin' } }), 422, 'validation_failed');
});

test('each user sees their own login history', async () => {
  const token = await s.loginAs('lina');
  const mine = await s.call('GET', '/api/v1/me/login-history', { token });
  assert.equal(mine.status, 200);
  assert.ok(mine.body.items.length >= 1);
  assert.ok(mine.body.items.every((e) => e.login === 'lina'));
  assert.equal(mine.body.items[0].outcome, 'success');
  expectError(assert, await s.call('GET', '/api/v1/login-history', { token }), 403, 'forbidden');
  expectError(assert, await s.call('GET', '/api/v1/me/login-history?limit=0', { token }), 422, 'validation_failed');
});

test('operators sign in on their own route and are not tenant users', async () => {
  const op = await s.operatorToken();
  const me = await s.call('GET', '/api/v1/operator/me', { token: op });
  assert.equal(me.body.kind, 'operator');
  assert.match(me.body.csrf_token, /^[A-Za-z0-9_-]{16,}$/);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: op }), 404, 'not_found');
  const boss = await s.loginAs('boss');
  expectError(assert, await s.call('GET', '/api/v1/operator/tenants', { token: boss }), 403, 'operator_only');
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login', { body: { email: s.demo.operator.email, password: 'wrong-wrong-1' } }), 401, 'invalid_credentials');
});

test('a session ends after its idle time and after its whole lifetime, however busy', async () => {
  const t = await startServer({ testClock: true, env: { KELU_SECURITY_SESSION_IDLE_MINUTES: '30', KELU_SECURITY_SESSION_ABSOLUTE_HOURS: '2' } });
  try {
    const later = async (minutes) => {
      const op = await t.operatorToken();  // the operator's sessions age with the clock too
      const now = new Date((await t.call('GET', '/api/v1/operator/clock', { token: op })).body.now);
      assert.equal((await t.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now.getTime() + minutes * 60000).toISOString() } })).status, 200);
    };
    const idle = await t.loginAs('boss');
    await later(31);
    expectError(assert, await t.call('GET', '/api/v1/me', { token: idle }), 401, 'session_expired');
    // Used every 20 minutes, a session still ends 2 hours after it began.
    const busy = await t.loginAs('boss');
    for (let i = 0; i < 5; i++) {
      await later(20);
      assert.equal((await t.call('GET', '/api/v1/me', { token: busy })).status, 200, `after ${(i + 1) * 20} minutes`);
    }
    await later(21);
    expectError(assert, await t.call('GET', '/api/v1/me', { token: busy }), 401, 'session_expired');
  } finally {
    await t.stop();
  }
});

test('changing the password signs out every other session, not this one', async () => {
  const boss = await s.loginAs('boss');
  const created = await s.call('POST', '/api/v1/users', { token: boss, body: { login: 'twodevices', name: '两台设备', role: 'member', password: 'marble kettle fog' } });
  assert.equal(created.status, 201, created.text);
  const phone = await s.login('twodevices', 'marble kettle fog');
  const laptop = await s.login('twodevices', 'marble kettle fog');
  const changed = await s.call('POST', '/api/v1/me/password', { token: laptop, body: { current_password: 'marble kettle fog', new_password: 'copper lantern tide' } });
  assert.equal(changed.status, 204, changed.text);
  assert.equal((await s.call('GET', '/api/v1/me', { token: laptop })).status, 200);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: phone }), 401, 'unauthenticated');
});

test('TRACE and other methods no route takes are refused, and nothing is echoed', async () => {
  const { port } = new URL(s.url);
  for (const method of ['TRACE', 'TRACK', 'CONNECT']) {
    const text = await new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let out = '';
      socket.on('data', (c) => { out += c; });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.write(`${method} /api/v1/me HTTP/1.1\r\nHost: x\r\nCookie: kelu_session=secret-cookie\r\nConnection: close\r\n\r\n`);
    });
    const status = Number(text.slice(9, 12));
    assert.ok([400, 404, 405].includes(status), `${method}: ${text.slice(0, 40)}`);
    assert.doesNotMatch(text, /secret-cookie/);
  }
});
