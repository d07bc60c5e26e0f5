// Two-step sign-in (TOTP): operators always, tenant users by choice or because the boss requires
// it; enrolment by QR code, recovery codes, one use per code, re-authentication by code, and the
// boss's and the admin's part. Codes are computed here from the service's own (test) clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, expectError, totp, serverSeconds, bin } from './harness.mjs';

let s;
before(async () => { s = await startServer({ testClock: true, clockStart: '2026-12-08T10:00:10+08:00' }); });
after(async () => { await s.stop(); });

const clockSeconds = async () => serverSeconds(await s.call('GET', '/healthz'));
async function moveClock(seconds) {
  const op = await s.operatorToken();
  const now = (await clockSeconds()) + seconds;
  const r = await s.call('POST', '/api/v1/operator/clock', { token: op, body: { now: new Date(now * 1000).toISOString() } });
  assert.equal(r.status, 200, r.text);
}

// A code of `secret` not taken yet; when this moment's are spent, the clock moves on a step.
async function fresh(secret, res) {
  const code = s.freshCode(secret, res);
  if (code) return code;
  await moveClock(30);
  return s.freshCode(secret, await s.call('GET', '/healthz'));
}

const operatorFirstStep = () => s.call('POST', '/api/v1/operator/auth/login',
  { body: { email: s.demo.operator.email, password: s.demo.operator.password } });

async function signInUser(login, password, extra = {}) {
  return s.call('POST', '/api/v1/auth/login', { body: { tenant: 'demo', login, password, ...extra } });
}
const demoUser = (role) => s.demo.tenant.users.find((u) => u.role === role || u.login === role);

// A full sign-in of a demo user, in as many steps as the service wants (enrolling a factor when
// it asks for one).
async function signedIn(login) {
  const u = demoUser(login);
  const first = await signInUser(u.login, u.password);
  assert.equal(first.status, 200, first.text);
  if (!first.body.mfa) return first.body.token;
  if (first.body.mfa.state === 'enrol') u.secret = first.body.mfa.enrolment.secret;
  const r = await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: await fresh(u.secret, first) } });
  assert.equal(r.status, 200, r.text);
  return r.body.token;
}

async function reauthenticated(login) {
  const u = demoUser(login);
  const r = await signInUser(u.login, u.password);
  assert.equal(r.status, 200, r.text);
  return r.body.token;
}

// Turns on a user's factor through the API; answers {secret, recovery_codes}.
async function enrol(token) {
  const started = await s.call('POST', '/api/v1/me/mfa/enrolment', { token });
  assert.equal(started.status, 200, started.text);
  const secret = started.body.secret;
  const code = await fresh(secret, started);
  const done = await s.call('POST', '/api/v1/me/mfa/enrolment/confirm', { token, body: { code } });
  assert.equal(done.status, 200, done.text);
  return { secret, recovery_codes: done.body.recovery_codes };
}

test('an operator\'s password alone makes no session: the second step wants a current code', async () => {
  const first = await operatorFirstStep();
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.token, undefined);
  assert.equal(first.headers.get('set-cookie'), null);
  assert.equal(first.body.mfa.state, 'verify');
  assert.equal(first.body.mfa.enrolment, undefined);
  const challenge = first.body.mfa.challenge;
  const now = serverSeconds(first);
  const second = (body) => s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge, ...body } });
  // Wrong codes, codes from two steps away, and malformed ones.
  const secret = s.demo.operator.totp_secret;
  expectError(assert, await second({ code: totp(secret, now - 60) }), 401, 'invalid_mfa_code');
  expectError(assert, await second({ code: totp(secret, now + 60) }), 401, 'invalid_mfa_code');
  expectError(assert, await second({ code: '12345' }), 401, 'invalid_mfa_code');
  expectError(assert, await second({}), 422, 'validation_failed');
  expectError(assert, await second({ code: '123456', recovery_code: 'abcde-fghjk' }), 422, 'validation_failed');
  // A challenge changed by one character is not one.
  const flipped = challenge.slice(0, -2) + (challenge.at(-2) === 'A' ? 'B' : 'A') + challenge.at(-1);
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: flipped, code: totp(secret, now) } }), 401, 'mfa_challenge_invalid');
  const ok = await second({ code: await fresh(secret, first) });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.body.token, /^ko_/);
  assert.match(ok.headers.get('set-cookie'), /^kelu_operator_session=ko_/);
  const me = await s.call('GET', '/api/v1/operator/me', { token: ok.body.token });
  assert.deepEqual({ ...me.body.mfa, enabled_at: undefined }, { enabled: true, required: true, enabled_at: undefined, recovery_codes_left: 10 });
});

test('a code is taken once: the same code again, even on a new challenge, is refused', async () => {
  const first = await operatorFirstStep();
  const code = await fresh(s.demo.operator.totp_secret, first);
  const ok = await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code } });
  assert.equal(ok.status, 200, ok.text);
  const again = await operatorFirstStep();
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: again.body.mfa.challenge, code } }), 401, 'invalid_mfa_code');
});

test('two requests spending one code at once: exactly one gets a session', async () => {
  await moveClock(90);  // steps of its own
  const a = await operatorFirstStep();
  const b = await operatorFirstStep();
  const code = await fresh(s.demo.operator.totp_secret, a);
  const answers = await Promise.all([a, b].map((f) => s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: f.body.mfa.challenge, code } })));
  assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401], answers.map((r) => r.text).join('\n'));
});

test('the code can come with the password, in one request', async () => {
  const first = await operatorFirstStep();  // for the service's time
  const code = await fresh(s.demo.operator.totp_secret, first);
  const r = await s.call('POST', '/api/v1/operator/auth/login', { body: { email: s.demo.operator.email, password: s.demo.operator.password, code } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.body.token, /^ko_/);
  // With a wrong password the code is never looked at.
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login', { body: { email: s.demo.operator.email, password: 'wrong-wrong-1', code } }), 401, 'invalid_credentials');
});

test('a challenge lasts five minutes', async () => {
  const first = await operatorFirstStep();
  await moveClock(5 * 60 + 1);
  const code = await fresh(s.demo.operator.totp_secret, await s.call('GET', '/healthz'));
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code } }), 401, 'mfa_challenge_invalid');
});

test('a recovery code gets an operator in once; new codes void the old ones', async () => {
  const before = (await s.call('GET', '/api/v1/operator/me', { token: await s.operatorToken() })).body.mfa.recovery_codes_left;
  const [code1, code2] = s.demo.operator.recovery_codes.splice(0, 2);
  const first = await operatorFirstStep();
  // Typed in capitals and without the dash, it is the same code.
  const ok = await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, recovery_code: code1.toUpperCase().replace('-', '') } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.recovery_codes_left, before - 1);
  const again = await operatorFirstStep();
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: again.body.mfa.challenge, recovery_code: code1 } }), 401, 'invalid_mfa_code');
  // Renewing wants a current code.
  const token = ok.body.token;
  expectError(assert, await s.call('POST', '/api/v1/operator/me/mfa/recovery-codes', { token, body: { code: '000000' } }), 422, 'validation_failed');
  const renewed = await s.call('POST', '/api/v1/operator/me/mfa/recovery-codes', { token, body: { code: await fresh(s.demo.operator.totp_secret, again) } });
  assert.equal(renewed.status, 200, renewed.text);
  assert.equal(renewed.body.recovery_codes.length, 10);
  const third = await operatorFirstStep();
  expectError(assert, await s.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: third.body.mfa.challenge, recovery_code: code2 } }), 401, 'invalid_mfa_code');
  s.demo.operator.recovery_codes = renewed.body.recovery_codes;
});

test('wrong codes count toward the account\'s sign-in delay', async () => {
  const t = await startServer();
  try {
    const first = await t.call('POST', '/api/v1/operator/auth/login', { body: { email: t.demo.operator.email, password: t.demo.operator.password } });
    for (let i = 0; i < 5; i++) {
      expectError(assert, await t.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: '000000' } }), 401, 'invalid_mfa_code');
    }
    const code = t.freshCode(t.demo.operator.totp_secret, first);
    expectError(assert, await t.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code } }), 429, 'too_many_attempts');
  } finally {
    await t.stop();
  }
});

test('an operator whose factor was reset enrols a new one at sign-in, by QR code', async () => {
  const t = await startServer();
  try {
    const old = await t.operatorToken();
    execFileSync(bin, ['--db', t.database, 'reset-operator-mfa', '--email', t.demo.operator.email], { env: { ...process.env, KELU_FILES_DIR: `${t.dir}/files` } });
    expectError(assert, await t.call('GET', '/api/v1/operator/me', { token: old }), 401, 'unauthenticated');
    const first = await t.call('POST', '/api/v1/operator/auth/login', { body: { email: t.demo.operator.email, password: t.demo.operator.password } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.mfa.state, 'enrol');
    const { secret, otpauth_uri: uri, qr_svg: svg } = first.body.mfa.enrolment;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(uri, `otpauth://totp/%E5%AE%A2%E5%BD%95:${encodeURIComponent(t.demo.operator.email)}?secret=${secret}&issuer=%E5%AE%A2%E5%BD%95&algorithm=SHA1&digits=6&period=30`);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
    // The old factor's codes no longer work; the new secret's do.
    expectError(assert, await t.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: t.freshCode(t.demo.operator.totp_secret, first) } }), 401, 'invalid_mfa_code');
    const ok = await t.call('POST', '/api/v1/operator/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: t.freshCode(secret, first) } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.recovery_codes.length, 10);
    for (const c of ok.body.recovery_codes) assert.match(c, /^[2-9a-z]{5}-[2-9a-z]{5}$/);
    // The next sign-in verifies against the new factor.
    const next = await t.call('POST', '/api/v1/operator/auth/login', { body: { email: t.demo.operator.email, password: t.demo.operator.password } });
    assert.equal(next.body.mfa.state, 'verify');
    const audit = await t.call('GET', '/api/v1/operator/audit-log', { token: ok.body.token });
    const actions = audit.body.items.map((e) => e.action);
    assert.ok(actions.includes('operator.mfa_reset') && actions.includes('operator.mfa_enrolled'), actions.join());
  } finally {
    await t.stop();
  }
});

test('a user turns two-step sign-in on with a recent proof, and signs in with a code from then on', async () => {
  const token = await reauthenticated('zhangwei');
  const u = demoUser('zhangwei');
  const me = await s.call('GET', '/api/v1/me', { token });
  assert.deepEqual(me.body.mfa, { enabled: false, required: false, enabled_at: null, recovery_codes_left: 0 });
  // Confirming before starting, or with a wrong code.
  expectError(assert, await s.call('POST', '/api/v1/me/mfa/enrolment/confirm', { token, body: { code: '123456' } }), 409, 'mfa_enrolment_not_started');
  const started = await s.call('POST', '/api/v1/me/mfa/enrolment', { token });
  assert.equal(started.status, 200, started.text);
  assert.match(started.body.otpauth_uri, /^otpauth:\/\/totp\/%E5%AE%A2%E5%BD%95:zhangwei%40demo\?secret=/);
  expectError(assert, await s.call('POST', '/api/v1/me/mfa/enrolment/confirm', { token, body: { code: totp(started.body.secret, serverSeconds(started) - 90) } }), 422, 'validation_failed');
  const confirmed = await s.call('POST', '/api/v1/me/mfa/enrolment/confirm', { token, body: { code: await fresh(started.body.secret, started) } });
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal(confirmed.body.recovery_codes.length, 10);
  expectError(assert, await s.call('POST', '/api/v1/me/mfa/enrolment', { token }), 409, 'mfa_already_enrolled');
  assert.equal((await s.call('GET', '/api/v1/me', { token })).body.mfa.enabled, true);

  const first = await signInUser(u.login, u.password);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.token, undefined);
  assert.equal(first.body.mfa.state, 'verify');
  const ok = await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: await fresh(started.body.secret, first) } });
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.body.token, /^ks_/);
  assert.equal(ok.body.user.mfa_enabled, true);
  assert.equal(ok.body.tenant.slug, 'demo');
  // A recovery code works once.
  const r1 = await signInUser(u.login, u.password, { recovery_code: confirmed.body.recovery_codes[0] });
  assert.equal(r1.status, 200, r1.text);
  assert.equal(r1.body.recovery_codes_left, 9);
  expectError(assert, await signInUser(u.login, u.password, { recovery_code: confirmed.body.recovery_codes[0] }), 401, 'invalid_mfa_code');
  // The login history shows both steps.
  const history = await s.call('GET', '/api/v1/me/login-history', { token: ok.body.token });
  const outcomes = history.body.items.map((h) => h.outcome);
  assert.ok(outcomes.includes('mfa_pending') && outcomes.includes('bad_code') && outcomes.includes('success'), outcomes.join());
  // A changed password voids an open challenge.
  const open = await signInUser(u.login, u.password);
  const changed = await s.call('POST', '/api/v1/me/password', { token: ok.body.token, body: { current_password: u.password, new_password: 'Blue-river-2026x' } });
  assert.equal(changed.status, 204, changed.text);
  u.password = 'Blue-river-2026x';
  expectError(assert, await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: open.body.mfa.challenge, code: await fresh(started.body.secret, open) } }), 401, 'mfa_challenge_invalid');
  // A user's challenge is no operator's, and the other way round.
  const opFirst = await operatorFirstStep();
  expectError(assert, await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: opFirst.body.mfa.challenge, code: '123456' } }), 401, 'mfa_challenge_invalid');
  u.secret = started.body.secret;
});

test('a code re-authenticates as the password does; turning the factor off wants that proof', async () => {
  const u = demoUser('zhangwei');
  const first = await signInUser(u.login, u.password);
  const ok = await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: await fresh(u.secret, first) } });
  const token = ok.body.token;
  await moveClock(6 * 60);  // the sign-in's proof has run out
  expectError(assert, await s.call('DELETE', '/api/v1/me/mfa', { token }), 403, 'reauthentication_required');
  expectError(assert, await s.call('POST', '/api/v1/me/reauthenticate', { token, body: { code: '000000' } }), 422, 'validation_failed');
  expectError(assert, await s.call('POST', '/api/v1/me/reauthenticate', { token, body: {} }), 422, 'validation_failed');
  const health = await s.call('GET', '/healthz');
  const proved = await s.call('POST', '/api/v1/me/reauthenticate', { token, body: { code: await fresh(u.secret, health) } });
  assert.equal(proved.status, 200, proved.text);
  assert.equal((await s.call('DELETE', '/api/v1/me/mfa', { token })).status, 204);
  expectError(assert, await s.call('DELETE', '/api/v1/me/mfa', { token }), 409, 'mfa_not_enrolled');
  // Back to the password alone.
  const plain = await signInUser(u.login, u.password);
  assert.match(plain.body.token, /^ks_/);
});

test('the boss requires two-step sign-in: staff without it enrol at their next sign-in', async () => {
  const boss = await reauthenticated('boss');
  const member = demoUser('lina');
  // The boss must have a factor first; only the boss decides.
  expectError(assert, await s.call('PATCH', '/api/v1/tenant', { token: boss, body: { mfa_required: true } }), 409, 'mfa_not_enrolled');
  const lina = await reauthenticated('lina');
  expectError(assert, await s.call('PATCH', '/api/v1/tenant', { token: lina, body: { mfa_required: true } }), 403, 'forbidden');
  expectError(assert, await s.call('PATCH', '/api/v1/tenant', { token: boss, body: { mfa_required: 'yes' } }), 422, 'validation_failed');
  const bossFactor = await enrol(boss);
  const before = await signedIn('lina');  // on the password alone
  const set = await s.call('PATCH', '/api/v1/tenant', { token: boss, body: { mfa_required: true } });
  assert.equal(set.status, 200, set.text);
  // Sessions made on the password alone end; the boss's (with a factor) stays.
  expectError(assert, await s.call('GET', '/api/v1/me', { token: before }), 401, 'unauthenticated');
  assert.equal((await s.call('GET', '/api/v1/me', { token: boss })).status, 200);
  assert.equal(set.body.mfa_required, true);
  assert.equal((await s.call('GET', '/api/v1/tenant', { token: boss })).body.mfa_required, true);

  // The next sign-in enrols.
  const first = await signInUser(member.login, member.password);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.mfa.state, 'enrol');
  const secret = first.body.mfa.enrolment.secret;
  const ok = await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: await fresh(secret, first) } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.recovery_codes.length, 10);
  const token = ok.body.token;
  assert.deepEqual({ ...(await s.call('GET', '/api/v1/me', { token })).body.mfa, enabled_at: undefined },
    { enabled: true, required: true, enabled_at: undefined, recovery_codes_left: 10 });
  // While it is required nobody turns their own off.
  expectError(assert, await s.call('DELETE', '/api/v1/me/mfa', { token }), 409, 'mfa_required');

  // Lost phone: the boss removes lina's factor; her sessions end and she enrols again.
  const bossMeId = (await s.call('GET', '/api/v1/me', { token: boss })).body.user.id;
  const linaId = (await s.call('GET', '/api/v1/me', { token })).body.user.id;
  expectError(assert, await s.call('DELETE', `/api/v1/users/${linaId}/mfa`, { token: await signedIn('zhangwei') }), 403, 'forbidden');
  assert.equal((await s.call('DELETE', `/api/v1/users/${linaId}/mfa`, { token: boss })).status, 204);
  expectError(assert, await s.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
  expectError(assert, await s.call('DELETE', `/api/v1/users/${linaId}/mfa`, { token: boss }), 409, 'mfa_not_enrolled');
  const again = await signInUser(member.login, member.password);
  assert.equal(again.body.mfa.state, 'enrol');
  assert.notEqual(again.body.mfa.enrolment.secret, secret);
  assert.ok(bossMeId > 0);

  // The boss lifts the requirement (boss signs in with a code: the boss has a factor).
  const lifted = await s.call('PATCH', '/api/v1/tenant', { token: boss, body: { mfa_required: false } });
  assert.equal(lifted.status, 200, lifted.text);
  const plain = await signInUser(member.login, member.password);
  assert.match(plain.body.token, /^ks_/);
  const bossFirst = await signInUser('boss', demoUser('boss').password);
  assert.equal(bossFirst.body.mfa.state, 'verify');
  assert.equal(bossFactor.recovery_codes.length, 10);
  demoUser('boss').secret = bossFactor.secret;
});

test('an admin cannot remove the boss\'s factor, and API tokens work as before', async () => {
  const boss = demoUser('boss');
  const first = await signInUser(boss.login, boss.password);
  assert.equal(first.body.mfa.state, 'verify');
  const signedIn = await s.call('POST', '/api/v1/auth/login/mfa', { body: { challenge: first.body.mfa.challenge, code: await fresh(boss.secret, first) } });
  assert.equal(signedIn.status, 200, signedIn.text);
  const token = signedIn.body.token;
  const me = (await s.call('GET', '/api/v1/me', { token })).body;
  const users = (await s.call('GET', '/api/v1/users', { token })).body.items;
  const lina = users.find((u) => u.login === 'lina');
  assert.equal(lina.mfa_enabled, false);
  assert.equal(users.find((u) => u.login === 'boss').mfa_enabled, true);
  assert.equal((await s.call('PATCH', `/api/v1/users/${lina.id}`, { token, body: { role: 'admin' } })).status, 200);
  const admin = (await signInUser('lina', demoUser('lina').password)).body.token;
  expectError(assert, await s.call('DELETE', `/api/v1/users/${me.user.id}/mfa`, { token: admin }), 403, 'forbidden');
  // A personal API token is the second step's output: it works without a code, and is revoked as before.
  const created = await s.call('POST', '/api/v1/api-tokens', { token, body: { name: '脚本', scope: 'read' } });
  assert.equal(created.status, 201, created.text);
  const api = created.body.token;
  assert.equal((await s.call('GET', '/api/v1/me', { token: api })).status, 200);
  assert.equal((await s.call('DELETE', `/api/v1/api-tokens/${created.body.id}`, { token })).status, 204);
  expectError(assert, await s.call('GET', '/api/v1/me', { token: api }), 401, 'unauthenticated');
  // Factors are not part of the data export nor of any answer.
  assert.doesNotMatch(JSON.stringify(me), /mfa_secret|recovery_codes"/);
});
